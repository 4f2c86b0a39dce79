"""Result tables kept as Parquet partitions (`results/store.py`): keys by the local calendar, whole partitions
replaced, the rows of other days kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from ecoloop.results import store
from ecoloop.results.store import ResultTable

MONTHLY = ResultTable("t", "month", pa.schema([("site_id", pa.int64()), ("day", pa.date32()), ("v", pa.float64())]))


def rows(*entries: tuple[int, date, float]) -> pa.Table:
    return pa.table(
        {
            "site_id": pa.array([e[0] for e in entries], pa.int64()),
            "day": pa.array([e[1] for e in entries], pa.date32()),
            "v": pa.array([e[2] for e in entries], pa.float64()),
        }
    )


@pytest.mark.parametrize(
    ("unit", "first", "last", "keys"),
    [
        ("day", date(2026, 2, 27), date(2026, 3, 1), ["2026-02-27", "2026-02-28", "2026-03-01"]),
        ("month", date(2025, 12, 31), date(2026, 2, 1), ["2025-12", "2026-01", "2026-02"]),
        ("year", date(2025, 6, 1), date(2026, 1, 1), ["2025", "2026"]),
        ("month", date(2026, 1, 31), date(2026, 1, 31), ["2026-01"]),
    ],
)
def test_the_partitions_of_a_period(unit: store.Unit, first: date, last: date, keys: list[str]) -> None:
    assert ResultTable("t", unit, MONTHLY.schema).keys(first, last) == keys


def test_replacing_days_keeps_the_other_days_of_the_partition(tmp_path: Path) -> None:
    first, second = date(2026, 11, 1), date(2026, 11, 2)
    assert store.replace_days(tmp_path, MONTHLY, rows((1, first, 10.0), (1, second, 20.0)), [first, second]) == 1

    store.replace_days(tmp_path, MONTHLY, rows((1, second, 25.0), (2, second, 5.0)), [second])

    kept = store.read_partition(tmp_path, MONTHLY, "2026-11")
    assert kept is not None
    assert sorted(kept.to_pylist(), key=lambda r: (r["day"], r["site_id"])) == [
        {"site_id": 1, "day": first, "v": 10.0},
        {"site_id": 1, "day": second, "v": 25.0},
        {"site_id": 2, "day": second, "v": 5.0},
    ]


def test_a_day_computed_empty_is_told_from_one_never_computed(tmp_path: Path) -> None:
    """A partition written without rows means "computed, nothing to show"; no file means "not computed"."""
    day = date(2026, 11, 3)
    assert store.computed_days(tmp_path, MONTHLY, day, day) == set()
    store.replace_days(tmp_path, MONTHLY, rows(), [day])
    assert store.computed_days(tmp_path, MONTHLY, day, day) == {day}
    assert store.read_partition(tmp_path, MONTHLY, "2026-11") == MONTHLY.empty()


def test_a_scan_reads_only_the_days_asked_for(tmp_path: Path) -> None:
    days = [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)]
    store.replace_days(tmp_path, MONTHLY, rows(*[(1, d, float(n)) for n, d in enumerate(days)]), days)
    con = ibis.duckdb.connect()

    t = store.scan(con, tmp_path, MONTHLY, date(2026, 11, 1), date(2026, 11, 30))

    assert t is not None
    assert sorted(con.to_pyarrow(t).column("v").to_pylist()) == [1.0, 2.0]
    assert store.scan(con, tmp_path, MONTHLY, date(2027, 1, 1), date(2027, 1, 2)) is None
