"""Hotspot orders (高值热点消除指令), one transaction each: dispatch (from an air hotspot or sudden-rise alert, or by
hand) with the suspects frozen, the lead unit's response, arrival and reply, the dispatching side's on-site check,
escalation of overdue orders (督办 → 约谈) and the effect on the station; registered sources kept.

Each order is backed by a closed-loop case (`cases.service`): dispatch registers and assigns it (登记, 交办) to the
lead unit with the helping departments, the response accepts it (签收), the reply reports it (申请销号), the check
verifies it (复核: pass closes it, fail sends it back), and the escalation writes its overdue mark, 督办 and 约谈
proposal on the case's timeline, so the case ledger and its webhooks see every order. An order from an alert
becomes the alert's case (the alert closes with it) and tells the lead unit's users through the alert's
notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action as AccessAction
from ecoloop.access.actions import allowed
from ecoloop.access.scope import get_visible
from ecoloop.alerts import service as alerts
from ecoloop.alerts.enums import AlertEventKind
from ecoloop.alerts.models import Alert, AlertEvent, Notification
from ecoloop.alerts.rules import NO2, O3, PM2_5, PM10, RuleKind
from ecoloop.analytics.sites import StoredReadings
from ecoloop.cases import service as cases
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Case
from ecoloop.cases.service import Acting
from ecoloop.cases.workflow import Action, State, is_open
from ecoloop.hotspots import rules
from ecoloop.hotspots.enums import CheckResult, OrderEventKind, OrderStatus, SourceKind
from ecoloop.hotspots.models import HotspotEvent, HotspotOrder, HotspotOrderUnit, PollutionSource
from ecoloop.hotspots.queries import clock_of
from ecoloop.hotspots.suspects import NoPlaceError, search
from ecoloop.i18n import N_, gettext
from ecoloop.identity.models import Organisation, User
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.readings import parameters
from ecoloop.regions.models import Region
from ecoloop.settings import Settings

SO2, CO = "a21026", "a21005"
# The pollutants an order may name: the air hotspot rule's (issue 7) and SO2, CO.
PARAMETERS = (PM2_5, PM10, O3, NO2, SO2, CO)
ORDER_KINDS = frozenset({RuleKind.AIR_HOTSPOT, RuleKind.AIR_SUDDEN_RISE})


class HotspotError(ValueError):
    """An order operation that cannot be done; `code` is stable and `ERRORS` says it in words."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


ERRORS = {
    "not_allowed": N_("You may not do this on this order."),
    "site_unknown": N_("Choose an air monitoring station."),
    "site_without_place": N_("The station has no coordinates, so no suspect sources can be searched."),
    "parameter_unknown": N_("Choose one of the pollutants listed."),
    "alert_unknown": N_("The alert is not one you can see."),
    "alert_kind": N_("Only an air hotspot or sudden-rise alert becomes a hotspot order."),
    "alert_has_order": N_("This alert already has an open hotspot order."),
    "unit_unknown": N_("Choose an active unit or department."),
    "radius": N_("The search radius must be between 0.1 and 20 km."),
    "limits": N_("The time limits must be positive, and respond ≤ on site ≤ reply."),
    "wrong_status": N_("The order is not at this step."),
    "finding_required": N_("Say what was found on site."),
    "measures_required": N_("Say what was done."),
    "source_unknown": N_("Choose one of the order's suspect sources, or name another."),
    "note_required": N_("Say why the measures were not effective."),
    "name_required": N_("Give the source's name."),
    "place_required": N_("Give the source's longitude and latitude."),
    "period": N_("The end of the active period is before its start."),
    "region_outside_area": N_("The region is outside your area."),
    "case_not_open": N_("The order's case is no longer open."),
}


@dataclass(frozen=True)
class Policy:
    """The settings of hotspot orders (`Settings.hotspot_*`), as plain values for the service and the jobs."""

    limits: rules.TimeLimits = field(default_factory=rules.TimeLimits)
    radius_km: float = 2.0
    effect_hours: int = 6
    neighbour_km: float = 10.0
    escalation: rules.EscalationPolicy = field(default_factory=rules.EscalationPolicy)
    zone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))


def policy_of(settings: Settings) -> Policy:
    """The policy the settings give."""
    return Policy(
        limits=rules.TimeLimits(
            respond=timedelta(minutes=settings.hotspot_respond_minutes),
            on_site=timedelta(minutes=settings.hotspot_on_site_minutes),
            reply=timedelta(hours=settings.hotspot_reply_hours),
        ),
        radius_km=settings.hotspot_radius_km,
        effect_hours=settings.hotspot_effect_hours,
        neighbour_km=settings.hotspot_neighbour_km,
        escalation=rules.EscalationPolicy(
            repeat_days=settings.hotspot_repeat_days, repeat_count=settings.hotspot_repeat_count
        ),
        zone=settings.tz,
    )


@dataclass(frozen=True)
class Dispatch:
    """What the dispatcher decides: the alert (its station and pollutant), or the station and pollutant by hand;
    the lead unit (None: the branch whose area holds the station), the helping units (None: the departments
    responsible for the registered suspects), the radius (None: the policy's), the time limits (None: the
    policy's) and the instructions."""

    alert_id: int | None = None
    site_id: int | None = None
    parameter: str = ""
    lead_unit_id: int | None = None
    helper_ids: Sequence[int] | None = None
    radius_km: float | None = None
    limits: rules.TimeLimits | None = None
    instructions: str = ""
    observed: Decimal | None = None


# --- dispatch -------------------------------------------------------------------------------------------------------


def _next_number(session: Session, year: int) -> str:
    prefix = f"RD{year}-"
    last = session.scalar(select(func.max(HotspotOrder.number)).where(HotspotOrder.number.startswith(prefix)))
    return f"{prefix}{(int(last.removeprefix(prefix)) if last else 0) + 1:04d}"


def _alert_of(session: Session, acting: Acting, alert_id: int) -> Alert:
    alert = get_visible(session, acting.principal, Alert, alert_id)
    if alert is None:
        raise HotspotError("alert_unknown")
    if alert.kind not in ORDER_KINDS or alert.site_id is None:
        raise HotspotError("alert_kind")
    busy = session.scalar(
        select(HotspotOrder.id).where(HotspotOrder.alert_id == alert.id, HotspotOrder.status != OrderStatus.CLOSED)
    )
    if busy is not None:
        raise HotspotError("alert_has_order")
    return alert


def _unit(session: Session, unit_id: int) -> Organisation:
    unit = session.get(Organisation, unit_id)
    if unit is None or not unit.active:
        raise HotspotError("unit_unknown")
    return unit


def dispatch(
    session: Session,
    acting: Acting,
    order: Dispatch,
    *,
    now: datetime,
    policy: Policy | None = None,
    readings: StoredReadings | None = None,
) -> HotspotOrder:
    """Dispatch a hotspot order: the suspects searched and frozen, the clock started, the case registered and
    assigned to the lead unit with the helping units (or the alert's open case taken over), the alert's users
    told. `readings` gives the outlets' latest values and the station's wind; without it they are left out."""
    policy = policy or Policy()
    if not allowed(acting.principal, AccessAction.DISPATCH_HOTSPOT_ORDERS):
        raise HotspotError("not_allowed")
    alert = _alert_of(session, acting, order.alert_id) if order.alert_id is not None else None
    site_id = alert.site_id if alert is not None else order.site_id
    site = get_visible(session, acting.principal, Site, site_id) if site_id is not None else None
    if site is None or site.kind is not SiteKind.AIR_STATION:
        raise HotspotError("site_unknown")
    parameter = (alert.parameter if alert is not None else None) or order.parameter
    if parameter not in PARAMETERS:
        raise HotspotError("parameter_unknown")
    radius = policy.radius_km if order.radius_km is None else order.radius_km
    if not 0.1 <= radius <= 20.0:
        raise HotspotError("radius")
    limits = order.limits or policy.limits
    try:
        suspects, wind = search(session, site, radius, now, policy.zone, readings)
    except NoPlaceError:
        raise HotspotError("site_without_place") from None
    case = _open_case_of(session, alert)
    lead = (
        _unit(session, case.lead_unit_id)
        if case is not None and case.lead_unit_id is not None and case.state is not State.RETURNED
        else _unit(session, order.lead_unit_id)
        if order.lead_unit_id is not None
        else alerts.responsible_unit(session, site.region_id)
    )
    if order.helper_ids is None:
        helper_ids = sorted({s["organisation_id"] for s in suspects if s.get("organisation_id")})
    else:
        helper_ids = sorted(set(order.helper_ids))
    helpers = [_unit(session, i) for i in helper_ids if i != lead.id]
    clock = rules.due_times(now, limits)
    number = _next_number(session, now.astimezone(policy.zone).year)
    since = now - timedelta(days=policy.escalation.repeat_days)
    earlier = session.scalar(
        select(func.count(HotspotOrder.id)).where(HotspotOrder.site_id == site.id, HotspotOrder.dispatched_at >= since)
    )
    region = session.get_one(Region, site.region_id)
    if case is None:
        case = _register(session, acting, number, site, parameter, region, now)
    if case.state in (State.REGISTERED, State.RETURNED):
        deadline = clock.reply_due.astimezone(policy.zone).date()
        cases.act(
            session,
            case,
            acting,
            Action.ASSIGN,
            seen_version=case.version,
            now=now,
            unit=lead,
            co_units=helpers,
            deadline=deadline,
        )
    if alert is not None and alert.case_id is None:
        alert.case_id = case.id
    row = HotspotOrder(
        number=number,
        site_id=site.id,
        region_id=site.region_id,
        parameter=parameter,
        alert_id=alert.id if alert is not None else None,
        case_id=case.id,
        lead_unit_id=lead.id,
        hotspot_at=alert.first_at if alert is not None else now,
        observed=alert.observed if alert is not None else order.observed,
        reference=alert.reference if alert is not None else None,
        radius_km=Decimal(str(round(radius, 2))),
        wind_from=None if wind is None else Decimal(str(round(wind, 1))),
        suspects=suspects,
        instructions=order.instructions.strip(),
        repeats=int(earlier or 0) + 1,
        status=OrderStatus.DISPATCHED,
        dispatched_at=now,
        dispatched_by_id=acting.user.id,
        respond_due=clock.respond_due,
        on_site_due=clock.on_site_due,
        reply_due=clock.reply_due,
        helpers=[HotspotOrderUnit(organisation_id=h.id) for h in helpers],
    )
    session.add(row)
    session.flush()
    data = {"unit": lead.name, "helpers": [h.name for h in helpers], "suspects": len(suspects), "case": case.number}
    timeline_event(session, row, acting, OrderEventKind.DISPATCHED, now, note=row.instructions, data=data)
    if alert is not None:
        _tell(session, alert, row, [lead, *helpers], acting, now)
    return row


def _open_case_of(session: Session, alert: Alert | None) -> Case | None:
    if alert is None or alert.case_id is None:
        return None
    case = session.get(Case, alert.case_id)
    return case if case is not None and is_open(case.state) else None


def _register(
    session: Session, acting: Acting, number: str, site: Site, parameter: str, region: Region, now: datetime
) -> Case:
    title = gettext("Hotspot order %(number)s: %(site)s, %(parameter)s") % {
        "number": number,
        "site": site.name,
        "parameter": parameters.name(parameter),
    }
    try:
        return cases.register_case(
            session,
            acting,
            source=CaseSource.ALERT,
            category=Category.AIR,
            title=title,
            region=region,
            now=now,
            site_id=site.id,
            external_ref=number,
        )
    except cases.CaseError as exc:
        raise HotspotError("not_allowed" if exc.code == "not_allowed" else "region_outside_area") from None


def _tell(
    session: Session, alert: Alert, order: HotspotOrder, units: Sequence[Organisation], acting: Acting, now: datetime
) -> None:
    """The alert's timeline says the order went out (pushed to the webhooks of the area, as every alert event);
    the users of the lead and helping units find it in their notifications."""
    event = AlertEvent(
        alert_id=alert.id,
        at=now,
        kind=AlertEventKind.ESCALATED,
        actor_user_id=acting.user.id,
        actor_label=acting.user.display_name,
        note=gettext("Hotspot order %(number)s dispatched.") % {"number": order.number},
        data={"case_id": order.case_id, "order": order.number, "order_id": order.id, "unit": order.lead_unit.name},
    )
    session.add(event)
    session.flush()
    alerts.Fanout(session).push(alert, event)
    users = session.scalars(
        select(User.id).where(User.active, User.organisation_id.in_([u.id for u in units]), User.id != acting.user.id)
    ).all()
    for user_id in users:
        session.add(Notification(user_id=user_id, alert_id=alert.id, event_id=event.id, created_at=now))
    session.flush()


def timeline_event(
    session: Session,
    order: HotspotOrder,
    acting: Acting | None,
    kind: OrderEventKind,
    now: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> HotspotEvent:
    """Write one line of the order's timeline (signed by the user, or by the scheduler)."""
    event = HotspotEvent(
        order_id=order.id,
        at=now,
        kind=kind,
        actor_user_id=acting.user.id if acting else None,
        actor_label=acting.user.display_name if acting else "scheduler",
        note=note,
        data=data or {},
    )
    session.add(event)
    session.flush()
    return event


# --- the lead unit: respond, arrive, reply ----------------------------------------------------------------------------


def may_answer(principal: Any, order: HotspotOrder) -> bool:
    """Whether the principal answers for the order's lead unit (a branch, department or officer of it)."""
    return (
        allowed(principal, AccessAction.ANSWER_HOTSPOT_ORDERS)
        and principal.organisation_id is not None
        and principal.organisation_id == order.lead_unit_id
    )


def may_check(principal: Any) -> bool:
    """Whether the principal checks replies on site (核查): the dispatching side."""
    return bool(allowed(principal, AccessAction.DISPATCH_HOTSPOT_ORDERS))


def _case(session: Session, order: HotspotOrder) -> Case:
    case = session.get_one(Case, order.case_id)
    if not is_open(case.state):
        raise HotspotError("case_not_open")
    return case


def _case_step(session: Session, case: Case, acting: Acting, action: Action, now: datetime, reason: str = "") -> None:
    cases.act(session, case, acting, action, seen_version=case.version, now=now, reason=reason)


def respond(session: Session, acting: Acting, order: HotspotOrder, now: datetime, note: str = "") -> HotspotEvent:
    """The lead unit responds (签收): its case is accepted."""
    if not may_answer(acting.principal, order):
        raise HotspotError("not_allowed")
    if order.status is not OrderStatus.DISPATCHED:
        raise HotspotError("wrong_status")
    case = _case(session, order)
    if case.state is State.ASSIGNED:
        _case_step(session, case, acting, Action.ACCEPT, now)
    order.responded_at = now
    order.status = OrderStatus.RESPONDED
    late = now > order.respond_due
    return timeline_event(session, order, acting, OrderEventKind.RESPONDED, now, note=note.strip(), data={"late": late})


def arrive(session: Session, acting: Acting, order: HotspotOrder, now: datetime, note: str = "") -> HotspotEvent:
    """The lead unit is on site (到场); a response not given yet is given now."""
    if order.status is OrderStatus.DISPATCHED:
        respond(session, acting, order, now)
    if not may_answer(acting.principal, order):
        raise HotspotError("not_allowed")
    if order.status is not OrderStatus.RESPONDED:
        raise HotspotError("wrong_status")
    order.on_site_at = now
    order.status = OrderStatus.ON_SITE
    late = now > order.on_site_due
    return timeline_event(session, order, acting, OrderEventKind.ARRIVED, now, note=note.strip(), data={"late": late})


@dataclass(frozen=True)
class Reply:
    """The lead unit's reply (反馈): what was found, which suspect (its key; "" with `other` naming another
    source, or none found), the measures, and optional photos (name, bytes) kept with the case's evidence."""

    finding: str
    measures: str
    source_key: str = ""
    other: str = ""
    photos: Sequence[tuple[str, bytes]] = ()


def reply(
    session: Session, acting: Acting, order: HotspotOrder, answer: Reply, now: datetime, storage: Path | None = None
) -> HotspotEvent:
    """The lead unit replies: steps not taken yet (respond, arrive) are taken now, the photos are attached to the
    case and the case is reported as rectified (申请销号); the order waits for the check."""
    if not may_answer(acting.principal, order):
        raise HotspotError("not_allowed")
    if order.status not in (OrderStatus.DISPATCHED, OrderStatus.RESPONDED, OrderStatus.ON_SITE):
        raise HotspotError("wrong_status")
    if not answer.finding.strip():
        raise HotspotError("finding_required")
    if not answer.measures.strip():
        raise HotspotError("measures_required")
    named = {s["key"]: s["name"] for s in order.suspects}
    if answer.source_key and answer.source_key not in named:
        raise HotspotError("source_unknown")
    if order.status is not OrderStatus.ON_SITE:
        arrive(session, acting, order, now)
    case = _case(session, order)
    if case.state is State.ASSIGNED:
        _case_step(session, case, acting, Action.ACCEPT, now)
    for name, content in answer.photos:
        if storage is None:
            break
        try:
            cases.add_attachment(session, case, acting, filename=name, content=content, storage=storage, now=now)
        except cases.CaseError as exc:
            raise HotspotError(exc.code, str(exc)) from None
    if case.state is State.RECTIFYING:
        _case_step(session, case, acting, Action.REPORT, now)
    order.finding, order.measures = answer.finding.strip(), answer.measures.strip()
    order.source_key = answer.source_key
    order.source_name = named.get(answer.source_key) or answer.other.strip()[:200]
    order.replied_at = now
    order.replied_by_id = acting.user.id
    order.status = OrderStatus.REPLIED
    data = {"source": order.source_name, "late": now > order.reply_due, "photos": len(answer.photos)}
    return timeline_event(session, order, acting, OrderEventKind.REPLIED, now, note=order.finding, data=data)


# --- the dispatching side: check on site ------------------------------------------------------------------------------


def check(
    session: Session,
    acting: Acting,
    order: HotspotOrder,
    result: CheckResult,
    now: datetime,
    note: str = "",
) -> HotspotEvent:
    """The dispatching side checks the reply on site (核查): effective closes the order and its case (销号); not
    effective (with the reason) sends it back for a new reply within the order's reply time, counted from now."""
    if not may_check(acting.principal):
        raise HotspotError("not_allowed")
    if order.status is not OrderStatus.REPLIED:
        raise HotspotError("wrong_status")
    if result is CheckResult.NOT_EFFECTIVE and not note.strip():
        raise HotspotError("note_required")
    case = _case(session, order)
    try:
        if case.state is State.REPORTED:
            _case_step(session, case, acting, Action.START_VERIFICATION, now)
        if case.state is State.VERIFYING:
            step = Action.PASS if result is CheckResult.EFFECTIVE else Action.FAIL
            _case_step(session, case, acting, step, now, reason=note.strip())
    except cases.CaseError as exc:
        raise HotspotError(exc.code) from None
    order.check_result, order.check_note = result, note.strip()
    order.checked_at, order.checked_by_id = now, acting.user.id
    if result is CheckResult.EFFECTIVE:
        order.status = OrderStatus.CLOSED
        order.closed_at = now
    else:
        order.status = OrderStatus.ON_SITE
        order.reply_due = now + (order.reply_due - order.dispatched_at)
        order.replied_at = None
    return timeline_event(
        session, order, acting, OrderEventKind.CHECKED, now, note=note.strip(), data={"result": result.value}
    )


# --- escalation -------------------------------------------------------------------------------------------------------


WAITING = frozenset({OrderStatus.DISPATCHED, OrderStatus.RESPONDED, OrderStatus.ON_SITE})


def escalate(session: Session, now: datetime, policy: Policy | None = None) -> dict[rules.Step, int]:
    """Apply the due escalation steps to every open order (the scheduler's job, every few minutes): the missed
    time limits counted; the first marks the order and its case overdue and issues an automatic 督办 on the case;
    a second, or the station's repeated orders, proposes a 约谈. Returns how many of each were taken."""
    policy = policy or Policy()
    taken = dict.fromkeys(rules.Step, 0)
    orders = session.scalars(select(HotspotOrder).where(HotspotOrder.status != OrderStatus.CLOSED)).all()
    for order in orders:
        missed = rules.missed(clock_of(order), now)
        if len(missed) != order.missed:
            order.missed = len(missed)
        facts = rules.EscalationFacts(
            waiting=order.status in WAITING,
            missed=len(missed),
            overdue=order.overdue,
            supervised=order.supervised_at is not None,
            interview_proposed=order.interview_proposed_at is not None,
            repeats=order.repeats,
        )
        steps = rules.escalation_steps(facts, policy.escalation)
        if not steps:
            continue
        case = session.get_one(Case, order.case_id)
        data = {"order": order.number, "missed": [m.value for m in missed]}
        for step in steps:
            taken[step] += 1
            if step is rules.Step.MARK_OVERDUE:
                order.overdue = True
                if is_open(case.state):
                    cases.mark_overdue(session, case, now, data=data)
                timeline_event(session, order, None, OrderEventKind.OVERDUE, now, data=data)
            elif step is rules.Step.SUPERVISE:
                order.supervised_at = now
                notice = ""
                if is_open(case.state):
                    notice = cases.supervise_automatically(session, case, now, data=data).data["notice"]
                timeline_event(session, order, None, OrderEventKind.SUPERVISED, now, data={**data, "notice": notice})
            else:
                order.interview_proposed_at = now
                why = {**data, "repeats": order.repeats}
                if is_open(case.state):
                    cases.system_event(session, case, EventKind.INTERVIEW_PROPOSED, now, data=why)
                timeline_event(session, order, None, OrderEventKind.INTERVIEW_PROPOSED, now, data=why)
    session.flush()
    return taken


# --- registered sources -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFields:
    """A registered source as a form or an import row gives it."""

    name: str
    kind: SourceKind
    region_id: int
    longitude: Decimal
    latitude: Decimal
    address: str = ""
    organisation_id: int | None = None
    operator: str = ""
    active_from: date | None = None
    active_to: date | None = None
    note: str = ""


def save_source(
    session: Session, principal: Any, fields: SourceFields, source: PollutionSource | None = None
) -> PollutionSource:
    """Register a source (or change one) in a region of the principal's area."""
    if not allowed(principal, AccessAction.DISPATCH_HOTSPOT_ORDERS):
        raise HotspotError("not_allowed")
    if not fields.name.strip():
        raise HotspotError("name_required")
    if not (-180 <= fields.longitude <= 180 and -90 <= fields.latitude <= 90):
        raise HotspotError("place_required")
    if fields.active_from and fields.active_to and fields.active_to < fields.active_from:
        raise HotspotError("period")
    region = session.get(Region, fields.region_id)
    if region is None or not region.path.startswith(principal.region_path):
        raise HotspotError("region_outside_area")
    if fields.organisation_id is not None:
        _unit(session, fields.organisation_id)
    source = source or PollutionSource()
    source.name, source.kind, source.region_id = fields.name.strip()[:200], fields.kind, region.id
    source.longitude, source.latitude = fields.longitude, fields.latitude
    source.address, source.operator = fields.address.strip()[:300], fields.operator.strip()[:200]
    source.organisation_id = fields.organisation_id
    source.active_from, source.active_to, source.note = fields.active_from, fields.active_to, fields.note.strip()
    session.add(source)
    session.flush()
    return source
