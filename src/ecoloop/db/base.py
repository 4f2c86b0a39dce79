"""Declarative base, naming convention and column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from annotated_types import Ge, Le
from sqlalchemy import DateTime, MetaData, String, func
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

MAX_INT = 2**31 - 1
"""The largest integer every integer column holds: PostgreSQL INTEGER, the type of the ids, versions and counts
(SQLite's integers are wider). PostgreSQL refuses a larger parameter even in a comparison."""

RowId = Annotated[int, Ge(1), Le(MAX_INT)]
"""A row id as a request gives it (path, query, form or JSON): a number beyond the database's integers is refused as
invalid input before it reaches the driver, where it failed with OverflowError or "integer out of range" (issue 13)."""

DbInt = Annotated[int, Ge(-MAX_INT), Le(MAX_INT)]
"""Any other integer a request gives that is stored or compared in the database (versions, offsets, cursors)."""


def parse_row_id(text: str) -> int | None:
    """The row id written in `text` (a form or query value), or None when it is not one (not digits, 0, too big)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_INT)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_INT else None


# Stable constraint names let Alembic alter tables on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; ecoloop stores aware UTC timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A `StrEnum` stored as its plain string value (VARCHAR), loaded back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 32) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def utcnow() -> datetime:
    """The current instant in UTC (the only clock models use for defaults)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base class of every ecoloop table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UtcDateTime()}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute


class TimestampMixin:
    """Creation and last-update instants."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())
