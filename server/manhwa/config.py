"""Settings: one typed object read from the environment and `.env` (python-dotenv)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .hostlimits_rules import HostLimits, parse_host_limits

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
    max_job_attempts: int = Field(default=3, ge=1)
    max_concurrent_images: int = Field(default=32, ge=1)
    max_per_host: int = Field(default=8, ge=1)
    # Fleet-wide host budgets (hostlimits_rules.py has the syntax); unknown hosts: MAX_PER_HOST.
    host_limits: str = ""
    host_permit_lease_seconds: int | None = Field(default=None, ge=2)  # None: LEASE_SECONDS, ≤ 15
    image_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(default=64_000_000, ge=1)
    # Page options (split_tall, encode): pool processes (0: one per core) and pages in the pool
    # at once per job (0: twice the processes), which bounds the memory decoded pages take.
    page_workers: int = Field(default=0, ge=0, le=64)
    pages_in_flight: int = Field(default=0, ge=0, le=256)
    image_connect_timeout: float = 10.0
    image_read_timeout: float = 30.0
    image_total_timeout: float = 120.0
    # The reader waits for a page: its proxy gives up after this, retries included, instead of
    # the download's minutes (IMAGE_TOTAL_TIMEOUT × retries).
    reader_image_timeout: float = Field(default=15.0, gt=0)
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
    # Access control (README "Security and access"; the `access` package enforces it).
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_url: str | None = None
    auth_mode: Literal["none", "password", "proxy"] = "none"
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = Field(default_factory=list)
    auth_proxy_header: str = "Remote-User"
    session_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    # The library (issue 13): followed series' chapters kept for good, for Komga/Kavita/OPDS.
    library_dir: Path = Path("library")
    library_check_minutes: float = Field(default=360, gt=0)
    library_check_jitter: float = Field(default=0.1, ge=0, le=0.5)
    library_due_seconds: float = Field(default=60, gt=0)
    library_source_spacing_seconds: float = Field(default=5, ge=0)
    library_retry_minutes: float = Field(default=60, gt=0)
    library_ignore_duplicate_numbers: bool = True
    library_language: str = "en"
    notify_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    komga_url: str | None = None
    komga_api_key: str | None = None
    komga_library_id: str | None = None
    kavita_url: str | None = None
    kavita_api_key: str | None = None
    kavita_library_id: str | None = None

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

    @field_validator("host_limits")
    @classmethod
    def _check_host_limits(cls, value: str) -> str:
        """Fail at start-up, naming the bad rule, rather than at a worker's first request."""
        parse_host_limits(value)
        return value

    @property
    def permit_lease_seconds(self) -> int:
        """A host permit's lease: as short as the job lease (a killed worker's permits come back
        as soon as its job does), at most 15 s."""
        return self.host_permit_lease_seconds or min(15, self.lease_seconds)

    @property
    def host_limit_table(self) -> HostLimits:
        return HostLimits(parse_host_limits(self.host_limits), self.max_per_host)

    @field_validator("notify_urls", mode="before")
    @classmethod
    def _parse_notify(cls, value: object) -> object:
        """Apprise URLs, separated by spaces or commas (Apprise's own convention)."""
        if isinstance(value, str):
            return [part for part in re.split(r"[\s,]+", value) if part]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _parse_hosts(cls, value: object) -> object:
        """A comma list of host names (no port); `*` trusts every name."""
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            return [ipaddress.ip_network(part, strict=False) for part in parts]
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("PUBLIC_URL must be an http(s) URL such as https://manhwa.example.org")
        return value.strip().rstrip("/")

    @field_validator("auth_proxy_header")
    @classmethod
    def _check_header(cls, value: str) -> str:
        name = value.strip().lower()
        if not name or not all(c.isalnum() or c == "-" for c in name):
            raise ValueError("AUTH_PROXY_HEADER must be a header name such as Remote-User")
        return name

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.task_soft_time_limit >= self.task_time_limit:
            raise ValueError("TASK_SOFT_TIME_LIMIT must be below TASK_TIME_LIMIT")
        if self.auth_mode == "proxy" and not self.trusted_proxies:
            # Without it any client could send the header itself and be let in.
            raise ValueError("AUTH_MODE=proxy needs TRUSTED_PROXIES (the proxy's addresses)")
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
    def public_origin(self) -> str | None:
        """`scheme://host[:port]` of PUBLIC_URL: the origin browsers send from the app's pages."""
        if not self.public_url:
            return None
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    @property
    def visibility_timeout(self) -> int:
        """Above the hard limit, so the broker never redelivers a task that is still running."""
        return self.task_time_limit + 300


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated once at start."""
    return Settings()
