"""The one place where ecoloop reads its configuration (environment variables prefixed ``ECOLOOP_``)."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import date, timedelta
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
    password_link_hours: int = Field(
        default=72,
        ge=1,
        le=24 * 30,
        description="Hours a one-time set-password link (a new user's, or a reset) stays valid if it is not used.",
    )
    public_url: str = Field(
        default="",
        description="The address users reach ecoloop at (https://ecoloop.example.gov.cn), for links handed out of "
        "band (set-password links); empty: the address of the request, or http://HOST:PORT on the command line.",
    )
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

    request_max_mb: int = Field(
        default=1,
        ge=1,
        description="Largest request body in MiB of a form or JSON request without a file; larger ones get 413.",
    )
    request_max_attachment_mb: int = Field(
        default=21,
        ge=1,
        description="Largest request body in MiB of a case attachment or a case step with evidence (files up to "
        "20 MiB, the rest is the form around them).",
    )
    request_max_upload_mb: int = Field(
        default=21,
        ge=1,
        description="Largest request body in MiB of a file upload: monitoring data, enterprise workbook, case batch, "
        "electricity readings.",
    )
    request_max_observations_mb: int = Field(
        default=8,
        ge=1,
        description="Largest request body in MiB of POST /api/v1/observations and POST /api/v1/electricity/readings "
        "(JSON).",
    )
    request_max_complaint_mb: int = Field(
        default=16,
        ge=1,
        description="Largest request body in MiB of the public complaint form (POST /public/complaints: up to 3 "
        "photos of 5 MiB each and the form); read from anonymous visitors, so kept small.",
    )
    json_max_depth: int = Field(
        default=32,
        ge=2,
        le=500,  # well below Python's recursion limit, which deeper JSON would hit while being decoded
        description="Deepest nesting of arrays and objects a JSON request body may have.",
    )
    sheet_max_columns: int = Field(
        default=256, ge=10, description="Most columns a spreadsheet row of an upload or import may have."
    )
    sheet_max_cells: int = Field(
        default=1_000_000, ge=1000, description="Most cells a spreadsheet upload or import may have in all."
    )
    sheet_max_unzipped_mb: int = Field(
        default=200,
        ge=1,
        description="Most MiB an .xlsx upload or import may unpack to (its parts together), and no part may unpack "
        "to more than 100 times its compressed size: zip bombs are refused before they are parsed.",
    )

    pii_keys_file: Path | None = Field(
        default=None,
        description="File of the keys that encrypt complainants' names, phones and original texts (JSON, mode "
        "0600, kept outside the database and its backups); unset: DATA_DIR/pii_keys.json, created on first use. "
        "Losing it loses the identities: back it up separately (docs/deploy.md).",
    )
    open311_jurisdiction: str = Field(
        default="",
        description="The Open311 jurisdiction_id this city answers to (e.g. its site's domain); a request naming "
        "another gets 404. Empty: any jurisdiction_id is ignored.",
    )
    complaints_per_ip_hour: int = Field(
        default=10,
        ge=1,
        description="Complaints one address (an IPv6 /64 counts as one) may file in an hour through the public "
        "page, the public API and Open311 without a partner key.",
    )
    complaints_per_phone_day: int = Field(
        default=5, ge=1, description="Complaints one phone number may file in a day through the public channels."
    )
    lookups_per_ip_hour: int = Field(
        default=30,
        ge=1,
        description="Ticket look-ups one address may make in an hour (a wrong last-four counts), and failed "
        "look-ups of one ticket in a day, so that a phone's last four digits cannot be guessed.",
    )
    complaint_form_min_seconds: int = Field(
        default=3,
        ge=0,
        le=600,
        description="Seconds the public form must have been open before it is sent; quicker sends are refused "
        "as automated.",
    )

    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto headers are believed; empty: none (the client address is the connection's).",
    )
    webhook_allowed_networks: str = Field(
        default="",
        description="Comma-separated networks that webhooks may target although they are loopback, private, "
        "link-local or otherwise not public; empty: public addresses only.",
    )
    # Hotspot orders (高值热点消除指令, issue 20 part 1): local practice and ecoloop's reading, memo §5 [unverified].
    hotspot_respond_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="Minutes the lead unit has to respond to a hotspot order (签收)."
    )
    hotspot_on_site_minutes: int = Field(
        default=120, ge=1, le=7 * 24 * 60, description="Minutes from dispatch until the lead unit is on site."
    )
    hotspot_reply_hours: int = Field(
        default=24, ge=1, le=30 * 24, description="Hours from dispatch until the lead unit replies (反馈)."
    )
    hotspot_radius_km: float = Field(
        default=2.0, ge=0.1, le=20.0, description="Default radius (km) of the suspect-source search around a station."
    )
    hotspot_effect_hours: int = Field(
        default=6,
        ge=1,
        le=48,
        description="Hours of the station's values before the hotspot and after the reply compared as the effect.",
    )
    hotspot_neighbour_km: float = Field(
        default=10.0,
        ge=0.5,
        le=100.0,
        description="Air stations within this distance (km) are the neighbours the effect is compared against.",
    )
    hotspot_repeat_days: int = Field(
        default=30, ge=1, le=366, description="Days within which repeat orders at one station are counted."
    )
    hotspot_repeat_count: int = Field(
        default=3, ge=2, le=100, description="A station's order of this count within the days proposes an interview."
    )
    # The control list's required shares per warning level (issue 20 part 3, docs/controls.md).
    control_share_yellow_percent: int = Field(
        default=10,
        ge=0,
        le=100,
        description="Share (%) of a county's whole-society SO2, NOx, PM and VOCs emissions that the control list "
        "must cut during a yellow warning.",
    )
    control_share_orange_percent: int = Field(
        default=20, ge=0, le=100, description="The same share (%) during an orange warning."
    )
    control_share_red_percent: int = Field(
        default=30, ge=0, le=100, description="The same share (%) during a red warning."
    )

    @field_validator("pii_keys_file", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies", "webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The addresses and networks of TRUSTED_PROXIES, one per item."""
        return _split(self.trusted_proxies)

    @property
    def webhook_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The networks of WEBHOOK_ALLOWED_NETWORKS."""
        return tuple(ipaddress.ip_network(item, strict=False) for item in _split(self.webhook_allowed_networks))

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and (not value.startswith(("http://", "https://")) or any(c in value for c in "?# ")):
            raise ValueError("a public URL is http:// or https:// followed by a host (and a path), no query")
        return value

    @property
    def pii_keys_path(self) -> Path:
        """Where the complainant-identity keys are (PII_KEYS_FILE, or DATA_DIR/pii_keys.json)."""
        return self.pii_keys_file or self.data_dir / "pii_keys.json"

    @property
    def password_link_lifetime(self) -> timedelta:
        """How long a one-time set-password link stays valid (PASSWORD_LINK_HOURS)."""
        return timedelta(hours=self.password_link_hours)

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
    def results_root(self) -> Path:
        """Where computed results (hourly and daily AQI, water classes, noise levels, outlet compliance) are kept as
        Parquet under DATA_DIR (`results/store.py`)."""
        return self.data_dir / "results"

    @property
    def case_attachments_root(self) -> Path:
        """Where case attachments (evidence photos, documents) are stored by content hash under DATA_DIR."""
        return self.data_dir / "attachments"

    @property
    def demo_marker(self) -> Path:
        """The file `ecoloop demo` writes under DATA_DIR: this deployment holds the demo city, and its pages say so."""
        return self.data_dir / "demo"

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


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def load_settings() -> Settings:
    """Read the settings from the environment, failing with the name of the offending variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ECOLOOP_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ImproperlyConfiguredError(problems) from exc
