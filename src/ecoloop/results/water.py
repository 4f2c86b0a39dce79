"""Surface-water results: per section (an automatic water-quality station) and local month, the mean of each GB
3838-2002 Table 1 indicator, the section's class by the single-factor method with its main pollutants and their
exceedance multiples, its CWQI, and whether it meets its target class; computed from the stored readings through
`ecoloop.analytics.water` (DuckDB or Spark) and kept as the result table WATER_MONTH (`results.store`).

The rules are `ecoloop.standards.water`'s (docs/standards/gb3838-water.md): the period value of an indicator is
the arithmetic mean of the month's values (环办[2011]22号 §1(2)); the class is the worst class of the 21 assessed
indicators (GB 3838-2002 Table 1; 环办[2011]22号 §2); main pollutants are up to three indicators worse than class
III with 超标倍数 (C - S_III)/S_III to one decimal (环办[2011]22号 §2); CWQI is the sum of the measured indicators'
indices (环办监测[2017]51号). Every section is assessed as a river (Table 1's river TP row): a site records no
waterbody, so a lake or reservoir section would need one (docs/standards/water-results.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics import sites, water
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.results.air import local_bounds
from ecoloop.results.computation import Output
from ecoloop.results.store import ResultTable
from ecoloop.standards import water as gb3838
from ecoloop.standards.water import WaterGrade

INDICATORS = water.INDICATORS
SIGNIFICANT = 10
"""Means are kept to 10 significant digits: the engines' float sums differ in the last bits (and the mean of 1.1,
1.3 and 0.6 comes out 1.0000000000000002, which would fail the class III limit 1.0); no limit of Table 1 has
more than two significant digits."""

WATER_MONTH = ResultTable(
    "water_month",
    "year",
    pa.schema(
        [
            ("site_id", pa.int64()),
            ("month", pa.date32()),  # the first day of the local month
            *[(name, pa.float64()) for name in INDICATORS],  # the month's mean (mg/L; pH dimensionless)
            *[(f"{name}_n", pa.int64()) for name in INDICATORS],  # how many values made it
            ("grade", pa.string()),  # WaterGrade value: I … V, 劣V; null when no assessed indicator was measured
            ("level", pa.string()),  # WaterQualityLevel value
            ("main_pollutants", pa.string()),  # JSON object, in the method's order: indicator → 超标倍数 text or null
            ("cwqi", pa.float64()),  # to four decimals
            ("cwqi_indicators", pa.int64()),  # how many of the 21 indicators the CWQI sums
            ("target", pa.string()),  # the section's target class (`Site.water_target`), or null
            ("meets", pa.bool_()),  # the class is the target or better; null without a target or a class
        ]
    ),
    day_column="month",
)
TABLES = (WATER_MONTH,)


@dataclass(frozen=True)
class Section:
    """A surface-water section as the results see it: its site and its target class (None when none is set)."""

    site_id: int
    target: WaterGrade | None


def water_network(session: Session) -> list[Section]:
    """The active automatic water-quality stations with their target classes."""
    rows = session.execute(
        select(Site.id, Site.water_target)
        .where(Site.kind == SiteKind.WATER_STATION, Site.active.is_(True))
        .order_by(Site.id)
    )
    return [Section(site_id, _target(target)) for site_id, target in rows]


def _target(text: str | None) -> WaterGrade | None:
    return WaterGrade(text) if text is not None and text in WaterGrade._value2member_map_ else None


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def compute(con: Any, stored: StoredReadings, sections: Sequence[Section], month: date, tz: tzinfo) -> pa.Table:
    """The WATER_MONTH rows of the local month of `month` for `sections`: one per section with a valid value."""
    first, last = month_start(month), month_end(month)
    start, end = local_bounds(first, last, tz)
    offset = start.utcoffset() or timedelta()
    if (end.utcoffset() or timedelta()) != offset:
        raise ValueError("the month crosses a change of the local time's offset")
    if not sections:
        return WATER_MONTH.empty()
    ids = [s.site_id for s in sections]
    readings = sites.period_readings(con, stored, ids, water.INTERVALS, start, end)
    found = sites.rows(con, water.monthly_means(readings, offset, INVALID_FLAGS))
    by_site: dict[int, dict[str, tuple[float, int]]] = {}
    for row in found:
        if row["month"] == first:
            by_site.setdefault(row["site_id"], {})[row["indicator"]] = (row["mean"], row["values"])
    targets = {s.site_id: s.target for s in sections}
    rows = [section_row(site_id, first, means, targets.get(site_id)) for site_id, means in sorted(by_site.items())]
    return pa.Table.from_pylist(rows, schema=WATER_MONTH.schema)


def kept(mean: float) -> Decimal:
    """A mean as it is kept and judged: to SIGNIFICANT digits."""
    return Decimal(f"{mean:.{SIGNIFICANT}g}")


def section_row(
    site_id: int, month: date, means: Mapping[str, tuple[float, int]], target: WaterGrade | None
) -> dict[str, Any]:
    """One section's month: its means and counts, its class, level and main pollutants (环办[2011]22号 §2), its
    CWQI (环办监测[2017]51号) and whether it meets `target`."""
    values = {name: kept(mean) for name, (mean, _count) in means.items()}
    row: dict[str, Any] = {"site_id": site_id, "month": month, "target": target.value if target else None}
    for name in INDICATORS:
        row[name] = float(values[name]) if name in values else None
        row[f"{name}_n"] = means[name][1] if name in means else None
    row |= {"grade": None, "level": None, "main_pollutants": None, "cwqi": None, "cwqi_indicators": None}
    row["meets"] = None
    if not any(name in values for name in gb3838.ASSESSED):
        return row
    result = gb3838.classify(values)
    row["grade"] = result.grade.value
    row["level"] = result.level.value
    row["main_pollutants"] = json.dumps(
        {e.indicator: None if e.multiple is None else str(e.multiple) for e in result.main_pollutants}
    )
    if target is not None:
        row["meets"] = result.grade.rank <= target.rank
    try:
        index = gb3838.cwqi(values)
    except ValueError:  # DO at 0 has no index (S/C)
        return row
    row["cwqi"] = float(index.total)
    row["cwqi_indicators"] = len(index.indicators)
    return row


def main_pollutants(text: str | None) -> list[tuple[str, str | None]]:
    """A row's `main_pollutants` as (indicator, 超标倍数 text or None) in the method's order."""
    if not text:
        return []
    found: dict[str, str | None] = json.loads(text)
    return list(found.items())


@dataclass(frozen=True)
class WaterComputation:
    """Monthly classes of surface-water sections: for days inside one month, that whole month from its readings."""

    name: str = "water"

    def network(self, session: Session) -> list[Section]:
        return water_network(session)

    def compute(
        self, con: Any, stored: StoredReadings, network: Any, first: date, last: date, tz: tzinfo
    ) -> list[Output]:
        # Imported here: `results.service` lists this computation in COMPUTATIONS, so it imports this module.

        month = month_start(first)
        return [Output(WATER_MONTH, compute(con, stored, network, month, tz), [month])]
