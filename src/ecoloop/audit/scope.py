"""Who reads the audit log (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import register
from ecoloop.audit.models import AuditRecord


def _audit(p: Principal) -> ColumnElement[bool]:
    return true() if p.role in (Role.ADMIN, Role.LEADER) else false()


register(AuditRecord, _audit)
