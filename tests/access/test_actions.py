"""Which actions each role may take."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import False_

from ecoloop.access.actions import ALLOWED, Action, ForbiddenError, allowed, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import visible
from ecoloop.identity.enums import Role
from ecoloop.monitoring.models import Site

ROOT = Path(__file__).resolve().parents[2]


def principal(role: Role) -> Principal:
    return Principal(user_id=1, username="u", role=role, region_path="371800.")


def test_every_role_has_an_entry() -> None:
    assert set(ALLOWED) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_only_hotline_sees_complainant_identity(role: Role) -> None:
    assert allowed(principal(role), Action.VIEW_COMPLAINANT_IDENTITY) is (role is Role.HOTLINE)


@pytest.mark.parametrize("role", list(Role))
def test_only_admin_manages_users_organisations_regions(role: Role) -> None:
    for action in (Action.MANAGE_USERS, Action.MANAGE_ORGANISATIONS, Action.MANAGE_REGIONS):
        assert allowed(principal(role), action) is (role is Role.ADMIN)


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.ADMIN, True), (Role.LEADER, True), (Role.ANALYST, False), (Role.BRANCH, False), (Role.HOTLINE, False)],
)
def test_audit_log_readers(role: Role, expected: bool) -> None:
    assert allowed(principal(role), Action.VIEW_AUDIT) is expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, True),
        (Role.LEADER, True),
        (Role.ANALYST, True),
        (Role.INSPECTOR, True),
        (Role.BRANCH, True),
        (Role.DEPARTMENT, False),
        (Role.ENTERPRISE, True),
        (Role.HOTLINE, False),
    ],
)
def test_monitoring_viewers(role: Role, expected: bool) -> None:
    assert allowed(principal(role), Action.VIEW_MONITORING) is expected


@pytest.mark.parametrize("role", list(Role))
def test_monitoring_viewers_have_sites_in_scope(role: Role) -> None:
    # A role that may open the monitoring pages but has no sites in scope would see only empty lists.
    if allowed(principal(role), Action.VIEW_MONITORING):
        assert not isinstance(visible(principal(role), Site), False_)


def test_the_action_table_in_the_docs_matches() -> None:
    lines = (ROOT / "docs" / "access.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| action |"))
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    documented = {}
    for line in lines:
        if line.startswith("| `"):
            action, *marks = (cell.strip() for cell in line.strip("|").split("|"))
            if action.strip("`") in set(Action):
                allowed_roles = {role for role, mark in zip(roles, marks, strict=True) if mark == "✓"}
                documented[Action(action.strip("`"))] = allowed_roles
    assert documented == {action: {r for r in Role if action in ALLOWED[r]} for action in Action}


def test_require_raises_forbidden() -> None:
    with pytest.raises(ForbiddenError):
        require(principal(Role.DEPARTMENT), Action.VIEW_ENTERPRISES)
    require(principal(Role.ENTERPRISE), Action.VIEW_ENTERPRISES)
