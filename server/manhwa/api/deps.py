"""Shared services of the API process, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from celery import Celery
from fastapi import Depends, Request
from redis.asyncio import Redis

from ..config import Settings
from ..consumet import ConsumetClient
from ..download_jobs import DownloadJobs
from ..fetch import ImageFetcher
from ..jobs import JobStore


@dataclass
class Services:
    settings: Settings
    redis: Redis
    store: JobStore
    consumet: ConsumetClient
    fetcher: ImageFetcher
    celery: Celery
    token_key: bytes
    jobs: DownloadJobs


async def get_services(request: Request) -> Services:
    """Async on purpose: FastAPI runs a plain `def` dependency in a thread, a hop per request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
