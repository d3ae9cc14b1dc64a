"""Assembles the demo server: Consumet routes, the image host, control routes, middleware."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from demo_source.control import control_router
from demo_source.errors import page_not_found, route_not_found
from demo_source.faults import FaultState
from demo_source.images import ImageStore, image_router
from demo_source.injector import FaultInjector
from demo_source.links import Links
from demo_source.mangadex import mangadex_router
from demo_source.mangahere import mangahere_router
from demo_source.providers import providers_router
from demo_source.ratelimit import HostLimiter
from demo_source.releases import Releases
from demo_source.stats import Stats, StatsCounter
from demo_source.titles import build_catalog


def create_app(public_url: str | None = None, release_every: float | None = None) -> FastAPI:
    """A fresh app with its own fault config, counters and image cache.

    `public_url` is the base of the image URLs handed out; by default each request's own base URL.
    `release_every` (seconds): the releasing demo series gets a new chapter that often.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(releases.every(release_every)) if release_every else None
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(
        title="Manhwa Downloader demo source",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # Fastify serves `/manga` and `/manga/` alike and redirects neither.
        redirect_slashes=False,
        lifespan=lifespan,
    )
    catalog = build_catalog()
    links = Links(public_url)
    faults = FaultState()
    stats = Stats()
    app.state.faults = faults
    app.state.stats = stats
    releases = Releases(catalog)

    # Provider-specific routers first: the generic `/manga/{provider}/...` fallbacks come last.
    app.include_router(mangadex_router(catalog, links))
    app.include_router(mangahere_router(catalog, links))
    app.include_router(image_router(catalog, ImageStore()))
    app.include_router(control_router(faults, stats, releases))
    app.include_router(providers_router())

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        # Unmatched paths and methods answer like Fastify/Consumet, not FastAPI's `{"detail"}`.
        if exc.status_code == 405 or request.method not in ("GET", "HEAD"):
            return route_not_found(request.method, request.url.path)
        if exc.status_code == 404:
            return page_not_found()
        return Response(status_code=exc.status_code, headers=exc.headers)

    app.add_middleware(FaultInjector, faults=faults)
    # Outside the fault injector: the host decides on 429s before any latency, and counts a
    # request as open for as long as its (possibly slowed) answer takes.
    app.add_middleware(HostLimiter, faults=faults, counters=stats.image_host)
    app.add_middleware(StatsCounter, stats=stats)
    return app
