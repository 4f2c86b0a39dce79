"""Read-side queries on users and organisations (always scoped)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.models import Region


def list_users(session: Session, principal: Principal) -> list[User]:
    """Users the principal may see, by username."""
    return list(session.scalars(scoped(select(User), principal, User).order_by(User.username)))


def get_user(session: Session, principal: Principal, user_id: int) -> User | None:
    """One user if the principal may see them."""
    return get_visible(session, principal, User, user_id)


def list_organisations(session: Session, principal: Principal) -> list[Organisation]:
    """Organisations the principal may see: the bureau first, then branches, then departments."""
    stmt = scoped(select(Organisation), principal, Organisation).order_by(Organisation.kind, Organisation.code)
    return list(session.scalars(stmt))


def get_organisation(session: Session, principal: Principal, organisation_id: int) -> Organisation | None:
    """One organisation if the principal may see it."""
    return get_visible(session, principal, Organisation, organisation_id)


def active_organisations_in(session: Session, region: Region) -> int:
    """How many active organisations are attached to `region` itself (what keeps it from being retired)."""
    stmt = select(func.count(Organisation.id)).where(Organisation.region_id == region.id, Organisation.active)
    return session.scalar(stmt) or 0
