"""The control list as the pages and the workbook show it: each listed enterprise of the user's area with its
grade on a day, its measure and reduction at each level, and each county's reductions against its baseline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped, visible
from ecoloop.controls.enums import GuideIndustry, MeasureKind, Pollutant, TruckRule
from ecoloop.controls.models import EMERGENCY_LIST_CODE, ControlEntry, ControlOverride, CountyBaseline, NormalEmission
from ecoloop.controls.queries import listed_enterprises, templates
from ecoloop.controls.rules import (
    LEVELS,
    Emission,
    Line,
    ListedEnterprise,
    Measure,
    MeasureSource,
    RequiredShares,
    ShareCheck,
    Window,
    check_shares,
    grade_on,
    reduction,
    summed,
)
from ecoloop.enterprises.enums import LineKind, PerformanceGrade
from ecoloop.enterprises.models import Enterprise, ListMembership, ProductionLine, SupervisionList
from ecoloop.episodes.enums import WarningLevel
from ecoloop.episodes.queries import level_periods
from ecoloop.episodes.rules import LevelPeriod, level_at
from ecoloop.i18n import N_, gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region


@dataclass(frozen=True, slots=True)
class LevelView:
    """An enterprise's measure at one level, where it comes from, the lines it stops, its staggered windows and
    the reduction it gives per pollutant (kg/d)."""

    level: WarningLevel
    measure: Measure
    source: MeasureSource
    stopped: tuple[Line, ...]
    windows: tuple[Window, ...]
    reduction: Mapping[Pollutant, Decimal]


@dataclass(frozen=True, slots=True)
class ListRow:
    """One enterprise on the list on a day."""

    enterprise: Enterprise
    entry: ControlEntry
    county: Region | None
    grade: PerformanceGrade | None
    emissions: Mapping[Pollutant, Decimal]
    levels: tuple[LevelView, ...]


@dataclass(frozen=True, slots=True)
class CountySummary:
    """A county's baseline, and its listed enterprises' reductions against the required share at each level."""

    county: Region
    enterprises: int
    baselines: Mapping[Pollutant, Decimal]
    checks: Mapping[WarningLevel, list[ShareCheck]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Filters:
    """The list page's filters (None: all)."""

    county_id: int | None = None
    industry: GuideIndustry | None = None
    grade: PerformanceGrade | None = None


def counties(session: Session, principal: Principal) -> list[Region]:
    """The counties the user may see (a branch: its own), by code."""
    stmt = select(Region).where(Region.level == RegionLevel.COUNTY, Region.active.is_(True)).order_by(Region.code)
    return list(session.scalars(scoped(stmt, principal, Region)))


def list_rows(session: Session, principal: Principal, on: date, filters: Filters = Filters()) -> list[ListRow]:
    """The enterprises of the user's area on the list on `on`, with their measures and reductions at each level,
    by county and name."""
    area = visible(principal, Enterprise)
    if filters.county_id is not None:
        county = session.get(Region, filters.county_id)
        if county is None:
            return []
        area = and_(area, Region.path.startswith(county.path, autoescape=True))
    if filters.industry is not None:
        area = and_(area, ControlEntry.industry == filters.industry)
    listed = [item for item in listed_enterprises(session, where=area) if any(p.holds(on) for p in item.listed)]
    if filters.grade is not None:
        listed = [item for item in listed if grade_on(item.grades, on) is filters.grade]
    if not listed:
        return []
    ids = [item.enterprise_id for item in listed]
    firms = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}
    entries = {e.id: e for e in session.scalars(select(ControlEntry).where(ControlEntry.enterprise_id.in_(ids)))}
    emissions = _emissions(session, ids)
    by_code = {c.code: c for c in session.scalars(select(Region).where(Region.level == RegionLevel.COUNTY))}
    table = templates(session)
    rows = []
    for item in listed:
        rows.append(
            ListRow(
                enterprise=firms[item.enterprise_id],
                entry=entries[item.entry_id],
                county=_county_of(item.region_path, by_code),
                grade=grade_on(item.grades, on),
                emissions=summed({e.pollutant: e.kg_per_day} for e in emissions[item.enterprise_id]),
                levels=tuple(_level_view(item, level, on, table, emissions[item.enterprise_id]) for level in LEVELS),
            )
        )
    return sorted(rows, key=lambda r: (r.county.code if r.county else "", r.enterprise.name))


def _level_view(
    item: ListedEnterprise,
    level: WarningLevel,
    on: date,
    table: Mapping[tuple[GuideIndustry, PerformanceGrade | None, WarningLevel], Measure],
    emissions: Sequence[Emission],
) -> LevelView:
    measure, source = item.measure(level, on, table)
    stopped = item.stopped_lines(measure)
    windows = item.windows.get(level, ())
    cut = reduction(measure, emissions, {line.id for line in stopped}, windows)
    return LevelView(level, measure, source, stopped, windows, cut)


def _county_of(path: str, by_code: Mapping[str, Region]) -> Region | None:
    parts = path.split(".")
    return by_code.get(parts[1]) if len(parts) > 2 else None


def _emissions(session: Session, ids: Sequence[int]) -> dict[int, list[Emission]]:
    out: dict[int, list[Emission]] = defaultdict(list)
    stmt = select(NormalEmission).where(NormalEmission.enterprise_id.in_(ids)).order_by(NormalEmission.id)
    for row in session.scalars(stmt):
        out[row.enterprise_id].append(Emission(row.line_id, row.pollutant, row.kg_per_day))
    return out


def baselines(session: Session, principal: Principal) -> dict[int, dict[Pollutant, CountyBaseline]]:
    """The counties' baseline inventories the user may see, per county id and pollutant."""
    out: dict[int, dict[Pollutant, CountyBaseline]] = defaultdict(dict)
    for row in session.scalars(scoped(select(CountyBaseline), principal, CountyBaseline)):
        out[row.region_id][row.pollutant] = row
    return out


def county_summaries(
    session: Session, principal: Principal, rows: Sequence[ListRow], required: RequiredShares
) -> list[CountySummary]:
    """Each visible county's listed enterprises' reductions against its baseline at each level (memo §2), with
    the counties of `rows` (a filtered list sums only what it shows)."""
    inventories = baselines(session, principal)
    out = []
    for county in counties(session, principal):
        mine = [r for r in rows if r.county is not None and r.county.id == county.id]
        base = {p: b.kg_per_day for p, b in inventories.get(county.id, {}).items()}
        checks = {
            level: check_shares(level, summed(r.levels[i].reduction for r in mine), base, required)
            for i, level in enumerate(LEVELS)
        }
        out.append(CountySummary(county, len(mine), base, checks))
    return out


def entry_of(session: Session, principal: Principal, enterprise_id: int) -> ControlEntry | None:
    """An enterprise's entry, if the user may see it."""
    stmt = select(ControlEntry).where(ControlEntry.enterprise_id == enterprise_id)
    return session.scalars(scoped(stmt, principal, ControlEntry)).first()


def candidates(session: Session, principal: Principal, text: str, limit: int = 20) -> list[Enterprise]:
    """Enterprises of the user's area not on the list, whose name or credit code contains `text`."""
    listed = (
        select(ListMembership.enterprise_id)
        .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
        .where(SupervisionList.code == EMERGENCY_LIST_CODE, ListMembership.end.is_(None))
    )
    stmt = scoped(select(Enterprise), principal, Enterprise).where(Enterprise.id.not_in(listed))
    if text.strip():
        like = text.strip()
        stmt = stmt.where(
            or_(Enterprise.name.contains(like, autoescape=True), Enterprise.credit_code.contains(like, autoescape=True))
        )
    return list(session.scalars(stmt.order_by(Enterprise.name).limit(limit)))


def describe(measure: Measure) -> str:
    """A measure in words, as the list and the workbook write it ("限产20%; 停止使用国四及以下重型载货车辆运输")."""
    if measure.kind is MeasureKind.LIMIT:
        text = gettext(N_("Cut production by %(percent)s%%")) % {"percent": measure.percent}
    elif measure.kind is MeasureKind.CAP:
        text = gettext(N_("Load at most %(percent)s%% of normal")) % {"percent": measure.percent}
    elif measure.kind is MeasureKind.STOP_LINES:
        text = gettext(N_("Stop the processes: %(processes)s")) % {"processes": "、".join(measure.processes)}
    else:
        text = gettext(measure.kind.label)
    if measure.trucks is TruckRule.ANY:
        return text
    return gettext(N_("%(production)s; %(transport)s")) % {
        "production": text,
        "transport": gettext(measure.trucks.label),
    }


@dataclass(frozen=True, slots=True)
class EntryDetail:
    """One enterprise's entry as its page shows it."""

    enterprise: Enterprise
    entry: ControlEntry
    on_list: ListMembership | None
    memberships: list[ListMembership]
    grade: PerformanceGrade | None
    levels: tuple[LevelView, ...]
    overrides: Mapping[WarningLevel, ControlOverride]
    lines: list[ProductionLine]
    emissions: Mapping[tuple[int | None, Pollutant], Decimal]


def entry_detail(session: Session, principal: Principal, enterprise_id: int, on: date) -> EntryDetail | None:
    """An enterprise's entry, if the user may see it, with its measures at each level on `on`."""
    entry = entry_of(session, principal, enterprise_id)
    if entry is None:
        return None
    enterprise = session.get(Enterprise, enterprise_id)
    assert enterprise is not None  # the entry is visible with its enterprise
    items = listed_enterprises(session, enterprise_ids=[enterprise_id])
    emissions = _emissions(session, [enterprise_id])[enterprise_id]
    memberships = list(
        session.scalars(
            select(ListMembership)
            .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
            .where(SupervisionList.code == EMERGENCY_LIST_CODE, ListMembership.enterprise_id == enterprise_id)
            .order_by(ListMembership.start)
        )
    )
    table = templates(session)
    levels = tuple(_level_view(items[0], level, on, table, emissions) for level in LEVELS) if items else ()
    overrides = {
        o.level: o for o in session.scalars(select(ControlOverride).where(ControlOverride.entry_id == entry.id))
    }
    lines = list(
        session.scalars(
            select(ProductionLine)
            .where(ProductionLine.enterprise_id == enterprise_id, ProductionLine.kind == LineKind.PRODUCTION)
            .order_by(ProductionLine.name)
        )
    )
    return EntryDetail(
        enterprise=enterprise,
        entry=entry,
        on_list=next((m for m in memberships if m.end is None), None),
        memberships=memberships,
        grade=grade_on(items[0].grades, on) if items else None,
        levels=levels,
        overrides=overrides,
        lines=lines,
        emissions={(e.line_id, e.pollutant): e.kg_per_day for e in emissions},
    )


@dataclass(frozen=True, slots=True)
class InForce:
    """The warning levels in force at one moment, asked per place (`level_of` a region path)."""

    periods: Sequence[LevelPeriod]
    at: datetime

    def level_of(self, region_path: str) -> WarningLevel | None:
        held = level_at(self.periods, region_path, self.at)
        return held.level if held else None


def in_force(session: Session, now: datetime) -> InForce:
    """The issued warnings' levels in force at `now` (the list shows each enterprise's measure at its level)."""
    return InForce(level_periods(session, now, now + timedelta(seconds=1)), now)
