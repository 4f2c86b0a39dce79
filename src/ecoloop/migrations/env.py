"""Alembic environment: migrations run unchanged on SQLite (batch mode) and PostgreSQL. It sits above the
capabilities, beside the model registry (`ecoloop.tables`) whose metadata it compares with the database."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from ecoloop.db.base import StrEnumType
from ecoloop.db.engine import make_engine
from ecoloop.tables import Base


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render enum columns as the plain VARCHAR they are, so migrations do not import the enums."""
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.length})"
    return False


config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    from ecoloop.settings import load_settings

    url = load_settings().database_url

connection = config.attributes.get("connection")
if connection is not None:
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, render_item=render_item
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
