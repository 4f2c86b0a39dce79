"""Who sees which organisations and user accounts (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, register
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.queries import in_subtree


def _organisations(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Organisation.region_id, p)
    if p.role is Role.DEPARTMENT:
        return Organisation.id == p.organisation_id
    return false()


def _users(p: Principal) -> ColumnElement[bool]:
    return true() if p.role is Role.ADMIN else User.id == p.user_id


register(Organisation, _organisations)
register(User, _users)
