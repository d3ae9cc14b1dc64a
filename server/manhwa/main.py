"""App factory: API routers, one error handler, CORS, and the built client on `/`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from redis.asyncio import BlockingConnectionPool, Redis

from . import __version__
from .access.guard import Access, AccessGuard
from .access.hosts import TrustedHosts
from .api import auth, catalog, downloads, events, health, image_proxy, library, opds
from .api import errors as api_errors
from .api.deps import Services
from .api.limits import BodyLimit
from .api.webclient import mount_client
from .celery_app import DownloadMessages, make_celery
from .config import Settings, get_settings
from .consumet import ConsumetClient
from .download_jobs import DownloadJobs
from .fetch import ImageFetcher
from .jobs import JobStore
from .storage import DownloadFolder, LibraryFolder
from .tokens import signing_key

log = logging.getLogger(__name__)
REDIS_CONNECTIONS = 1000  # Redis itself accepts 10000 clients
DEFAULT_DIST = Path(__file__).resolve().parents[2] / "client" / "dist"


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
        consumet = ConsumetClient.from_settings(settings, cache=redis)
        fetcher = ImageFetcher(settings)
        store = JobStore(redis)
        celery = make_celery(settings)
        messages = None
        if DownloadMessages.usable(settings):  # blocking once: connects and declares the queue
            messages = await asyncio.to_thread(DownloadMessages, celery)
        folder = DownloadFolder.from_settings(settings)
        app.state.services = Services(
            settings=settings,
            redis=redis,
            store=store,
            consumet=consumet,
            fetcher=fetcher,
            celery=celery,
            token_key=await signing_key(redis, settings.secret_key),
            jobs=DownloadJobs(store, celery, folder, settings.cleanup_grace_seconds, messages),
        )
        access.attach(redis)
        folder.ensure()
        LibraryFolder.from_settings(settings).ensure()
        try:
            yield
        finally:
            await fetcher.aclose()
            await consumet.aclose()
            await redis.aclose()
            if messages is not None:
                messages.close()

    app = FastAPIOffline(  # /docs and /redoc with their assets served here, not from a CDN
        title="Manhwa Downloader",
        version=__version__,
        description="Search a Consumet source, read chapters, download them as CBZ/ZIP/PDF.",
        lifespan=lifespan,
    )
    api_errors.install(app)
    app.add_middleware(BodyLimit)
    # Outermost last: trusted Host, then CORS (answers preflights), then writes and logins.
    access = app.state.access = Access(settings)
    app.add_middleware(AccessGuard, access=access)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "Range", "Authorization"],  # API tokens
            expose_headers=["Content-Disposition", "Content-Length"],
        )
    app.add_middleware(TrustedHosts, policy=access.hosts)
    for module in (downloads, events, catalog, image_proxy, health, auth, library, opds):
        app.include_router(module.router)
    mount_client(app, settings.client_dist or DEFAULT_DIST)
    return app
