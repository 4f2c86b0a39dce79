"""API shape of a site's data quality (`GET /api/v1/sites/{site_id}/quality`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ecoloop.db.base import RowId
from ecoloop.monitoring.quality import Completeness


class CompletenessOut(BaseModel):
    """Expected, received and valid values and the rates in percent."""

    expected: int
    received: int
    valid: int
    transmission: float
    validity: float
    effective: float

    @classmethod
    def of(cls, c: Completeness) -> CompletenessOut:
        return cls(
            expected=c.expected,
            received=c.received,
            valid=c.valid,
            transmission=float(c.transmission),
            validity=float(c.validity),
            effective=float(c.effective),
        )


class ParameterQualityOut(BaseModel):
    """One parameter's completeness and device flags."""

    parameter: str
    completeness: CompletenessOut
    flags: dict[str, int]


class IssueOut(BaseModel):
    """A suspicious stretch of one parameter."""

    kind: str
    parameter: str
    start: datetime
    end: datetime
    detail: str


class DeviceStatusOut(BaseModel):
    """A data logger's last packet and status."""

    mn: str
    interval_minutes: int
    last_seen: datetime | None
    online: bool


class SiteQualityOut(BaseModel):
    """The data quality of a site over [start, end)."""

    site_id: RowId
    start: datetime
    end: datetime
    interval: str
    step_minutes: int
    last_seen: datetime | None
    online: bool
    completeness: CompletenessOut
    parameters: list[ParameterQualityOut]
    flags: dict[str, int]
    issues: list[IssueOut]
    rejected: dict[str, int]
    devices: list[DeviceStatusOut]


class ReadingOut(BaseModel):
    """One stored reading that stands (`GET /api/v1/sites/{site_id}/readings`): the HJ 212 code and its unit at this
    site, the time (the start of the period for hourly and daily data), the value, the device's flag and where the
    value came from (`hj212`, `upload:<user>`, `correction:<reviewer>` …)."""

    parameter: str
    unit: str
    time: datetime
    value: float | None
    flag: str | None
    source: str
