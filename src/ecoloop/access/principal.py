"""The acting user as the policy sees them: role plus the region, organisation or enterprise they are bound to."""

from __future__ import annotations

from dataclasses import dataclass

from ecoloop.access.roles import Role


@dataclass(frozen=True)
class Principal:
    """A signed-in user reduced to what access decisions need.

    `region_path` is the path of the region the user's organisation (or enterprise) is attached to;
    region-scoped roles see the subtree below it.
    """

    user_id: int
    username: str
    role: Role
    region_path: str
    organisation_id: int | None = None
    enterprise_id: int | None = None
