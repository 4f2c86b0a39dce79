"""Writing audit records: automatically on every flush of an audited model, or explicitly for events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow

REDACTED = "***"


@dataclass(frozen=True)
class Actor:
    """Who is acting in a session: a signed-in user, or a named system process (CLI, demo loader, scheduler)."""

    label: str
    user_id: int | None = None
    ip: str | None = None


class MissingActorError(RuntimeError):
    """An audited record was changed in a session that does not say who is acting."""


def set_actor(session: Session, actor: Actor) -> None:
    """Attribute every later change in `session` to `actor`."""
    session.info["actor"] = actor


def get_actor(session: Session) -> Actor | None:
    """The actor of `session`, if one was set."""
    actor = session.info.get("actor")
    return actor if isinstance(actor, Actor) else None


def record_event(
    session: Session, action: str, entity_type: str, entity_id: str | None, detail: dict[str, Any] | None = None
) -> None:
    """Append an audit record for an event that is not a row change (login, logout, export …)."""
    actor = get_actor(session) or Actor(label="anonymous")
    session.add(
        AuditRecord(
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            ip=actor.ip,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            after=detail,
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _snapshot(obj: Any, only_changed: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column values of `obj` before and after the pending flush (secret columns redacted)."""
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if column.info.get("audit_ignore"):
            continue
        history = state.attrs[attr.key].history
        if only_changed and not history.has_changes():
            continue
        redact = bool(column.info.get("audit_redact"))
        old = history.deleted[0] if history.deleted else (history.unchanged[0] if history.unchanged else None)
        new = history.added[0] if history.added else (history.unchanged[0] if history.unchanged else None)
        before[attr.key] = REDACTED if redact and old is not None else _jsonable(old)
        after[attr.key] = REDACTED if redact and new is not None else _jsonable(new)
    return before, after


def _has_audited_change(obj: Any) -> bool:
    state = inspect(obj)
    return any(
        state.attrs[attr.key].history.has_changes()
        for attr in state.mapper.column_attrs
        if not attr.columns[0].info.get("audit_ignore")
    )


def _entity_id(obj: Any) -> str:
    """The record's primary key as text; a secret key (a set-password link's token hash) only by its first eight
    characters, enough to tell its records apart and too little to be the secret."""
    mapper = inspect(obj).mapper
    values = mapper.primary_key_from_instance(obj)
    return ",".join(
        str(v)[:8] if column.info.get("audit_redact") else str(v)
        for column, v in zip(mapper.primary_key, values, strict=True)
    )


def _is_audited(obj: Any) -> bool:
    return bool(getattr(type(obj), "__audit__", False))


def _deleted(session: Session, flush_context: UOWTransaction) -> list[Any]:
    """Every object the flush deletes: those passed to `Session.delete` and those it found itself (orphans removed
    from a `delete-orphan` collection, cascades), which `Session.deleted` does not list (issue 15: a removed duty of
    an organisation left no record)."""
    found = {id(o): o for o in session.deleted}
    for state, (is_delete, list_only) in flush_context.states.items():
        obj = state.obj()
        if is_delete and not list_only and obj is not None:
            found.setdefault(id(obj), obj)
    return list(found.values())


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, flush_context: UOWTransaction) -> None:
    rows: list[dict[str, Any]] = []
    changes = (
        [("create", o) for o in session.new if _is_audited(o)]
        + [("update", o) for o in session.dirty if _is_audited(o) and _has_audited_change(o)]
        + [("delete", o) for o in _deleted(session, flush_context) if _is_audited(o)]
    )
    if not changes:
        return
    actor = get_actor(session)
    if actor is None:
        raise MissingActorError("changes to audited records need an actor: call ecoloop.audit.service.set_actor()")
    now = utcnow()
    for action, obj in changes:
        before, after = _snapshot(obj, only_changed=action == "update")
        rows.append(
            {
                "at": now,
                "actor_user_id": actor.user_id,
                "actor_label": actor.label,
                "ip": actor.ip,
                "action": action,
                "entity_type": type(obj).__tablename__,
                "entity_id": _entity_id(obj),
                "before": None if action == "create" else before,
                "after": None if action == "delete" else after,
            }
        )
    session.connection().execute(insert(AuditRecord), rows)
