"""API shapes of the air-quality rankings, with the water by CWQI (`GET /api/v1/rankings`). Published values are
decimals as a bulletin prints them (JSON strings, so that 3.10 keeps its digits): µg/m³ integers, CO to 0.1 mg/m³,
percentages to 0.1, the composite index to 0.01, change rates to 0.01 %, the CWQI to 0.0001."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from ecoloop.results.rankings import By, Row
from ecoloop.results.water_queries import CwqiEntry


class TargetOut(BaseModel):
    """A subject's targets for the year and whether the period's figures meet them."""

    good_ratio: Decimal
    pm25: int
    heavy_days: int | None
    good_ratio_met: bool | None
    pm25_met: bool | None
    heavy_days_met: bool | None


class RankingRowOut(BaseModel):
    """One ranked county, town or station."""

    rank: int | None
    previous_rank: int | None
    movement: int | None
    id: int
    code: str
    name: str
    days: int | None
    composite_index: Decimal | None
    pm25: Decimal | None
    pm10: Decimal | None
    o3_p90: Decimal | None
    co_p95: Decimal | None
    good_ratio: Decimal | None
    heavy_days: int | None
    level_days: list[int] | None
    composite_index_last_year: Decimal | None
    pm25_last_year: Decimal | None
    good_ratio_last_year: Decimal | None
    composite_change_rate: Decimal | None
    pm25_change_rate: Decimal | None
    good_ratio_change_points: Decimal | None
    improvement_rank: int | None
    target: TargetOut | None

    @classmethod
    def of(cls, row: Row) -> RankingRowOut:
        now, before = row.change.now, row.change.before
        target = None
        if row.target is not None:
            target = TargetOut(
                good_ratio=row.target.good_ratio,
                pm25=row.target.pm25,
                heavy_days=row.target.heavy_days,
                good_ratio_met=None if row.good_check is None else row.good_check.met,
                pm25_met=None if row.pm25_check is None else row.pm25_check.met,
                heavy_days_met=None if row.heavy_check is None else row.heavy_check.met,
            )
        return cls(
            rank=row.rank,
            previous_rank=row.previous_rank,
            movement=row.movement,
            id=row.subject.id,
            code=row.subject.code,
            name=row.subject.name,
            days=now.days if now else None,
            composite_index=now.composite_index if now else None,
            pm25=now.pm25 if now else None,
            pm10=now.pm10 if now else None,
            o3_p90=now.o3_p90 if now else None,
            co_p95=now.co_p95 if now else None,
            good_ratio=now.good_ratio if now else None,
            heavy_days=now.heavy_days if now else None,
            level_days=list(now.level_days) if now else None,
            composite_index_last_year=before.composite_index if before else None,
            pm25_last_year=before.pm25 if before else None,
            good_ratio_last_year=before.good_ratio if before else None,
            composite_change_rate=row.change.composite_rate,
            pm25_change_rate=row.change.pm25_rate,
            good_ratio_change_points=row.change.good_ratio_points,
            improvement_rank=row.improvement,
            target=target,
        )


class RankingOut(BaseModel):
    """A ranking: what is ranked, by what, over which period, and its rows best first."""

    level: str
    by: By
    first: date
    last: date
    last_year_first: date
    last_year_last: date
    previous_first: date | None
    previous_last: date | None
    rows: list[RankingRowOut]
    water: WaterRankingOut


class WaterRankOut(BaseModel):
    """A county or section by its CWQI of the month (four decimals; 1 the cleanest), the same month last year's
    and ΔCWQI in percent (below 0: better)."""

    rank: int | None
    id: int
    code: str
    name: str
    sections: int
    cwqi: Decimal | None
    cwqi_last_year: Decimal | None
    change_rate: Decimal | None

    @classmethod
    def of(cls, e: CwqiEntry) -> WaterRankOut:
        return cls(rank=e.rank, id=e.id, code=e.code, name=e.name, sections=e.sections, cwqi=e.cwqi,
                   cwqi_last_year=e.base, change_rate=e.change)  # fmt: skip


class WaterRankingOut(BaseModel):
    """The counties and sections by CWQI of the latest month with water results up to the period's end."""

    month: date
    base_month: date
    counties: list[WaterRankOut]
    sections: list[WaterRankOut]
