"""Which actions each role may take (pure)."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.access.principal import Principal
from ecoloop.identity.enums import Role


class Action(StrEnum):
    """Something a user may be allowed to do, independent of which rows it touches."""

    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATIONS = "manage_organisations"
    MANAGE_REGIONS = "manage_regions"
    VIEW_AUDIT = "view_audit"
    VIEW_REGIONS = "view_regions"
    VIEW_ORGANISATIONS = "view_organisations"
    VIEW_ENTERPRISES = "view_enterprises"
    VIEW_MONITORING = "view_monitoring"
    VIEW_COMPLAINANT_IDENTITY = "view_complainant_identity"
    USE_API_TOKENS = "use_api_tokens"
    SUBMIT_OBSERVATIONS = "submit_observations"
    MANAGE_ENTERPRISES = "manage_enterprises"
    MANAGE_LISTS = "manage_lists"
    REQUEST_CORRECTIONS = "request_corrections"
    REVIEW_CORRECTIONS = "review_corrections"


_BUREAU_READ = frozenset(
    {
        Action.VIEW_REGIONS,
        Action.VIEW_ORGANISATIONS,
        Action.VIEW_ENTERPRISES,
        Action.VIEW_MONITORING,
        Action.USE_API_TOKENS,
    }
)

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: _BUREAU_READ
    | {
        Action.MANAGE_USERS,
        Action.MANAGE_ORGANISATIONS,
        Action.MANAGE_REGIONS,
        Action.VIEW_AUDIT,
        Action.SUBMIT_OBSERVATIONS,
        Action.MANAGE_ENTERPRISES,
        Action.MANAGE_LISTS,
        Action.REVIEW_CORRECTIONS,
    },
    Role.LEADER: _BUREAU_READ | {Action.VIEW_AUDIT},
    # Analysts keep the enterprise files (records, permits, list memberships, grades) and review corrections;
    # defining new lists is an administrator's decision.
    Role.ANALYST: _BUREAU_READ | {Action.SUBMIT_OBSERVATIONS, Action.MANAGE_ENTERPRISES, Action.REVIEW_CORRECTIONS},
    Role.INSPECTOR: _BUREAU_READ,
    # A branch keeps the files of the enterprises in its county (row scoping limits it to them).
    Role.BRANCH: _BUREAU_READ | {Action.MANAGE_ENTERPRISES, Action.REVIEW_CORRECTIONS},
    # A department has no scope rule for sites yet: it sees what is assigned to it (cases, issue 6).
    Role.DEPARTMENT: frozenset({Action.VIEW_REGIONS, Action.VIEW_ORGANISATIONS, Action.USE_API_TOKENS}),
    # An enterprise views and uploads its own self-monitoring data (scoping limits it to its own sites).
    Role.ENTERPRISE: frozenset(
        {
            Action.VIEW_ENTERPRISES,
            Action.VIEW_MONITORING,
            Action.USE_API_TOKENS,
            Action.SUBMIT_OBSERVATIONS,
            Action.REQUEST_CORRECTIONS,
        }
    ),
    # The hotline takes complaints; it alone may see who complained (DEVELOPERS.md, non-negotiables).
    Role.HOTLINE: frozenset({Action.VIEW_REGIONS, Action.VIEW_COMPLAINANT_IDENTITY}),
}


class ForbiddenError(PermissionError):
    """The user's role may not take this action."""


def allowed(principal: Principal, action: Action) -> bool:
    """Whether the principal's role may take `action`."""
    return action in ALLOWED[principal.role]


def require(principal: Principal, action: Action) -> None:
    """Raise `ForbiddenError` unless the principal may take `action`."""
    if not allowed(principal, action):
        raise ForbiddenError(f"role {principal.role} may not {action}")
