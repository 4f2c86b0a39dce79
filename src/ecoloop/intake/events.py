"""A partner platform's warning taken in (预警, issue 18 part 6): kept once per the platform's own id and raised as
an alert of the partner's rule, which the analysts then check (核查) on the alert pages like any other.

What the platform wrote is stored with personal numbers masked (`standards.personal_data.mask`): a phone number in
a warning's description is never shown, sent on or logged. A resend of an id already taken answers with the alert
it became; two requests with one id at the same moment make one alert, because the event row is inserted first,
under the table's UNIQUE(partner_id, external_id), and the loser of that race reads the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import AlertEventKind, AlertStatus
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, AlertRuleVersion
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.alerts.service import Fanout, next_number
from ecoloop.identity.enums import Category
from ecoloop.intake.models import Partner, PartnerEvent
from ecoloop.intake.partner_schemas import EventIn
from ecoloop.intake.partners import partner_rule
from ecoloop.regions.locate import locate_point
from ecoloop.regions.models import Region
from ecoloop.standards.personal_data import mask


class EventError(ValueError):
    """A warning that cannot be taken; `code` is stable."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Accepted:
    """A warning taken: its row, the alert it became, and whether this request made them (False: a resend)."""

    event: PartnerEvent
    alert: Alert
    created: bool


def masked_payload(event: EventIn) -> dict[str, Any]:
    """The warning as it is kept: its text fields with personal numbers masked."""
    return {
        "id": event.id,
        "type": mask(event.type),
        "title": mask(event.title),
        "description": mask(event.description),
        "occurred_at": event.occurred_at.isoformat(),
        "longitude": event.longitude,
        "latitude": event.latitude,
        "address": mask(event.address),
        "category": event.category.value if event.category else None,
        "severity": event.severity.value if event.severity else None,
    }


def accept(session: Session, partner: Partner, event: EventIn, now: datetime) -> Accepted:
    """Take a warning: a new id becomes an event and an alert; an id taken before (now or by a concurrent request)
    answers with the alert it became."""
    if (known := _known(session, partner, event.id)) is not None:
        return known
    row = PartnerEvent(partner_id=partner.id, external_id=event.id, received_at=now, payload=masked_payload(event))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # the same id, taken by a concurrent request since we looked: that request's alert is the answer
        if (known := _known(session, partner, event.id)) is not None:
            return known
        raise
    alert = _raise_alert(session, partner, row, now)
    row.alert_id = alert.id
    session.flush()
    return Accepted(row, alert, created=True)


def _known(session: Session, partner: Partner, external_id: str) -> Accepted | None:
    row = session.scalar(
        select(PartnerEvent).where(PartnerEvent.partner_id == partner.id, PartnerEvent.external_id == external_id)
    )
    if row is None or row.alert_id is None:
        return None
    return Accepted(row, session.get_one(Alert, row.alert_id), created=False)


def _raise_alert(session: Session, partner: Partner, row: PartnerEvent, now: datetime) -> Alert:
    rule = partner_rule(session, partner)
    if rule is None:
        raise EventError("no_rule")
    version_id = session.scalar(
        select(AlertRuleVersion.id).where(AlertRuleVersion.rule_id == rule.id, AlertRuleVersion.version == rule.version)
    )
    if version_id is None:
        raise EventError("no_rule")
    kept = row.payload
    occurred = datetime.fromisoformat(kept["occurred_at"])
    severity = Severity(kept["severity"]) if kept["severity"] else Severity.MEDIUM
    category = kept["category"] or Category.OTHER.value
    title = kept["title"] or kept["type"]
    finding = {
        "time": kept["occurred_at"],
        "parameter": None,
        "observed": None,
        "reference": None,
        "severity": severity.value,
        "source": partner.name,
        "type": kept["type"],
        "title": title,
        "description": kept["description"],
        "address": kept["address"],
        "longitude": kept["longitude"],
        "latitude": kept["latitude"],
    }
    alert = Alert(
        number=next_number(session, now.year),
        rule_id=rule.id,
        rule_version_id=version_id,
        kind=RuleKind.PARTNER,
        site_id=None,
        region_id=_region_of(session, rule, kept).id,
        severity=severity,
        status=AlertStatus.OPEN,
        first_at=occurred,
        last_at=occurred,
        raised_at=now,
        detail={
            "findings": [finding],
            "partner": partner.code,
            "event": row.external_id,
            "title": title,
            "category": category,
        },
    )
    session.add(alert)
    session.flush()
    raised = AlertEvent(
        alert_id=alert.id,
        at=now,
        kind=AlertEventKind.RAISED,
        actor_label=partner.name,
        data={"time": kept["occurred_at"], "event": row.external_id},
    )
    session.add(raised)
    session.flush()
    Fanout(session).push(alert, raised)  # the analysts' notifications and the organisations' webhooks
    return alert


def _region_of(session: Session, rule: AlertRule, kept: dict[str, Any]) -> Region:
    """Where the warning is: the deepest region whose boundary holds its point; else the region of the partner's
    rule; else the whole area (the root of the region tree)."""
    if kept["longitude"] is not None and kept["latitude"] is not None:
        found = locate_point(session, float(Decimal(str(kept["longitude"]))), float(Decimal(str(kept["latitude"]))))
        if found is not None:
            return found
    if rule.region_id is not None and (region := session.get(Region, rule.region_id)) is not None:
        return region
    root = session.scalar(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id).limit(1))
    if root is None:
        raise EventError("no_region")
    return root
