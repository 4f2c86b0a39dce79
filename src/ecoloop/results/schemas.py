"""API shapes of the results (`GET /api/v1/...`): each kind of result in its own block."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from ecoloop.db.base import RowId

# --- water (results/water.py, results/water_routes.py) -------------------------------------------------------------


class MainPollutantOut(BaseModel):
    """A main pollution indicator of a section's month and its 超标倍数 (None for pH and DO, which have none)."""

    indicator: str
    multiple: Decimal | None


class WaterMonthOut(BaseModel):
    """One month of a section: the means of the GB 3838 indicators (keys as `ecoloop.standards.water` names them,
    mg/L, pH dimensionless) with their counts of values, the class (I … V, 劣V), level, main pollutants, CWQI and
    the target met; `grade` null when the month had no assessed indicator."""

    month: date
    means: dict[str, float]
    counts: dict[str, int]
    grade: str | None
    level: str | None
    main_pollutants: list[MainPollutantOut]
    cwqi: Decimal | None
    cwqi_indicators: int | None
    target: str | None
    meets: bool | None


class WaterSectionMonthsOut(BaseModel):
    """A section and its kept months (oldest first; months without a kept row are left out)."""

    site_id: RowId
    code: str
    name: str
    target: str | None
    months: list[WaterMonthOut]


# --- end of water ----------------------------------------------------------------------------------------------------
