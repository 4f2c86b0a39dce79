"""API shape of a noise station's days (`GET /api/v1/noise/stations/{site_id}/days`)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ecoloop.db.base import RowId
from ecoloop.results.noise_queries import NoiseDay, StationMonth


class NoiseDayOut(BaseModel):
    """One station-day: Ld (06:00-22:00) and Ln (22:00 to 06:00 of the next day) in dB(A) at 0.1 with their valid
    hours, the night's maximum level, the GB 3096 zone's limits and verdicts (null when not judged: no zone, or too
    few hours), the excess over the limit in dB, and the device's own daily values when it sent them."""

    day: date
    ld: float | None
    ln: float | None
    hours_day: int
    hours_night: int
    day_valid: bool
    night_valid: bool
    lmax_night: float | None
    zone: str | None
    ld_limit: float | None
    ln_limit: float | None
    lmax_limit: float | None
    ld_exceeds: bool | None
    ln_exceeds: bool | None
    lmax_exceeds: bool | None
    ld_excess: float | None
    ln_excess: float | None
    device_leq: float | None
    device_ldn: float | None
    device_ld: float | None
    device_ln: float | None
    device_lmax_night: float | None

    @classmethod
    def of(cls, d: NoiseDay) -> NoiseDayOut:
        return cls(**{name: getattr(d, name) for name in cls.model_fields})


class ComplianceOut(BaseModel):
    """达标率 of the period: compliant and judged station-days by day and by night, the rates in % (0.1)."""

    day_judged: int
    day_met: int
    day_rate: float | None
    night_judged: int
    night_met: int
    night_rate: float | None


class NoiseStationDaysOut(BaseModel):
    """A noise station's days over [first, last] and its compliance."""

    site_id: RowId
    code: str
    name: str
    zone: str | None
    first: date
    last: date
    compliance: ComplianceOut
    days: list[NoiseDayOut]

    @classmethod
    def of(cls, s: StationMonth, first: date, last: date) -> NoiseStationDaysOut:
        t = s.tally
        return cls(
            site_id=s.site.id,
            code=s.site.code,
            name=s.site.name,
            zone=s.site.noise_zone.value if s.site.noise_zone else None,
            first=first,
            last=last,
            compliance=ComplianceOut(
                day_judged=t.day_judged,
                day_met=t.day_met,
                day_rate=None if t.day_rate is None else float(t.day_rate),
                night_judged=t.night_judged,
                night_met=t.night_met,
                night_rate=None if t.night_rate is None else float(t.night_rate),
            ),
            days=[NoiseDayOut.of(d) for d in s.days],
        )
