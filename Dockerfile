# Multi-stage: build the client with Node, run API and workers on a slim Python as non-root.
FROM node:20-bookworm-slim AS client
WORKDIR /src/client
COPY client/package.json client/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY client/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 manhwa
WORKDIR /app
COPY server/pyproject.toml /app/server/pyproject.toml
COPY server/manhwa /app/server/manhwa
COPY server/demo_source /app/server/demo_source
RUN pip install /app/server
COPY --from=client /src/client/dist /app/client/dist
ENV CLIENT_DIST=/app/client/dist DOWNLOAD_DIR=/data/downloads HOST=0.0.0.0 PORT=8000
RUN mkdir -p /data/downloads && chown -R manhwa:manhwa /data
USER manhwa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/sources', timeout=5)"
CMD ["manhwa", "api"]
