"""The roles of the bureau's system: the vocabulary of the access policy (`actions`, `scope`)."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class Role(StrEnum):
    """What a user does in the bureau's system; decides what they see and may do (see `ecoloop.access`)."""

    ADMIN = "admin"
    LEADER = "leader"
    ANALYST = "analyst"
    INSPECTOR = "inspector"
    BRANCH = "branch"
    DEPARTMENT = "department"
    ENTERPRISE = "enterprise"
    HOTLINE = "hotline"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.ADMIN: N_("Administrator"),
    Role.LEADER: N_("Bureau leader"),
    Role.ANALYST: N_("Analyst"),
    Role.INSPECTOR: N_("Enforcement officer"),
    Role.BRANCH: N_("County branch staff"),
    Role.DEPARTMENT: N_("Responsible department staff"),
    Role.ENTERPRISE: N_("Enterprise"),
    Role.HOTLINE: N_("Hotline operator"),
}
