"""Period statistics from planted daily results of areas (tests/results/planted.py), worked by hand: the published
figures, the same period last year and the change rates, targets, the standard periods, and the cache following the
partition files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ecoloop.results import periods, store
from ecoloop.results.air import AIR_DAY_AREA
from ecoloop.standards import ranking
from tests.analytics.engines import PY4J_WARNINGS
from tests.results.planted import daily_rows, plant

pytestmark = PY4J_WARNINGS  # tests on Spark too

IDS = {1: 101, 2: 102, 3: 103}
JANUARY = periods.range_period(date(2026, 1, 1), date(2026, 1, 4))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    plant(tmp_path, IDS)
    periods.clear_cache()
    return tmp_path


def test_published_statistics_worked_by_hand(backend: Any, root: Path) -> None:
    found = periods.statistics(backend, root, "areas", JANUARY)
    one, two, three = found[101], found[102], found[103]
    assert (one.days, one.good_days, one.heavy_days, one.good_ratio) == (4, 2, 1, Decimal("50.0"))
    assert one.level_days == (1, 1, 1, 0, 1, 0)
    assert (one.pm25, one.pm10, one.so2, one.no2, one.co_p95, one.o3_p90) == (
        Decimal(35),
        Decimal(70),
        Decimal(6),
        Decimal(20),
        Decimal("1.0"),
        Decimal(160),
    )
    assert one.composite_index == Decimal("3.85") and two.composite_index == Decimal("3.85")
    assert three.composite_index == Decimal("5.85") and three.pm25 == Decimal(70)
    assert two.good_ratio == Decimal("100.0") and two.level_days == (1, 3, 0, 0, 0, 0)
    assert three.level_days == (0, 0, 1, 1, 1, 1) and three.heavy_days == 2
    # The tie at 3.85 ranks equal and the next rank skips (docs/standards/ranking.md).
    ranks = ranking.rank_by_composite_index({k: v.composite for k, v in found.items()})
    assert ranks == {101: 1, 102: 1, 103: 3}


def test_against_the_same_period_last_year(backend: Any, root: Path) -> None:
    changes = periods.compared(backend, root, "areas", JANUARY, [101, 103])
    assert set(changes) == {101, 103}
    one = changes[101]
    assert one.before is not None and one.before.composite_index == Decimal("3.99")  # 2.85 + 40/35
    assert one.composite_rate == Decimal("-3.51")  # (3.85 - 3.99) / 3.99
    assert one.pm25_rate == Decimal("-12.50")  # (35 - 40) / 40
    assert one.good_ratio_points == Decimal("0.0")
    three = changes[103]
    assert three.composite_rate == Decimal("17.23") and three.pm25_rate == Decimal("75.00")


def test_only_the_asked_subjects_and_nothing_without_results(backend: Any, root: Path) -> None:
    assert set(periods.statistics(backend, root, "areas", JANUARY, [102])) == {102}
    assert periods.statistics(backend, root, "areas", periods.month_period(2024, 5)) == {}
    assert periods.statistics(backend, root, "stations", JANUARY) == {}
    alone = periods.compared(backend, root, "areas", periods.range_period(date(2026, 1, 1), date(2026, 1, 2)), [101])
    assert alone[101].before is not None and alone[101].composite_rate is not None


def test_a_recomputed_month_is_read_again(backend: Any, root: Path) -> None:
    assert periods.statistics(backend, root, "areas", JANUARY)[101].pm25 == Decimal(35)
    rows = daily_rows(IDS, 2026)
    doubled = rows.set_column(
        rows.schema.get_field_index("PM2_5_24h"), "PM2_5_24h", [[v * 2 for v in rows["PM2_5_24h"].to_pylist()]]
    )
    store.write(root, AIR_DAY_AREA, "2026-01", doubled)
    assert periods.statistics(backend, root, "areas", JANUARY)[101].pm25 == Decimal(70)


@pytest.mark.parametrize(
    ("kind", "day", "first", "last"),
    [
        ("month", date(2026, 1, 4), date(2026, 1, 1), date(2026, 1, 4)),
        ("quarter", date(2026, 5, 20), date(2026, 4, 1), date(2026, 5, 20)),
        ("ytd", date(2026, 3, 15), date(2026, 1, 1), date(2026, 3, 15)),
    ],
)
def test_standard_periods(kind: periods.Kind, day: date, first: date, last: date) -> None:
    period = periods.standard_period(kind, day)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (periods.month_period(2026, 1), (date(2025, 12, 1), date(2025, 12, 31))),
        (periods.Period("quarter", date(2026, 1, 1), date(2026, 3, 31)), (date(2025, 10, 1), date(2025, 12, 31))),
        (periods.Period("ytd", date(2026, 1, 1), date(2026, 3, 15)), (date(2026, 1, 1), date(2026, 2, 28))),
        (periods.Period("ytd", date(2026, 1, 1), date(2026, 1, 15)), None),
        (periods.range_period(date(2026, 1, 10), date(2026, 1, 19)), (date(2025, 12, 31), date(2026, 1, 9))),
    ],
)
def test_previous_periods(period: periods.Period, previous: tuple[date, date] | None) -> None:
    found = period.previous()
    assert (None if found is None else (found.first, found.last)) == previous


def test_last_year_of_a_leap_day() -> None:
    period = periods.range_period(date(2028, 2, 1), date(2028, 2, 29)).last_year()
    assert (period.first, period.last) == (date(2027, 2, 1), date(2027, 2, 28))


def test_targets_met_and_gaps() -> None:
    short = periods.against_good_ratio(Decimal("78.4"), Decimal("80.0"))
    assert short is not None and not short.met and short.gap == Decimal("1.6")
    met = periods.against_good_ratio(Decimal("80.0"), Decimal("80.0"))
    assert met is not None and met.met and met.gap == 0
    over = periods.against_ceiling(Decimal(38), 35)
    assert over is not None and not over.met and over.gap == 3
    assert periods.against_ceiling(None, 35) is None
    with pytest.raises(ValueError, match="ends before"):
        periods.range_period(date(2026, 1, 2), date(2026, 1, 1))
