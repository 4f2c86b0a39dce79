"""Row scoping: every query for records goes through `scoped()` or `get_visible()`.

Roles of the bureau (admin, leader, analyst, inspector, hotline) and of a county branch see the records in the
subtree of their organisation's region; a department sees what is assigned to its organisation; an enterprise
sees its own records. A record outside the scope is not found (404), never forbidden (403): its existence is
not revealed.

The rule of each table lives beside it, in its capability's `scope.py`, which calls `register()`; `ecoloop.tables`
imports every one of them with the models, so that a process that knows the tables knows their scope (issue 14).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role

T = TypeVar("T")
# Any select, of one entity or of several columns.
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
ScopeRule = Callable[[Principal], ColumnElement[bool]]

# The roles that see the records of a region's subtree (their organisation's region).
REGION_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.ANALYST, Role.INSPECTOR, Role.HOTLINE, Role.BRANCH})

RULES: dict[type[Any], ScopeRule] = {}


def register(model: type[Any], rule: ScopeRule) -> None:
    """Declare how rows of `model` are scoped; a capability registers its own tables here."""
    RULES[model] = rule


def visible(principal: Principal, model: type[Any]) -> ColumnElement[bool]:
    """The condition that rows of `model` must meet for `principal` to see them."""
    try:
        rule = RULES[model]
    except KeyError:
        raise LookupError(
            f"{model.__name__} has no scope rule: register one in its capability's scope.py, imported by ecoloop.tables"
        ) from None
    return rule(principal)


def scoped(stmt: SelectT, principal: Principal, model: type[Any]) -> SelectT:
    """`stmt` restricted to the rows of `model` that `principal` may see."""
    return stmt.where(visible(principal, model))


def get_visible(session: Session, principal: Principal, model: type[T], ident: Any) -> T | None:
    """The row of `model` with primary key `ident` if `principal` may see it, else None (the caller answers 404)."""
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]  # every mapped class has __mapper__
    stmt = select(model).where(pk == ident)
    return session.scalars(scoped(stmt, principal, model)).first()
