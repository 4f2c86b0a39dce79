"""Case events to organisations' webhooks (issue 18 part 7): the case timeline read as an outbox, each new event
queued as a delivery for every webhook that takes case events (`Webhook.case_events`) and whose organisation
leads the case, helps with it (配合单位), or, for the bureau and a branch, has it in its area. The deliveries then
go out like alert events (`webhooks`: signed, retried, logged), with `X-Ecoloop-Event: case.<kind>`.

The sender (`webhooks.Sender`) queues before each round, so whichever process wrote the event (a page, the API,
the scheduler's deadline job) and without the cases capability knowing of webhooks. It reads the timeline in id
order up to the events at least `SETTLE` old, so that an event whose transaction committed after a later one's
(ids are drawn before commit) is not passed over; `WebhookCursor` keeps how far it read. A new webhook hears of
the events after it was added, never the history. Who hears an event follows the case as it stands when the
sender reads it (a unit assigned a minute after registration hears of the registration too).

What a body carries (`payload`): the event (kind, time, states, its note with personal numbers masked) and the
case (number, state, source, category, severity, title and description masked, region, units, deadline). Never a
complainant: complaint cases hold only masked texts, and they are masked once more here; the event's `data` and
attachments are not sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Webhook, WebhookCursor, WebhookDelivery
from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.identity.enums import OrgKind
from ecoloop.identity.models import Organisation
from ecoloop.regions.models import Region
from ecoloop.standards.personal_data import mask

FEED: Final = "cases"
EVENT_PREFIX: Final = "case."
SETTLE: Final = timedelta(seconds=30)  # how long a case event's transaction may take to commit
BATCH: Final = 500
# Timeline lines that are not the case's progress: comments and evidence files stay on the case's page.
NOT_SENT: Final = frozenset({EventKind.COMMENTED, EventKind.EVIDENCE_ADDED})
AREA_KINDS: Final = frozenset({OrgKind.BUREAU, OrgKind.BRANCH})


@dataclass(frozen=True)
class _Listener:
    webhook_id: int
    organisation_id: int
    kind: OrgKind
    path: str
    since: datetime

    def hears(self, case: Case, path: str, event: CaseEvent) -> bool:
        """Whether the organisation's webhook gets this event of `case` (in the region at `path`)."""
        if event.at < self.since:
            return False
        if self.organisation_id == case.lead_unit_id or any(
            u.organisation_id == self.organisation_id for u in case.co_units
        ):
            return True
        return self.kind in AREA_KINDS and path.startswith(self.path)


def queue_case_events(session: Session, now: datetime, *, limit: int = BATCH) -> int:
    """Queue the deliveries of the case events written since the last call (at most `limit` events, those at
    least `SETTLE` old at `now`); how many deliveries were queued."""
    cursor = session.get(WebhookCursor, FEED)
    # The newest settled event, found from the top of the id index (recent events are settled but the last few).
    settled = (
        session.scalar(select(CaseEvent.id).where(CaseEvent.at <= now - SETTLE).order_by(CaseEvent.id.desc()).limit(1))
        or 0
    )
    if cursor is None:  # the first round: from now on, not the history
        session.add(WebhookCursor(feed=FEED, after_id=settled))
        session.flush()
        return 0
    if settled <= cursor.after_id:
        return 0
    listeners = _listeners(session)
    if not listeners:  # nobody takes case events: a webhook switched on later hears of them from then on
        cursor.after_id = settled
        session.flush()
        return 0
    rows = session.execute(
        select(CaseEvent, Case, Region.path)
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Region, Region.id == Case.region_id)
        .where(CaseEvent.id > cursor.after_id, CaseEvent.id <= settled)
        .order_by(CaseEvent.id)
        .limit(limit)
    ).all()
    queued = 0
    for event, case, path in rows:
        if event.kind in NOT_SENT:
            continue
        hooks = [h.webhook_id for h in listeners if h.hears(case, path, event)]
        if hooks:
            body = json.dumps(payload(case, event), ensure_ascii=False, sort_keys=True)
            for hook_id in hooks:
                session.add(
                    WebhookDelivery(
                        webhook_id=hook_id, case_event_id=event.id, payload=body, created_at=now, next_attempt_at=now
                    )
                )
            queued += len(hooks)
    cursor.after_id = rows[-1][0].id if len(rows) == limit else settled
    session.flush()
    return queued


def _listeners(session: Session) -> Sequence[_Listener]:
    rows = session.execute(
        select(Webhook.id, Organisation.id, Organisation.kind, Region.path, Webhook.created_at)
        .join(Organisation, Organisation.id == Webhook.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(Webhook.enabled, Webhook.case_events)
    ).all()
    return [_Listener(*row) for row in rows]


def payload(case: Case, event: CaseEvent) -> dict[str, Any]:
    """The JSON body of a case event as webhooks receive it (no complainant; texts masked)."""
    return {
        "event": {
            "id": event.id,
            "kind": event.kind.value,
            "at": event.at.isoformat(),
            "from_state": event.from_state.value if event.from_state else None,
            "to_state": event.to_state.value if event.to_state else None,
            "note": mask(event.note),
        },
        "case": {
            "id": case.id,
            "number": case.number,
            "state": case.state.value,
            "source": case.source.value,
            "category": case.category.value,
            "severity": case.severity.value,
            "title": mask(case.title),
            "description": mask(case.description),
            "region_id": case.region_id,
            "region": case.region.name if case.region else None,
            "enterprise_id": case.enterprise_id,
            "lead_unit_id": case.lead_unit_id,
            "lead_unit": case.lead_unit.name if case.lead_unit else None,
            "co_unit_ids": sorted(u.organisation_id for u in case.co_units),
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "overdue": case.overdue,
            "external_ref": case.external_ref,
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        },
    }
