"""The one place where ecoloop reads its configuration (environment variables prefixed ``ECOLOOP_``)."""

from __future__ import annotations

import secrets
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


class ImproperlyConfiguredError(RuntimeError):
    """A setting has a value ecoloop cannot run with; the message names the variable."""


class Settings(BaseSettings):
    """Runtime configuration, validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="ECOLOOP_", env_file=".env", extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/ecoloop.sqlite",
        description="SQLAlchemy URL of the operational database (SQLite file or PostgreSQL).",
    )
    analytics_url: str = Field(
        default="duckdb:///var/analytics.duckdb",
        description="Ibis connection URL of the analytics backend (embedded DuckDB by default; "
        "three slashes mean a path relative to the working directory, four an absolute path).",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Directory for embedded storage, uploads and the secret key."
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the web server listens on.")
    secret_key: str = Field(
        default="",
        description="Key that signs cookies and CSRF tokens; generated into DATA_DIR/secret_key when unset.",
    )
    timezone: str = Field(default="Asia/Shanghai", description="Local time zone of the bureau (IANA name).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Logging level.")
    default_locale: Literal["zh_CN", "en"] = Field(default="zh_CN", description="Language of the UI by default.")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins within the lock window that lock an account or an IP address."
    )
    login_lock_minutes: int = Field(default=15, ge=1, description="Minutes an account or IP address stays locked.")
    session_hours: int = Field(default=12, ge=1, description="Hours a browser session lasts without activity.")
    hot_store_url: str = Field(
        default="",
        description="PostgreSQL URL of the readings hot store (postgresql:// or postgresql+psycopg://); "
        "empty for the SQLite file DATA_DIR/ingest/hot.sqlite.",
    )
    hj212_host: str = Field(default="127.0.0.1", description="Address the HJ 212 receiver listens on.")
    hj212_port: int = Field(default=9212, ge=0, le=65535, description="Port of the HJ 212 receiver (0: any free port).")
    hj212_idle_seconds: float = Field(
        default=600.0, gt=0, description="Seconds without data after which the receiver closes a connection."
    )
    readings_earliest: date = Field(
        default=date(2000, 1, 1),
        description="Readings dated before this UTC date are refused at every way in (and set aside when stored).",
    )
    readings_max_ahead_minutes: int = Field(
        default=10,
        ge=0,
        le=24 * 60,
        description="Readings dated more than this many minutes after the receiving server's clock are refused.",
    )
    hj212_unauthenticated_per_ip: int = Field(
        default=64,
        ge=1,
        description="HJ 212 connections one IP address may hold open before sending a valid packet of a known "
        "data logger; further ones are closed unless they send one within 5 seconds.",
    )
    hj212_auth_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Seconds an HJ 212 connection may stay open without sending a valid packet of a known data "
        "logger before the receiver closes it.",
    )
    hj212_rejected_archive_per_minute: int = Field(
        default=60,
        ge=0,
        description="Rejected HJ 212 frames from sources not yet authenticated that are archived per IP address and "
        "minute; the others are counted only.",
    )
    hj212_rejected_archive_bytes_per_minute: int = Field(
        default=1_000_000,
        ge=0,
        description="Bytes of rejected HJ 212 frames from sources not yet authenticated archived per minute by one "
        "receiver process, all addresses together; the others are counted only.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        return value

    @field_validator("hot_store_url")
    @classmethod
    def _supported_hot_store(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgresql+psycopg://")):
            raise ValueError("only postgresql:// and postgresql+psycopg:// URLs are supported (empty: SQLite)")
        return value

    @property
    def hot_store_path(self) -> Path:
        """The SQLite file of the hot store of incoming readings (WAL) under DATA_DIR, when HOT_STORE_URL is empty."""
        return self.data_dir / "ingest" / "hot.sqlite"

    @property
    def parquet_root(self) -> Path:
        """Where compacted readings live as date-partitioned Parquet under DATA_DIR."""
        return self.data_dir / "readings"

    @property
    def case_attachments_root(self) -> Path:
        """Where case attachments (evidence photos, documents) are stored by content hash under DATA_DIR."""
        return self.data_dir / "attachments"

    @property
    def packet_archive_root(self) -> Path:
        """Where raw HJ 212 packets older than a week are kept as date-partitioned Parquet under DATA_DIR."""
        return self.data_dir / "packets"

    @cached_property
    def tz(self) -> ZoneInfo:
        """The bureau's time zone."""
        return ZoneInfo(self.timezone)

    @cached_property
    def signing_key(self) -> bytes:
        """The secret key as bytes, read from or generated into DATA_DIR when the setting is empty."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def load_settings() -> Settings:
    """Read the settings from the environment, failing with the name of the offending variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ECOLOOP_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ImproperlyConfiguredError(problems) from exc
