"""The machine channels' reads on both databases: the public list of complaints with its filters and lead
units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.intake import channels, service
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.keyring import new_keyring
from ecoloop.intake.models import Complaint
from ecoloop.intake.open311 import Listing
from tests.factories import World

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def test_the_public_list_filters_and_names_the_lead_unit(db: Session, world: World, tmp_path: Path) -> None:
    ring = new_keyring()

    def submit(topic: Topic, at: datetime) -> str:
        submission = service.Submission(
            channel=Channel.OPEN311, topic=topic, description="冒黑烟", address="湖滨路", region_id=world.town_a.id
        )
        return service.submit(db, ring, tmp_path, submission, at, zone=ZONE).ticket

    smoke = submit(Topic.SMOKE, NOW - timedelta(days=1))
    noise = submit(Topic.CONSTRUCTION_NOISE, NOW - timedelta(days=2))
    old = submit(Topic.SMOKE, NOW - timedelta(days=100))
    complaint = db.scalars(select(Complaint).where(Complaint.ticket == noise)).one()
    complaint.status = Status.CLOSED
    db.flush()
    recent = Listing(start=NOW - timedelta(days=90), end=NOW)

    def tickets(listing: Listing) -> list[str]:
        return [p.complaint.ticket for p in channels.public_requests(db, listing)]

    assert tickets(recent) == [smoke, noise]
    assert tickets(Listing(topics=(Topic.SMOKE,), start=recent.start, end=NOW)) == [smoke]
    assert tickets(Listing(statuses=frozenset({Status.CLOSED}), start=recent.start, end=NOW)) == [noise]
    assert tickets(Listing(tickets=(old, "nothing"))) == [old]
    found = channels.public_request(db, smoke)
    assert found is not None and found.agency == ""
    assert channels.public_request(db, "nothing") is None
