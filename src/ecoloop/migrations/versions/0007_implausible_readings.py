"""implausible readings: readings stored before the ways in refused them are set aside into the packet archive

Readings dated outside the plausible window (before ECOLOOP_READINGS_EARLIEST, more than
ECOLOOP_READINGS_MAX_AHEAD_MINUTES ahead, or at an instant no datetime holds) and infinite values are moved out of
the hot store's readings table (SQLite file or PostgreSQL) and out of every Parquet partition into the packet
archive, each as a rejected entry with its reason and the row as JSON: nothing is deleted (issue 13). The readings
live outside the operational database, so this runs only when `ecoloop db upgrade` (or `ecoloop demo`) passes the
deployment's settings; otherwise, and when the hot store cannot be reached, `ecoloop data clean` does the same (and
compaction sets aside the hot store's rows every ten minutes anyway). Downgrading leaves the archive as it is.

Revision ID: 0007_implausible_readings
Revises: 0006
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import context

revision: str = "0007_implausible_readings"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    settings = context.config.attributes.get("settings")
    if settings is None:
        log.info("no deployment settings: stored readings are not checked (run `ecoloop data clean`)")
        return
    from ecoloop.readings.parquet import set_aside
    from ecoloop.readings.store import open_hot_store, time_window

    try:
        store = open_hot_store(settings)
    except Exception:  # the hot store is another database: its outage must not stop the schema upgrade
        log.warning("the readings hot store cannot be opened; run `ecoloop data clean` later", exc_info=True)
        return
    try:
        found = set_aside(store, settings.parquet_root, time_window(settings), datetime.now(UTC))
    finally:
        store.close()
    if found:
        counts = ", ".join(f"{reason} {count}" for reason, count in sorted(found.items()))
        log.warning("%d implausible stored readings set aside into the packet archive (%s)", found.total(), counts)


def downgrade() -> None:
    pass  # the set-aside readings stay in the packet archive, where they can be inspected
