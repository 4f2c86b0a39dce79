"""The evaluation pipeline (Ibis on DuckDB) on real Beijing data: pinned hand-worked days, and day-by-day
agreement with the scalar functions of `ecoloop.standards` in both editions."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecoloop.analytics import air, backends
from ecoloop.analytics.aqi import keys_of
from ecoloop.standards import evaluation
from ecoloop.standards.aqi import daily_aqi
from ecoloop.standards.editions import edition_for
from tests.analytics.engines import PY4J_WARNINGS

PARQUET = (
    Path(__file__).resolve().parents[2] / "src" / "ecoloop" / "demo" / "beijing" / "beijing_multisite_hourly.parquet"
)


@pytest.fixture(scope="module")
def con():  # type: ignore[no-untyped-def]
    backend = ibis.duckdb.connect()
    yield backend
    backend.disconnect()


def beijing(con, station: str, start: str, end: str, shift_days: int = 0):  # type: ignore[no-untyped-def]
    t = con.read_parquet(PARQUET)
    t = t.filter(
        (t.station == station) & (t.hour_start >= ibis.timestamp(start)) & (t.hour_start < ibis.timestamp(end))
    )
    return t.mutate(co=t.co_ug / 1000, hour_start=t.hour_start + ibis.interval(days=shift_days))


def run(con, readings, start: date, end: date):  # type: ignore[no-untyped-def]
    hourly = air.normalise(readings)
    return con.execute(air.daily_aqi(air.daily_values(hourly), start, end).order_by("day")), con.execute(hourly)


def test_dongsi_first_days_pinned(con) -> None:  # type: ignore[no-untyped-def]
    """Dongsi, 2013-03-01 (HJ 633-2012, worked by hand from the 24 hourly values):
    PM2.5 154/24 = 6.42 → 6 → ceil(50·6/35) = 9; PM10 237/24 = 9.875 → 10 → 10; NO2 (23 h) 656/23 = 28.5 → 29 →
    ceil(50·29/40) = 37; O3 1-hour max 92 → ceil(50·92/160) = 29; MDA8 = hours 10–17 (82 83 86 91 92 92 91 87)
    = 704/8 = 88 → ceil(50·88/100) = 44. AQI 44, level 1, no primary pollutant.
    2013-03-05: PM2.5 154 → 200 + 100·4/100 = 204 (重度). 2013-03-07: PM2.5 274 → 300 + 100·24/100 = 324 (严重);
    PM10 307 → 150 + 50·57/100 = 178.5 → 179."""
    days, _hourly = run(con, beijing(con, "Dongsi", "2013-03-01", "2013-03-08"), date(2013, 3, 1), date(2013, 3, 7))
    by_day = {row["day"].date() if hasattr(row["day"], "date") else row["day"]: row for row in days.to_dict("records")}
    first = by_day[date(2013, 3, 1)]
    assert (first["PM2_5_24h"], first["PM10_24h"], first["NO2_24h"], first["O3_1h"], first["O3_8h"]) == (
        6,
        10,
        29,
        92,
        88,
    )
    assert (first["iaqi_PM2_5_24h"], first["iaqi_PM10_24h"], first["iaqi_NO2_24h"]) == (9, 10, 37)
    assert (first["iaqi_O3_1h"], first["iaqi_O3_8h"], first["aqi"], first["level"]) == (29, 44, 44, 1)
    assert keys_of(first["primary"], "daily", "2012") == ()
    fifth, seventh = by_day[date(2013, 3, 5)], by_day[date(2013, 3, 7)]
    assert (fifth["aqi"], fifth["level"], keys_of(fifth["primary"], "daily", "2012")) == (204, 5, ("PM2_5_24h",))
    assert (seventh["aqi"], seventh["level"], seventh["iaqi_PM10_24h"]) == (324, 6, 179)
    # Exceeding (IAQI > 100, 2012 only): NO2 174 → 100 + 50·94/100 = 147; CO 4.2 → 100 + 50·0.2/10 = 101.
    assert keys_of(seventh["exceeding"], "daily", "2012") == ("NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h")


def _scalar_days(hourly_rows: list[dict]) -> dict[date, dict[str, Decimal | None]]:  # type: ignore[type-arg]
    hours: dict[date, dict[int, dict]] = defaultdict(dict)  # type: ignore[type-arg]
    for row in hourly_rows:
        stamp: datetime = (
            row["hour_start"].to_pydatetime() if hasattr(row["hour_start"], "to_pydatetime") else row["hour_start"]
        )
        hours[stamp.date()][stamp.hour] = row
    out = {}
    for day, by_hour in hours.items():

        def column(name: str, by_hour: dict = by_hour) -> list[float | None]:  # type: ignore[type-arg]
            return [_clean(by_hour.get(h, {}).get(name)) for h in range(24)]

        values: dict[str, Decimal | None] = {
            "SO2_24h": evaluation.daily_mean(column("SO2")),
            "NO2_24h": evaluation.daily_mean(column("NO2")),
            "CO_24h": evaluation.daily_mean(column("CO")),
            "PM10_24h": evaluation.daily_mean(column("PM10")),
            "PM2_5_24h": evaluation.daily_mean(column("PM2_5")),
            "O3_8h": evaluation.mda8(column("O3"), day),
            "O3_1h": evaluation.daily_max_1h(column("O3")),
        }
        key_of = {
            "SO2_24h": "SO2",
            "NO2_24h": "NO2",
            "CO_24h": "CO",
            "PM10_24h": "PM10",
            "PM2_5_24h": "PM2_5",
            "O3_8h": "O3",
            "O3_1h": "O3",
        }
        out[day] = {k: None if v is None else evaluation.report_value(key_of[k], v) for k, v in values.items()}
    return out


def _clean(value: object) -> float | None:
    if value is None or value != value:
        return None
    return float(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("station", "start", "end", "shift_days"),
    [
        ("Dongsi", "2013-03-01", "2013-05-01", 0),  # HJ 633-2012
        ("Wanliu", "2016-11-15", "2017-01-15", 0),  # winter smog, 2012
        ("Gucheng", "2014-06-01", "2014-08-01", 365 * 13 + 3),  # shifted to 2027: HJ 633-2026
        ("Tiantan", "2013-12-31", "2014-02-28", 4442),  # shifted across 2026-03-01: edition per day
    ],
)
def test_pipeline_agrees_with_scalar_functions(con, station: str, start: str, end: str, shift_days: int) -> None:  # type: ignore[no-untyped-def]
    readings = beijing(con, station, start, end, shift_days)
    first = datetime.fromisoformat(start) + timedelta(days=shift_days)
    last = datetime.fromisoformat(end) + timedelta(days=shift_days - 1)
    days, hourly = run(con, readings, first.date(), last.date())
    scalar = _scalar_days(hourly.to_dict("records"))
    assert len(days) == len(scalar) > 50
    editions = set()
    for row in days.to_dict("records"):
        day = row["day"].date() if hasattr(row["day"], "date") else row["day"]
        edition = edition_for(day)
        editions.add(edition)
        expected_values = scalar[day]
        for key, value in expected_values.items():
            got = row[key]
            got = None if got is None or got != got else Decimal(str(got))
            assert got == value, (day, key)
        expected = daily_aqi({k: v for k, v in expected_values.items() if v is not None}, edition)
        got_aqi = None if row["aqi"] is None or row["aqi"] != row["aqi"] else int(row["aqi"])
        assert got_aqi == expected.aqi, (day, expected_values)
        assert keys_of(row["primary"], "daily", edition) == expected.primary, day
    if shift_days == 4442:
        assert editions == {"2012", "2026"}


def test_annual_statistics_and_composite_index(con) -> None:  # type: ignore[no-untyped-def]
    readings = beijing(con, "Dongsi", "2014-01-01", "2015-01-01")
    hourly = air.normalise(readings)
    daily = air.daily_aqi(air.daily_values(hourly), date(2014, 1, 1), date(2014, 12, 31))
    stats = con.execute(air.period_statistics(daily, date(2014, 12, 31))).to_dict("records")[0]
    days = con.execute(daily)
    pm25 = [Decimal(str(v)) for v in days.PM2_5_24h.dropna()]
    assert stats["PM2_5_days"] == len(pm25)
    assert Decimal(str(stats["PM2_5_p95"])).quantize(Decimal("0.0001")) == evaluation.percentile(
        pm25, Decimal("0.95")
    ).quantize(Decimal("0.0001"))
    aqis = [int(a) for a in days.aqi.dropna()]
    assert stats["good_days"] == sum(a <= 100 for a in aqis) and stats["heavy_days"] == sum(a > 200 for a in aqis)
    expected_index = (
        stats["SO2_mean"] / 60
        + stats["NO2_mean"] / 40
        + stats["PM10_mean"] / 70
        + stats["PM2_5_mean"] / 35
        + stats["CO_p95"] / 4
        + stats["O3_p90"] / 160
    )
    assert stats["composite_index"] == pytest.approx(expected_index)
    assert 5 < stats["composite_index"] < 12  # Beijing 2014 was heavily polluted


def test_area_values_are_station_means_and_rank_with_ties(con) -> None:  # type: ignore[no-untyped-def]
    """Two Beijing stations form one area: its daily PM2.5 is the reported mean of theirs, its AQI is computed
    from those means, and areas rank by composite index (ties equal) through `standards.ranking`."""
    from ecoloop.standards.ranking import rank

    readings = beijing(con, "Dongsi", "2014-01-01", "2014-02-01").union(
        beijing(con, "Tiantan", "2014-01-01", "2014-02-01")
    )
    hourly = air.normalise(readings)
    start, end = date(2014, 1, 1), date(2014, 1, 31)
    daily = air.daily_values(hourly)
    membership = ibis.memtable({"station": ["Dongsi", "Tiantan"], "area": ["east", "east"]})
    area = con.execute(air.daily_aqi(air.area_daily_values(daily, membership), start, end).order_by("day"))
    stations = con.execute(daily).pivot_table(index="day", columns="station", values="PM2_5_24h")
    first = area.iloc[0]
    both = stations.loc[first["day"]]
    expected = evaluation.report_value("PM2_5", (Decimal(str(both["Dongsi"])) + Decimal(str(both["Tiantan"]))) / 2)
    assert Decimal(str(first["PM2_5_24h"])) == expected and first["station"] == "east" and first["stations"] == 2
    scalar = daily_aqi(
        {k: first[k] for k in ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h", "O3_1h")}, "2012"
    )
    assert int(first["aqi"]) == scalar.aqi
    stats = con.execute(air.period_statistics(air.daily_aqi(daily, start, end), end)).to_dict("records")
    ranks = rank({row["station"]: round(row["composite_index"], 2) for row in stats})
    assert sorted(ranks.values()) in ([1, 2], [1, 1])


@PY4J_WARNINGS[0]
@PY4J_WARNINGS[1]
def test_period_statistics_count_days_per_level(backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Seven days of a planted daily table: AQI 50 (1), 51 (2), 100 (2), 150 (3), 201 (5), 301 (6), none.
    aqis = [50, 51, 100, 150, 201, 301, None]
    levels = [1, 2, 2, 3, 5, 6, None]
    rows = {
        "station": [7] * 7,
        "day": [date(2026, 1, d) for d in range(1, 8)],
        "aqi": aqis,
        "level": levels,
        **{k: [10.0] * 7 for k in air.DAILY_ITEMS},
    }
    # Read from Parquet, as the daily results are: an in-memory table with a null in an integer column reaches Spark
    # through pandas with the whole column null.
    schema = pa.schema(
        [("station", pa.int64()), ("day", pa.date32()), ("aqi", pa.int64()), ("level", pa.int64())]
        + [(k, pa.float64()) for k in air.DAILY_ITEMS]
    )
    pq.write_table(pa.table(rows, schema=schema), tmp_path / "daily.parquet")
    daily = backends.read_parquet_files(backend, [tmp_path / "daily.parquet"])
    stats = backend.to_pyarrow(air.period_statistics(daily, date(2026, 1, 1))).to_pylist()[0]
    assert [stats[f"level_{n}_days"] for n in range(1, 7)] == [1, 2, 1, 0, 1, 1]
    assert stats["aqi_days"] == 6 and stats["good_days"] == 3 and stats["heavy_days"] == 2
    expected = evaluation.aqi_day_counts(aqis)
    assert tuple(stats[f"level_{n}_days"] for n in range(1, 7)) == expected.level_days
