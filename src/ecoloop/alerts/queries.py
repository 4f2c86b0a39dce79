"""Read-side queries on alerts for the pages, the live feed and the API: the board with its counts, one alert with
its timeline, rule and triggering data, the users' notification lists, the rules with their versions, and the
webhooks with their delivery log (scoped, except where a docstring says why not)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.alerts import findings
from ecoloop.alerts.enums import AlertEventKind, AlertStatus, DeliveryStatus, Review
from ecoloop.alerts.evaluate import WATER_CODES
from ecoloop.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertRuleVersion,
    Notification,
    Webhook,
    WebhookDelivery,
)
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import Organisation, User
from ecoloop.monitoring.models import Site
from ecoloop.readings.vocabulary import Interval
from ecoloop.regions.models import Region

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
MAX_NOTIFICATIONS = 200
MAX_DELIVERIES = 200
FEED_BATCH = 100  # events per poll of the live feed

# The chart of an alert: the site's hourly values from a day before the first finding to six hours after the last.
CHART_BEFORE = timedelta(hours=24)
CHART_AFTER = timedelta(hours=6)
# Kinds whose reference is on the scale of the parameter's values (a limit, a median, a mean), drawn as a line.
REFERENCE_ON_SCALE = frozenset(
    {
        RuleKind.SOURCE_EXCEEDANCE,
        RuleKind.AIR_HOTSPOT,
        RuleKind.AIR_SUDDEN_RISE,
        RuleKind.WATER_BELOW_TARGET,
        RuleKind.DEVICE_HIDDEN_EXCEEDANCE,
    }
)
# Water findings name GB 3838 indicators; the stores keep HJ 212 codes.
_WATER_CODE_OF = {name: code for code, name in WATER_CODES.items()}


# --- the board -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilter:
    """What the alert board is narrowed to."""

    status: AlertStatus | None = None
    kind: RuleKind | None = None
    severity: Severity | None = None
    review: Review | None = None
    region: Region | None = None  # alerts in this region's subtree
    text: str = ""  # in the alert number or the site's name or code
    enterprise_id: int | None = None  # alerts about this enterprise's sites


def _matching(stmt: SelectT, f: AlertFilter, *, with_status: bool = True, with_kind: bool = True) -> SelectT:
    if with_status and f.status is not None:
        stmt = stmt.where(Alert.status == f.status)
    if with_kind and f.kind is not None:
        stmt = stmt.where(Alert.kind == f.kind)
    if f.severity is not None:
        stmt = stmt.where(Alert.severity == f.severity)
    if f.review is not None:
        stmt = stmt.where(Alert.review == f.review)
    if f.enterprise_id is not None:
        stmt = stmt.where(Alert.enterprise_id == f.enterprise_id)
    if f.region is not None:
        subtree = select(Region.id).where(Region.path.startswith(f.region.path, autoescape=True))
        stmt = stmt.where(Alert.region_id.in_(subtree))
    if f.text:
        sites = select(Site.id).where(
            or_(Site.name.icontains(f.text, autoescape=True), Site.code.icontains(f.text, autoescape=True))
        )
        stmt = stmt.where(or_(Alert.number.icontains(f.text, autoescape=True), Alert.site_id.in_(sites)))
    return stmt


def status_counts(session: Session, principal: Principal, f: AlertFilter) -> dict[AlertStatus, int]:
    """How many visible alerts match the filter in each status (the filter's own status aside)."""
    stmt = _matching(scoped(select(Alert.status, func.count(Alert.id)), principal, Alert), f, with_status=False)
    counts = dict.fromkeys(AlertStatus, 0)
    for status, count in session.execute(stmt.group_by(Alert.status)):
        counts[AlertStatus(status)] = int(count)
    return counts


def kind_counts(session: Session, principal: Principal, f: AlertFilter) -> dict[RuleKind, int]:
    """How many visible alerts match the filter of each kind (the filter's own kind aside)."""
    stmt = _matching(scoped(select(Alert.kind, func.count(Alert.id)), principal, Alert), f, with_kind=False)
    counts = dict.fromkeys(RuleKind, 0)
    for kind, count in session.execute(stmt.group_by(Alert.kind)):
        counts[RuleKind(kind)] = int(count)
    return counts


@dataclass(frozen=True)
class AlertRow:
    """An alert of the board with where it is and its case's number."""

    alert: Alert
    site_name: str | None
    site_code: str | None
    case_number: str | None

    @property
    def place(self) -> str:
        """The site's name, or the area's for an area alert."""
        return self.site_name or self.alert.region.name


def search_alerts(session: Session, principal: Principal, f: AlertFilter, *, limit: int, offset: int) -> list[AlertRow]:
    """The visible alerts that match the filter, newest first, with their site and case number (the case goes
    with the alert: its number is shown whoever sees the alert)."""
    stmt = (
        select(Alert, Site.name, Site.code, Case.number)
        .outerjoin(Site, Site.id == Alert.site_id)
        .outerjoin(Case, Case.id == Alert.case_id)
    )
    stmt = _matching(scoped(stmt, principal, Alert), f).order_by(Alert.id.desc()).limit(limit).offset(offset)
    return [AlertRow(alert, name, code, number) for alert, name, code, number in session.execute(stmt)]


def get_alert(session: Session, principal: Principal, alert_id: int) -> Alert | None:
    """One alert if the principal may see it."""
    return get_visible(session, principal, Alert, alert_id)


# --- one alert -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    """One finding of the triggering data as the alert page lists it."""

    time: datetime | None
    parameter: str | None
    observed: str | None
    reference: str | None
    severity: Severity | None
    sentence: str


@dataclass(frozen=True)
class AlertFile:
    """An alert with what its page shows beside its own columns."""

    alert: Alert
    site: Site | None  # the alert's site (shown with the alert even where the site itself is not visible)
    enterprise: str
    version: AlertRuleVersion | None
    case: Case | None
    findings: list[FindingView]
    timeline: list[TimelineEntry] = field(default_factory=list)


def alert_file(session: Session, principal: Principal, alert: Alert, zone: tzinfo) -> AlertFile:
    """The alert page's data for an alert the principal sees. Its site, enterprise, rule version and case are the
    alert's own context and come unscoped (a department sees the site of the case it works)."""
    site = session.get(Site, alert.site_id) if alert.site_id is not None else None
    enterprise = ""
    if alert.enterprise_id is not None:
        enterprise = session.scalar(select(Enterprise.name).where(Enterprise.id == alert.enterprise_id)) or ""
    return AlertFile(
        alert=alert,
        site=site,
        enterprise=enterprise,
        version=session.get(AlertRuleVersion, alert.rule_version_id),
        case=session.get(Case, alert.case_id) if alert.case_id is not None else None,
        findings=findings_of(alert, site.name if site else (alert.region.name if alert.region else ""), zone),
        timeline=timeline(session, principal, alert.id),
    )


def findings_of(alert: Alert, where: str, zone: tzinfo) -> list[FindingView]:
    """The findings kept in the alert's detail (the triggering data), in their order, each with its sentence."""
    found = []
    for raw in alert.detail.get("findings", []):
        if not isinstance(raw, dict):
            continue
        severity = str(raw.get("severity"))
        found.append(
            FindingView(
                time=_moment(raw.get("time")),
                parameter=raw.get("parameter"),
                observed=raw.get("observed"),
                reference=raw.get("reference"),
                severity=Severity(severity) if severity in Severity._value2member_map_ else None,
                sentence=findings.describe(alert.kind, raw, where=where, zone=zone),
            )
        )
    return found


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class TimelineEntry:
    """An event of an alert's timeline with the data time it is about (raised, reopened, cleared)."""

    event: AlertEvent
    data_time: datetime | None


def timeline(session: Session, principal: Principal, alert_id: int) -> list[TimelineEntry]:
    """The events of an alert in the order they happened."""
    stmt = scoped(select(AlertEvent).where(AlertEvent.alert_id == alert_id), principal, AlertEvent)
    events = session.scalars(stmt.order_by(AlertEvent.at, AlertEvent.id))
    return [TimelineEntry(e, _moment(e.data.get("time"))) for e in events]


@dataclass(frozen=True)
class Chart:
    """The triggering parameter's hourly values around an alert, with its reference and the alert's span."""

    parameter: str
    points: list[tuple[datetime, float | None, str | None]]  # time, value, flag
    reference: float | None
    first_at: datetime
    last_at: datetime


def chart_code(alert: Alert) -> str | None:
    """The HJ 212 code of the stored series behind the alert's parameter; None where there is none to draw (an
    area, a device's silence, an AQI)."""
    if alert.site_id is None or not alert.parameter or alert.kind in (RuleKind.DEVICE_SILENT, RuleKind.AQI_LEVEL):
        return None
    if alert.kind is RuleKind.WATER_BELOW_TARGET:
        return _WATER_CODE_OF.get(alert.parameter)
    return alert.parameter


def chart(stored: StoredReadings, alert: Alert) -> Chart | None:
    """The site's hourly values of the alert's parameter from CHART_BEFORE the first finding to CHART_AFTER the
    latest, from both tiers of the readings store, with the reference where it is on the values' scale."""
    code = chart_code(alert)
    if code is None or alert.site_id is None:
        return None
    start, end = alert.first_at - CHART_BEFORE, alert.last_at + CHART_AFTER + timedelta(seconds=1)
    with stored.backend() as con:
        t = sites.period_readings(con, stored, [alert.site_id], [Interval.HOUR], start, end)
        rows = sites.rows(con, t.filter(t.parameter == code).select("time", "value", "flag").order_by("time"))
    reference = alert.reference if alert.kind in REFERENCE_ON_SCALE else None
    return Chart(
        parameter=code,
        points=[(r["time"], r["value"], r["flag"]) for r in rows],
        reference=float(reference) if isinstance(reference, Decimal) else None,
        first_at=alert.first_at,
        last_at=alert.last_at,
    )


# --- the live feed ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """An alert event for the live feed: the event and the alert it belongs to as it is now."""

    event_id: int
    kind: AlertEventKind
    alert_id: int
    number: str
    status: AlertStatus
    rule_code: str
    rule_name: str
    place: str


def last_event_id(session: Session) -> int:
    """The id of the newest alert event (unscoped: a position in the feed, not a row)."""
    return int(session.scalar(select(func.max(AlertEvent.id))) or 0)


def events_after(
    session: Session, principal: Principal, after: int, upto: int, limit: int = FEED_BATCH
) -> list[FeedItem]:
    """The visible events with after < id <= upto, oldest first."""
    stmt = (
        select(
            AlertEvent.id,
            AlertEvent.kind,
            Alert.id,
            Alert.number,
            Alert.status,
            AlertRule.code,
            AlertRule.name,
            Site.name,
            Region.name,
        )
        .join(Alert, Alert.id == AlertEvent.alert_id)
        .join(AlertRule, AlertRule.id == Alert.rule_id)
        .join(Region, Region.id == Alert.region_id)
        .outerjoin(Site, Site.id == Alert.site_id)
        .where(AlertEvent.id > after, AlertEvent.id <= upto)
    )
    stmt = scoped(stmt, principal, AlertEvent).order_by(AlertEvent.id).limit(limit)
    return [
        FeedItem(event_id, AlertEventKind(kind), alert_id, number, AlertStatus(status), code, rule, site or region)
        for event_id, kind, alert_id, number, status, code, rule, site, region in session.execute(stmt)
    ]


# --- notifications ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationRow:
    """A notification with the event and the alert it points to."""

    notification: Notification
    event_kind: AlertEventKind
    alert: Alert
    place: str


def notifications(session: Session, principal: Principal, limit: int = MAX_NOTIFICATIONS) -> list[NotificationRow]:
    """The principal's own notifications: unread first, then newest first."""
    stmt = (
        select(Notification, AlertEvent.kind, Alert, Site.name)
        .join(AlertEvent, AlertEvent.id == Notification.event_id)
        .join(Alert, Alert.id == Notification.alert_id)
        .outerjoin(Site, Site.id == Alert.site_id)
    )
    stmt = scoped(stmt, principal, Notification).order_by(Notification.read_at.is_not(None), Notification.id.desc())
    return [
        NotificationRow(note, AlertEventKind(kind), alert, site or alert.region.name)
        for note, kind, alert, site in session.execute(stmt.limit(limit))
    ]


# --- rules -----------------------------------------------------------------------------------------------------------


def list_rules(session: Session, principal: Principal) -> list[AlertRule]:
    """The visible rules, the built-in ones first (in the order they were added)."""
    return list(session.scalars(scoped(select(AlertRule), principal, AlertRule).order_by(AlertRule.id)))


def count_rules(session: Session, principal: Principal) -> int:
    """How many rules the principal sees."""
    return int(session.scalar(scoped(select(func.count(AlertRule.id)), principal, AlertRule)) or 0)


def get_rule(session: Session, principal: Principal, rule_id: int) -> AlertRule | None:
    """One rule if the principal may see it."""
    return get_visible(session, principal, AlertRule, rule_id)


@dataclass(frozen=True)
class VersionRow:
    """A saved version of a rule with who saved it."""

    version: AlertRuleVersion
    author: str


def rule_versions(session: Session, principal: Principal, rule_id: int) -> list[VersionRow]:
    """The versions of a visible rule, newest first, with their authors' names (the platform's for built-ins)."""
    stmt = (
        select(AlertRuleVersion, User.display_name)
        .outerjoin(User, User.id == AlertRuleVersion.created_by_id)
        .where(AlertRuleVersion.rule_id == rule_id)
    )
    stmt = scoped(stmt, principal, AlertRuleVersion).order_by(AlertRuleVersion.version.desc())
    return [VersionRow(version, author or "") for version, author in session.execute(stmt)]


# --- webhooks ------------------------------------------------------------------------------------------------------


def list_webhooks(session: Session, principal: Principal) -> list[Webhook]:
    """The visible webhooks by organisation."""
    stmt = scoped(select(Webhook), principal, Webhook).join(Organisation, Organisation.id == Webhook.organisation_id)
    return list(session.scalars(stmt.order_by(Organisation.name, Webhook.id)))


def get_webhook(session: Session, principal: Principal, webhook_id: int) -> Webhook | None:
    """One webhook if the principal may see it."""
    return get_visible(session, principal, Webhook, webhook_id)


def webhook_owners(session: Session, principal: Principal) -> list[Organisation]:
    """The active organisations the principal sees, which may own a webhook."""
    stmt = scoped(select(Organisation), principal, Organisation).where(Organisation.active.is_(True))
    return list(session.scalars(stmt.order_by(Organisation.kind, Organisation.name, Organisation.id)))


@dataclass(frozen=True)
class DeliveryRow:
    """A webhook delivery with its webhook's address and the event it carries: an alert's (`alert_id`) or a
    case's (`case_id`), with that alert's or case's number."""

    delivery: WebhookDelivery
    url: str
    event_kind: AlertEventKind | EventKind
    number: str
    alert_id: int | None = None
    case_id: int | None = None


def deliveries(
    session: Session,
    principal: Principal,
    *,
    webhook_id: int | None = None,
    status: DeliveryStatus | None = None,
    limit: int = MAX_DELIVERIES,
) -> list[DeliveryRow]:
    """The delivery log of the visible webhooks (of one webhook, in one status when given), newest first."""
    stmt = (
        select(
            WebhookDelivery, Webhook.url, AlertEvent.kind, Alert.id, Alert.number, CaseEvent.kind, Case.id, Case.number
        )
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .outerjoin(AlertEvent, AlertEvent.id == WebhookDelivery.event_id)
        .outerjoin(Alert, Alert.id == AlertEvent.alert_id)
        .outerjoin(CaseEvent, CaseEvent.id == WebhookDelivery.case_event_id)
        .outerjoin(Case, Case.id == CaseEvent.case_id)
    )
    stmt = scoped(stmt, principal, WebhookDelivery)
    if webhook_id is not None:
        stmt = stmt.where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    stmt = stmt.order_by(WebhookDelivery.id.desc()).limit(limit)
    rows = []
    for delivery, url, kind, alert_id, number, case_kind, case_id, case_number in session.execute(stmt):
        if kind is not None:
            rows.append(DeliveryRow(delivery, url, AlertEventKind(kind), number, alert_id=alert_id))
        else:
            rows.append(DeliveryRow(delivery, url, EventKind(case_kind), case_number, case_id=case_id))
    return rows


def delivery_counts(session: Session, principal: Principal) -> dict[int, dict[DeliveryStatus, int]]:
    """Per visible webhook, how many of its deliveries are in each status."""
    stmt = scoped(
        select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count(WebhookDelivery.id)),
        principal,
        WebhookDelivery,
    ).group_by(WebhookDelivery.webhook_id, WebhookDelivery.status)
    counts: dict[int, dict[DeliveryStatus, int]] = {}
    for webhook_id, status, count in session.execute(stmt):
        counts.setdefault(int(webhook_id), dict.fromkeys(DeliveryStatus, 0))[DeliveryStatus(status)] = int(count)
    return counts
