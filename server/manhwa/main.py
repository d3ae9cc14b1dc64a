"""App factory: API routers, one error handler, CORS, and the built client on `/`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi_offline import FastAPIOffline
from redis.asyncio import BlockingConnectionPool, Redis

from . import __version__
from .api import catalog, downloads, events, health, images
from .api import errors as api_errors
from .api.deps import Services
from .api.limits import BodyLimit
from .config import Settings, get_settings
from .consumet import ConsumetClient
from .errors import NotFound
from .fetch import ImageFetcher
from .jobs import JobStore
from .tokens import signing_key
from .worker import make_celery

log = logging.getLogger(__name__)
REDIS_CONNECTIONS = 1000  # Redis itself accepts 10000 clients
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "client" / "dist"

_NO_CLIENT = """<!doctype html><meta charset="utf-8"><title>Manhwa Downloader</title>
<h1>Manhwa Downloader</h1><p>The web client is not built (run <code>make run</code>).
The API is up: see <a href="/docs">/docs</a>.</p>"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # redis-py's default pool refuses a 101st concurrent command ("Too many connections"), and
        # every open event stream holds a connection: 200 concurrent clients got 503s. This pool
        # is larger and, when full, waits for a connection instead of failing.
        redis = Redis.from_pool(
            BlockingConnectionPool.from_url(
                settings.store_url,
                max_connections=REDIS_CONNECTIONS,
                timeout=10,
                decode_responses=True,
            )
        )
        consumet = ConsumetClient(
            settings.mangapi_url,
            timeout=settings.consumet_timeout,
            retries=settings.consumet_retries,
            cache=redis,
            cache_seconds=settings.cache_seconds,
        )
        fetcher = ImageFetcher(settings)
        app.state.services = Services(
            settings=settings,
            redis=redis,
            store=JobStore(redis),
            consumet=consumet,
            images=fetcher,
            celery=make_celery(settings),
            token_key=await signing_key(redis, settings.secret_key),
        )
        settings.download_dir.mkdir(parents=True, exist_ok=True)
        try:
            yield
        finally:
            await fetcher.aclose()
            await consumet.aclose()
            await redis.aclose()

    app = FastAPIOffline(  # /docs and /redoc with their assets served here, not from a CDN
        title="Manhwa Downloader",
        version=__version__,
        description="Search a Consumet source, read chapters, download them as CBZ/ZIP/PDF.",
        lifespan=lifespan,
    )
    api_errors.install(app)
    app.add_middleware(BodyLimit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "Range"],
            expose_headers=["Content-Disposition", "Content-Length"],
        )
    for module in (downloads, events, catalog, images, health):
        app.include_router(module.router)
    _mount_client(app, settings.client_dist or DEFAULT_DIST)
    return app


def _mount_client(app: FastAPI, dist: Path) -> None:
    """Serve the built client with an SPA fallback: unknown non-API paths get index.html."""
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def client(path: str) -> Response:
        if path.startswith("api/") or path == "api":
            raise NotFound(f"no API route /{path}")
        index = root / "index.html"
        if not index.exists():
            return HTMLResponse(_NO_CLIENT)
        target = (root / path).resolve()
        if path and target.is_file() and target.is_relative_to(root):
            cache = (
                "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            )
            return FileResponse(target, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
