"""The machine channels' reads and counters on both databases: the partner of a key, the atomic counter per
window, the rate-limit key of an address, the public list of complaints with its filters and lead units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.intake import channels, service
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.keyring import new_keyring
from ecoloop.intake.models import Partner
from ecoloop.intake.open311 import Listing
from tests.factories import World

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def test_the_counter_counts_each_window_apart(db: Session) -> None:
    hits = [channels.count(db, "complaint_ip", "10.1.2.3", 3600, NOW + timedelta(minutes=m)) for m in (0, 1, 59)]
    other = channels.count(db, "complaint_ip", "10.1.2.4", 3600, NOW)
    next_hour = channels.count(db, "complaint_ip", "10.1.2.3", 3600, NOW + timedelta(hours=1))

    assert (hits, other, next_hour) == ([1, 2, 3], 1, 1)


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("unknown", "unknown"),
    ],
)
def test_an_ipv6_subscriber_counts_as_one_address(ip: str, key: str) -> None:
    assert channels.address_key(ip) == key


def test_only_an_active_partner_s_key_is_known(db: Session) -> None:
    set_actor(db, Actor(label="test"))
    db.add(Partner(code="a", name="A", key_hash=channels.key_hash("key-a")))
    db.add(Partner(code="b", name="B", key_hash=channels.key_hash("key-b"), active=False))
    db.flush()

    found = channels.partner_for_key(db, "key-a")
    assert found is not None and found.code == "a"
    assert channels.partner_for_key(db, "key-b") is None
    assert channels.partner_for_key(db, "") is None
    assert channels.partner_for_key(db, channels.key_hash("key-a")) is None  # the stored hash is not a key


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
    complaint = channels.complaint_by_ticket(db, noise)
    assert complaint is not None
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
