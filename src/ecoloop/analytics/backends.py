"""The one place that opens the analytics backend named by `ANALYTICS_URL`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis

from ecoloop.settings import Settings


def resolve_url(url: str) -> str:
    """`url` with a DuckDB file path made absolute.

    As with SQLAlchemy URLs, `duckdb:///var/x.duckdb` (three slashes) is relative to the working directory and
    `duckdb:////srv/x.duckdb` (four) is absolute; `duckdb://` alone is an in-memory database.
    """
    if not url.startswith("duckdb://"):
        return url
    rest = url.removeprefix("duckdb://")
    if rest in ("", "/", "/:memory:", ":memory:"):
        return "duckdb://"
    path = rest[1:] if rest.startswith("/") else rest
    resolved = Path(path).resolve()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return f"duckdb://{resolved}"


def connect(settings: Settings) -> Any:
    """The Ibis backend for `settings.analytics_url` (embedded DuckDB by default, `pyspark://` for Spark)."""
    # Any: ibis backends share no static type that mypy can follow; callers use the BaseBackend API.
    return ibis.connect(resolve_url(settings.analytics_url))
