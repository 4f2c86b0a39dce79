"""Fixtures of the warnings' tests: a fixed clock and a warning walked to any status through the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from ecoloop.episodes import service
from ecoloop.episodes.enums import PrimaryPollutant, WarningLevel
from ecoloop.episodes.models import PollutionWarning
from tests.factories import World

NOW = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)


def draft(**changes: object) -> service.Draft:
    """A yellow PM2.5 warning for the whole city from tomorrow 00:00 (Beijing, 16:00 UTC today) for 48 hours."""
    values: dict[str, object] = {
        "level": WarningLevel.YELLOW,
        "pollutant": PrimaryPollutant.PM25,
        "planned_start": NOW + 8 * H,
        "planned_end": NOW + 56 * H,
        "forecast": "预计12月10日至11日日AQI>200",
        "peak_aqi": 230,
    }
    values.update(changes)
    return service.Draft(**values)  # type: ignore[arg-type]  # the test's own keyword values


def issued(session: Session, world: World, **changes: object) -> PollutionWarning:
    """A warning prepared, signed and issued at NOW."""
    analyst, leader = world.users["analyst"], world.users["leader"]
    warning = service.prepare(session, analyst, draft(**changes), now=NOW)
    service.submit(session, analyst, warning.id, now=NOW)
    service.approve(session, leader, warning.id, note="同意", now=NOW)
    service.issue(session, analyst, warning.id, now=NOW)
    return warning


@pytest.fixture
def now() -> datetime:
    return NOW
