"""Inspections in one transaction each: checklists by industry and their versions, the two officers' confirmations,
submissions stored once per key, stale and foreign submissions refused, photos without metadata, campaigns, the
inspections of a draw, and a finding put into the closed loop."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.cases.enums import CaseSource
from ecoloop.cases.models import Case
from ecoloop.db.base import utcnow
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import Draw, DrawAssignment, DrawAssignmentOfficer
from ecoloop.identity.enums import Role
from ecoloop.inspections import photos, queries, service
from ecoloop.inspections.enums import Answer, Conclusion, Kind, Status
from ecoloop.inspections.models import CampaignTarget, Checklist, InspectionPhoto, InspectionSubmission
from ecoloop.inspections.rules import Record, Response
from ecoloop.inspections.service import InspectionError, NotFoundError
from tests.factories import World, add_user
from tests.inspections.conftest import FINDING, acting, full_record, key, photo_bytes, plan


def test_the_checklist_of_the_enterprises_industry_is_chosen(db: Session, world: World) -> None:
    world.enterprise_a.industry_code = "D4411"  # 火力发电
    world.enterprise_b.industry_code = "A0111"  # no industry list: the general one

    power = plan(db, world)
    general = plan(db, world, enterprise=world.enterprise_b, officers=("branch_b", "inspector"))

    assert power.checklist_version.checklist.code == "power-heat"
    assert general.checklist_version.checklist.code == "general"
    # the industry's list holds the general items and its own
    texts = [i["text"] for i in power.checklist_version.items]
    assert any("环评手续" in t for t in texts) and any("脱硫" in t for t in texts)


def test_an_edited_checklist_is_a_new_version_and_a_done_inspection_keeps_its_items(db: Session, world: World) -> None:
    inspection = plan(db, world)
    checklist = inspection.checklist_version.checklist
    before = list(inspection.checklist_version.items)

    service.save_checklist(
        db, world.users["analyst"], name=checklist.name, prefixes=checklist.prefixes,
        items=[("只剩一项", "某法第一条", True)], now=utcnow(), checklist=checklist,
    )  # fmt: skip
    db.expire_all()

    assert [v.number for v in checklist.versions] == [1, 2]
    assert inspection.checklist_version.items == before
    assert plan(db, world).checklist_version.items[0]["text"] == "只剩一项"


def test_defaults_are_installed_once(db: Session, world: World) -> None:
    first = service.install_default_checklists(db, utcnow())
    again = service.install_default_checklists(db, utcnow())

    assert {c.code for c in first} >= {"general", "power-heat", "chemical"}
    assert again == []
    assert db.scalar(select(func.count()).select_from(Checklist)) == len(first)


def test_an_inspection_needs_two_officers(db: Session, world: World) -> None:
    with pytest.raises(InspectionError) as one:
        plan(db, world, officers=("branch_a",))
    with pytest.raises(InspectionError) as hotline:
        plan(db, world, officers=("branch_a", "hotline"))

    assert one.value.code == "officers_too_few"
    assert hotline.value.code == "officer_invalid"


def test_both_officers_confirm_on_their_own_account_then_it_is_complete_and_read_only(
    db: Session, world: World
) -> None:
    inspection = plan(db, world)
    record = full_record(inspection)
    now = utcnow()

    first = service.submit(
        db, acting(db, world, "branch_a"), inspection.id, key=key(), seen_version=inspection.version,
        record=record, now=now,
    )  # fmt: skip
    assert (first.stored, first.completed, inspection.status) == (True, False, Status.RECORDED)
    assert [o.confirmed_at is not None for o in inspection.officers] == [True, False]
    assert queries.mine(db, world.principal(db, "inspector"), now.date()).to_confirm == [inspection]

    second = service.submit(
        db, acting(db, world, "inspector"), inspection.id, key=key(), seen_version=1, record=record, now=now
    )  # the same record, confirmed as it stands from the form opened before the first officer's submission
    assert (second.completed, inspection.status) == (True, Status.COMPLETED)
    assert inspection.completed_at == now

    with pytest.raises(InspectionError) as late:
        service.submit(
            db, acting(db, world, "branch_a"), inspection.id, key=key(), seen_version=inspection.version,
            record=full_record(inspection, violation=True), now=now,
        )  # fmt: skip
    assert late.value.code == "completed"


def test_a_changed_record_asks_the_other_officer_again(db: Session, world: World) -> None:
    inspection = plan(db, world)
    now = utcnow()
    service.submit(db, acting(db, world, "branch_a"), inspection.id, key=key(), seen_version=1,
                   record=full_record(inspection), now=now)  # fmt: skip

    service.submit(db, acting(db, world, "inspector"), inspection.id, key=key(), seen_version=inspection.version,
                   record=full_record(inspection, violation=True), now=now)  # fmt: skip

    confirmed = {o.user.username: o.confirmed_at is not None for o in inspection.officers}
    assert confirmed == {"branch_a": False, "inspector": True}
    assert inspection.status is Status.RECORDED
    assert inspection.conclusion is Conclusion.VIOLATION


def test_a_submission_sent_twice_is_stored_once(db: Session, world: World) -> None:
    inspection = plan(db, world)
    same = key()
    record = full_record(inspection)

    first = service.submit(db, acting(db, world, "branch_a"), inspection.id, key=same, seen_version=1,
                           record=record, now=utcnow())  # fmt: skip
    version = inspection.version
    again = service.submit(db, acting(db, world, "branch_a"), inspection.id, key=same, seen_version=1,
                           record=record, now=utcnow())  # fmt: skip

    assert (first.stored, again.stored) == (True, False)
    assert inspection.version == version
    assert db.scalar(select(func.count()).select_from(InspectionSubmission)) == 1


def test_a_key_is_not_taken_for_another_officer_or_inspection(db: Session, world: World) -> None:
    inspection = plan(db, world)
    other = plan(db, world)
    same = key()
    service.submit(db, acting(db, world, "branch_a"), inspection.id, key=same, seen_version=1,
                   record=full_record(inspection), now=utcnow())  # fmt: skip

    for who, target in (("inspector", inspection), ("branch_a", other)):
        with pytest.raises(InspectionError) as refused:
            service.submit(db, acting(db, world, who), target.id, key=same, seen_version=1,
                           record=full_record(target), now=utcnow())  # fmt: skip
        assert refused.value.code == "key_invalid"


def test_a_stale_record_is_refused(db: Session, world: World) -> None:
    inspection = plan(db, world)
    service.submit(db, acting(db, world, "branch_a"), inspection.id, key=key(), seen_version=1,
                   record=full_record(inspection), now=utcnow())  # fmt: skip

    with pytest.raises(InspectionError) as stale:  # typed offline on the form opened before, with other answers
        service.submit(db, acting(db, world, "inspector"), inspection.id, key=key(), seen_version=1,
                       record=full_record(inspection, violation=True), now=utcnow())  # fmt: skip

    assert stale.value.code == "stale"
    assert inspection.conclusion is Conclusion.NO_PROBLEM


def test_a_foreign_submission_is_refused(db: Session, world: World) -> None:
    inspection = plan(db, world, officers=("branch_a", "inspector"))
    colleague = add_user(db, "inspector_2", Role.INSPECTOR, world.bureau)

    with pytest.raises(NotFoundError):  # another county's branch does not see it
        service.submit(db, acting(db, world, "branch_b"), inspection.id, key=key(), seen_version=1,
                       record=full_record(inspection), now=utcnow())  # fmt: skip
    world.users["inspector_2"] = colleague
    with pytest.raises(InspectionError) as foreign:  # a colleague of the bureau who is not one of its officers
        service.submit(db, acting(db, world, "analyst"), inspection.id, key=key(), seen_version=1,
                       record=full_record(inspection), now=utcnow())  # fmt: skip

    assert foreign.value.code == "not_officer"
    assert inspection.status is Status.PLANNED


def test_a_branch_officer_sent_to_another_county_sees_and_records_that_inspection(db: Session, world: World) -> None:
    # A draw crosses counties (交叉检查): county B's branch inspects an enterprise of county A with the bureau.
    inspection = plan(db, world, officers=("branch_b", "inspector"))
    for who in ("branch_b", "inspector"):
        service.submit(db, acting(db, world, who), inspection.id, key=key(), seen_version=inspection.version,
                       record=full_record(inspection), now=utcnow())  # fmt: skip

    assert inspection.status is Status.COMPLETED
    assert queries.get(db, world.principal(db, "branch_b"), inspection.id) is inspection
    assert [i.id for i in queries.mine(db, world.principal(db, "branch_b"), utcnow().date()).done] == [inspection.id]
    # Not the other inspections of county A.
    other = plan(db, world, officers=("branch_a", "inspector"))
    assert queries.get(db, world.principal(db, "branch_b"), other.id) is None


def test_an_incomplete_record_is_refused_with_every_reason(db: Session, world: World) -> None:
    inspection = plan(db, world, on_site=True)
    first = inspection.checklist_version.items[0]["key"]
    record = Record({first: Response(Answer.NONCOMPLIANT)}, "", Conclusion.NO_PROBLEM)

    with pytest.raises(InspectionError) as refused:
        service.submit(db, acting(db, world, "branch_a"), inspection.id, key=key(), seen_version=1,
                       record=record, now=utcnow())  # fmt: skip

    assert set(refused.value.codes) == {"answer_missing", "note_missing", "conclusion_contradicts", "photo_missing"}


def test_a_photo_is_kept_without_its_metadata_once_per_key(db: Session, world: World, tmp_path: Path) -> None:
    inspection = plan(db, world, on_site=True)
    same = key()
    taken = utcnow() - timedelta(minutes=3)

    def send(content: bytes, k: str = same) -> InspectionPhoto:
        return service.add_photo(
            db, acting(db, world, "inspector"), inspection.id, key=k, content=content, taken_at=taken,
            longitude=None, latitude=None, data_dir=tmp_path, now=utcnow(),
        )  # fmt: skip

    row = send(photo_bytes(exif=True))
    assert send(photo_bytes(exif=True)).id == row.id
    kept = photos.path_of(tmp_path, row.sha256).read_bytes()
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert "柯文远".encode() not in kept and row.taken_at == taken
    with pytest.raises(InspectionError) as refused:
        send(b"%PDF-1.4 not a photo", key())
    assert refused.value.code == "photo_type"
    assert len(queries.photos_of(db, inspection.id)) == 1

    # with the photo, the on-site record can be submitted
    done = service.submit(db, acting(db, world, "inspector"), inspection.id, key=key(), seen_version=1,
                          record=full_record(inspection), now=utcnow())  # fmt: skip
    assert done.stored


def complete(db: Session, world: World, *, violation: bool) -> int:
    inspection = plan(db, world)
    for who in ("branch_a", "inspector"):
        service.submit(db, acting(db, world, who), inspection.id, key=key(), seen_version=inspection.version,
                       record=full_record(inspection, violation=violation), now=utcnow())  # fmt: skip
    assert inspection.status is Status.COMPLETED
    return inspection.id


def test_a_finding_goes_into_the_closed_loop_as_a_case(db: Session, world: World) -> None:
    inspection_id = complete(db, world, violation=True)

    case_id = service.register_case(db, acting(db, world, "branch_a"), inspection_id, now=utcnow())

    case = db.get(Case, case_id)
    assert case is not None
    assert (case.source, case.enterprise_id, case.region_id) == (
        CaseSource.INSPECTION, world.enterprise_a.id, world.enterprise_a.region_id,
    )  # fmt: skip
    assert FINDING in case.description
    found = queries.findings(db, world.principal(db, "branch_a"), inspection_id)
    assert found is not None and found.case_id == case_id and [f.note for f in found.items] == [FINDING]
    with pytest.raises(InspectionError) as twice:
        service.register_case(db, acting(db, world, "branch_a"), inspection_id, now=utcnow())
    assert twice.value.code == "already_case"


def test_no_case_without_a_finding(db: Session, world: World) -> None:
    inspection_id = complete(db, world, violation=False)

    with pytest.raises(InspectionError) as refused:
        service.register_case(db, acting(db, world, "branch_a"), inspection_id, now=utcnow())

    assert refused.value.code == "no_finding"


def test_a_campaigns_targets_are_planned_and_counted(db: Session, world: World) -> None:
    analyst = acting(db, world, "analyst")
    today = utcnow().date()
    campaign = service.create_campaign(
        db, analyst, name="危险废物专项执法", starts_on=today, ends_on=today + timedelta(days=60)
    )
    assert service.add_targets(db, analyst, campaign, [world.enterprise_a.id, world.enterprise_b.id]) == 2

    made = service.plan_campaign(
        db, analyst, campaign, officer_ids=[world.users["inspector"].id, world.users["branch_a"].id],
        planned_on=today, now=utcnow(), on_site=False,
    )  # fmt: skip
    assert {i.kind for i in made} == {Kind.CAMPAIGN}
    again = service.plan_campaign(
        db, analyst, campaign, officer_ids=[world.users["inspector"].id, world.users["branch_a"].id],
        planned_on=today, now=utcnow(),
    )  # fmt: skip
    assert again == []
    for who in ("inspector", "branch_a"):
        service.submit(db, acting(db, world, who), made[0].id, key=key(), seen_version=made[0].version,
                       record=full_record(made[0]), now=utcnow())  # fmt: skip

    progress = queries.progress(db, campaign)
    assert (progress.targets, progress.inspected, progress.planned, progress.remaining) == (2, 1, 1, 1)


def test_a_branch_changes_only_campaigns_of_its_county_and_targets_it_sees(db: Session, world: World) -> None:
    analyst, branch_a = acting(db, world, "analyst"), acting(db, world, "branch_a")
    today = utcnow().date()
    city = service.create_campaign(db, analyst, name="全市专项", starts_on=today, ends_on=today)
    service.add_targets(db, analyst, city, [world.enterprise_a.id, world.enterprise_b.id])
    county = service.create_campaign(db, branch_a, name="区专项", starts_on=today, ends_on=today)
    db.add(CampaignTarget(campaign_id=county.id, enterprise_id=world.enterprise_b.id))  # e.g. a county moved
    db.flush()
    officers = [world.users["inspector"].id, world.users["branch_a"].id]

    refusals = []
    for attempt in (
        lambda: service.add_targets(db, branch_a, city, [world.enterprise_a2.id]),
        lambda: service.remove_target(db, branch_a, city, world.enterprise_a.id),
        lambda: service.plan_campaign(db, branch_a, city, officer_ids=officers, planned_on=today, now=utcnow()),
        lambda: service.remove_target(db, branch_a, county, world.enterprise_b.id),
    ):
        with pytest.raises(InspectionError) as refused:
            attempt()
        refusals.append(refused.value.code)

    assert refusals == ["campaign_not_yours"] * 3 + ["enterprise_invalid"]
    assert db.scalar(select(func.count()).select_from(CampaignTarget)) == 3
    assert [t.enterprise.id for t in queries.targets(db, world.principal(db, "branch_a"), city)] == [
        world.enterprise_a.id
    ]


def test_a_draws_assignments_become_inspections_in_one_step(db: Session, world: World) -> None:
    analyst = acting(db, world, "analyst")
    now = utcnow()
    draw = Draw(
        number="CJ2026-001", title="第四季度双随机抽查", organisation_id=world.bureau.id, region_id=world.city.id,
        period_start=now.date(), period_end=now.date() + timedelta(days=90), draw_on=now.date(),
        status=DrawStatus.DRAWN, algorithm="test", rules="{}", announcement_hash="0" * 64, seed_source="test",
        seed_date=now.date(), announced_by_id=world.users["analyst"].id, drawn_at=now,
    )  # fmt: skip
    on_site = DrawAssignment(enterprise_id=world.enterprise_a.id, on_site=True, position=1)
    on_site.officers = [
        DrawAssignmentOfficer(position=1, user_id=world.users["branch_a"].id),
        DrawAssignmentOfficer(position=2, user_id=world.users["inspector"].id),
    ]
    remote = DrawAssignment(enterprise_id=world.enterprise_b.id, on_site=False, position=2)
    draw.assignments = [on_site, remote]
    db.add(draw)
    db.flush()
    assert queries.draws_to_plan(db, analyst.principal) == [draw]

    made = service.plan_draw(
        db, analyst, draw.id, planned_on=now.date(), now=now,
        remote_officer_ids=[world.users["branch_b"].id, world.users["inspector"].id],
    )  # fmt: skip

    by_enterprise = {i.enterprise_id: i for i in made}
    drawn = by_enterprise[world.enterprise_a.id]
    assert (drawn.kind, drawn.on_site, drawn.assignment_id) == (Kind.RANDOM, True, on_site.id)
    assert [o.user_id for o in drawn.officers] == [world.users["branch_a"].id, world.users["inspector"].id]
    assert by_enterprise[world.enterprise_b.id].on_site is False
    assert queries.draws_to_plan(db, analyst.principal) == []
    with pytest.raises(InspectionError) as twice:
        service.plan_draw(db, analyst, draw.id, planned_on=now.date(), now=now)
    assert twice.value.code == "already_planned"
