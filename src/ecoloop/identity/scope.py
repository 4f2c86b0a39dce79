"""Who sees which organisations and user accounts (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, register
from ecoloop.identity.models import Organisation, OrganisationDuty, OrganisationRegion, PasswordSetup, User
from ecoloop.regions.queries import in_subtree


def _organisations(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Organisation.region_id, p)
    if p.role is Role.DEPARTMENT:
        return Organisation.id == p.organisation_id
    return false()


def _users(p: Principal) -> ColumnElement[bool]:
    return true() if p.role is Role.ADMIN else User.id == p.user_id


def _covered(p: Principal) -> ColumnElement[bool]:
    return OrganisationRegion.organisation_id.in_(select(Organisation.id).where(_organisations(p)))


def _duties(p: Principal) -> ColumnElement[bool]:
    return OrganisationDuty.organisation_id.in_(select(Organisation.id).where(_organisations(p)))


def _setups(p: Principal) -> ColumnElement[bool]:
    # Only an administrator hands out set-password links; the person who follows one is not signed in.
    return true() if p.role is Role.ADMIN else false()


register(Organisation, _organisations)
register(OrganisationRegion, _covered)
register(OrganisationDuty, _duties)
register(PasswordSetup, _setups)
register(User, _users)
