"""Read-side queries on users and organisations (always scoped)."""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.audit.labels import AuditEntry, entry, field_label
from ecoloop.audit.models import AuditRecord
from ecoloop.audit.queries import list_audit
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
    stmt = (
        scoped(select(Organisation), principal, Organisation)
        .options(selectinload(Organisation.covered), selectinload(Organisation.duties))
        .order_by(Organisation.kind, Organisation.code)
    )
    return list(session.scalars(stmt))


def get_organisation(session: Session, principal: Principal, organisation_id: int) -> Organisation | None:
    """One organisation if the principal may see it."""
    return get_visible(session, principal, Organisation, organisation_id)


def _merged(batches: list[list[AuditRecord]], limit: int) -> list[AuditRecord]:
    records = {r.id: r for batch in batches for r in batch}
    return sorted(records.values(), key=lambda r: r.id, reverse=True)[:limit]


def user_history(session: Session, principal: Principal, user_id: int, limit: int = 50) -> list[AuditRecord]:
    """The audit trail of one user account, newest first: its changes (role, organisation, retirement, password),
    its set-password links and API tokens (empty for a principal who may not read the audit trail)."""
    batches = [list_audit(session, principal, entity_type="users", entity_id=str(user_id), limit=limit)]
    for table in ("password_setups", "api_tokens"):
        batches.append(list_audit(session, principal, entity_type=table, refers_to=("user_id", user_id), limit=limit))
    return _merged(batches, limit)


def organisation_history(
    session: Session, principal: Principal, organisation_id: int, limit: int = 50
) -> list[AuditRecord]:
    """The audit trail of one organisation, newest first: its changes, covered regions and duties."""
    batches = [list_audit(session, principal, entity_type="organisations", entity_id=str(organisation_id), limit=limit)]
    for table in ("organisation_regions", "organisation_duties"):
        refers_to = ("organisation_id", organisation_id)
        batches.append(list_audit(session, principal, entity_type=table, refers_to=refers_to, limit=limit))
    return _merged(batches, limit)


def regions_by_code(session: Session, principal: Principal, codes: list[str]) -> tuple[list[Region], list[str]]:
    """The regions the principal may see with these codes, and the codes that name none of them."""
    wanted = list(dict.fromkeys(c for c in codes if c))
    stmt = scoped(select(Region).where(Region.code.in_(wanted)), principal, Region) if wanted else None
    found = {r.code: r for r in session.scalars(stmt)} if stmt is not None else {}
    return [found[c] for c in wanted if c in found], [c for c in wanted if c not in found]


def covered_regions(session: Session, principal: Principal, org: Organisation) -> list[Region]:
    """The regions an organisation covers besides its own, in tree order."""
    ids = [row.region_id for row in org.covered]
    if not ids:
        return []
    return list(
        session.scalars(scoped(select(Region).where(Region.id.in_(ids)), principal, Region).order_by(Region.path))
    )


def active_organisations_in(session: Session, region: Region) -> int:
    """How many active organisations are attached to `region` itself (what keeps it from being retired)."""
    stmt = select(func.count(Organisation.id)).where(Organisation.region_id == region.id, Organisation.active)
    return session.scalar(stmt) or 0


# The fields of the identity tables' audit records that name another row by its id, and the table of that row.
_REFERENCES = {"region_id": "regions", "parent_id": "organisations", "organisation_id": "organisations"}


def history_in_words(
    session: Session, principal: Principal, records: list[AuditRecord], zone: tzinfo
) -> list[AuditEntry]:
    """Audit records of users and organisations in words (`audit.labels.entry`), the regions and organisations
    they name by id shown by their names (those the principal may see)."""
    wanted: dict[str, set[int]] = {"regions": set(), "organisations": set()}
    for record in records:
        for values in (record.before or {}, record.after or {}):
            for key, table in _REFERENCES.items():
                if isinstance(values.get(key), int):
                    wanted[table].add(values[key])
    names: dict[str, dict[str, str]] = {
        "regions": _names(session, principal, Region, Region.name, wanted["regions"]),
        "organisations": _names(session, principal, Organisation, Organisation.name, wanted["organisations"]),
    }
    entries = []
    for record in records:
        shown = entry(record, zone)
        fields = {field_label(record.entity_type, key): table for key, table in _REFERENCES.items()}
        changes = [
            replace(
                c,
                before=names[fields[c.field]].get(c.before, c.before),
                after=names[fields[c.field]].get(c.after, c.after),
            )
            if c.field in fields
            else c
            for c in shown.changes
        ]
        entries.append(replace(shown, changes=changes))
    return entries


def _names(
    session: Session, principal: Principal, model: type[Any], name: InstrumentedAttribute[str], ids: set[int]
) -> dict[str, str]:
    if not ids:
        return {}
    stmt = scoped(select(model.id, name).where(model.id.in_(ids)), principal, model)
    return {str(row_id): row_name for row_id, row_name in session.execute(stmt)}
