"""Settings: one typed object read from the environment and `.env` (python-dotenv)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    """Every knob of the app; `.env.example` lists each with its default."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    redis_url: str | None = None
    celery_broker_url: str | None = None
    celery_result_backend: str | None = None
    mangapi_url: str = "http://127.0.0.1:8100"
    download_dir: Path = Path("downloads")
    file_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    cleanup_grace_seconds: int = Field(default=600, ge=0)
    sweep_interval_seconds: int = Field(default=60, ge=1)
    lease_seconds: int = Field(default=30, ge=2)
    max_concurrent_images: int = Field(default=32, ge=1)
    max_per_host: int = Field(default=8, ge=1)
    image_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(default=64_000_000, ge=1)
    # Page options (split_tall, encode): pool processes (0: one per core) and pages in the pool
    # at once per job (0: twice the processes), which bounds the memory decoded pages take.
    page_workers: int = Field(default=0, ge=0, le=64)
    pages_in_flight: int = Field(default=0, ge=0, le=256)
    image_connect_timeout: float = 10.0
    image_read_timeout: float = 30.0
    image_total_timeout: float = 120.0
    image_retries: int = Field(default=4, ge=0)
    retry_base_delay: float = Field(default=0.5, ge=0)
    retry_max_delay: float = Field(default=20.0, ge=0)
    consumet_timeout: float = 60.0
    consumet_retries: int = Field(default=2, ge=0)
    cache_seconds: int = Field(default=300, ge=0)
    allow_private_hosts: Annotated[list[IPNetwork] | bool, NoDecode] = False
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_provider: str = "mangadex"
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_chapters_per_job: int = Field(default=500, ge=1, le=5000)
    task_soft_time_limit: int = 25 * 60
    task_time_limit: int = 30 * 60
    client_dist: Path | None = None

    @field_validator("allow_private_hosts", mode="before")
    @classmethod
    def _parse_allow(cls, value: object) -> object:
        """`true`/`false`, or a comma list of addresses/CIDRs (the test source's allow-list)."""
        if isinstance(value, str):
            text = value.strip().lower()
            if text in {"", "0", "false", "no", "off"}:
                return False
            if text in {"1", "true", "yes", "on", "*"}:
                return True
            return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",")]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.task_soft_time_limit >= self.task_time_limit:
            raise ValueError("TASK_SOFT_TIME_LIMIT must be below TASK_TIME_LIMIT")
        return self

    @field_validator("mangapi_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or self.redis_url or "redis://127.0.0.1:6379/0"

    @property
    def store_url(self) -> str:
        return self.redis_url or "redis://127.0.0.1:6379/0"

    @property
    def visibility_timeout(self) -> int:
        """Above the hard limit, so the broker never redelivers a task that is still running."""
        return self.task_time_limit + 300


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated once at start."""
    return Settings()
