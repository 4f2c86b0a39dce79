"""Which actions each role may take."""

from __future__ import annotations

import pytest

from ecoloop.access.actions import ALLOWED, Action, ForbiddenError, allowed, require
from ecoloop.access.principal import Principal
from ecoloop.identity.enums import Role


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


def test_require_raises_forbidden() -> None:
    with pytest.raises(ForbiddenError):
        require(principal(Role.DEPARTMENT), Action.VIEW_ENTERPRISES)
    require(principal(Role.ENTERPRISE), Action.VIEW_ENTERPRISES)
