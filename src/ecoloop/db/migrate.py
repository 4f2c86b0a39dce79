"""Running Alembic migrations programmatically (the CLI's `ecoloop db upgrade` and the tests use this)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from ecoloop.settings import Settings

SCRIPT_LOCATION = "ecoloop:migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for `database_url` with the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head", settings: Settings | None = None) -> None:
    """Bring the database at `database_url` up to `revision`. With the deployment's `settings`, data migrations
    also reach the stores outside the database that they name (the readings hot store and Parquet tier)."""
    config = alembic_config(database_url)
    config.attributes["settings"] = settings
    command.upgrade(config, revision)


def check(database_url: str) -> None:
    """Fail when the models have changes that no migration covers (`alembic check`)."""
    command.check(alembic_config(database_url))
