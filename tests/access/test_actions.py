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
def test_only_admin_manages_users_and_organisations_and_a_branch_its_county_s_regions(role: Role) -> None:
    for action in (Action.MANAGE_USERS, Action.MANAGE_ORGANISATIONS):
        assert allowed(principal(role), action) is (role is Role.ADMIN)
    # Row scoping keeps a branch to the towns and villages of its county (issue 15).
    assert allowed(principal(role), Action.MANAGE_REGIONS) is (role in (Role.ADMIN, Role.BRANCH))


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


def action_table(roles: list[Role]) -> list[str]:
    """The role x action table of docs/access.md as the code has it (ALLOWED), one line per action in the order
    of `Action`, columns in the order of `roles`."""
    return [
        "| `" + action.value + "` |" + "".join(" ✓ |" if action in ALLOWED[role] else " |" for role in roles)
        for action in Action
    ]


def test_the_action_table_in_the_docs_is_the_codes() -> None:
    """docs/access.md's table, row for row and mark for mark, is the one generated from ALLOWED: an action or a
    grant added, removed or changed on one side only fails here (the message shows the lines to paste)."""
    lines = (ROOT / "docs" / "access.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| action |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")[1:]]
    roles = [Role(cell) for cell in header]
    assert sorted(roles) == sorted(Role), "the table has a column per role"
    end = next((i for i in range(start + 2, len(lines)) if not lines[i].startswith("|")), len(lines))
    documented = [" ".join(line.split()) for line in lines[start + 2 : end]]
    assert documented == action_table(roles)


def test_the_table_generator_marks_what_allowed_grants() -> None:
    roles = [Role.ADMIN, Role.HOTLINE]
    table = action_table(roles)
    assert table[list(Action).index(Action.MANAGE_USERS)] == "| `manage_users` | ✓ | |"
    assert table[list(Action).index(Action.VIEW_COMPLAINANT_IDENTITY)] == "| `view_complainant_identity` | | ✓ |"


@pytest.mark.parametrize("role", list(Role))
def test_the_supervisors_of_cases(role: Role) -> None:
    """The bureau's administrator, leaders and analysts, and the branches supervise cases; inspectors and the
    hotline register them, departments and enterprises work their own (issue 13 point 7)."""
    supervisors = {Role.ADMIN, Role.LEADER, Role.ANALYST, Role.BRANCH}
    assert allowed(principal(role), Action.SUPERVISE_CASES) is (role in supervisors)


def test_who_imports_batches_supervises() -> None:
    """A batch import assigns its cases: whoever imports batches must be a supervisor."""
    for role in Role:
        if Action.IMPORT_BATCHES in ALLOWED[role]:
            assert Action.SUPERVISE_CASES in ALLOWED[role], role


def test_require_raises_forbidden() -> None:
    with pytest.raises(ForbiddenError):
        require(principal(Role.DEPARTMENT), Action.VIEW_ENTERPRISES)
    require(principal(Role.ENTERPRISE), Action.VIEW_ENTERPRISES)
