"""Reads of the water results for the overview screen and the public page (issue 16 parts 2 and 6): an area's
sections by class in the latest month with results, and the public table of the city's sections' classes in the
latest months.

The kept months (`results.water`, table WATER_MONTH) are read through the page's `queries.ResultReads`, so they
are kept in memory while their partition files are unchanged; the sections come from the operational database
(`water_queries.visible_sections`, scoped by the principal) and the summary is `water_queries.summarise`: the
same numbers as the water pages. `public_water` is the one unscoped read, of public information only (section
names, classes, targets met; no codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.models import Region
from ecoloop.results.queries import ResultReads
from ecoloop.results.water import WATER_MONTH, month_start
from ecoloop.results.water_queries import SectionMonth, Summary, months_back, summarise, visible_sections
from ecoloop.standards.water import WaterGrade

# The latest month with results is searched in this month and the months before it: water results are monthly,
# and a section network that reported nothing for a year has no "latest month" worth showing.
LOOKBACK_MONTHS = 13
PUBLIC_MONTHS = 3


def recent_months(reads: ResultReads, today: date) -> list[SectionMonth]:
    """Every kept section month of `today`'s month and the LOOKBACK_MONTHS - 1 before it, by month and site."""
    months = months_back(today, LOOKBACK_MONTHS)

    def build(con: Any, t: Any) -> list[SectionMonth]:
        return [SectionMonth.of(row) for row in con.to_pyarrow(t.order_by(["month", "site_id"])).to_pylist()]

    return reads.read(WATER_MONTH, months[0], month_start(today), "months", build) or []


@dataclass(frozen=True)
class WaterClasses:
    """An area's sections in the latest month with results (None: no results lately): how many per class, the
    share of class I-III, how many meet their target (`water_queries.Summary`)."""

    month: date | None
    summary: Summary

    @property
    def classes(self) -> list[tuple[WaterGrade, int]]:
        """Each class I … 劣V with its count of sections, best first."""
        return [(grade, self.summary.by_grade[grade]) for grade in WaterGrade]


def water_classes(
    session: Session, principal: Principal, reads: ResultReads, region: Region, today: date
) -> WaterClasses:
    """The water sections of `region` (as far as the principal sees them) by class in the latest month up to
    `today`'s with a kept result of one of them."""
    sections = [s for s in visible_sections(session, principal) if s.region_path.startswith(region.path)]
    ids = {s.id for s in sections}
    months = [m for m in recent_months(reads, today) if m.site_id in ids]
    latest = max((m.month for m in months), default=None)
    found = [m for m in months if m.month == latest]
    shown = {s.id for s in sections if s.active} | {m.site_id for m in found}
    return WaterClasses(latest, summarise(len(shown), found))


@dataclass(frozen=True)
class PublicClass:
    """A section's class in one month as published, and whether it meets its target (None: no target)."""

    grade: WaterGrade | None
    meets: bool | None


@dataclass(frozen=True)
class PublicSection:
    """A section by name with its class in each month of the table (None: no result that month)."""

    name: str
    months: tuple[PublicClass | None, ...]


@dataclass(frozen=True)
class PublicWater:
    """The city's water section classes in the latest months with results (oldest first)."""

    months: list[date]
    sections: list[PublicSection]


def public_water(session: Session, reads: ResultReads, region: Region, today: date) -> PublicWater:
    """The classes of every water section of the city in the latest PUBLIC_MONTHS months with results, for the
    public page (public information: names, classes and targets met; not scoped, as no one is signed in)."""
    stmt = (
        select(Site.id, Site.name, Site.active)
        .join(Region, Site.region_id == Region.id)
        .where(Site.kind == SiteKind.WATER_STATION, Region.path.startswith(region.path, autoescape=True))
        .order_by(Site.code)
    )
    sites = list(session.execute(stmt))
    ids = {s.id for s in sites}
    kept = {(m.site_id, m.month): m for m in recent_months(reads, today) if m.site_id in ids}
    months = sorted({month for _site, month in kept})[-PUBLIC_MONTHS:]
    rows = []
    for site_id, name, active in sites:
        cells = tuple(
            PublicClass(m.grade, m.meets) if (m := kept.get((site_id, month))) is not None else None for month in months
        )
        if active or any(cells):
            rows.append(PublicSection(name, cells))
    return PublicWater(months, rows)
