"""Read-side queries on the audit trail (always scoped)."""

from __future__ import annotations

from sqlalchemy import or_, select
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
    refers_to: tuple[str, int] | None = None,
    actor: str | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[AuditRecord]:
    """Audit records the principal may see, newest first, optionally of one table, one record of it (`entity_id`),
    the records whose values before or after name `refers_to` = (field, id) (the duties of organisation 7:
    `("organisation_id", 7)`), or one actor."""
    stmt = scoped(select(AuditRecord), principal, AuditRecord).order_by(AuditRecord.id.desc())
    if entity_type:
        stmt = stmt.where(AuditRecord.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditRecord.entity_id == entity_id)
    if refers_to is not None:
        key, value = refers_to
        stmt = stmt.where(
            or_(AuditRecord.after[key].as_integer() == value, AuditRecord.before[key].as_integer() == value)
        )
    if actor:
        stmt = stmt.where(AuditRecord.actor_label == actor)
    if before_id is not None:
        stmt = stmt.where(AuditRecord.id < before_id)
    return list(session.scalars(stmt.limit(limit)))


def history_of(session: Session, entity_type: str, entity_id: int | str, *, limit: int = 100) -> list[AuditRecord]:
    """The audit records of one row, newest first. Not scoped: the caller has checked that the principal may see
    the row itself (a branch reads the history of a site of its county, though not the whole audit log)."""
    stmt = select(AuditRecord).where(AuditRecord.entity_type == entity_type, AuditRecord.entity_id == str(entity_id))
    return list(session.scalars(stmt.order_by(AuditRecord.id.desc()).limit(limit)))
