"""API shape of a region."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ecoloop.regions.enums import RegionLevel


class RegionOut(BaseModel):
    """A region as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    level: RegionLevel
    parent_id: int | None
    path: str
    active: bool
