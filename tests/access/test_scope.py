"""Row scoping: who sees which rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.scope import get_visible, scoped, visible
from ecoloop.audit.models import AuditRecord
from ecoloop.enterprises.models import Enterprise
from ecoloop.enterprises.queries import count_enterprises, list_enterprises
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.queries import list_organisations, list_users
from ecoloop.regions.models import Region
from ecoloop.regions.queries import list_regions
from tests.factories import World

# user → names of the enterprises they see
ENTERPRISES = {
    "admin": {"enterprise_a", "enterprise_a2", "enterprise_b"},
    "leader": {"enterprise_a", "enterprise_a2", "enterprise_b"},
    "analyst": {"enterprise_a", "enterprise_a2", "enterprise_b"},
    "inspector": {"enterprise_a", "enterprise_a2", "enterprise_b"},
    "hotline": {"enterprise_a", "enterprise_a2", "enterprise_b"},
    "branch_a": {"enterprise_a", "enterprise_a2"},
    "branch_b": {"enterprise_b"},
    "department": set(),
    "enterprise_a": {"enterprise_a"},
}


def _names(world: World, rows: list[Enterprise]) -> set[str]:
    by_id = {getattr(world, n).id: n for n in ("enterprise_a", "enterprise_a2", "enterprise_b")}
    return {by_id[e.id] for e in rows}


@pytest.mark.parametrize(("user", "expected"), sorted(ENTERPRISES.items()))
def test_enterprise_list_is_scoped(db: Session, world: World, user: str, expected: set[str]) -> None:
    principal = world.principal(db, user)
    assert _names(world, list_enterprises(db, principal)) == expected
    assert count_enterprises(db, principal) == len(expected)


@pytest.mark.parametrize("user", sorted(ENTERPRISES))
def test_enterprise_detail_outside_scope_is_not_found(db: Session, world: World, user: str) -> None:
    principal = world.principal(db, user)
    for name in ("enterprise_a", "enterprise_a2", "enterprise_b"):
        found = get_visible(db, principal, Enterprise, getattr(world, name).id)
        assert (found is not None) == (name in ENTERPRISES[user])


def test_branch_sees_its_county_subtree_only(db: Session, world: World) -> None:
    codes = {r.code for r in list_regions(db, world.principal(db, "branch_a"))}
    assert codes == {"371802", "371802001000", "371802001001"}
    assert get_visible(db, world.principal(db, "branch_a"), Region, world.county_b.id) is None


def test_bureau_sees_the_whole_city(db: Session, world: World) -> None:
    assert len(list_regions(db, world.principal(db, "analyst"))) == 7


def test_organisations_by_role(db: Session, world: World) -> None:
    codes = lambda user: {o.code for o in list_organisations(db, world.principal(db, user))}  # noqa: E731
    assert codes("admin") == {"bureau", "branch-371802", "branch-371821", "dept-housing"}
    assert codes("branch_a") == {"branch-371802"}
    assert codes("department") == {"dept-housing"}
    assert codes("enterprise_a") == set()


def test_only_admin_lists_users(db: Session, world: World) -> None:
    assert len(list_users(db, world.principal(db, "admin"))) == len(world.users)
    for name in ("leader", "branch_a", "enterprise_a"):
        assert [u.username for u in list_users(db, world.principal(db, name))] == [name]


def test_audit_visible_to_admin_and_leader_only(db: Session, world: World) -> None:
    for name, sees in (("admin", True), ("leader", True), ("analyst", False), ("branch_a", False)):
        rows = db.scalars(scoped(select(AuditRecord), world.principal(db, name), AuditRecord)).all()
        assert bool(rows) is sees


def test_prefix_of_another_code_is_not_a_subtree(db: Session, world: World) -> None:
    """371802 must not match a county 3718021… : paths end each code with a dot."""
    from ecoloop.regions.enums import RegionLevel
    from ecoloop.regions.service import add_region

    odd = add_region(db, code="371881", name="泉阳市", level=RegionLevel.COUNTY, parent=world.city)
    principal = world.principal(db, "branch_a")
    assert get_visible(db, principal, Region, odd.id) is None


def test_unregistered_model_is_refused(db: Session, world: World) -> None:
    class NotRegistered:
        pass

    with pytest.raises(LookupError):
        visible(world.principal(db, "admin"), NotRegistered)


def test_every_table_with_rows_for_users_has_a_scope_rule() -> None:
    """Guard: every table of the model registry, but the technical ones no page lists, has the scope rule its
    capability registers beside it (`<capability>/scope.py`, imported by `ecoloop.tables`)."""
    from ecoloop.access.scope import RULES
    from ecoloop.tables import Base

    technical = {"api_tokens", "login_throttle", "web_sessions", "job_runs"}
    mapped = {m.class_ for m in Base.registry.mappers if m.local_table.name not in technical}
    assert mapped - set(RULES) == set()
    assert {Region, Organisation, User, Enterprise, AuditRecord} <= set(RULES)


def test_air_targets_are_scoped_by_region(db: Session, world: World) -> None:
    from decimal import Decimal

    from ecoloop.results.models import AirTarget
    from ecoloop.results.targets import set_target

    admin = world.principal(db, "admin")
    a = set_target(db, admin, world.county_a, 2026, Decimal(80), Decimal(35))
    b = set_target(db, admin, world.county_b, 2026, Decimal(80), Decimal(35))
    assert get_visible(db, world.principal(db, "branch_a"), AirTarget, a.id) is not None
    assert get_visible(db, world.principal(db, "branch_a"), AirTarget, b.id) is None
    assert get_visible(db, world.principal(db, "analyst"), AirTarget, b.id) is not None
