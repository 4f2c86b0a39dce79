"""Keeping alerts: applying evaluations (raise, repeat, reopen, clear), checking (核查:
confirm into a case or dismiss), hand-over into cases routed to the responsible unit, the case's closing fed back
to the alert (反馈), and fanning each event out to the users' notification lists and the webhooks' queues."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action as AccessAction
from ecoloop.access.actions import allowed
from ecoloop.alerts import findings
from ecoloop.alerts.enums import AlertEventKind, AlertStatus, Escalation, Review
from ecoloop.alerts.evaluate import Evaluation
from ecoloop.alerts.lifecycle import Decision, LiveAlert, decide
from ecoloop.alerts.models import Alert, AlertEvent, Notification, Webhook, WebhookDelivery
from ecoloop.alerts.rules import EXTERNAL_KINDS, Finding, RuleKind
from ecoloop.alerts.rules import Severity as AlertSeverity
from ecoloop.cases import service as cases
from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.enums import Severity as CaseSeverity
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.workflow import State
from ecoloop.i18n import N_, gettext
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.models import Region

# Roles told of new alerts in their area: the ones who check them (核查).
NOTIFIED_ROLES = frozenset({Role.ANALYST, Role.BRANCH})
# Events pushed to webhooks and notification lists: a repeat of an open alert is counted, not pushed.
PUSHED = frozenset(AlertEventKind) - {AlertEventKind.REPEATED}
NOTIFYING = frozenset({AlertEventKind.RAISED, AlertEventKind.REOPENED})
_CATEGORY = {
    SiteKind.AIR_STATION: Category.AIR,
    SiteKind.AIR_SOURCE: Category.AIR,
    SiteKind.WATER_STATION: Category.WATER,
    SiteKind.WATER_SOURCE: Category.WATER,
    SiteKind.NOISE: Category.NOISE,
}
_SEVERITY = {
    AlertSeverity.LOW: CaseSeverity.LOW,
    AlertSeverity.MEDIUM: CaseSeverity.NORMAL,
    AlertSeverity.HIGH: CaseSeverity.HIGH,
}

Key = tuple[int, int | None, int]  # rule, site (None for an area), region


class AlertError(ValueError):
    """An alert or rule operation that cannot be done; `code` is stable."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


# --- applying evaluations ----------------------------------------------------------------------------------------


def next_number(session: Session, year: int) -> str:
    """The next alert number of the year, YJ<year>-<6 digits>."""
    prefix = f"YJ{year}-"
    last = session.scalar(select(func.max(Alert.number)).where(Alert.number.startswith(prefix)))
    return f"{prefix}{(int(last.removeprefix(prefix)) if last else 0) + 1:06d}"


def _detail(findings: Sequence[Finding]) -> dict[str, Any]:
    """The triggering data, kept with the alert: every finding of the evaluation."""
    return {
        "findings": [
            {
                "parameter": f.parameter,
                "time": f.time.isoformat(),
                "observed": None if f.observed is None else str(f.observed),
                "reference": None if f.reference is None else str(f.reference),
                "severity": f.severity.value,
                **{k: list(v) if isinstance(v, tuple) else v for k, v in f.detail.items()},
            }
            for f in findings
        ]
    }


def _main(findings: Sequence[Finding]) -> Finding:
    """The finding an alert shows first: the most severe, then the largest excess over its reference."""
    order = list(AlertSeverity)

    def weight(f: Finding) -> tuple[int, Decimal]:
        excess = f.observed / f.reference if f.observed is not None and f.reference else Decimal(0)
        return order.index(f.severity), excess

    return max(findings, key=weight)


_LIVE_STATES = (
    select(Alert.id, Alert.rule_id, Alert.site_id, Alert.region_id, Alert.status, Alert.last_at, Alert.cleared_at)
    .where(
        or_(
            Alert.status == AlertStatus.OPEN,
            (Alert.status == AlertStatus.CLEARED) & (Alert.cleared_at >= bindparam("cleared_since")),
        )
    )
    .order_by(Alert.id)
)


def _live_states(session: Session, now: datetime, reopen_within: timedelta) -> dict[Key, tuple[int, LiveAlert]]:
    """Per (rule, site, region): the id and state of the newest alert that is open, or cleared within `reopen_within`
    (a column query: an evaluation that changes nothing needs no Alert loaded)."""
    live: dict[Key, tuple[int, LiveAlert]] = {}
    rows = session.execute(_LIVE_STATES, {"cleared_since": now - reopen_within})
    for alert_id, rule_id, site_id, region_id, status, last_at, cleared_at in rows:
        live[(rule_id, site_id, region_id)] = (alert_id, LiveAlert(status, last_at, cleared_at))
    return live


@dataclass
class Applied:
    """What applying a batch of evaluations did."""

    raised: int = 0
    repeated: int = 0
    reopened: int = 0
    cleared: int = 0
    escalated: int = 0
    events: list[AlertEvent] = field(default_factory=list)


class Fanout:
    """Who hears of an event: the checking users of its area (notification list) and the webhooks of the
    organisations whose area covers it. Loaded once per batch of evaluations."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.users = list(
            session.execute(
                select(User.id, User.role, User.enterprise_id, Region.path)
                .outerjoin(Organisation, Organisation.id == User.organisation_id)
                .outerjoin(Region, Region.id == Organisation.region_id)
                .where(User.active, or_(User.role.in_(NOTIFIED_ROLES), User.role == Role.ENTERPRISE))
            ).all()
        )
        self.hooks = list(
            session.execute(
                select(Webhook.id, Region.path)
                .join(Organisation, Organisation.id == Webhook.organisation_id)
                .join(Region, Region.id == Organisation.region_id)
                .where(Webhook.enabled)
            ).all()
        )
        self._paths: dict[int, str] = {}

    def path(self, region_id: int) -> str:
        if region_id not in self._paths:
            self._paths[region_id] = self.session.scalar(select(Region.path).where(Region.id == region_id)) or ""
        return self._paths[region_id]

    def push(self, alert: Alert, event: AlertEvent) -> None:
        if event.kind not in PUSHED:
            return
        path = self.path(alert.region_id)
        if event.kind in NOTIFYING:
            for user_id, role, enterprise_id, user_path in self.users:
                if (role is Role.ENTERPRISE and enterprise_id is not None and enterprise_id == alert.enterprise_id) or (
                    role in NOTIFIED_ROLES and user_path is not None and path.startswith(user_path)
                ):
                    self.session.add(
                        Notification(user_id=user_id, alert_id=alert.id, event_id=event.id, created_at=event.at)
                    )
        hooks = [hook_id for hook_id, hook_path in self.hooks if path.startswith(hook_path)]
        if hooks:
            body = json.dumps(payload(alert, event), ensure_ascii=False, sort_keys=True)
            for hook_id in hooks:
                self.session.add(
                    WebhookDelivery(
                        webhook_id=hook_id,
                        event_id=event.id,
                        payload=body,
                        created_at=event.at,
                        next_attempt_at=event.at,
                    )
                )


def payload(alert: Alert, event: AlertEvent) -> dict[str, Any]:
    """The JSON body of an event as webhooks receive it."""
    return {
        "event": {"id": event.id, "kind": event.kind.value, "at": event.at.isoformat(), "note": event.note},
        "alert": {
            "id": alert.id,
            "number": alert.number,
            "rule": alert.rule.code if alert.rule else None,
            "kind": alert.kind.value,
            "site_id": alert.site_id,
            "region_id": alert.region_id,
            "region": alert.region.name if alert.region else None,
            "enterprise_id": alert.enterprise_id,
            "parameter": alert.parameter,
            "observed": None if alert.observed is None else str(alert.observed),
            "reference": None if alert.reference is None else str(alert.reference),
            "severity": alert.severity.value,
            "status": alert.status.value,
            "first_at": alert.first_at.isoformat(),
            "last_at": alert.last_at.isoformat(),
            "repeats": alert.repeats,
            "case_id": alert.case_id,
        },
    }


def _event(
    session: Session,
    alert: Alert,
    kind: AlertEventKind,
    now: datetime,
    fanout: Fanout | None,
    *,
    user: User | None = None,
    label: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AlertEvent:
    event = AlertEvent(
        alert_id=alert.id,
        at=now,
        kind=kind,
        actor_user_id=user.id if user else None,
        actor_label=user.display_name if user else (label or "alerts"),
        note=note,
        data=data or {},
    )
    session.add(event)
    session.flush()
    if fanout is not None:
        fanout.push(alert, event)
    return event


def apply(
    session: Session,
    evaluations: Iterable[Evaluation],
    now: datetime,
    zone: tzinfo,
    received: dict[tuple[int | None, datetime], datetime] | None = None,
) -> Applied:
    """Apply evaluations in order: each (rule, subject) is raised, repeated, reopened or cleared as `lifecycle.decide`
    says. Alerts of automatically escalating rules are handed over as cases when raised or reopened.
    `received` gives, per (site, data time), when the triggering readings arrived."""
    evaluations = list(evaluations)
    applied = Applied()
    if not evaluations:
        return applied
    longest = max(e.rule.reopen_within for e in evaluations)
    # Most evaluations change nothing: decide on the live alerts' states, and load an alert (and the fan-out's
    # users and hooks) only for an evaluation that changes something.
    states = _live_states(session, now, longest)
    live: dict[Key, Alert] = {}  # the alerts loaded or raised in this batch; their state is their own
    fanout: Fanout | None = None
    sites: dict[int, Site | None] = {}
    for e in evaluations:
        key = (e.rule.id, e.site_id, e.region_id)
        if not e.findings and key not in states and key not in live:
            continue  # clean, nothing live: `decide` says nothing
        alert = live.get(key)
        if alert is not None:
            state: LiveAlert | None = LiveAlert(alert.status, alert.last_at, alert.cleared_at)
        else:
            known = states.get(key)
            state = None if known is None else known[1]
        decision = decide(state, bool(e.findings), e.time, now, e.rule.reopen_within)
        if decision is Decision.NOTHING:
            continue
        if alert is None and key in states:
            alert = live[key] = session.get_one(Alert, states[key][0])
        fanout = fanout or Fanout(session)
        arrived = (received or {}).get((e.site_id, e.time))
        if decision is Decision.CLEAR:
            assert alert is not None
            alert.status = AlertStatus.CLEARED
            alert.cleared_at = now
            applied.cleared += 1
            applied.events.append(
                _event(session, alert, AlertEventKind.CLEARED, now, fanout, data={"time": e.time.isoformat()})
            )
            continue
        main = _main(e.findings)
        if decision is Decision.RAISE:
            if e.site_id is not None and e.site_id not in sites:
                sites[e.site_id] = session.get(Site, e.site_id)
            site = sites.get(e.site_id) if e.site_id is not None else None
            alert = Alert(
                number=next_number(session, now.year),
                rule_id=e.rule.id,
                rule_version_id=e.rule.version_id,
                kind=e.rule.kind,
                site_id=e.site_id,
                region_id=e.region_id,
                enterprise_id=site.enterprise_id if site else None,
                first_at=e.time,
                last_at=e.time,
                raised_at=now,
                status=AlertStatus.OPEN,
            )
            session.add(alert)
            live[key] = alert
            applied.raised += 1
        else:
            assert alert is not None
            alert.last_at = e.time
            if decision is Decision.REPEAT:
                alert.repeats += 1
                applied.repeated += 1
            else:
                alert.status = AlertStatus.OPEN
                alert.cleared_at = None
                alert.reopened += 1
                alert.rule_version_id = e.rule.version_id
                applied.reopened += 1
        alert.parameter = main.parameter
        alert.severity = (
            main.severity
            if decision is Decision.RAISE
            else max(alert.severity, main.severity, key=list(AlertSeverity).index)
        )
        alert.observed = main.observed
        alert.reference = main.reference
        alert.detail = _detail(e.findings)
        alert.trigger_received_at = arrived
        session.flush()
        if decision is Decision.REPEAT:
            continue  # counted on the alert; no timeline line, no push (no flooding)
        kind = AlertEventKind.RAISED if decision is Decision.RAISE else AlertEventKind.REOPENED
        applied.events.append(
            _event(
                session, alert, kind, now, fanout, data={"time": e.time.isoformat(), "rule_version": e.rule.version_id}
            )
        )
        if e.rule.escalation is Escalation.AUTOMATIC and not _open_case(session, alert):
            applied.events.append(_escalate(session, alert, e.rule.case_deadline_days, now, zone, fanout, user=None))
            applied.escalated += 1
    session.flush()
    return applied


def _open_case(session: Session, alert: Alert) -> bool:
    if alert.case_id is None:
        return False
    state = session.scalar(select(Case.state).where(Case.id == alert.case_id))
    return state not in (State.CLOSED, State.MERGED, None)


# --- hand-over into cases, checking, feedback ----------------------------------------------------------------------


def responsible_unit(session: Session, region_id: int) -> Organisation:
    """The unit an alert's case goes to: the branch whose county contains the region, else the bureau."""
    path = session.scalar(select(Region.path).where(Region.id == region_id)) or ""
    candidates = session.execute(
        select(Organisation, Region.path)
        .join(Region, Region.id == Organisation.region_id)
        .where(Organisation.active, Organisation.kind.in_([OrgKind.BRANCH, OrgKind.BUREAU]))
    ).all()
    covering = [(org, p) for org, p in candidates if path.startswith(p)]
    if not covering:
        raise AlertError("no_responsible_unit", f"no branch or bureau covers region {region_id}")
    # the deepest covering region wins; at equal depth a branch before the bureau
    org, _ = max(covering, key=lambda c: (len(c[1]), c[0].kind is OrgKind.BRANCH))
    return org


def case_title(alert: Alert, site: Site | None) -> str:
    """A case title naming where and what: the site (or area), the rule and the main value against its reference."""
    where = site.name if site else (alert.region.name if alert.region else "")
    what = alert.rule.name if alert.rule else ""
    value = ""
    if alert.kind in EXTERNAL_KINDS and alert.detail.get("title"):
        # the platform's title of its warning (issue 18); the enterprise and flag of an electricity check (issue 20)
        value = f"\uff1a{alert.detail['title']}"
    if alert.parameter and alert.observed is not None:
        value = f"\uff1a{findings.parameter_name(alert.parameter)} {alert.observed.normalize():f}"
        if alert.reference is not None:
            value += f" / {alert.reference.normalize():f}"
    return " ".join(part for part in (where, what) if part) + value


MAX_DESCRIBED = 20  # findings a case description lists; the alert page has them all


def case_description(alert: Alert, where: str, zone: tzinfo, note: str = "") -> str:
    """The description of the case an alert is handed over as: the alert's number and rule, its findings as
    sentences (`findings.describe`), and the analyst's note from checking it."""
    kept = [f for f in alert.detail.get("findings", []) if isinstance(f, dict)]
    lines = [
        gettext("Handed over from alert %(number)s (%(rule)s).")
        % {"number": alert.number, "rule": alert.rule.name if alert.rule else ""}
    ]
    lines += [findings.describe(alert.kind, f, where=where, zone=zone) for f in kept[:MAX_DESCRIBED]]
    if len(kept) > MAX_DESCRIBED:
        lines.append(
            gettext("%(count)s more findings are listed on the alert page.") % {"count": len(kept) - MAX_DESCRIBED}
        )
    if note.strip():
        lines.append(gettext("Note from checking: %(note)s") % {"note": note.strip()})
    return "\n".join(lines)


def _case_category(alert: Alert, site: Site | None) -> Category:
    """The category of the case an alert becomes: its site's; a partner platform's warning names its own (issue 18);
    an area's alert is about the air."""
    if site is not None:
        return _CATEGORY.get(site.kind, Category.OTHER)
    if alert.kind is RuleKind.PARTNER:
        named = str(alert.detail.get("category"))
        return Category(named) if named in Category._value2member_map_ else Category.OTHER
    return Category.AIR


def _escalate(
    session: Session,
    alert: Alert,
    deadline_days: int,
    now: datetime,
    zone: tzinfo,
    fanout: Fanout | None,
    *,
    user: User | None,
    note: str = "",
) -> AlertEvent:
    site = session.get(Site, alert.site_id) if alert.site_id else None
    region = session.get(Region, alert.region_id)
    assert region is not None
    unit = responsible_unit(session, alert.region_id)
    deadline = now.astimezone(zone).date() + timedelta(days=deadline_days)
    label = user.display_name if user else f"{alert.rule.name if alert.rule else 'alert'} ({alert.number})"
    case = cases.open_for_platform(
        session,
        source=CaseSource.ALERT,
        category=_case_category(alert, site),
        title=case_title(alert, site),
        region=region,
        unit=unit,
        deadline=deadline,
        now=now,
        label=label,
        description=case_description(alert, site.name if site else region.name, zone, note),
        enterprise_id=alert.enterprise_id,
        site_id=alert.site_id,
        severity=_SEVERITY[alert.severity],
    )
    alert.case_id = case.id
    session.flush()
    return _event(
        session,
        alert,
        AlertEventKind.ESCALATED,
        now,
        fanout,
        user=user,
        data={"case_id": case.id, "case": case.number, "unit": unit.name, "deadline": deadline.isoformat()},
    )


def confirm(
    session: Session, alert: Alert, user: User, principal: Any, now: datetime, zone: tzinfo, note: str = ""
) -> AlertEvent:
    """核查 confirmed: the alert is handed over as a case to the responsible unit (unless it already has an open
    one), with the rule's deadline."""
    if not allowed(principal, AccessAction.REVIEW_ALERTS):
        raise AlertError("not_allowed")
    if alert.status is AlertStatus.CLOSED:
        raise AlertError("alert_closed")
    if _open_case(session, alert):
        raise AlertError("case_open", "the alert already has an open case")
    alert.review = Review.CONFIRMED
    fanout = Fanout(session)
    _event(session, alert, AlertEventKind.CONFIRMED, now, fanout, user=user, note=note)
    days = alert.rule.case_deadline_days if alert.rule else 7
    return _escalate(session, alert, days, now, zone, fanout, user=user, note=note)


def dismiss(session: Session, alert: Alert, user: User, principal: Any, reason: str, now: datetime) -> AlertEvent:
    """核查 found nothing to act on (误报): the alert is closed with the reason."""
    if not allowed(principal, AccessAction.REVIEW_ALERTS):
        raise AlertError("not_allowed")
    if alert.status is AlertStatus.CLOSED:
        raise AlertError("alert_closed")
    if not reason.strip():
        raise AlertError("reason_required")
    if _open_case(session, alert):
        raise AlertError("case_open", "the alert's case is still open; it closes with the case")
    alert.review = Review.DISMISSED
    alert.status = AlertStatus.CLOSED
    alert.closed_at = now
    alert.feedback = reason.strip()
    return _event(session, alert, AlertEventKind.DISMISSED, now, Fanout(session), user=user, note=reason.strip())


# The feedback of an alert whose case was closed or merged without a note on the closing step.
_FEEDBACK = {
    State.CLOSED: N_("Case %(case)s was closed."),
    State.MERGED: N_("Case %(case)s was merged into another case."),
}


def feed_back(session: Session, now: datetime) -> int:
    """Close the alerts whose case was closed (销号) or merged, with the closing step's note as feedback (反馈);
    how many were closed."""
    rows = session.execute(
        select(Alert, Case.state, Case.number)
        .join(Case, Case.id == Alert.case_id)
        .where(Alert.status != AlertStatus.CLOSED, Case.state.in_([State.CLOSED, State.MERGED]))
    ).all()
    fanout = Fanout(session) if rows else None
    for alert, state, number in rows:
        last = session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == alert.case_id).order_by(CaseEvent.id.desc()).limit(1)
        )
        note = last.note if last else ""
        alert.status = AlertStatus.CLOSED
        alert.closed_at = now
        alert.feedback = note or gettext(_FEEDBACK[state]) % {"case": number}
        _event(
            session,
            alert,
            AlertEventKind.CASE_CLOSED,
            now,
            fanout,
            note=note,
            data={"case": number, "state": state.value},
        )
    session.flush()
    return len(rows)


# --- webhooks -------------------------------------------------------------------------------------------------------

SECRET_BYTES = 32  # secrets.token_urlsafe(32): 43 characters


def add_webhook(
    session: Session, organisation_id: int, url: str, description: str, *, case_events: bool = False
) -> tuple[Webhook, str]:
    """A new webhook of the organisation (alert events, and its cases' events with `case_events`) with a fresh
    signing secret, returned once (the page shows it once)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    hook = Webhook(
        organisation_id=organisation_id,
        url=url,
        secret=secret,
        description=description,
        enabled=True,
        case_events=case_events,
    )
    session.add(hook)
    session.flush()
    return hook, secret


def change_webhook(hook: Webhook, *, url: str, description: str, enabled: bool, case_events: bool) -> None:
    """Set a webhook's address, description, state and whether it takes case events (the secret stays)."""
    hook.url, hook.description, hook.enabled, hook.case_events = url, description, enabled, case_events


# --- notifications ---------------------------------------------------------------------------------------------------


def mark_read(session: Session, user: User, ids: Sequence[int] | None, now: datetime) -> int:
    """Mark the user's notifications read (the given ones, or all); how many changed."""
    stmt = select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    changed = 0
    for note in session.scalars(stmt):
        note.read_at = now
        changed += 1
    session.flush()
    return changed


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def local_day(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date()
