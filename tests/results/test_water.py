"""Water results (`results/water.py`): a section's month worked by hand from GB 3838-2002 Table 1, 环办[2011]22号
and 环办监测[2017]51号, and the months computed from stored readings and kept (`WaterComputation`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import service, store
from ecoloop.results.water import WATER_MONTH, WaterComputation, kept, main_pollutants, section_row
from ecoloop.standards.water import WaterGrade
from tests.analytics.engines import PY4J_WARNINGS
from tests.factories import World

pytestmark = PY4J_WARNINGS  # the kept months are computed on Spark too

CST = ZoneInfo("Asia/Shanghai")
MONTH = date(2026, 11, 1)
_, II, III, IV, V, WORSE = (g for g in WaterGrade)


def row(values: dict[str, float], target: WaterGrade | None = III) -> dict[str, Any]:
    return section_row(7, MONTH, {k: (v, 10) for k, v in values.items()}, target)


# Each case: the month's means → class, level, main pollutants (indicator, 超标倍数), CWQI, meets the target III.
CASES = [
    # NH3-N 1.2: class IV (1.0 < 1.2 ≤ 1.5); (1.2 - 1.0)/1.0 = 0.2; CWQI 1.2/1.0.
    ({"NH3_N": 1.2}, IV, "lightly_polluted", [("NH3_N", "0.2")], 1.2, False),
    # pH 7.6 I; DO 6.8 II (≥ 6); CODMn 4.3 III (4 < 4.3 ≤ 6); NH3-N 0.55 III; TP 0.12 III: class III, none listed.
    # CWQI (7.6 - 7)/2 + 5/6.8 + 4.3/6 + 0.55/1 + 0.12/0.2 = 0.3 + 0.735294… + 0.716666… + 0.55 + 0.6 = 2.901960…
    ({"pH": 7.6, "DO": 6.8, "CODMn": 4.3, "NH3_N": 0.55, "TP": 0.12}, III, "good", [], 2.9020, True),
    # DO 1.5, NH3-N 2.5, TP 0.6: all 劣V; TP (0.6 - 0.2)/0.2 = 2.0 before NH3-N 1.5, DO (no multiple) last.
    # CWQI 5/1.5 + 2.5/1.0 + 0.6/0.2 = 3.3333… + 2.5 + 3 = 8.8333…
    ({"DO": 1.5, "NH3_N": 2.5, "TP": 0.6}, WORSE, "heavily_polluted", [("TP", "2.0"), ("NH3_N", "1.5"), ("DO", None)],
     8.8333, False),
    # Cd 0.006 class V (0.005 < 0.006 ≤ 0.01), multiple 0.2; NH3-N 1.8 class V, multiple 0.8: a heavy metal first.
    ({"Cd": 0.006, "NH3_N": 1.8}, V, "moderately_polluted", [("Cd", "0.2"), ("NH3_N", "0.8")], 3.0, False),
    # CODMn 2 is class I (the limit met), NH3-N 0.5 class II: class II; CWQI 2/6 + 0.5/1.0 = 0.8333…
    ({"CODMn": 2.0, "NH3_N": 0.5}, II, "excellent", [], 0.8333, True),
]  # fmt: skip


@pytest.mark.parametrize(("means", "grade", "level", "main", "cwqi", "meets"), CASES)
def test_a_sections_month_worked_by_hand(
    means: dict[str, float],
    grade: WaterGrade,
    level: str,
    main: list[tuple[str, str | None]],
    cwqi: float,
    meets: bool,
) -> None:
    found = row(means)
    assert (found["grade"], found["level"]) == (grade.value, level)
    assert main_pollutants(found["main_pollutants"]) == main
    assert found["cwqi"] == cwqi
    assert found["cwqi_indicators"] == len(means)
    assert (found["target"], found["meets"]) == ("III", meets)
    assert {k: found[k] for k in means} == means
    assert {found[f"{k}_n"] for k in means} == {10}


def test_main_pollutants_are_text_keys_and_values() -> None:
    assert json.loads(row({"NH3_N": 1.2})["main_pollutants"]) == {"NH3_N": "0.2"}
    assert row({"NH3_N": 0.2})["main_pollutants"] == "{}"


def test_the_target_met_or_not_and_a_section_without_target() -> None:
    assert row({"NH3_N": 0.5}, II)["meets"] is True  # class II meets II
    assert row({"NH3_N": 0.51}, II)["meets"] is False  # class III does not
    assert row({"NH3_N": 0.51}, None)["meets"] is None


def test_a_month_with_no_assessed_indicator_has_no_class() -> None:
    """TN is reported beside the class of a river, never graded (环办[2011]22号 §1(1))."""
    found = row({"TN": 1.8})
    assert found["TN"] == 1.8
    assert (found["grade"], found["cwqi"], found["meets"], found["main_pollutants"]) == (None, None, None, None)


def test_float_noise_in_a_mean_does_not_change_the_class() -> None:
    """(1.1 + 1.3 + 0.6)/3 in floats is 1.0000000000000002, above the class III limit 1.0."""
    mean = (1.1 + 1.3 + 0.6) / 3
    assert mean > 1.0
    assert kept(mean) == Decimal(1)
    found = row({"NH3_N": mean})
    assert (found["NH3_N"], found["grade"]) == (1.0, "III")


# --- computed from stored readings and kept -------------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path: Path, backend: Any) -> Iterator[StoredReadings]:
    """The readings, read on each analytics engine in turn (DuckDB, Spark)."""
    hot = HotStore(tmp_path / "hot.sqlite")
    yield StoredReadings(hot, tmp_path / "readings", lambda: sites.fixed(backend))
    hot.close()


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=CST).astimezone(UTC)


def test_the_job_keeps_each_sections_month(db: Session, world: World, stored: StoredReadings, tmp_path: Path) -> None:
    """Section A (target II): NH3-N 1.0 and 1.4 on 1 and 30 November (local) → mean 1.2, class IV, NH3-N 0.2;
    a value at 23:00 on 31 October local belongs to October. Section B (no target): DO 8 → class I. A section
    without readings has no row. Computing 30 November alone gives the whole month."""
    a = add_site(db, code="wq-a", name="A", kind=SiteKind.WATER_STATION, region=world.town_a, water_target=II)
    b = add_site(db, code="wq-b", name="B", kind=SiteKind.WATER_STATION, region=world.town_b)
    add_site(db, code="wq-c", name="C", kind=SiteKind.WATER_STATION, region=world.town_b)
    air = add_site(db, code="air", name="Air", kind=SiteKind.AIR_STATION, region=world.town_b)
    db.flush()
    stored.store.write(
        [
            Reading(a.id, "w21003", Interval.HOUR, local(1, 0), 1.0),
            Reading(a.id, "w21003", Interval.HOUR, local(30, 23), 1.4),
            Reading(a.id, "w21003", Interval.HOUR, local(1, 0) - timedelta(hours=1), 9.0),
            Reading(b.id, "w01009", Interval.HOUR, local(15, 12), 8.0),
            Reading(air.id, "w01009", Interval.HOUR, local(15, 12), 1.0),
        ]
    )
    root = tmp_path / "results"

    done = service.compute_days(db, stored, root, [date(2026, 11, 30)], CST, computations=[WaterComputation()])

    assert done.partitions == {"water_month": 1}
    kept_rows = pq.read_table(WATER_MONTH.path(root, "2026")).to_pylist()
    assert [(r["site_id"], r["month"], r["NH3_N"], r["NH3_N_n"], r["DO"], r["grade"]) for r in kept_rows] == [
        (a.id, MONTH, 1.2, 2, None, "IV"),
        (b.id, MONTH, None, None, 8.0, "I"),
    ]
    assert [(r["target"], r["meets"], r["main_pollutants"]) for r in kept_rows] == [
        ("II", False, '{"NH3_N": "0.2"}'),
        (None, None, "{}"),
    ]
    # October computed afterwards joins November in the year's partition.
    service.compute_days(db, stored, root, [date(2026, 10, 31)], CST, computations=[WaterComputation()])
    months = pq.read_table(WATER_MONTH.path(root, "2026")).to_pylist()
    assert [(r["month"], r["site_id"], r["NH3_N"]) for r in months] == [
        (date(2026, 10, 1), a.id, 9.0),
        (MONTH, a.id, 1.2),
        (MONTH, b.id, None),
    ]
    assert store.files(root, WATER_MONTH, date(2026, 1, 1), date(2026, 12, 31)) == [WATER_MONTH.path(root, "2026")]


def test_water_is_one_of_the_jobs_computations() -> None:
    assert "water" in [c.name for c in service.COMPUTATIONS]
