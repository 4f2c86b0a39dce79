"""Read-side queries on the audit trail (always scoped)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.audit.models import AuditRecord


def list_audit(
    session: Session,
    principal: Principal,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[AuditRecord]:
    """Audit records the principal may see, newest first, optionally for one table (or one record of it) or one
    actor."""
    stmt = scoped(select(AuditRecord), principal, AuditRecord).order_by(AuditRecord.id.desc())
    if entity_type:
        stmt = stmt.where(AuditRecord.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditRecord.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditRecord.actor_label == actor)
    if before_id is not None:
        stmt = stmt.where(AuditRecord.id < before_id)
    return list(session.scalars(stmt.limit(limit)))
