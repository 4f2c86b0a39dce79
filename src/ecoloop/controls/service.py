"""Keeping the control list: putting enterprises on it and taking them off, their entries, overrides, staggered
windows and normal emissions, the city's measure templates and the counties' baseline inventories.

Each function checks what it is given and raises `ControlError` with a stable code (`error_text` says it in
Chinese); callers own the transaction (and set the audit actor). A branch keeps its county's enterprises and
baselines only (the scope rules); the measure templates are the city's (the bureau's admins and analysts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import get_visible, scoped
from ecoloop.controls.enums import GuideIndustry, Livelihood, MeasureKind, Pollutant
from ecoloop.controls.models import (
    EMERGENCY_LIST_CODE,
    ControlEntry,
    ControlOverride,
    ControlSchedule,
    CountyBaseline,
    MeasureTemplate,
    NormalEmission,
)
from ecoloop.controls.rules import Measure, Window, guide_industry_of
from ecoloop.enterprises import service as enterprises
from ecoloop.enterprises.enums import EnterpriseStatus, OutletKind, PerformanceGrade
from ecoloop.enterprises.models import (
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    Permit,
    ProductionLine,
    SupervisionList,
)
from ecoloop.episodes.enums import WarningLevel
from ecoloop.i18n import N_, gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

ERROR_MESSAGES = {
    "not_found": N_("Not found, or not yours to change."),
    "already_listed": N_("This enterprise is already on the emergency control list."),
    "not_listed": N_("This enterprise is not on the emergency control list."),
    "date_invalid": N_("Write dates as YYYY-MM-DD."),
    "removal_before_start": N_("The enterprise cannot leave the list before the day it was put on it."),
    "percent_invalid": N_("A percentage is a whole number from 1 to 100."),
    "processes_missing": N_("Name the processes to stop."),
    "reason_missing": N_("Give the reason of the enterprise's own measure."),
    "city_only": N_("Only the city bureau changes the measure templates."),
    "window_invalid": N_("Write each window's hours as HH:MM, and mark at least one weekday."),
    "windows_missing": N_("Give at least one window in which the enterprise may produce."),
    "emission_invalid": N_("An emission is a number of kg per day, 0 or more."),
    "line_unknown": N_("This production line is not the enterprise's."),
    "county_only": N_("Baseline inventories are kept per county."),
    "year_invalid": N_("The inventory year is a year such as 2025."),
    "text_too_long": N_("A text is too long."),
}


class ControlError(ValueError):
    """A change of the control list refused; `code` is stable and `error_text` says it in words."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def error_text(error: ControlError) -> str:
    """The reason of a ControlError in the user's language."""
    if error.code not in ERROR_MESSAGES:
        return error.code
    text = gettext(ERROR_MESSAGES[error.code])
    return text % error.params if error.params else text


def emergency_list(session: Session) -> SupervisionList:
    """The built-in supervision list of the control list (migration 0021)."""
    return session.scalars(select(SupervisionList).where(SupervisionList.code == EMERGENCY_LIST_CODE)).one()


def _enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise:
    enterprise = get_visible(session, principal, Enterprise, enterprise_id)
    if enterprise is None:
        raise ControlError("not_found")
    return enterprise


def _entry(session: Session, principal: Principal, enterprise_id: int) -> ControlEntry:
    _enterprise(session, principal, enterprise_id)
    entry = session.scalars(select(ControlEntry).where(ControlEntry.enterprise_id == enterprise_id)).first()
    if entry is None:
        raise ControlError("not_listed")
    return entry


def _open_membership(session: Session, enterprise_id: int) -> ListMembership | None:
    stmt = select(ListMembership).where(
        ListMembership.list_id == emergency_list(session).id,
        ListMembership.enterprise_id == enterprise_id,
        ListMembership.end.is_(None),
    )
    return session.scalars(stmt).first()


def _text(value: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ControlError("text_too_long")
    return value


def add_to_list(
    session: Session,
    principal: Principal,
    enterprise_id: int,
    *,
    industry: GuideIndustry,
    since: date,
    livelihood: Livelihood = Livelihood.NONE,
    transport: str = "",
    heavy_trucks: int | None = None,
    note: str = "",
    document: str = "",
) -> ControlEntry:
    """Put an enterprise on the emergency list from `since` on, with its entry (kept from an earlier time on the
    list, updated)."""
    _enterprise(session, principal, enterprise_id)
    if _open_membership(session, enterprise_id) is not None:
        raise ControlError("already_listed")
    try:
        enterprises.add_membership(
            session,
            supervision_list=emergency_list(session),
            enterprise=_enterprise(session, principal, enterprise_id),
            start=since,
            document=_text(document, 200),
        )
    except enterprises.EnterpriseError as exc:
        raise ControlError("already_listed") from exc
    entry = session.scalars(select(ControlEntry).where(ControlEntry.enterprise_id == enterprise_id)).first()
    if entry is None:
        entry = ControlEntry(enterprise_id=enterprise_id, industry=industry)
        session.add(entry)
    _fill(entry, industry, livelihood, transport, heavy_trucks, note)
    session.flush()
    return entry


def generate_from_registry(session: Session, principal: Principal, *, since: date) -> list[int]:
    """Put on the list, from `since` on, every enterprise of the principal's area not closed and not listed that
    has a performance grade (绩效分级) in force that day or whose industry is one of the guide's key industries
    (`rules.guide_industry_of`) with a flue-gas outlet in its permit (涉气企业): the list generated from the
    enterprise registry, to be completed by hand (emissions, livelihood, transport). The enterprises added, by id."""
    graded = select(GradeRecord.enterprise_id).where(
        GradeRecord.start <= since, or_(GradeRecord.end.is_(None), GradeRecord.end >= since)
    )
    gas = select(Permit.enterprise_id).join(Outlet, Outlet.permit_id == Permit.id).where(Outlet.kind == OutletKind.GAS)
    stmt = scoped(
        select(Enterprise).where(Enterprise.status != EnterpriseStatus.CLOSED).order_by(Enterprise.id),
        principal,
        Enterprise,
    )
    listed = set(
        session.scalars(
            select(ListMembership.enterprise_id).where(
                ListMembership.list_id == emergency_list(session).id,
                ListMembership.start <= since,
                or_(ListMembership.end.is_(None), ListMembership.end >= since),
            )
        )
    )
    with_grade, with_gas = set(session.scalars(graded)), set(session.scalars(gas))
    added = []
    for enterprise in session.scalars(stmt):
        industry = guide_industry_of(enterprise.industry_code)
        wanted = enterprise.id in with_grade or (industry is not None and enterprise.id in with_gas)
        if not wanted or enterprise.id in listed or _open_membership(session, enterprise.id) is not None:
            continue
        add_to_list(session, principal, enterprise.id, industry=industry or GuideIndustry.OTHER, since=since)
        added.append(enterprise.id)
    return added


def update_entry(
    session: Session,
    principal: Principal,
    enterprise_id: int,
    *,
    industry: GuideIndustry,
    livelihood: Livelihood = Livelihood.NONE,
    transport: str = "",
    heavy_trucks: int | None = None,
    note: str = "",
) -> ControlEntry:
    """Change an entry's guide industry, livelihood protection, transport and note."""
    entry = _entry(session, principal, enterprise_id)
    _fill(entry, industry, livelihood, transport, heavy_trucks, note)
    session.flush()
    return entry


def _fill(
    entry: ControlEntry,
    industry: GuideIndustry,
    livelihood: Livelihood,
    transport: str,
    heavy_trucks: int | None,
    note: str,
) -> None:
    if heavy_trucks is not None and not 0 <= heavy_trucks <= 100_000:
        raise ControlError("text_too_long")
    entry.industry = industry
    entry.livelihood = livelihood
    entry.transport = _text(transport, 200)
    entry.heavy_trucks = heavy_trucks
    entry.note = _text(note, 2000)


def remove_from_list(
    session: Session, principal: Principal, enterprise_id: int, *, last_day: date, reason: str = ""
) -> None:
    """Take an enterprise off the emergency list: `last_day` is its last day on it (its entry stays, for the
    history of past warnings)."""
    _entry(session, principal, enterprise_id)
    membership = _open_membership(session, enterprise_id)
    if membership is None:
        raise ControlError("not_listed")
    if last_day < membership.start:
        raise ControlError("removal_before_start")
    enterprises.end_membership(session, membership, last_day, reason=_text(reason, 200))


def checked_measure(measure: Measure) -> Measure:
    """A measure as given, refused when its figures do not fit its kind."""
    if measure.kind in (MeasureKind.LIMIT, MeasureKind.CAP) and not 1 <= measure.percent <= 100:
        raise ControlError("percent_invalid")
    if measure.kind is MeasureKind.STOP_LINES and not measure.processes:
        raise ControlError("processes_missing")
    if len("、".join(measure.processes)) > 300:
        raise ControlError("text_too_long")
    return measure


def set_template(
    session: Session,
    principal: Principal,
    *,
    industry: GuideIndustry,
    grade: PerformanceGrade | None,
    level: WarningLevel,
    measure: Measure,
    source: str = "",
) -> MeasureTemplate:
    """Set the city's measure for an industry, grade (None: without a grade) and level."""
    _city_only(principal)
    checked_measure(measure)
    row = _template(session, industry, grade, level)
    if row is None:
        row = MeasureTemplate(industry=industry, grade=grade, level=level)
        session.add(row)
    _store(row, measure)
    row.source = _text(source, 300)
    session.flush()
    return row


def reset_template(
    session: Session,
    principal: Principal,
    *,
    industry: GuideIndustry,
    grade: PerformanceGrade | None,
    level: WarningLevel,
) -> None:
    """Go back to the built-in default measure for an industry, grade and level."""
    _city_only(principal)
    row = _template(session, industry, grade, level)
    if row is not None:
        session.delete(row)
        session.flush()


def _city_only(principal: Principal) -> None:
    if principal.role not in (Role.ADMIN, Role.ANALYST):
        raise ControlError("city_only")


def _template(
    session: Session, industry: GuideIndustry, grade: PerformanceGrade | None, level: WarningLevel
) -> MeasureTemplate | None:
    stmt = select(MeasureTemplate).where(MeasureTemplate.industry == industry, MeasureTemplate.level == level)
    stmt = stmt.where(MeasureTemplate.grade.is_(None) if grade is None else MeasureTemplate.grade == grade)
    return session.scalars(stmt).first()


def _store(row: MeasureTemplate | ControlOverride, measure: Measure) -> None:
    row.kind = measure.kind
    row.percent = measure.percent if measure.kind in (MeasureKind.LIMIT, MeasureKind.CAP) else 0
    row.processes = "、".join(measure.processes) if measure.kind is MeasureKind.STOP_LINES else ""
    row.trucks = measure.trucks


def set_override(
    session: Session, principal: Principal, enterprise_id: int, *, level: WarningLevel, measure: Measure, reason: str
) -> ControlOverride:
    """Give an enterprise its own measure at a level, which wins over its template, with the reason (e.g. 保障类
    以热定产: at most 60 % of normal load)."""
    entry = _entry(session, principal, enterprise_id)
    checked_measure(measure)
    reason = _text(reason, 300)
    if not reason:
        raise ControlError("reason_missing")
    row = session.scalars(
        select(ControlOverride).where(ControlOverride.entry_id == entry.id, ControlOverride.level == level)
    ).first()
    if row is None:
        row = ControlOverride(entry_id=entry.id, level=level)
        session.add(row)
    _store(row, measure)
    row.reason = reason
    session.flush()
    return row


def clear_override(session: Session, principal: Principal, enterprise_id: int, *, level: WarningLevel) -> None:
    """Drop an enterprise's own measure at a level: its template applies again."""
    entry = _entry(session, principal, enterprise_id)
    session.execute(delete(ControlOverride).where(ControlOverride.entry_id == entry.id, ControlOverride.level == level))
    session.flush()


def set_windows(
    session: Session, principal: Principal, enterprise_id: int, *, level: WarningLevel, windows: Sequence[Window]
) -> None:
    """Set the windows in which an enterprise may produce at a level (错时生产), replacing the earlier ones; no
    windows: it is not staggered at that level."""
    entry = _entry(session, principal, enterprise_id)
    for window in windows:
        valid = (
            len(window.weekdays) == 7
            and set(window.weekdays) <= {"0", "1"}
            and "1" in window.weekdays
            and 0 <= window.start_minute < 1440
            and 0 <= window.end_minute < 1440
        )
        if not valid:
            raise ControlError("window_invalid")
    session.execute(delete(ControlSchedule).where(ControlSchedule.entry_id == entry.id, ControlSchedule.level == level))
    for window in windows:
        session.add(
            ControlSchedule(
                entry_id=entry.id,
                level=level,
                weekdays=window.weekdays,
                start_minute=window.start_minute,
                end_minute=window.end_minute,
            )
        )
    session.flush()


def set_emissions(
    session: Session,
    principal: Principal,
    enterprise_id: int,
    emissions: Mapping[tuple[int | None, Pollutant], Decimal | None],
) -> None:
    """Set an enterprise's normal daily emissions (kg/d) per production line (None: the rest of the enterprise)
    and pollutant; None removes a figure. Figures not named stay as they are."""
    _enterprise(session, principal, enterprise_id)
    lines = set(session.scalars(select(ProductionLine.id).where(ProductionLine.enterprise_id == enterprise_id)))
    existing = {
        (row.line_id, row.pollutant): row
        for row in session.scalars(select(NormalEmission).where(NormalEmission.enterprise_id == enterprise_id))
    }
    for (line_id, pollutant), value in emissions.items():
        if line_id is not None and line_id not in lines:
            raise ControlError("line_unknown")
        if value is not None and (not value.is_finite() or value < 0 or value >= Decimal("1e11")):
            raise ControlError("emission_invalid")
        row = existing.get((line_id, pollutant))
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(
                NormalEmission(enterprise_id=enterprise_id, line_id=line_id, pollutant=pollutant, kg_per_day=value)
            )
        else:
            row.kg_per_day = value
    session.flush()


def set_baselines(
    session: Session,
    principal: Principal,
    region_id: int,
    baselines: Mapping[Pollutant, Decimal | None],
    *,
    year: int | None = None,
    source: str = "",
) -> None:
    """Set a county's whole-society emissions per pollutant (kg/d) from its inventory; None removes a figure."""
    region = get_visible(session, principal, Region, region_id)
    if region is None:
        raise ControlError("not_found")
    if region.level is not RegionLevel.COUNTY:
        raise ControlError("county_only")
    if year is not None and not 1990 <= year <= 2100:
        raise ControlError("year_invalid")
    source = _text(source, 300)
    existing = {
        row.pollutant: row
        for row in session.scalars(select(CountyBaseline).where(CountyBaseline.region_id == region_id))
    }
    for pollutant, value in baselines.items():
        if value is not None and (not value.is_finite() or value <= 0 or value >= Decimal("1e13")):
            raise ControlError("emission_invalid")
        row = existing.get(pollutant)
        if value is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = CountyBaseline(region_id=region_id, pollutant=pollutant, kg_per_day=value)
            session.add(row)
        row.kg_per_day, row.year, row.source = value, year, source
    session.flush()
