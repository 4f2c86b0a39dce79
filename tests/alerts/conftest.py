"""Shared fixtures of the alert tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import AlertRule
from ecoloop.alerts.rule_service import ensure_builtin_rules
from tests.factories import World


@pytest.fixture
def rules(db: Session, world: World) -> dict[str, AlertRule]:
    """The built-in rules by code, added with their first versions (`world` set the session's audit actor)."""
    ensure_builtin_rules(db, datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    return {r.code: r for r in db.scalars(select(AlertRule))}
