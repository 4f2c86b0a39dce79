"""What the daily analysis reads besides the air results: the alerts of a day (exceedances and hotspots, and the
device checks), the air stations whose day has too few valid hours, and the cases registered, due and overdue.

The reads are unscoped (the brief is the bureau's; who may read it is decided when it is read) and name no
complainant: a case is its number, title, lead unit and deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Alert
from ecoloop.alerts.rules import RuleKind
from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.queries import OPEN_STATES
from ecoloop.cases.rules import CLOCK_STATES, EscalationPolicy
from ecoloop.cases.workflow import State
from ecoloop.identity.models import Organisation
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

# The device checks (alerts/device_rules.py): their alerts name a station's data problems, not the air.
DEVICE_KINDS = frozenset(
    {
        RuleKind.DEVICE_SILENT,
        RuleKind.DEVICE_FLAT_LINE,
        RuleKind.DEVICE_IDENTICAL_VALUES,
        RuleKind.DEVICE_HIDDEN_EXCEEDANCE,
    }
)
# Cases due within this many days are "due soon": the reminder the escalation sends (临期提醒).
DUE_DAYS = EscalationPolicy().warn_days
MAX_OVERDUE_LISTED = 30


def counties_of(session: Session, city: Region) -> list[Region]:
    """The city's active counties by code."""
    return _regions(session, city, RegionLevel.COUNTY)


def towns_of(session: Session, city: Region) -> list[Region]:
    """The city's active towns (streets) by code."""
    return _regions(session, city, RegionLevel.TOWN)


def _regions(session: Session, city: Region, level: RegionLevel) -> list[Region]:
    stmt = select(Region).where(
        Region.level == level, Region.active.is_(True), Region.path.startswith(city.path, autoescape=True)
    )
    return list(session.scalars(stmt.order_by(Region.code)))


def county_of(path: str, counties: Sequence[Region]) -> Region | None:
    """The county a region (by its path) lies in, None above the counties."""
    return next((c for c in counties if path.startswith(c.path)), None)


@dataclass(frozen=True)
class AlertLine:
    """An alert of the day with where it is and the case it became."""

    number: str
    kind: RuleKind
    first_at: datetime
    site_id: int | None
    site_name: str | None
    region: Region
    parameter: str | None
    observed: Decimal | None
    reference: Decimal | None
    case_number: str | None


def alerts_raised(session: Session, start: datetime, end: datetime, *, device: bool) -> list[AlertLine]:
    """The alerts raised in [start, end) of the device checks (`device`) or of the other rules (exceedances,
    hotspots, sudden rises, AQI levels, water and noise), in the order they were raised."""
    # partner platforms' warnings (issue 18) are no exceedance or hotspot: they have their own report
    kinds = DEVICE_KINDS if device else frozenset(RuleKind) - DEVICE_KINDS - {RuleKind.PARTNER}
    stmt = (
        select(Alert, Site.name, Case.number)
        .outerjoin(Site, Site.id == Alert.site_id)
        .outerjoin(Case, Case.id == Alert.case_id)
        .where(Alert.raised_at >= start, Alert.raised_at < end, Alert.kind.in_(sorted(kinds)))
        .order_by(Alert.raised_at, Alert.id)
    )
    return [_line(alert, name, number) for alert, name, number in session.execute(stmt)]


def device_alerts_active(session: Session, start: datetime, end: datetime) -> list[AlertLine]:
    """The device-check alerts that held at some moment of [start, end): raised before its end and neither
    cleared nor closed before its start."""
    stmt = (
        select(Alert, Site.name, Case.number)
        .outerjoin(Site, Site.id == Alert.site_id)
        .outerjoin(Case, Case.id == Alert.case_id)
        .where(
            Alert.kind.in_(sorted(DEVICE_KINDS)),
            Alert.raised_at < end,
            or_(Alert.cleared_at.is_(None), Alert.cleared_at >= start),
            or_(Alert.closed_at.is_(None), Alert.closed_at >= start),
        )
        .order_by(Alert.raised_at, Alert.id)
    )
    return [_line(alert, name, number) for alert, name, number in session.execute(stmt)]


def _line(alert: Alert, site_name: str | None, case_number: str | None) -> AlertLine:
    return AlertLine(
        alert.number,
        alert.kind,
        alert.first_at,
        alert.site_id,
        site_name,
        alert.region,
        alert.parameter,
        alert.observed,
        alert.reference,
        case_number,
    )


@dataclass(frozen=True)
class Station:
    """An active air station of the city."""

    site_id: int
    code: str
    name: str
    region_path: str


def air_stations(session: Session, city: Region) -> list[Station]:
    """The city's active air stations by code."""
    stmt = (
        select(Site.id, Site.code, Site.name, Region.path)
        .join(Region, Region.id == Site.region_id)
        .where(
            Site.kind == SiteKind.AIR_STATION,
            Site.active.is_(True),
            Region.path.startswith(city.path, autoescape=True),
        )
        .order_by(Site.code)
    )
    return [Station(*row) for row in session.execute(stmt)]


def station_paths(session: Session, site_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The name and region path of sites by id."""
    if not site_ids:
        return {}
    stmt = select(Site.id, Site.name, Region.path).join(Region, Region.id == Site.region_id)
    return {row[0]: (row[1], row[2]) for row in session.execute(stmt.where(Site.id.in_(sorted(set(site_ids)))))}


@dataclass(frozen=True)
class CaseLine:
    """A case as the brief names it: never who complained."""

    number: str
    title: str
    unit: str
    region_path: str
    deadline: date | None
    registered: bool  # registered on the day
    due: bool  # due within DUE_DAYS from the morning after
    overdue: bool


def cases_of_day(session: Session, start: datetime, end: datetime, today: date) -> list[CaseLine]:
    """The cases registered in [start, end) (by their registration in the timeline, as the ledgers count them;
    merged duplicates aside), and the open cases due within DUE_DAYS of `today` or overdue on it.

    Overdue is the escalation's rule (cases.rules): a case the unit still works on (assigned, rectifying) past its
    deadline, or one the daily escalation marked overdue and that is still open."""
    registration = (
        select(CaseEvent.case_id, func.min(CaseEvent.at).label("at"))
        .where(CaseEvent.kind == EventKind.REGISTERED)
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    registered = and_(registration.c.at >= start, registration.c.at < end, Case.state != State.MERGED)
    is_open = Case.state.in_(OPEN_STATES)
    late = and_(is_open, or_(Case.overdue.is_(True), and_(Case.state.in_(sorted(CLOCK_STATES)), Case.deadline < today)))
    horizon = today + timedelta(days=DUE_DAYS + 1)
    soon = and_(Case.state.in_(sorted(CLOCK_STATES)), Case.deadline >= today, Case.deadline < horizon)
    stmt = (
        select(Case.number, Case.title, Organisation.name, Region.path, Case.deadline, registered, soon, late)
        .join(Region, Region.id == Case.region_id)
        .outerjoin(Organisation, Organisation.id == Case.lead_unit_id)
        .outerjoin(registration, registration.c.case_id == Case.id)
        .where(or_(registered, soon, late))
        .order_by(Case.number)
    )
    return [
        CaseLine(number, title, unit or "", path, deadline, bool(new), bool(due), bool(overdue))
        for number, title, unit, path, deadline, new, due, overdue in session.execute(stmt)
    ]
