"""History files: the committed Beijing copy converts completely into readings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pytest

from ecoloop.demo.service import demo_fixture, demo_readings_file
from ecoloop.ingest.files import ImportReport, beijing_last_hour, read_beijing, years_to_present

STATIONS = [site["code"] for site in demo_fixture()["sites"]]


def test_committed_beijing_copy_converts_completely() -> None:
    report = ImportReport()
    table = read_beijing(
        demo_readings_file(), {code: i for i, code in enumerate(STATIONS, 1)}, ZoneInfo("Asia/Shanghai"), report
    )
    # 12 stations x 35,064 hours; every non-missing pollutant cell becomes one reading.
    assert (report.rows, report.errors) == (420_768, 0)
    assert report.readings == table.num_rows == 2_454_305
    first = table.filter(pc.equal(table["parameter"], "a21005")).slice(0, 1).to_pylist()[0]
    # Aotizhongxin 2013-03-01 00:00 local = 2013-02-28 16:00 UTC; CO 300 µg/m³ → 0.3 mg/m³.
    assert first["time"] == datetime(2013, 2, 28, 16, tzinfo=UTC) and first["value"] == 0.3


def test_stations_without_a_site_are_counted() -> None:
    report = ImportReport()
    table = read_beijing(demo_readings_file(), {"bj-dongsi": 1}, ZoneInfo("Asia/Shanghai"), report)
    assert report.errors == 11 * 35_064 and set(table["site_id"].to_pylist()) == {1}
    assert report.examples and "no site for bj-aotizhongxin" in report.examples[0]


@pytest.mark.parametrize(
    ("last", "now", "years"),
    [
        ((2017, 2, 28, 23), (2026, 12, 7, 10), 10),  # March 2016-Feb 2017 → March 2026-Feb 2027: holds today
        ((2017, 2, 28, 23), (2027, 2, 28, 23), 10),
        ((2017, 2, 28, 23), (2027, 3, 1, 0), 11),
        ((2017, 2, 28, 23), (2017, 2, 28, 23), 0),
        ((2017, 2, 28, 23), (2010, 1, 1, 0), 0),  # already reaching now: never shifted back
        ((2016, 2, 29, 12), (2026, 2, 28, 12), 10),  # 29 February compared as the 28th
        ((2016, 2, 29, 12), (2026, 2, 28, 13), 11),
    ],
)
def test_years_to_present(last: tuple[int, ...], now: tuple[int, ...], years: int) -> None:
    assert years_to_present(datetime(*last), datetime(*now)) == years  # noqa: DTZ001  # naive local, as given


def test_history_shifted_by_whole_years_ends_now() -> None:
    """The demo's history: the Beijing data dated whole years later, nothing after now, no 29 February invented."""
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 7, 10, 30, tzinfo=tz)
    shift = years_to_present(beijing_last_hour(demo_readings_file()), now.replace(tzinfo=None))
    assert shift == 10
    report = ImportReport()
    shifted = read_beijing(demo_readings_file(), {"bj-dongsi": 1}, tz, report, now=now, shift_years=shift, until=now)
    real = read_beijing(demo_readings_file(), {"bj-dongsi": 1}, tz, ImportReport(), now=now)
    times = [t.astimezone(tz) for t in shifted["time"].to_pylist()]
    # The last reading is the hour that ended last (09:00-10:00), none lies in the future.
    assert max(times) == datetime(2026, 12, 7, 9, tzinfo=tz)
    assert report.errors == 11 * 35_064  # the other stations have no site; nothing else is a problem
    # 2016-02-29 does not exist in 2026: its 24 hours are skipped, not moved to another day.
    assert datetime(2026, 2, 28, 23, tzinfo=tz) in times and not any((t.month, t.day) == (2, 29) for t in times)
    assert report.skipped == 24 + _hours_after(now)
    # Whole years: every shifted reading is a real one, the same value at the same wall-clock time 10 years before.
    real_values = {
        (r["parameter"], r["time"].astimezone(tz).replace(tzinfo=None)): r["value"] for r in real.to_pylist()
    }
    for row in shifted.slice(0, 2000).to_pylist() + shifted.slice(shifted.num_rows - 2000).to_pylist():
        local = row["time"].astimezone(tz).replace(tzinfo=None)
        assert real_values[(row["parameter"], local.replace(year=local.year - shift))] == row["value"]


def _hours_after(now: datetime) -> int:
    """Hours of the Beijing data (Dongsi) that end after `now` once dated 10 years later: up to 2027-02-28 23:00."""
    last = datetime(2027, 2, 28, 23, tzinfo=now.tzinfo)
    return int((last - now.replace(minute=0)).total_seconds() // 3600) + 1
