"""Organisations: the regions they cover, their duties, their parent, retirement and history (issue 15), on SQLite
and PostgreSQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from ecoloop.audit.labels import entry
from ecoloop.db.base import utcnow
from ecoloop.identity.enums import Category, DepartmentType, OrgKind, Role
from ecoloop.identity.queries import organisation_history, user_history
from ecoloop.identity.service import (
    IdentityError,
    create_organisation,
    create_user,
    reactivate_organisation,
    reactivate_user,
    retire_organisation,
    retire_user,
    set_coverage,
    set_duties,
    update_organisation,
    update_user,
)
from ecoloop.regions.models import Region
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")


def test_coverage_is_replaced_row_by_row_with_history(db: Session, world: World) -> None:
    org = world.department
    set_coverage(db, org, [world.county_a.id, world.town_b.id])
    assert sorted(r.region_id for r in org.covered) == sorted([world.county_a.id, world.town_b.id])
    set_coverage(db, org, [world.town_b.id, world.village_a.id, org.region_id])  # its own region is no extra
    assert sorted(r.region_id for r in org.covered) == sorted([world.town_b.id, world.village_a.id])

    history = organisation_history(db, world.principal(db, "admin"), org.id)
    kinds = [(r.entity_type, r.action) for r in history if r.entity_type == "organisation_regions"]
    assert sorted(kinds) == [("organisation_regions", "create")] * 3 + [("organisation_regions", "delete")]
    shown = entry(history[0], TZ)
    assert shown.table == "负责区域"
    others = organisation_history(db, world.principal(db, "admin"), world.branch_a.id)
    assert [r.entity_type for r in others] == ["organisations"], "another organisation's history: its creation"


def test_unknown_or_retired_regions_are_refused_and_nothing_changes(db: Session, world: World) -> None:
    org = world.department
    set_coverage(db, org, [world.county_a.id])
    for ids in ([world.county_a.id, 999_999],):
        with pytest.raises(IdentityError) as err:
            set_coverage(db, org, ids)
        assert err.value.code == "unknown_region"
    retired = db.get(Region, world.town_b.id)
    assert retired is not None
    retired.active = False
    db.flush()
    with pytest.raises(IdentityError):
        set_coverage(db, org, [world.town_b.id])
    assert [r.region_id for r in org.covered] == [world.county_a.id]


def test_duties_are_replaced_with_history(db: Session, world: World) -> None:
    org = world.branch_a
    set_duties(db, org, [Category.AIR, Category.WATER])
    set_duties(db, org, [Category.WATER, Category.NOISE, Category.NOISE])
    assert sorted(d.category for d in org.duties) == [Category.NOISE, Category.WATER]
    history = organisation_history(db, world.principal(db, "admin"), org.id)
    duties = [entry(r, TZ) for r in history if r.entity_type == "organisation_duties"]
    assert len(duties) == 4  # air and water added, air removed, noise added
    texts = {c.after or c.before for e in duties for c in e.changes if c.field == "问题类别"}
    assert texts == {"大气", "水", "噪声"}, "by their labels, not their values"


def test_history_is_for_administrators_and_leaders_only(db: Session, world: World) -> None:
    set_duties(db, world.branch_a, [Category.AIR])
    assert organisation_history(db, world.principal(db, "leader"), world.branch_a.id)
    assert organisation_history(db, world.principal(db, "branch_a"), world.branch_a.id) == []
    assert user_history(db, world.principal(db, "analyst"), world.users["analyst"].id) == []


def test_update_renames_and_moves_under_a_parent_but_never_under_itself(db: Session, world: World) -> None:
    update_organisation(db, world.branch_a, name=" 清源区分局（新） ", parent_id=world.bureau.id)
    assert (world.branch_a.name, world.branch_a.parent_id) == ("清源区分局（新）", world.bureau.id)
    team = create_organisation(
        db,
        code="team-a",
        name="执法一队",
        kind=OrgKind.BRANCH,
        region_id=world.county_a.id,
        parent_id=world.branch_a.id,
    )
    for parent in (world.branch_a.id, team.id, 999_999):
        with pytest.raises(IdentityError) as err:
            update_organisation(db, world.branch_a, name="x", parent_id=parent)
        assert err.value.code == "bad_parent"
    history = organisation_history(db, world.principal(db, "admin"), world.branch_a.id)
    assert [r.action for r in history] == ["update", "create"]


def test_retire_is_refused_while_active_users_or_organisations_depend_on_it(db: Session, world: World) -> None:
    with pytest.raises(IdentityError) as err:
        retire_organisation(db, world.bureau)
    assert err.value.code == "bureau_cannot_retire"
    with pytest.raises(IdentityError) as err:
        retire_organisation(db, world.branch_a)
    assert err.value.code == "org_has_active_users"
    team = create_organisation(
        db,
        code="team-b",
        name="执法二队",
        kind=OrgKind.BRANCH,
        region_id=world.county_b.id,
        parent_id=world.branch_b.id,
    )
    retire_user(db, world.users["branch_b"])
    with pytest.raises(IdentityError) as err:
        retire_organisation(db, world.branch_b)
    assert err.value.code == "org_has_active_children"

    retire_organisation(db, team)
    retire_organisation(db, world.branch_b)
    assert not world.branch_b.active
    with pytest.raises(IdentityError) as err:
        create_user(db, username="late", display_name="x", role=Role.BRANCH, organisation_id=world.branch_b.id)
    assert err.value.code == "organisation_retired"
    with pytest.raises(IdentityError) as err:
        reactivate_user(db, world.users["branch_b"])
    assert err.value.code == "organisation_retired"
    with pytest.raises(IdentityError) as err:
        create_organisation(
            db, code="dept-x", name="x", kind=OrgKind.DEPARTMENT, region_id=world.city.id,
            department_type=DepartmentType.OTHER, parent_id=world.branch_b.id,
        )  # fmt: skip
    assert err.value.code == "bad_parent"
    # A retired user stays in the retired organisation and can still be renamed.
    update_user(
        db, world.users["branch_b"], display_name="老分局用户", role=Role.BRANCH, organisation_id=world.branch_b.id,
        enterprise_id=None, active=False, now=utcnow(),
    )  # fmt: skip
    reactivate_organisation(db, world.branch_b)
    reactivate_user(db, world.users["branch_b"])
    assert world.users["branch_b"].active


def test_an_administrator_cannot_retire_themselves_and_a_retirement_is_in_the_users_history(
    db: Session, world: World
) -> None:
    admin = world.users["admin"]
    with pytest.raises(IdentityError) as err:
        retire_user(db, admin, by=admin)
    assert err.value.code == "cannot_retire_self"
    retire_user(db, world.users["analyst"], by=admin)
    history = user_history(db, world.principal(db, "admin"), world.users["analyst"].id)
    changes = [(c.field, c.before, c.after) for r in history for c in entry(r, TZ).changes]
    assert ("启用", "是", "否") in changes
