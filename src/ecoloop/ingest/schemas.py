"""API shape of an upload of observations (`POST /api/v1/observations`)."""

from __future__ import annotations

from pydantic import BaseModel


class RowErrorOut(BaseModel):
    """A rejected row and why."""

    index: int
    error: str


class ObservationsResult(BaseModel):
    """What an upload stored and what it refused: `stored` valid rows, of which `changed` new readings and
    `conflicts` values other than one stored before under the same key (kept for review, never replacing it)."""

    received: int
    stored: int
    changed: int
    conflicts: int
    errors: list[RowErrorOut]
