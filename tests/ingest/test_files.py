"""History files: the committed Beijing copy converts completely into readings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyarrow.compute as pc

from ecoloop.demo.service import demo_fixture, demo_readings_file
from ecoloop.ingest.files import ImportReport, read_beijing

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
