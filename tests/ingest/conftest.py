"""Shared fixtures of the ingest tests: a hot store of each backend, as the readings tests have it."""

from tests.readings.conftest import location, store

__all__ = ["location", "store"]
