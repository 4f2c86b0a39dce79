"""The outlet-compliance API's output: one outlet site's kept months (OUTLET_MONTH)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class OutletMonthOut(BaseModel):
    """One pollutant of one outlet site in one local month, as kept (docs/standards/source-compliance.md)."""

    month: date = Field(description="First day of the local month.")
    parameter: str = Field(description="HJ 212 code of the pollutant.")
    averaging: str = Field(description="The limit's averaging period: hour or day.")
    limit: float = Field(description="The permit limit in force at the end of the month's judged days.")
    unit: str
    reference_o2: float | None = Field(description="Reference O2 content (%) the limit is stated at, if any.")
    hours_expected: int
    hours_received: int
    hours_valid: int = Field(description="Values present and not flagged F, M, S, D, C, T or B (HJ 212-2017).")
    exceed_hours: int | None = Field(description="Hours above an hourly limit; null for a daily limit.")
    exceed_days: int | None = Field(description="Days whose valid daily mean is above a daily limit; null otherwise.")
    max_value: float | None = Field(description="The largest value compared (at the reference O2).")
    max_multiple: float | None = Field(description="(max - limit) / limit to 2 decimals; null when none exceeded.")
    transmission_rate: float = Field(description="传输率, percent to 2 decimals.")
    validity_rate: float = Field(description="有效率, percent to 2 decimals.")
    effective_rate: float = Field(description="传输有效率 = 传输率 x 有效率, percent to 2 decimals.")


class OutletMonthsOut(BaseModel):
    """An outlet site and its kept months, oldest first."""

    site_id: int
    site_code: str
    site_name: str
    outlet: str
    enterprise_id: int | None
    months: list[OutletMonthOut]
