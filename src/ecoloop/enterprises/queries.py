"""Read-side queries on enterprises (always scoped)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.enterprises.models import Enterprise


def list_enterprises(session: Session, principal: Principal, *, limit: int = 200, offset: int = 0) -> list[Enterprise]:
    """Enterprises the principal may see, by name."""
    stmt = scoped(select(Enterprise), principal, Enterprise).order_by(Enterprise.name, Enterprise.id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_enterprises(session: Session, principal: Principal) -> int:
    """How many enterprises the principal may see."""
    return session.scalar(scoped(select(func.count(Enterprise.id)), principal, Enterprise)) or 0


def get_enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise | None:
    """One enterprise if the principal may see it."""
    return get_visible(session, principal, Enterprise, enterprise_id)
