"""The results job (`results.service.refresh`): today and yesterday always, older days when their readings
change, a long backlog spread over runs."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.service import add_site
from ecoloop.readings.parquet import compact
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import air, service, store
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 4, tzinfo=UTC)  # 12:00 local on 2026-11-22


@pytest.fixture
def station(db: Session, world: World) -> int:
    site = add_site(
        db, code="A1", name="A1", kind=SiteKind.AIR_STATION, region=world.county_a, station_level=StationLevel.CITY
    )
    return site.id


def computed(root: Path) -> set[date]:
    return store.computed_days(root, air.AIR_HOUR, date(2026, 1, 1), date(2026, 12, 31))


def test_the_first_run_computes_today_and_yesterday(
    db: Session, station: int, duck_stored: StoredReadings, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    done = service.refresh(db, duck_stored, root, NOW, TZ)
    assert done.days == 2
    assert computed(root) == {date(2026, 11, 21), date(2026, 11, 22)}
    mark = service.read_mark(root)
    assert mark is not None and mark.pending == ()


def test_days_whose_readings_changed_since_the_last_run_are_computed_again(
    db: Session, station: int, duck_stored: StoredReadings, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    service.refresh(db, duck_stored, root, NOW, TZ)
    # A late upload for 2026-11-01 08:00 local, compacted into its partition after the run began.
    late = Reading(station, "a34004", Interval.HOUR, datetime(2026, 11, 1, 0, tzinfo=UTC), 80.0)
    duck_stored.store.write([late], now=NOW)
    compact(duck_stored.store, duck_stored.root)
    mark = service.read_mark(root)
    assert mark is not None
    partition = duck_stored.root / "interval=hour" / "date=2026-11-01" / "part.parquet"
    os.utime(partition, (mark.started + 1, mark.started + 1))

    done = service.refresh(db, duck_stored, root, NOW + timedelta(minutes=5), TZ)

    # The UTC date 2026-11-01 holds local hours of 11-01 and 11-02; today and yesterday again.
    assert done.days == 4
    assert computed(root) == {date(2026, 11, d) for d in (1, 2, 21, 22)}
    rows = store.read_partition(root, air.AIR_HOUR, "2026-11-01")
    assert rows is not None and rows.column("PM2_5").to_pylist() == [80.0]


def test_a_long_backlog_is_spread_over_runs_newest_first(
    db: Session, station: int, duck_stored: StoredReadings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "results"
    service.write_mark(root, service.Mark(0.0, (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3))))
    monkeypatch.setattr(service, "PER_RUN", 2)

    first = service.refresh(db, duck_stored, root, NOW, TZ)
    assert first.days == 4 and date(2026, 10, 1) not in computed(root)
    mark = service.read_mark(root)
    assert mark is not None and mark.pending == (date(2026, 10, 1),)

    service.refresh(db, duck_stored, root, NOW, TZ)
    assert {date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)} <= computed(root)
    mark = service.read_mark(root)
    assert mark is not None and mark.pending == ()


def test_an_unreadable_mark_starts_over(tmp_path: Path) -> None:
    (tmp_path / service.MARK_FILE).write_text("{not json")
    assert service.read_mark(tmp_path) is None
    assert service.missing_days(tmp_path, date(2026, 1, 1), date(2026, 1, 2)) == [date(2026, 1, 1), date(2026, 1, 2)]
