"""Alembic environment: migrations run unchanged on SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

from alembic import context

from ecoloop.db.engine import make_engine
from ecoloop.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    from ecoloop.settings import load_settings

    url = load_settings().database_url

connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
