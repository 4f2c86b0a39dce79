"""The analytics engines a read of many readings is tested on: each test of such a read takes the `backend`
fixture (an open Ibis backend), made by `open_backend` for each name of ENGINES. Another engine joins by its name
here and a branch in `open_backend` (docs/development/reading-many-readings.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis

ENGINES = ["duckdb"]


@contextmanager
def open_backend(name: str) -> Iterator[Any]:
    """An Ibis backend of the engine `name`, closed afterwards."""
    if name != "duckdb":
        raise ValueError(f"unknown engine {name!r}")
    backend = ibis.duckdb.connect()
    try:
        yield backend
    finally:
        backend.disconnect()
