"""Taking complaints in: masking and encryption, tickets, deadlines, repeats, acceptance and routing, replies and
ratings, who may see the complainant, 包案 and rewards (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.cases.enums import CaseSource, Severity
from ecoloop.cases.models import Case, CaseEvent, CaseUnit
from ecoloop.cases.workflow import State
from ecoloop.identity.enums import Category
from ecoloop.identity.models import OrganisationDuty
from ecoloop.intake import service
from ecoloop.intake.enums import Channel, RewardStatus, Satisfaction, Status, Topic
from ecoloop.intake.keyring import Keyring, KeyringError, new_keyring
from ecoloop.intake.models import Complaint
from ecoloop.intake.service import IntakeError, Submission
from tests.factories import World, give_boundaries

ZONE = ZoneInfo("Asia/Shanghai")
# Monday 2026-09-28, 10:00 in the bureau's zone: the National Day holiday (10-01 to 10-07) and the make-up working
# Saturday 10-10 follow.
NOW = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"


@dataclass
class Desk:
    db: Session
    world: World
    ring: Keyring
    data_dir: Path

    def submit(self, **fields: object) -> Complaint:
        values: dict[str, object] = {"channel": Channel.WEB, "topic": Topic.SMOKE, "description": "烟囱冒黑烟"}
        values.update(fields)
        return service.submit(self.db, self.ring, self.data_dir, Submission(**values), NOW, zone=ZONE)  # type: ignore[arg-type]


@pytest.fixture
def desk(db: Session, world: World, tmp_path: Path) -> Desk:
    give_boundaries(db, world)
    return Desk(db, world, new_keyring(), tmp_path)


def point(lon: str, lat: str) -> dict[str, Decimal]:
    return {"longitude": Decimal(lon), "latitude": Decimal(lat)}


def test_personal_data_is_masked_in_text_and_kept_only_encrypted(desk: Desk) -> None:
    written = f"化工厂夜里偷排，我是张三，电话{PHONE}，身份证{ID_NUMBER}"
    c = desk.submit(
        description=written,
        name="张三",
        phone=f"+86 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}",
        consent=True,
        address="湖滨路",
    )
    assert PHONE not in c.description and ID_NUMBER not in c.description
    assert "139****5678" in c.description and "110105********002X" in c.description
    assert c.phone_masked == "139****5678" and not c.anonymous
    raw = desk.db.execute(text("SELECT * FROM complaints WHERE id = :id"), {"id": c.id}).one()
    assert not any(PHONE in str(v) or ID_NUMBER in str(v) for v in raw if v is not None)
    assert "张三" not in c.name_enc
    hotline = desk.world.principal(desk.db, "hotline")
    who = service.identity(desk.db, desk.ring, hotline, c)
    assert (who.name, who.phone, who.description) == ("张三", PHONE, written)
    # bound to its record: the phone's ciphertext moved to another complaint does not decrypt there
    other = desk.submit(description="另一处冒黑烟", **point("114.15", "35.15"))
    other.name_enc = c.phone_enc
    with pytest.raises(KeyringError):
        service.identity(desk.db, desk.ring, hotline, other)


def test_only_the_hotline_and_the_leader_in_charge_see_who_complained(desk: Desk) -> None:
    c = desk.submit(name="李四", phone=PHONE, consent=True, **point("114.05", "35.05"))
    for name in ("admin", "leader", "analyst", "branch_a", "department"):
        with pytest.raises(IntakeError, match="not_allowed"):
            service.identity(desk.db, desk.ring, desk.world.principal(desk.db, name), c)
    hotline = desk.world.principal(desk.db, "hotline")
    case = service.accept(desk.db, c, desk.world.users["hotline"], hotline, NOW, zone=ZONE)
    leader = desk.world.users["leader"]
    service.take_case(desk.db, case, leader, desk.world.principal(desk.db, "leader"), NOW)
    assert service.identity(desk.db, desk.ring, desk.world.principal(desk.db, "leader"), c).phone == PHONE
    viewed = desk.db.scalars(select(AuditRecord).where(AuditRecord.action == "complainant_viewed")).all()
    assert len(viewed) == 1 and PHONE not in str(viewed[0].after)
    with pytest.raises(IntakeError, match="not_leader"):
        service.take_case(desk.db, case, desk.world.users["analyst"], desk.world.principal(desk.db, "analyst"), NOW)


def test_a_ticket_and_the_acceptance_deadline_on_working_days(desk: Desk) -> None:
    c = desk.submit(**point("114.05", "35.05"))
    assert c.ticket.startswith("2026-") and len(c.ticket) == len("2026-XXXX-XXXX")
    assert service.ticket_form(c.ticket.lower().replace("-", "")) == c.ticket
    # 15 working days after Mon 09-28: 09-29, 09-30, (10-01..10-07 off), 10-08, 10-09, 10-10 (make-up Saturday),
    # 10-12 … 10-16 (5), 10-19 … 10-23 (5): the 15th is Fri 10-23.
    assert c.accept_due == date(2026, 10, 23)
    assert c.status is Status.RECEIVED and c.region_id == desk.world.town_a.id


def test_refused_fields_say_why(desk: Desk) -> None:
    for fields, code in (
        ({"description": "  "}, "description_missing"),
        ({"description": "x" * 2001}, "description_too_long"),
        ({}, "place_missing"),
        (point("120.0", "30.0"), "place_outside_city"),
        ({"phone": "12345", "consent": True, "address": "湖滨路"}, "phone_invalid"),
        ({"phone": PHONE, "address": "湖滨路"}, "consent_missing"),
    ):
        with pytest.raises(IntakeError) as refused:
            desk.submit(**fields)
        assert refused.value.code == code
        assert service.error_text(code) != code


def test_accepting_routes_to_the_branch_and_the_departments_with_the_duty(desk: Desk) -> None:
    desk.db.add(OrganisationDuty(organisation_id=desk.world.department.id, category=Category.AIR))
    c = desk.submit(**point("114.05", "35.05"))
    case = service.accept(
        desk.db, c, desk.world.users["analyst"], desk.world.principal(desk.db, "analyst"), NOW, zone=ZONE
    )
    assert case.source is CaseSource.COMPLAINT and case.state is State.ASSIGNED
    assert case.lead_unit_id == desk.world.branch_a.id and case.external_ref == c.ticket
    helpers = desk.db.scalars(select(CaseUnit.organisation_id).where(CaseUnit.case_id == case.id)).all()
    assert helpers == [desk.world.department.id]
    # 60 working days after Mon 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday) are 5, then twelve
    # whole weeks from 10-12 to 12-25 the other 55: Fri 12-25
    assert c.conclude_due == case.deadline == date(2026, 12, 25)
    assert c.status is Status.ACCEPTED and PHONE not in case.description


def test_repeats_link_to_the_open_case_and_raise_its_priority(desk: Desk) -> None:
    first = desk.submit(description="东湖水泥厂烟囱冒黑烟", **point("114.05", "35.05"))
    case = service.accept(
        desk.db, first, desk.world.users["hotline"], desk.world.principal(desk.db, "hotline"), NOW, zone=ZONE
    )
    # 0.0008° of latitude ≈ 89 m: close enough whatever the words
    second = desk.submit(description="有工厂在排放浓烟", **point("114.05", "35.0508"))
    # ≈ 330 m away, worded alike
    third = desk.submit(description="东湖水泥厂的烟囱一直在冒黑烟", **point("114.05", "35.053"))
    assert (second.case_id, third.case_id) == (case.id, case.id) and second.duplicate and third.duplicate
    assert second.status is Status.ACCEPTED and second.conclude_due == case.deadline
    assert case.severity is Severity.HIGH  # 3 reports
    # ≈ 360 m away with other words, another category, or 2 km away: new complaints
    assert desk.submit(description="有人烧垃圾", **point("114.054", "35.05")).case_id is None
    assert desk.submit(topic=Topic.CONSTRUCTION_NOISE, **point("114.05", "35.05")).case_id is None
    assert desk.submit(description="东湖水泥厂烟囱冒黑烟", **point("114.05", "35.07")).case_id is None
    notes = desk.db.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id)).all()
    assert sum("Reported again" in n or "再次" in n or second.ticket in n for n in notes) >= 2


def test_pending_repeats_are_accepted_with_the_first(desk: Desk) -> None:
    a = desk.submit(address="湖滨路12号", region_id=desk.world.town_a.id, description="饭店油烟扰民")
    b = desk.submit(address="湖滨路 12 号", region_id=desk.world.town_a.id, description="油烟很大")
    case = service.accept(
        desk.db, a, desk.world.users["hotline"], desk.world.principal(desk.db, "hotline"), NOW, zone=ZONE
    )
    assert b.case_id == case.id and b.status is Status.ACCEPTED


def test_dismiss_reply_and_rating(desk: Desk) -> None:
    hotline = desk.world.principal(desk.db, "hotline")
    c = desk.submit(**point("114.05", "35.05"))
    with pytest.raises(IntakeError, match="reason_required"):
        service.dismiss(desk.db, c, hotline, " ", NOW)
    d = desk.submit(**point("114.3", "35.1"), description="别处的事")
    service.dismiss(desk.db, d, hotline, f"不属于环保部门职责，请致电{PHONE}", NOW)
    assert d.status is Status.NOT_ACCEPTED and PHONE not in d.decision_note
    case = service.accept(desk.db, c, desk.world.users["hotline"], hotline, NOW, zone=ZONE)
    service.publish_reply(desk.db, c, hotline, "经核查，已责令停产整改。", NOW)
    assert service.rate(desk.db, c, Satisfaction.NOT_SATISFIED, "还在冒烟", NOW) is Status.REVIEW
    assert any(
        "not satisfied" in n or c.ticket in n
        for n in desk.db.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id))
    )
    with pytest.raises(IntakeError, match="wrong_status"):
        service.rate(desk.db, c, Satisfaction.SATISFIED, "", NOW)
    service.publish_reply(desk.db, c, hotline, "复查后已拆除锅炉。", NOW)
    assert service.rate(desk.db, c, Satisfaction.SATISFIED, "", NOW) is Status.CLOSED


def test_one_extension_of_the_conclusion_limit(desk: Desk) -> None:
    hotline = desk.world.principal(desk.db, "hotline")
    c = desk.submit(**point("114.05", "35.05"))
    case = service.accept(desk.db, c, desk.world.users["hotline"], hotline, NOW, zone=ZONE)
    later = service.extend(desk.db, c, desk.world.users["hotline"], hotline, "情况复杂，需监测取证", NOW)
    # 30 working days after Fri 12-25 reach into 2027, whose holidays are not entered: counted Monday to Friday
    # (12-28..12-31 and 01-01 are 5, then five whole weeks): Fri 2027-02-05
    assert later == date(2027, 2, 5) and case.deadline == later
    with pytest.raises(IntakeError, match="already_extended"):
        service.extend(desk.db, c, desk.world.users["hotline"], hotline, "再延", NOW)


def test_rewards_are_proposed_approved_and_paid(desk: Desk) -> None:
    c = desk.submit(**point("114.05", "35.05"))
    hotline = desk.world.principal(desk.db, "hotline")
    with pytest.raises(IntakeError, match="amount_invalid"):
        service.propose_reward(desk.db, c, desk.world.users["hotline"], hotline, Decimal("0"), "", NOW)
    reward = service.propose_reward(desk.db, c, desk.world.users["hotline"], hotline, Decimal("500"), "举报属实", NOW)
    with pytest.raises(IntakeError, match="not_allowed"):
        service.decide_reward(desk.db, reward, desk.world.users["hotline"], hotline, True, NOW)
    service.decide_reward(
        desk.db, reward, desk.world.users["leader"], desk.world.principal(desk.db, "leader"), True, NOW
    )
    service.decide_reward(desk.db, reward, desk.world.users["hotline"], hotline, True, NOW + timedelta(days=1))
    assert reward.status is RewardStatus.PAID and reward.paid_at is not None


def test_unrated_replies_conclude(desk: Desk) -> None:
    hotline = desk.world.principal(desk.db, "hotline")
    c = desk.submit(**point("114.05", "35.05"))
    service.accept(desk.db, c, desk.world.users["hotline"], hotline, NOW, zone=ZONE)
    service.publish_reply(desk.db, c, hotline, "已处理。", NOW)
    assert service.conclude_unrated(desk.db, NOW + timedelta(days=14)) == 0
    assert service.conclude_unrated(desk.db, NOW + timedelta(days=15)) == 1 and c.status is Status.CLOSED


def test_the_case_of_a_complaint_never_carries_the_phone(desk: Desk) -> None:
    c = desk.submit(description=f"请联系{PHONE}", **point("114.05", "35.05"))
    case = service.accept(
        desk.db, c, desk.world.users["hotline"], desk.world.principal(desk.db, "hotline"), NOW, zone=ZONE
    )
    stored = desk.db.get(Case, case.id)
    assert stored is not None and PHONE not in stored.description and PHONE not in stored.title
    for note in desk.db.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id)):
        assert PHONE not in note


def test_a_complaint_case_registered_on_the_case_page_masks_the_phone(desk: Desk) -> None:
    from ecoloop.cases.enums import Category as CaseCategory
    from ecoloop.cases.service import Acting, comment, register_case

    hotline = Acting(desk.world.users["hotline"], desk.world.principal(desk.db, "hotline"))
    case = register_case(
        desk.db,
        hotline,
        source=CaseSource.COMPLAINT,
        category=CaseCategory.NOISE,
        title=f"来电{PHONE}反映噪声",
        region=desk.world.town_a,
        now=NOW,
        description=f"来电人{PHONE}，身份证{ID_NUMBER}",
    )
    comment(desk.db, case, hotline, f"已回电{PHONE}", NOW)
    assert PHONE not in case.title and PHONE not in case.description and ID_NUMBER not in case.description
    assert all(PHONE not in n for n in desk.db.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id)))
