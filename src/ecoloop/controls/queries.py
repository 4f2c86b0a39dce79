"""Reads of the control list: the listed enterprises as plain values, the city's measure templates, and what the
list allows each enterprise to produce during warnings (`allowances`, read by the electricity checks)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from ecoloop.controls.models import (
    EMERGENCY_LIST_CODE,
    ControlEntry,
    ControlOverride,
    ControlSchedule,
    MeasureTemplate,
)
from ecoloop.controls.rules import (
    Allowance,
    DatePeriod,
    GradePeriod,
    Line,
    ListedEnterprise,
    Measure,
    MeasureKey,
    Window,
    allowances_of,
)
from ecoloop.enterprises.enums import LineKind
from ecoloop.enterprises.models import Enterprise, GradeRecord, ListMembership, ProductionLine, SupervisionList
from ecoloop.episodes.enums import WarningLevel
from ecoloop.episodes.rules import LevelPeriod
from ecoloop.regions.models import Region

# The default local time zone (settings `timezone`'s default); callers pass `settings.tz`.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def allowances(
    session: Session,
    periods: Sequence[LevelPeriod],
    *,
    enterprise_ids: Collection[int] | None = None,
    tz: tzinfo = SHANGHAI,
) -> list[Allowance]:
    """What the control list allows each listed enterprise (or only those of `enterprise_ids`) to produce during
    the warning `periods` covering its region, by enterprise and then time (`rules.allowances_of`); a period in
    force until further notice is read for `rules.OPEN_HORIZON` after its start. Staggered schedules are read in
    `tz`, the bureau's local time. Not scoped: the electricity checks run for the whole city."""
    if not periods:
        return []
    paths = [Region.path.startswith(p.region_path, autoescape=True) for p in periods]
    chosen = listed_enterprises(session, enterprise_ids=enterprise_ids, where=or_(*paths))
    table = templates(session)
    out: list[Allowance] = []
    for item in chosen:
        out.extend(allowances_of(item, periods, table, tz))
    return out


def templates(session: Session) -> dict[MeasureKey, Measure]:
    """The city's measure templates (where they depart from the built-in defaults)."""
    return {(t.industry, t.grade, t.level): measure_of(t) for t in session.scalars(select(MeasureTemplate))}


def measure_of(row: MeasureTemplate | ControlOverride) -> Measure:
    """A stored template or override as a measure."""
    processes = tuple(p.strip() for p in row.processes.replace(",", "、").split("、") if p.strip())
    return Measure(row.kind, row.percent, processes, row.trucks)


def listed_enterprises(
    session: Session,
    *,
    enterprise_ids: Collection[int] | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[ListedEnterprise]:
    """Every enterprise with an entry and a membership of the emergency list (at any time), as plain values, by
    enterprise id; `where` filters on the enterprise's `Region`."""
    stmt = (
        select(ControlEntry, Region.path)
        .join(Enterprise, Enterprise.id == ControlEntry.enterprise_id)
        .join(Region, Region.id == Enterprise.region_id)
        .order_by(ControlEntry.enterprise_id)
    )
    if enterprise_ids is not None:
        stmt = stmt.where(ControlEntry.enterprise_id.in_(list(enterprise_ids)))
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt).all()
    if not rows:
        return []
    ids = [entry.enterprise_id for entry, _ in rows]
    entry_ids = [entry.id for entry, _ in rows]
    listed: dict[int, list[DatePeriod]] = defaultdict(list)
    membership = (
        select(ListMembership)
        .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
        .where(SupervisionList.code == EMERGENCY_LIST_CODE, ListMembership.enterprise_id.in_(ids))
    )
    for m in session.scalars(membership):
        listed[m.enterprise_id].append(DatePeriod(m.start, m.end))
    grades: dict[int, list[GradePeriod]] = defaultdict(list)
    for g in session.scalars(select(GradeRecord).where(GradeRecord.enterprise_id.in_(ids))):
        grades[g.enterprise_id].append(GradePeriod(g.grade, DatePeriod(g.start, g.end)))
    overrides: dict[int, dict[WarningLevel, Measure]] = defaultdict(dict)
    for o in session.scalars(select(ControlOverride).where(ControlOverride.entry_id.in_(entry_ids))):
        overrides[o.entry_id][o.level] = measure_of(o)
    windows: dict[int, dict[WarningLevel, list[Window]]] = defaultdict(lambda: defaultdict(list))
    schedules = select(ControlSchedule).where(ControlSchedule.entry_id.in_(entry_ids)).order_by(ControlSchedule.id)
    for s in session.scalars(schedules):
        windows[s.entry_id][s.level].append(Window(s.weekdays, s.start_minute, s.end_minute))
    lines: dict[int, list[Line]] = defaultdict(list)
    production = (
        select(ProductionLine)
        .where(
            ProductionLine.enterprise_id.in_(ids),
            ProductionLine.kind == LineKind.PRODUCTION,
            ProductionLine.active.is_(True),
        )
        .order_by(ProductionLine.id)
    )
    for line in session.scalars(production):
        lines[line.enterprise_id].append(Line(line.id, line.name))
    return [
        ListedEnterprise(
            enterprise_id=entry.enterprise_id,
            entry_id=entry.id,
            region_path=path,
            industry=entry.industry,
            listed=tuple(listed[entry.enterprise_id]),
            grades=tuple(grades[entry.enterprise_id]),
            overrides=overrides[entry.id],
            windows={level: tuple(w) for level, w in windows[entry.id].items()},
            lines=tuple(lines[entry.enterprise_id]),
        )
        for entry, path in rows
        if listed[entry.enterprise_id]
    ]
