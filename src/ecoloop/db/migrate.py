"""Running Alembic migrations programmatically (the CLI's `ecoloop db upgrade` and the tests use this)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = "ecoloop.db:migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for `database_url` with the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Fail when the models have changes that no migration covers (`alembic check`)."""
    command.check(alembic_config(database_url))
