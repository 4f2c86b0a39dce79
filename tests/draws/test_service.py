"""Pools built from lists and filters on the draw day, the certificate check, a draw's three steps on a controllable
clock, the history the avoidance rules read, scoping and the immutability guard."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.draws import queries, service
from ecoloop.draws.enums import DrawStatus, SnapshotKind
from ecoloop.draws.models import DrawAssignment, EnterprisePool, ImmutableRecordError, OfficerPool
from ecoloop.draws.service import DrawError, error_text
from ecoloop.enterprises.enums import EnterpriseStatus, PerformanceGrade
from ecoloop.enterprises.models import GradeRecord
from ecoloop.i18n import use_locale
from tests.draws.conftest import (
    DRAW_DAY,
    LATER,
    NOW,
    ZONE,
    Enforcement,
    announcement,
    certify,
    draw_through,
    on_list,
    pools,
)


def members_of(session: Session, pool: EnterprisePool, day: date = DRAW_DAY) -> list[str]:
    return [m["name"] for m in queries.pool_members(session, pool, day)]


def test_a_pool_holds_the_region_s_enterprises_filtered_by_list_industry_and_grade(
    db: Session, enforcement: Enforcement
) -> None:
    w = enforcement.world
    p = enforcement.principal(db, "analyst")
    e = enforcement.enterprises
    on_list(db, e[0], "key_discharge_units")
    on_list(db, e[1], "key_discharge_units", start=date(2025, 1, 1), end=date(2026, 6, 30))  # off the list by then
    on_list(db, e[2], "key_discharge_units", start=date(2027, 1, 1))  # not yet
    db.add(GradeRecord(enterprise_id=e[0].id, grade=PerformanceGrade.B, start=date(2026, 1, 1), end=None))
    e[3].status = EnterpriseStatus.CLOSED
    everything, _ = pools(db, p, w.county_a)
    names = members_of(db, everything)
    assert len(names) == 8 - 1 + 2  # county A's: the 8 made here but the closed one, and the world's two
    assert e[3].name not in names
    by_list, _ = pools(db, p, w.county_a, list_codes=["key_discharge_units"])
    assert members_of(db, by_list) == [e[0].name]
    by_industry, _ = pools(db, p, w.county_a, industry_prefix="d44")
    assert set(members_of(db, by_industry)) == {x.name for x in e[1::2] if x is not e[3]}
    by_grade, _ = pools(db, p, w.county_a, grades=["B"])
    assert members_of(db, by_grade) == [e[0].name]
    for months in (0, 121, 999999):  # 999,999 months went past the calendar at the announcement: a 500 page
        with pytest.raises(service.DrawError) as refused:
            pools(db, p, w.county_a, not_inspected_months=months)
        assert refused.value.code == "months_invalid"
    other_county, _ = pools(db, p, w.county_b)
    assert members_of(db, other_county) == [w.enterprise_b.name]


def test_a_key_enterprise_gets_its_list_s_weight_and_a_positive_list_member_is_marked(
    db: Session, enforcement: Enforcement
) -> None:
    p = enforcement.principal(db, "analyst")
    e = enforcement.enterprises
    on_list(db, e[0], "key_discharge_units")
    on_list(db, e[1], "enforcement_positive_list")
    on_list(db, e[2], "enforcement_positive_list", end=date(2026, 11, 30))  # off the positive list by the draw day
    pool, _ = pools(db, p, enforcement.world.county_a, weights={"key_discharge_units": 3})
    by_id = {m["enterprise_id"]: m for m in queries.pool_members(db, pool, DRAW_DAY)}
    assert by_id[e[0].id]["weight"] == 3
    assert by_id[e[4].id]["weight"] == 1
    assert [by_id[x.id]["positive_list"] for x in e[:3]] == [False, True, False]


def test_only_active_inspectors_with_a_certificate_valid_on_the_day_are_in_the_officer_pool(
    db: Session, enforcement: Enforcement
) -> None:
    p = enforcement.principal(db, "analyst")
    o = enforcement.officers
    o["bu0"].active = False
    service.revoke_certificate(db, p, _certificate_of(db, o["bu1"].id), on=DRAW_DAY)
    expired = o["ba0"]
    _certificate_row(db, expired.id).valid_to = date(2026, 12, 8)
    analyst = enforcement.world.users["analyst"]
    certify(db, analyst, "371800009902")  # an analyst is not an officer even with a certificate
    _, pool = pools(db, p, enforcement.world.county_a)
    ids = {m["user_id"] for m in queries.certified_officers(db, pool, DRAW_DAY)}
    assert o["bu2"].id in ids and enforcement.world.users["branch_a"].id in ids
    assert not ids & {o["bu0"].id, o["bu1"].id, expired.id, analyst.id}
    assert o["bb0"].id in ids  # the officer pool is the city's
    units_only = service.save_officer_pool(
        db, p, name="支队", region_id=enforcement.world.city.id, unit_ids=[enforcement.brigade.id]
    )
    assert {m["unit_id"] for m in queries.certified_officers(db, units_only, DRAW_DAY)} == {enforcement.brigade.id}


def _certificate_row(db: Session, user_id: int):  # type: ignore[no-untyped-def]
    from ecoloop.draws.models import OfficerCertificate

    return db.scalars(select(OfficerCertificate).where(OfficerCertificate.user_id == user_id)).one()


def _certificate_of(db: Session, user_id: int) -> int:
    return int(_certificate_row(db, user_id).id)


def test_a_draw_goes_announce_seed_draw_and_records_everything(db: Session, enforcement: Enforcement) -> None:
    p = enforcement.principal(db, "analyst")
    on_list(db, enforcement.enterprises[0], "enforcement_positive_list")
    pool, officers = pools(db, p, enforcement.world.county_a, ratio=Decimal(50))
    draw = service.announce(db, p, announcement([pool], [officers], enforcement.world.county_a), now=NOW, zone=ZONE)
    assert draw.status is DrawStatus.ANNOUNCED and draw.number == "SJ20260001" and draw.seed is None
    assert [s.kind for s in draw.snapshots] == [SnapshotKind.ENTERPRISES, SnapshotKind.OFFICERS]
    snapshot = json.loads(draw.snapshots[0].content)
    assert [m["credit_code"] for m in snapshot["members"]] == sorted(m["credit_code"] for m in snapshot["members"])
    with pytest.raises(DrawError) as early:
        service.enter_public_value(db, p, draw.id, "3400.01", now=NOW, zone=ZONE)
    assert early.value.code == "too_early"
    with pytest.raises(DrawError):
        service.perform(db, p, draw.id, now=NOW)
    service.enter_public_value(db, p, draw.id, "3412.56", now=LATER, zone=ZONE)
    assert draw.status is DrawStatus.SEEDED and draw.seed is not None
    service.perform(db, p, draw.id, now=LATER)
    assert draw.status is DrawStatus.DRAWN and draw.chain_seq == 1 and draw.record_hash
    on_site = [a for a in draw.assignments if a.on_site]
    off_site = [a for a in draw.assignments if not a.on_site]
    assert [a.enterprise_id for a in off_site] == [enforcement.enterprises[0].id]
    assert len(on_site) == 5  # ceil(50 % of 9)
    assert all(len(a.officers) == 2 and a.unit_id == a.officers[0].organisation_id for a in on_site)
    with pytest.raises(DrawError) as twice:
        service.perform(db, p, draw.id, now=LATER)
    assert twice.value.code == "not_seeded"


def test_the_seed_date_must_be_unknown_when_announced(db: Session, enforcement: Enforcement) -> None:
    p = enforcement.principal(db, "analyst")
    pool, officers = pools(db, p, enforcement.world.county_a)
    a = announcement([pool], [officers], enforcement.world.county_a, seed_date=date(2026, 12, 6))
    with pytest.raises(DrawError) as refused:
        service.announce(db, p, a, now=NOW, zone=ZONE)
    assert refused.value.code == "seed_date_past"
    with pytest.raises(DrawError) as team:
        service.announce(
            db, p, announcement([pool], [officers], enforcement.world.county_a, team=1), now=NOW, zone=ZONE
        )
    assert team.value.code == "team_invalid"


def test_a_draw_that_cannot_staff_an_enterprise_is_refused_in_chinese_naming_it(
    db: Session, enforcement: Enforcement
) -> None:
    p = enforcement.principal(db, "branch_a")
    pool, _ = pools(db, p, enforcement.world.county_a, count=2)
    lonely = service.save_officer_pool(
        db, p, name="一人", region_id=enforcement.world.county_a.id, unit_ids=[enforcement.world.branch_a.id]
    )
    for user in list(enforcement.officers.values())[3:5]:  # ba0, ba1 lose their certificates
        _certificate_row(db, user.id).valid_to = date(2026, 1, 1)
    _certificate_row(db, enforcement.officers["ba2"].id).valid_to = date(2026, 1, 1)
    with pytest.raises(DrawError) as refused:
        draw_through(db, p, announcement([pool], [lonely], enforcement.world.county_a))
    with use_locale("zh_CN"):
        text = error_text(refused.value)
    assert "抽查被拒绝" in text or "拒绝" in text
    assert "测试企业" in text


def test_the_last_inspection_comes_from_earlier_draws_and_its_officers_are_avoided(
    db: Session, enforcement: Enforcement
) -> None:
    p = enforcement.principal(db, "analyst")
    county = enforcement.world.county_a
    pool, officers = pools(db, p, county, count=4)
    first = draw_through(db, p, announcement([pool], [officers], county))
    history = queries.last_inspections(db, None, date(2027, 1, 7))
    for a in first.assignments:
        assert history[a.enterprise_id].officer_ids == tuple(o.user_id for o in a.officers)
        assert history[a.enterprise_id].day == DRAW_DAY and history[a.enterprise_id].unit_id == a.unit_id
    assert queries.last_inspections(db, None, DRAW_DAY) == {}  # not before its own day
    everyone, _ = pools(db, p, county)
    second = draw_through(
        db,
        p,
        announcement([everyone], [officers], county, seed_date=date(2027, 1, 6), draw_on=date(2027, 1, 7)),
        now=datetime(2027, 1, 5, 2, tzinfo=UTC),
        later=datetime(2027, 1, 7, 2, tzinfo=UTC),
    )
    assert second.chain_seq == 2 and second.previous_hash == first.record_hash
    again = {a.enterprise_id: a for a in second.assignments}
    for a in first.assignments:
        later = again[a.enterprise_id]
        assert not {o.user_id for o in later.officers} & {o.user_id for o in a.officers}
        rules = {x["rule"] for x in later.details["avoided"]}
        assert "last_inspector" in rules
        assert later.unit_id != a.unit_id or later.details["rotation_waived"]


def test_not_inspected_for_months_keeps_recently_inspected_enterprises_out(
    db: Session, enforcement: Enforcement
) -> None:
    p = enforcement.principal(db, "analyst")
    county = enforcement.world.county_a
    pool, officers = pools(db, p, county, count=3)
    first = draw_through(db, p, announcement([pool], [officers], county))
    drawn = {a.enterprise_id for a in first.assignments}
    fresh, _ = pools(db, p, county, not_inspected_months=6)
    ids = {m["enterprise_id"] for m in queries.pool_members(db, fresh, date(2027, 1, 7))}
    assert not ids & drawn and len(ids) == 10 - 3
    later = {m["enterprise_id"] for m in queries.pool_members(db, fresh, date(2027, 7, 9))}
    assert drawn <= later


def test_a_branch_works_on_its_county_only(db: Session, enforcement: Enforcement) -> None:
    w = enforcement.world
    branch_a = enforcement.principal(db, "branch_a")
    branch_b = enforcement.principal(db, "branch_b")
    with pytest.raises(DrawError):
        pools(db, branch_a, w.county_b)
    with pytest.raises(DrawError):
        service.add_certificate(db, branch_a, user_id=enforcement.officers["bb0"].id, number="X1",
                                valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1))  # fmt: skip
    service.add_certificate(db, branch_b, user_id=enforcement.officers["bb0"].id, number="X1",
                            valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1))  # fmt: skip
    pool, officers = pools(db, branch_a, w.county_a, count=2)
    draw = draw_through(db, branch_a, announcement([pool], [officers], w.county_a))
    assert [d.id for d in queries.draws(db, branch_a)] == [draw.id]
    assert queries.draws(db, branch_b) == []
    assert queries.draw(db, branch_b, draw.id) is None
    with pytest.raises(DrawError):
        service.announce(db, branch_b, announcement([pool], [officers], w.county_b), now=NOW, zone=ZONE)
    assert sorted(c.number for c in queries.certificates(db, branch_b)) == [
        "371800000007",
        "371800000008",
        "371800000009",
        "X1",
    ]
    assert db.scalars(select(OfficerPool)).all()


def test_a_declared_conflict_is_avoided_in_the_draw(db: Session, enforcement: Enforcement) -> None:
    p = enforcement.principal(db, "analyst")
    county = enforcement.world.county_a
    target = enforcement.enterprises[0]
    pool, officers = pools(db, p, county)
    conflicted = [enforcement.officers[k] for k in ("bu0", "bu1", "bu2", "ba0")]
    for officer in conflicted:
        service.declare_conflict(
            db, p, user_id=officer.id, enterprise_id=target.id, reason="亲属在该企业任职", start=date(2026, 1, 1)
        )
    draw = draw_through(db, p, announcement([pool], [officers], county))
    assignment = next(a for a in draw.assignments if a.enterprise_id == target.id)
    assert not {o.user_id for o in assignment.officers} & {o.id for o in conflicted}
    assert {x["user_id"] for x in assignment.details["avoided"] if x["rule"] == "conflict"} == {
        o.id for o in conflicted
    }


def test_a_drawn_record_cannot_be_changed_through_the_application(db: Session, enforcement: Enforcement) -> None:
    p = enforcement.principal(db, "analyst")
    pool, officers = pools(db, p, enforcement.world.county_a, count=2)
    draw = draw_through(db, p, announcement([pool], [officers], enforcement.world.county_a))
    with pytest.raises(ImmutableRecordError), db.begin_nested():
        draw.title = "改过的标题"
        db.flush()
    assignment = db.scalars(select(DrawAssignment).where(DrawAssignment.draw_id == draw.id)).first()
    assert assignment is not None
    with pytest.raises(ImmutableRecordError), db.begin_nested():
        assignment.on_site = False
        db.flush()
    with pytest.raises(ImmutableRecordError), db.begin_nested():
        db.delete(draw.snapshots[0])
        db.flush()
