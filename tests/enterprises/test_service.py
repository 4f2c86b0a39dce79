"""Enterprise files: records, permits feeding exceedance judgements, list history at its boundaries, grades,
corrections (decided once, even by two reviewers at once), and what each role sees. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from ecoloop.access.scope import scoped
from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.enterprises import queries
from ecoloop.enterprises.enums import (
    Averaging,
    CorrectionStatus,
    EnterpriseStatus,
    OutletKind,
    PerformanceGrade,
    PermitClass,
)
from ecoloop.enterprises.models import DataCorrection, ListMembership, Permit, SupervisionList
from ecoloop.enterprises.rules import covers, credit_code_check_char, overlaps
from ecoloop.enterprises.service import (
    EnterpriseError,
    add_limit,
    add_membership,
    add_outlet,
    add_permit,
    create_enterprise,
    end_membership,
    request_correction,
    review_correction,
    set_grade,
    update_enterprise,
)
from ecoloop.identity.models import User
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.standards.emission import judge
from tests.factories import World, build_world

D = date


def builtin(db: Session, code: str) -> SupervisionList:
    found = db.scalars(select(SupervisionList).where(SupervisionList.code == code)).one()
    assert found.builtin
    return found


def test_built_in_lists_come_with_the_installation(db: Session) -> None:
    codes = set(db.scalars(select(SupervisionList.code).where(SupervisionList.builtin.is_(True))))
    assert {
        "key_discharge_units",
        "soil_key_supervision",
        "heavy_metal_enterprises",
        "hazardous_waste_producers",
        "hazardous_waste_operators",
        "enforcement_positive_list",
        "green_factory_pool",
    } <= codes


def test_create_enterprise_checks_the_credit_code(db: Session, world: World) -> None:
    body = "91371802MA3C4XY1K"
    good = body + credit_code_check_char(body)
    wrong = body + ("0" if good[-1] != "0" else "1")
    with pytest.raises(EnterpriseError) as refused:
        create_enterprise(db, credit_code=wrong, name="清源测试有限公司", region=world.county_a)
    assert refused.value.code == "credit_code_check_character"
    with pytest.raises(EnterpriseError) as short:
        create_enterprise(db, credit_code=good[:-1], name="清源测试有限公司", region=world.county_a)
    assert short.value.code == "credit_code_length"
    created = create_enterprise(
        db, credit_code=good.lower(), name=" 清源测试有限公司 ", region=world.county_a, industry_code="C3011"
    )
    assert (created.credit_code, created.name) == (good, "清源测试有限公司")
    with pytest.raises(EnterpriseError) as taken:
        create_enterprise(db, credit_code=good, name="重复", region=world.county_a)
    assert taken.value.code == "credit_code_taken"
    other = "91371802MA3C4XY2L"
    with pytest.raises(EnterpriseError) as industry:
        create_enterprise(
            db, credit_code=other + credit_code_check_char(other), name="x", region=world.county_a, industry_code="3011"
        )
    assert industry.value.code == "industry_code"


def record_of(world: World, **change: Any) -> dict[str, Any]:
    """The keyword arguments of `update_enterprise` for enterprise A's record, with `change` applied."""
    record: dict[str, Any] = {
        "name": "清源华能热电有限公司",
        "region": world.village_a,
        "industry_code": "D4411",
        "address": None,
        "status": EnterpriseStatus.OPERATING,
        "longitude": None,
        "latitude": None,
        "contact_name": None,
        "contact_phone": None,
    }
    return record | change


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": " "}, "name_missing"),
        ({"industry_code": "4411"}, "industry_code"),
        ({"industry_code": "Z99"}, "industry_code"),
        ({"longitude": Decimal(117)}, "coordinates_incomplete"),
        ({"longitude": Decimal(181), "latitude": Decimal(36)}, "coordinates_out_of_range"),
    ],
)
def test_update_enterprise_checks_the_record_as_create_does(
    db: Session, world: World, change: dict[str, Any], code: str
) -> None:
    enterprise = world.enterprise_a
    before = (enterprise.name, enterprise.industry_code, enterprise.longitude)
    with pytest.raises(EnterpriseError) as refused:
        update_enterprise(db, enterprise, **record_of(world, **change))
    assert refused.value.code == code
    assert (enterprise.name, enterprise.industry_code, enterprise.longitude) == before


def test_update_enterprise_changes_the_record_but_not_the_credit_code(db: Session, world: World) -> None:
    enterprise = world.enterprise_a
    credit_code = enterprise.credit_code
    change = {"name": " 清源华能热电 ", "region": world.town_a, "status": EnterpriseStatus.STOPPED}
    change |= {"longitude": Decimal("117.0215"), "latitude": Decimal("36.6512"), "contact_phone": "0531-87654321"}
    update_enterprise(db, enterprise, **record_of(world, **change))
    db.expire(enterprise)
    assert (enterprise.name, enterprise.region_id, enterprise.status) == (
        "清源华能热电",
        world.town_a.id,
        EnterpriseStatus.STOPPED,
    )
    assert (enterprise.longitude, enterprise.latitude) == (Decimal("117.0215"), Decimal("36.6512"))
    assert (enterprise.credit_code, enterprise.contact_phone) == (credit_code, "0531-87654321")


def test_an_unchanged_industry_code_from_before_the_check_is_kept(db: Session, world: World) -> None:
    enterprise = world.enterprise_a
    enterprise.industry_code = "4411"  # recorded without its section letter, before codes were checked
    db.flush()
    update_enterprise(db, enterprise, **record_of(world, industry_code="4411", address="湖滨街道1号"))
    assert (enterprise.industry_code, enterprise.address) == ("4411", "湖滨街道1号")
    with pytest.raises(EnterpriseError) as changed:
        update_enterprise(db, enterprise, **record_of(world, industry_code="4412"))
    assert changed.value.code == "industry_code"
    update_enterprise(db, enterprise, **record_of(world, industry_code="D4412"))
    assert enterprise.industry_code == "D4412"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2024, 12, 31), set()),  # the day before the first period
        (D(2025, 1, 1), {"a"}),  # first day, inclusive
        (D(2025, 12, 31), {"a"}),  # last day, inclusive
        (D(2026, 1, 1), {"a2"}),  # a left, a2 (open-ended) joined
        (D(2030, 6, 1), {"a2"}),
    ],
)
def test_who_was_on_a_list_on_a_date(db: Session, world: World, day: date, expected: set[str]) -> None:
    key = builtin(db, "key_discharge_units")
    add_membership(db, supervision_list=key, enterprise=world.enterprise_a, start=D(2025, 1, 1), end=D(2025, 12, 31))
    add_membership(db, supervision_list=key, enterprise=world.enterprise_a2, start=D(2026, 1, 1), reason="2026 名录")
    add_membership(db, supervision_list=key, enterprise=world.enterprise_b, start=D(2025, 6, 1))
    admin = world.principal(db, "admin")
    names = {"a": world.enterprise_a.name, "a2": world.enterprise_a2.name}
    members = {e.name for e in queries.members_on(db, admin, "key_discharge_units", day)}
    assert members - {world.enterprise_b.name} == {names[k] for k in expected}
    # A branch sees only its county's members; the other list has nobody.
    branch_a = world.principal(db, "branch_a")
    assert world.enterprise_b.name not in {e.name for e in queries.members_on(db, branch_a, "key_discharge_units", day)}
    assert queries.members_on(db, admin, "green_factory_pool", day) == []


def test_membership_periods_may_not_overlap_and_end_after_start(db: Session, world: World) -> None:
    positive = builtin(db, "enforcement_positive_list")
    first = add_membership(db, supervision_list=positive, enterprise=world.enterprise_a, start=D(2025, 1, 1))
    with pytest.raises(EnterpriseError) as overlap:
        add_membership(db, supervision_list=positive, enterprise=world.enterprise_a, start=D(2025, 7, 1))
    assert overlap.value.code == "membership_overlaps"
    end_membership(db, first, D(2025, 6, 30), reason="违法行为被查处, 移出正面清单")
    assert first.end == D(2025, 6, 30) and "移出" in first.reason
    second = add_membership(db, supervision_list=positive, enterprise=world.enterprise_a, start=D(2026, 1, 1))
    assert second.end is None
    with pytest.raises(EnterpriseError) as backwards:
        add_membership(
            db, supervision_list=positive, enterprise=world.enterprise_a2, start=D(2025, 2, 1), end=D(2025, 1, 31)
        )
    assert backwards.value.code == "end_before_start"
    with pytest.raises(EnterpriseError):
        end_membership(db, second, D(2025, 12, 31))  # before its start


def test_period_rules() -> None:
    assert covers(D(2025, 1, 1), None, D(2099, 1, 1)) and not covers(D(2025, 1, 1), None, D(2024, 12, 31))
    assert overlaps(D(2025, 1, 1), D(2025, 1, 31), D(2025, 1, 31), None)  # one shared day
    assert not overlaps(D(2025, 1, 1), D(2025, 1, 31), D(2025, 2, 1), None)


def test_grades_over_time(db: Session, world: World) -> None:
    set_grade(
        db, enterprise=world.enterprise_a, grade=PerformanceGrade.B, start=D(2023, 10, 1), document="清环发〔2023〕12号"
    )
    set_grade(db, enterprise=world.enterprise_a, grade=PerformanceGrade.A, start=D(2025, 3, 1))
    history = queries.grades_of(db, world.principal(db, "analyst"), world.enterprise_a.id)
    assert [(g.grade, g.start, g.end) for g in history] == [
        (PerformanceGrade.A, D(2025, 3, 1), None),
        (PerformanceGrade.B, D(2023, 10, 1), D(2025, 2, 28)),
    ]
    on = queries.grade_on
    assert on(db, world.enterprise_a.id, D(2025, 2, 28)).grade is PerformanceGrade.B  # type: ignore[union-attr]
    assert on(db, world.enterprise_a.id, D(2025, 3, 1)).grade is PerformanceGrade.A  # type: ignore[union-attr]
    assert on(db, world.enterprise_a.id, D(2023, 9, 30)) is None
    with pytest.raises(EnterpriseError) as earlier:
        set_grade(db, enterprise=world.enterprise_a, grade=PerformanceGrade.C, start=D(2024, 1, 1))
    assert earlier.value.code == "grade_not_after_latest"


def test_permit_limits_feed_the_exceedance_judgement(db: Session, world: World) -> None:
    site = add_site(
        db, code="E1-DA001", name="1号锅炉排口", kind=SiteKind.AIR_SOURCE, region=world.village_a,
        enterprise_id=world.enterprise_a.id,
    )  # fmt: skip
    permit = add_permit(
        db,
        enterprise=world.enterprise_a,
        number="91371802000000001X001P",
        permit_class=PermitClass.KEY,
        valid_from=D(2023, 1, 1),
        valid_to=D(2027, 12, 31),
    )
    outlet = add_outlet(db, permit=permit, code="da001", name="1号锅炉排口", kind=OutletKind.GAS, site=site)
    assert outlet.code == "DA001"
    add_limit(
        db, outlet=outlet, pollutant="a21026", limit_value=Decimal("35"), unit="mg/m3",
        source="GB 13223-2011 表1 (超低排放改造后许可值)", reference_o2=Decimal("6"),
    )  # fmt: skip
    add_limit(
        db, outlet=outlet, pollutant="a34013", limit_value=Decimal("10"), unit="mg/m3", source="排污许可证",
        averaging=Averaging.DAY, reference_o2=Decimal("6"),
    )  # fmt: skip
    with pytest.raises(EnterpriseError) as no_source:
        add_limit(db, outlet=outlet, pollutant="a21002", limit_value=Decimal("50"), unit="mg/m3", source=" ")
    assert no_source.value.code == "limit_source_missing"
    with pytest.raises(EnterpriseError) as negative:
        add_limit(db, outlet=outlet, pollutant="a21002", limit_value=Decimal("-1"), unit="mg/m3", source="x")
    assert negative.value.code == "limit_invalid"

    specs = {s.pollutant: s for s in queries.limit_specs_for_site(db, site.id, D(2026, 11, 22))}
    assert set(specs) == {"a21026", "a34013"}
    so2 = specs["a21026"]
    # 30 mg/m3 measured at 9 % O2 is 30 x (21 - 6) / (21 - 9) = 37.5 at the reference 6 %: above 35.
    exceeded = judge(Decimal("30"), so2, o2=Decimal("9"))
    assert exceeded.exceeded and exceeded.value_used == Decimal("37.5")
    assert not judge(Decimal("30"), so2, o2=Decimal("6")).exceeded
    # Outside the permit's validity no limit applies.
    assert queries.limit_specs_for_site(db, site.id, D(2028, 1, 1)) == []


def test_enterprise_users_see_only_their_own_file(db: Session, world: World) -> None:
    key = builtin(db, "key_discharge_units")
    for enterprise in (world.enterprise_a, world.enterprise_b):
        add_membership(db, supervision_list=key, enterprise=enterprise, start=D(2025, 1, 1))
        add_permit(
            db, enterprise=enterprise, number=f"P-{enterprise.id}", permit_class=PermitClass.SIMPLIFIED,
            valid_from=D(2025, 1, 1), valid_to=D(2029, 12, 31),
        )  # fmt: skip
    own = world.principal(db, "enterprise_a")
    assert [e.id for e in queries.members_on(db, own, "key_discharge_units", D(2025, 6, 1))] == [world.enterprise_a.id]
    assert queries.permits_of(db, own, world.enterprise_b.id) == []
    assert len(queries.permits_of(db, own, world.enterprise_a.id)) == 1
    assert {m.enterprise_id for m in db.scalars(scoped(select(ListMembership), own, ListMembership))} == {
        world.enterprise_a.id
    }
    department = world.principal(db, "department")
    assert list(db.scalars(scoped(select(Permit), department, Permit))) == []


def test_corrections_are_requested_by_the_enterprise_and_reviewed_by_the_bureau(db: Session, world: World) -> None:
    own_site = add_site(
        db, code="E1-DW001", name="废水总排口", kind=SiteKind.WATER_SOURCE, region=world.village_a,
        enterprise_id=world.enterprise_a.id,
    )  # fmt: skip
    other_site = add_site(
        db, code="E3-DW001", name="废水总排口", kind=SiteKind.WATER_SOURCE, region=world.village_b,
        enterprise_id=world.enterprise_b.id,
    )  # fmt: skip
    user = world.users["enterprise_a"]
    when = datetime(2026, 11, 21, 8, tzinfo=UTC)
    ask = {
        "parameter": "w01018",
        "interval": "hour",
        "time": when,
        "current_value": Decimal("512"),
        "proposed_value": Decimal("51.2"),
        "proposed_flag": None,
    }
    with pytest.raises(EnterpriseError) as foreign:
        request_correction(db, user=user, site=other_site, reason="小数点错位", **ask)  # type: ignore[arg-type]
    assert foreign.value.code == "site_of_another_enterprise"
    with pytest.raises(EnterpriseError) as no_reason:
        request_correction(db, user=user, site=own_site, reason=" ", **ask)  # type: ignore[arg-type]
    assert no_reason.value.code == "reason_missing"
    correction = request_correction(db, user=user, site=own_site, reason="仪表量程设置错误, 小数点错位", **ask)  # type: ignore[arg-type]
    assert correction.status is CorrectionStatus.PENDING
    with pytest.raises(EnterpriseError) as self_review:
        review_correction(db, correction, reviewer=user, approve=True, note="", now=when)
    assert self_review.value.code == "reviewer_is_enterprise"
    with pytest.raises(EnterpriseError) as bare_rejection:
        review_correction(db, correction, reviewer=world.users["analyst"], approve=False, note="", now=when)
    assert bare_rejection.value.code == "note_missing"
    review_correction(db, correction, reviewer=world.users["analyst"], approve=True, note="核实属实", now=when)
    assert correction.status is CorrectionStatus.APPROVED and correction.reviewed_by_id == world.users["analyst"].id
    with pytest.raises(EnterpriseError) as twice:
        review_correction(db, correction, reviewer=world.users["analyst"], approve=False, note="x", now=when)
    assert twice.value.code == "already_reviewed"


# --- two reviewers at once ------------------------------------------------------------------------------------------


@pytest.fixture
def own_engine(engine: Engine, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated database of this test's own on the backend of `engine`, for work that commits in several
    sessions (the `db` fixture rolls back one connection's work)."""
    if engine.dialect.name == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "own.sqlite")
        own = make_engine(f"sqlite:///{tmp_path / 'own.sqlite'}")
        yield own
        own.dispose()
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        url = engine.url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        own = make_engine(url)
        yield own
        own.dispose()
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")


def pending_correction(engine: Engine) -> tuple[int, User, User]:
    """A committed pending correction of enterprise A, and two reviewers of the bureau."""
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        site = add_site(
            session, code="E1-DW001", name="废水总排口", kind=SiteKind.WATER_SOURCE, region=world.village_a,
            enterprise_id=world.enterprise_a.id,
        )  # fmt: skip
        correction = request_correction(
            session, user=world.users["enterprise_a"], site=site, parameter="w01018", interval="hour",
            time=datetime(2026, 11, 21, 8, tzinfo=UTC), current_value=Decimal(512), proposed_value=Decimal("51.2"),
            proposed_flag=None, reason="小数点错位",
        )  # fmt: skip
        session.commit()
        return correction.id, world.users["analyst"], world.users["admin"]


def reviewing(engine: Engine, reviewer: User) -> Session:
    """A session acting as `reviewer` (as a review request's session does)."""
    session = Session(engine, expire_on_commit=False)
    set_actor(session, Actor(label=reviewer.username, user_id=reviewer.id))
    return session


def decision(engine: Engine, correction_id: int) -> tuple[CorrectionStatus, int | None, int]:
    """The stored decision on a correction, and how many audit records say it was decided."""
    with Session(engine) as session:
        stored = session.get_one(DataCorrection, correction_id)
        audited = session.scalars(
            select(AuditRecord).where(
                AuditRecord.entity_type == "data_corrections",
                AuditRecord.entity_id == str(correction_id),
                AuditRecord.action == "update",
            )
        ).all()
        return stored.status, stored.reviewed_by_id, len(audited)


def test_two_reviewers_cannot_both_decide_one_request(own_engine: Engine) -> None:
    correction_id, analyst, admin = pending_correction(own_engine)
    when = datetime(2026, 11, 21, 9, tzinfo=UTC)
    with reviewing(own_engine, analyst) as first, reviewing(own_engine, admin) as second:
        # Both reviewers have the request on their page, pending.
        mine, theirs = first.get_one(DataCorrection, correction_id), second.get_one(DataCorrection, correction_id)
        first.commit()  # the page is shown: its transaction ends
        second.commit()
        assert mine.status is theirs.status is CorrectionStatus.PENDING

        review_correction(first, mine, reviewer=analyst, approve=True, note="核实属实", now=when)
        first.commit()
        with pytest.raises(EnterpriseError) as late:
            review_correction(second, theirs, reviewer=admin, approve=True, note="", now=when)
        assert late.value.code == "already_reviewed"
        second.rollback()

    assert decision(own_engine, correction_id) == (CorrectionStatus.APPROVED, analyst.id, 1)


@pytest.mark.postgres_only
def test_a_reviewer_deciding_while_another_does_waits_and_loses(own_engine: Engine) -> None:
    if own_engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: the second waits for the database, not for the row")
    correction_id, analyst, admin = pending_correction(own_engine)
    when = datetime(2026, 11, 21, 9, tzinfo=UTC)
    outcome: list[BaseException | None] = []
    with reviewing(own_engine, analyst) as first, reviewing(own_engine, admin) as second:
        mine, theirs = first.get_one(DataCorrection, correction_id), second.get_one(DataCorrection, correction_id)
        review_correction(first, mine, reviewer=analyst, approve=True, note="核实属实", now=when)  # not committed

        def second_reviewer() -> None:
            try:
                review_correction(second, theirs, reviewer=admin, approve=False, note="数据无误", now=when)
                second.commit()
                outcome.append(None)
            except BaseException as exc:
                second.rollback()
                outcome.append(exc)

        thread = threading.Thread(target=second_reviewer)
        thread.start()
        waiting_for_lock(own_engine)
        first.commit()
        thread.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], EnterpriseError)
    assert outcome[0].code == "already_reviewed"
    assert decision(own_engine, correction_id) == (CorrectionStatus.APPROVED, analyst.id, 1)


def waiting_for_lock(engine: Engine) -> None:
    """Return once a session of `engine`'s database waits for a row lock (fail after 10 s)."""
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn:
        while not conn.execute(query).scalar():
            assert time.monotonic() < deadline, "the second reviewer never waited for the first"
            time.sleep(0.02)
            conn.rollback()
