"""Reading the water results for a principal: the sections they may see (those in their region's subtree), a
month's classes with the area's summary, and a section's last months (`results.water`, table WATER_MONTH).

Sections are scoped by region like every result (a branch sees its county's sections, a foreign id is not found);
their rows are read from the kept Parquet partitions on the engine of `ANALYTICS_URL`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.analytics import backends
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import in_subtree, list_regions
from ecoloop.results import store
from ecoloop.results.water import INDICATORS, WATER_MONTH, main_pollutants, month_start
from ecoloop.settings import Settings
from ecoloop.standards import ranking
from ecoloop.standards import water as gb3838
from ecoloop.standards.water import CWQI_PLACES, WaterGrade, WaterQualityLevel

MONTHS_SHOWN = 24
PERCENT_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class KeptResults:
    """Where the result tables are kept and the analytics backend that reads them (`backends.reading`)."""

    root: Path
    backend: Callable[[], AbstractContextManager[Any]]

    @classmethod
    def of(cls, settings: Settings) -> KeptResults:
        return cls(settings.results_root, partial(backends.reading, settings))


@dataclass(frozen=True)
class Section:
    """A surface-water section (an automatic water-quality station) as the pages name it."""

    id: int
    code: str
    name: str
    region_name: str
    target: WaterGrade | None
    active: bool
    region_path: str = ""


@dataclass(frozen=True)
class SectionMonth:
    """One kept month of a section: the means and their counts, the class, level and main pollutants (indicator,
    超标倍数 text or None), the CWQI and the target met."""

    site_id: int
    month: date
    means: dict[str, float]
    counts: dict[str, int]
    grade: WaterGrade | None
    level: WaterQualityLevel | None
    main: list[tuple[str, str | None]]
    cwqi: Decimal | None
    cwqi_indicators: int | None
    target: WaterGrade | None
    meets: bool | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> SectionMonth:
        return cls(
            site_id=row["site_id"],
            month=row["month"],
            means={k: row[k] for k in INDICATORS if row.get(k) is not None},
            counts={k: row[f"{k}_n"] for k in INDICATORS if row.get(f"{k}_n") is not None},
            grade=WaterGrade(row["grade"]) if row.get("grade") else None,
            level=WaterQualityLevel(row["level"]) if row.get("level") else None,
            main=main_pollutants(row.get("main_pollutants")),
            cwqi=_cwqi(row.get("cwqi")),
            cwqi_indicators=row.get("cwqi_indicators"),
            target=WaterGrade(row["target"]) if row.get("target") else None,
            meets=row.get("meets"),
        )


def _cwqi(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(CWQI_PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Summary:
    """A month of an area's sections: how many were classed, per class, the share of class I-III (percent to
    0.1), the 劣V count, how many with a target meet it, and the mean CWQI (four decimals)."""

    sections: int
    classed: int
    by_grade: dict[WaterGrade, int]
    good: int
    good_share: Decimal | None
    worse_than_v: int
    with_target: int
    meeting: int
    mean_cwqi: Decimal | None


def visible_sections(session: Session, principal: Principal) -> list[Section]:
    """The water sections in the principal's region subtree, by code."""
    stmt = (
        select(Site.id, Site.code, Site.name, Region.name, Site.water_target, Site.active, Region.path)
        .join(Region, Site.region_id == Region.id)
        .where(Site.kind == SiteKind.WATER_STATION, in_subtree(Site.region_id, principal))
        .order_by(Site.code)
    )
    return [
        Section(i, code, name, region, target_of(t), active, path)
        for i, code, name, region, t, active, path in session.execute(stmt)
    ]


def target_of(text: str | None) -> WaterGrade | None:
    """A stored target class, or None when none (or no class) is stored."""
    return WaterGrade(text) if text is not None and text in WaterGrade._value2member_map_ else None


def get_section(session: Session, principal: Principal, site_id: int) -> Section | None:
    """One section, if the principal may see it."""
    return next((s for s in visible_sections(session, principal) if s.id == site_id), None)


def kept_months(kept: KeptResults, site_ids: Sequence[int], first: date, last: date) -> list[SectionMonth]:
    """The kept months first…last (first days of months) of the sections `site_ids`, by month and site."""
    if not site_ids:
        return []
    with kept.backend() as con:
        t = store.scan(con, kept.root, WATER_MONTH, first, last)
        if t is None:
            return []
        t = t.filter(t.site_id.isin(list(site_ids))).order_by(["month", "site_id"])
        rows = con.to_pyarrow(t).to_pylist()
    return [SectionMonth.of(row) for row in rows]


def month_table(
    session: Session, principal: Principal, kept: KeptResults, month: date
) -> tuple[list[tuple[Section, SectionMonth | None]], Summary]:
    """The principal's sections with their kept month (None when not computed or without data), and the summary
    of that month."""
    month = month_start(month)
    sections = visible_sections(session, principal)
    found = {m.site_id: m for m in kept_months(kept, [s.id for s in sections], month, month)}
    rows = [(s, found.get(s.id)) for s in sections if s.active or s.id in found]
    return rows, summarise(len(rows), [m for _s, m in rows if m is not None])


def summarise(sections: int, months: Iterable[SectionMonth]) -> Summary:
    """The summary of one month of an area's sections (docs/standards/water-results.md)."""
    classed = [m for m in months if m.grade is not None]
    by_grade = {g: sum(1 for m in classed if m.grade is g) for g in WaterGrade}
    good = sum(n for g, n in by_grade.items() if g.rank <= WaterGrade.CLASS_III.rank)
    targeted = [m for m in classed if m.meets is not None]
    indices = [m.cwqi for m in classed if m.cwqi is not None]
    share = None
    if classed:
        share = (Decimal(100 * good) / len(classed)).quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN)
    mean_cwqi = None
    if indices:
        mean_cwqi = (sum(indices, Decimal(0)) / len(indices)).quantize(CWQI_PLACES, rounding=ROUND_HALF_EVEN)
    return Summary(
        sections=sections,
        classed=len(classed),
        by_grade=by_grade,
        good=good,
        good_share=share,
        worse_than_v=by_grade[WaterGrade.WORSE_THAN_V],
        with_target=len(targeted),
        meeting=sum(1 for m in targeted if m.meets),
        mean_cwqi=mean_cwqi,
    )


def months_back(until: date, count: int) -> list[date]:
    """The first days of the `count` months ending with `until`'s, oldest first."""
    year, month = until.year, until.month
    found = []
    for _ in range(count):
        found.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def section_history(
    session: Session, principal: Principal, kept: KeptResults, site_id: int, until: date, count: int = MONTHS_SHOWN
) -> tuple[Section, list[date], dict[date, SectionMonth]] | None:
    """A section the principal may see, the `count` months ending with `until`'s and its kept ones among them;
    None when the principal may not see it."""
    section = get_section(session, principal, site_id)
    if section is None:
        return None
    months = months_back(until, count)
    found = {m.month: m for m in kept_months(kept, [site_id], months[0], months[-1])}
    return section, months, found


def latest_month(session: Session, principal: Principal, kept: KeptResults, today: date) -> date:
    """The latest month up to `today`'s with a kept row of a section the principal sees (this month when none)."""
    ids = [s.id for s in visible_sections(session, principal)]
    months = kept_months(kept, ids, date(today.year - 1, 1, 1), month_start(today))
    return max((m.month for m in months), default=month_start(today))


# --- water by CWQI (rankings, 环办监测[2017]51号) -------------------------------------------------------------------


@dataclass(frozen=True)
class CwqiEntry:
    """One area's (or section's) CWQI of a month, the base month's, the change rate in percent (ΔCWQI: below 0 is
    better water) and its rank by CWQI (1 the cleanest; equal values rank equal and the next rank skips)."""

    id: int
    code: str
    name: str
    sections: int
    cwqi: Decimal | None
    base: Decimal | None
    change: Decimal | None
    rank: int | None


def area_cwqi(months: Iterable[SectionMonth]) -> Decimal | None:
    """The CWQI of an area's sections in one period: the index of each indicator's mean over the sections that
    measured it (环办监测[2017]51号: the city's period means, then the index), four decimals; None without any."""
    values: dict[str, list[Decimal]] = {}
    for m in months:
        for indicator, mean in m.means.items():
            values.setdefault(indicator, []).append(Decimal(repr(mean)))
    means = {k: sum(v, Decimal(0)) / len(v) for k, v in values.items()}
    if not any(k in gb3838.ASSESSED for k in means):
        return None
    try:
        return gb3838.cwqi(means).total
    except ValueError:  # DO at 0 has no index
        return None


def cwqi_ranking(
    session: Session, principal: Principal, kept: KeptResults, month: date, base: date, level: RegionLevel
) -> list[CwqiEntry]:
    """The regions of `level` the principal sees, by the CWQI of their sections in `month` (an area's sections are
    those in its subtree), with the base month's CWQI and ΔCWQI; regions without a kept section month rank last
    (rank None)."""
    sections = visible_sections(session, principal)
    now, then = _months_by_site(kept, sections, month), _months_by_site(kept, sections, base)
    entries = []
    for region in list_regions(session, principal, level=level):
        inside = [s.id for s in sections if s.region_path.startswith(region.path)]  # paths end with a dot
        index = area_cwqi(now[i] for i in inside if i in now)
        before = area_cwqi(then[i] for i in inside if i in then)
        entries.append((region.id, region.code, region.name, sum(1 for i in inside if i in now), index, before))
    return _ranked(entries)


def section_cwqi_ranking(
    session: Session, principal: Principal, kept: KeptResults, month: date, base: date
) -> list[CwqiEntry]:
    """The principal's sections by their CWQI of `month`, with the base month's and ΔCWQI."""
    sections = visible_sections(session, principal)
    now, then = _months_by_site(kept, sections, month), _months_by_site(kept, sections, base)
    entries = []
    for s in sections:
        index = now[s.id].cwqi if s.id in now else None
        entries.append((s.id, s.code, s.name, int(s.id in now), index, then[s.id].cwqi if s.id in then else None))
    return _ranked(entries)


def _months_by_site(kept: KeptResults, sections: Sequence[Section], month: date) -> dict[int, SectionMonth]:
    first = month_start(month)
    return {m.site_id: m for m in kept_months(kept, [s.id for s in sections], first, first)}


def _ranked(entries: Sequence[tuple[int, str, str, int, Decimal | None, Decimal | None]]) -> list[CwqiEntry]:
    ranks = ranking.rank({e[0]: e[4] for e in entries}, ascending=True)
    out = [
        CwqiEntry(i, code, name, n, index, before, _change(index, before), ranks[i])
        for i, code, name, n, index, before in entries
    ]
    return sorted(out, key=lambda e: (e.rank is None, e.rank or 0, e.code))


def _change(now: Decimal | None, base: Decimal | None) -> Decimal | None:
    if now is None or base is None or base == 0:
        return None
    return gb3838.cwqi_change(now, base)
