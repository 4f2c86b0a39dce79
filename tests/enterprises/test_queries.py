"""Read-side queries of the enterprise file: the filtered enterprise list, list member counts, correction requests
pending first, an enterprise's sites; each scoped to the principal. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.enterprises.enums import CorrectionStatus, EnterpriseStatus, PerformanceGrade
from ecoloop.enterprises.models import DataCorrection, SupervisionList
from ecoloop.enterprises.queries import (
    EnterpriseFilter,
    correction_rows,
    count_matching,
    list_by_code,
    member_counts,
    search_enterprises,
    sites_of,
)
from ecoloop.enterprises.service import add_membership, request_correction, review_correction, set_grade
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from tests.factories import World

DAY = date(2025, 6, 1)
KEY_LIST = "key_discharge_units"
A, A2, B = "清源华能热电有限公司", "清源市东湖水泥有限公司", "临河县鑫源化工有限公司"


@pytest.fixture
def filed(db: Session, world: World) -> World:
    """Enterprise A (4411, an older code without its letter) on the key list from 2025; A2 (C3011) stopped and
    graded B from 2025; B (D4420) graded A until the end of 2024."""
    world.enterprise_a.industry_code = "4411"
    world.enterprise_a2.industry_code = "C3011"
    world.enterprise_a2.status = EnterpriseStatus.STOPPED
    world.enterprise_b.industry_code = "D4420"
    key = list_by_code(db, KEY_LIST)
    assert key is not None
    add_membership(db, supervision_list=key, enterprise=world.enterprise_a, start=date(2025, 1, 1))
    set_grade(db, enterprise=world.enterprise_a2, grade=PerformanceGrade.B, start=date(2025, 1, 1))
    set_grade(db, enterprise=world.enterprise_b, grade=PerformanceGrade.A, start=date(2024, 1, 1))
    set_grade(db, enterprise=world.enterprise_b, grade=PerformanceGrade.C, start=date(2025, 1, 1))
    return world


def found(db: Session, world: World, user: str = "analyst", **narrowed: object) -> set[str]:
    """The names of the enterprises `user` finds with the filter, checked against the count."""
    principal = world.principal(db, user)
    f = EnterpriseFilter(**{"day": DAY, **narrowed})  # type: ignore[arg-type]
    names = {e.name for e in search_enterprises(db, principal, f, limit=100, offset=0)}
    assert count_matching(db, principal, f) == len(names)
    return names


@pytest.mark.parametrize(
    ("narrowed", "expected"),
    [
        ({}, {A, A2, B}),
        ({"text": "华能"}, {A}),
        ({"text": "%"}, set()),
        ({"section": "D"}, {A, B}),
        ({"section": "C"}, {A2}),
        ({"status": EnterpriseStatus.STOPPED}, {A2}),
        ({"list_code": KEY_LIST}, {A}),
        ({"list_code": KEY_LIST, "day": date(2024, 12, 31)}, set()),
        ({"grade": PerformanceGrade.B}, {A2}),
        ({"grade": PerformanceGrade.A}, set()),
        ({"grade": PerformanceGrade.A, "day": date(2024, 12, 31)}, {B}),
        ({"section": "D", "grade": PerformanceGrade.C}, {B}),
    ],
)
def test_the_enterprise_filter(db: Session, filed: World, narrowed: dict[str, object], expected: set[str]) -> None:
    assert found(db, filed, **narrowed) == expected


def test_the_filter_stays_in_the_users_area(db: Session, filed: World) -> None:
    assert found(db, filed, county=filed.county_a) == {A, A2}
    assert found(db, filed, "branch_b") == {B}
    assert found(db, filed, "branch_b", county=filed.county_a) == set()
    assert found(db, filed, "enterprise_a", section="D") == {A}


def test_search_pages_by_name(db: Session, filed: World) -> None:
    principal = filed.principal(db, "analyst")
    f = EnterpriseFilter(day=DAY)
    pages = [search_enterprises(db, principal, f, limit=2, offset=offset) for offset in (0, 2)]
    assert [e.name for page in pages for e in page] == sorted([A, A2, B])


def test_member_counts_of_the_users_area_on_a_day(db: Session, filed: World) -> None:
    key = list_by_code(db, KEY_LIST)
    assert key is not None
    add_membership(db, supervision_list=key, enterprise=filed.enterprise_b, start=date(2025, 1, 1))
    assert member_counts(db, filed.principal(db, "analyst"), DAY) == {key.id: 2}
    assert member_counts(db, filed.principal(db, "branch_b"), DAY) == {key.id: 1}
    assert member_counts(db, filed.principal(db, "analyst"), date(2024, 12, 31)) == {}


def test_list_by_code(db: Session) -> None:
    key = list_by_code(db, KEY_LIST)
    assert key is not None and key.builtin
    assert key == db.scalars(select(SupervisionList).where(SupervisionList.code == KEY_LIST)).one()
    assert list_by_code(db, "no_such_list") is None


def site(db: Session, world: World, code: str, enterprise_id: int) -> Site:
    region = world.village_b if enterprise_id == world.enterprise_b.id else world.village_a
    return add_site(db, code=code, name=code, kind=SiteKind.WATER_SOURCE, region=region, enterprise_id=enterprise_id)


def test_sites_of_an_enterprise_by_code(db: Session, world: World) -> None:
    for code in ("E1-DW002", "E1-DW001"):
        site(db, world, code, world.enterprise_a.id)
    site(db, world, "E3-DW001", world.enterprise_b.id)
    a = world.enterprise_a.id
    assert [s.code for s in sites_of(db, world.principal(db, "analyst"), a)] == ["E1-DW001", "E1-DW002"]
    assert [s.code for s in sites_of(db, world.principal(db, "enterprise_a"), a)] == ["E1-DW001", "E1-DW002"]
    assert sites_of(db, world.principal(db, "branch_b"), a) == []


def test_correction_rows_pending_first_then_newest(db: Session, world: World) -> None:
    own = site(db, world, "E1-DW001", world.enterprise_a.id)
    start = datetime(2026, 11, 21, tzinfo=UTC)

    def ask(hour: int) -> DataCorrection:
        correction = request_correction(
            db, user=world.users["enterprise_a"], site=own, parameter="w01018", interval="hour",
            time=start + timedelta(hours=hour), current_value=Decimal(512), proposed_value=Decimal("51.2"),
            proposed_flag=None, reason="小数点错位",
        )  # fmt: skip
        correction.created_at = start + timedelta(days=hour)
        return correction

    oldest, decided, newest = ask(0), ask(1), ask(2)
    review_correction(db, decided, reviewer=world.users["analyst"], approve=True, note="核实", now=start)
    db.flush()

    rows = correction_rows(db, world.principal(db, "analyst"))
    assert [r.correction.id for r in rows] == [newest.id, oldest.id, decided.id]
    assert [r.correction.status for r in rows][-1] is CorrectionStatus.APPROVED
    assert {(r.enterprise_name, r.site_name, r.site_code) for r in rows} == {(A, "E1-DW001", "E1-DW001")}
    assert len(correction_rows(db, world.principal(db, "analyst"), limit=2)) == 2
    assert correction_rows(db, world.principal(db, "analyst"), enterprise_id=world.enterprise_b.id) == []
    assert len(correction_rows(db, world.principal(db, "enterprise_a"))) == 3
    assert correction_rows(db, world.principal(db, "branch_b")) == []
