"""The vectorised AQI (Ibis on DuckDB) agrees with the exact scalar path value by value."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoloop.analytics.aqi import keys_of, with_aqi
from ecoloop.standards.aqi import (
    DAILY_KEYS,
    HOURLY_KEYS,
    KEYS,
    breakpoints,
    daily_aqi,
    hourly_aqi,
    iaqi,
    report_concentration,
)
from ecoloop.standards.editions import EDITIONS


@pytest.fixture(scope="module")
def con():  # type: ignore[no-untyped-def]
    backend = ibis.duckdb.connect()
    yield backend
    backend.disconnect()


def _grid(key: str) -> list[float | None]:
    """Every breakpoint of both editions, a hair either side, some odd decimals, the special cases."""
    values: set[float] = set()
    for edition in EDITIONS:
        for bp in breakpoints(key, edition):  # type: ignore[arg-type]
            for delta in ("-0.001", "0", "0.001", "0.5", "-0.5"):
                v = bp + Decimal(delta)
                if v >= 0:
                    values.add(float(v))
    values.update([4.9, 0.0, 801.0, 5000.0, 35.5, 36.5, 0.45, 0.35])
    return [*sorted(values), None]


def _frame(keys: tuple[str, ...], rows: int, seed: int) -> dict[str, list[float | None]]:
    rng = random.Random(seed)
    data: dict[str, list[float | None]] = {}
    for key in keys:
        grid = _grid(key)
        column = [rng.choice(grid) for _ in range(rows // 2)]
        column += [
            None if rng.random() < 0.05 else round(rng.uniform(0, 1000), rng.choice((0, 1, 3)))
            for _ in range(rows - rows // 2)
        ]
        data[key] = column
    return data


def _check(con, keys: tuple[str, ...], report: str, edition: str, data: dict) -> None:  # type: ignore[no-untyped-def]
    table = ibis.memtable(data, schema={k: "float64" for k in data})
    out = con.execute(with_aqi(table, {k: k for k in keys}, report=report, edition=edition)).to_dict("records")
    scalar = hourly_aqi if report == "hourly" else daily_aqi
    for row in out:
        values = {k: row[k] for k in keys if row[k] == row[k] and row[k] is not None}
        expected = scalar(values, edition)  # type: ignore[arg-type]
        got_aqi = None if row["aqi"] != row["aqi"] or row["aqi"] is None else int(row["aqi"])
        assert got_aqi == expected.aqi, (values, row)
        for k in keys:
            got = row[f"iaqi_{k}"]
            got = None if got is None or got != got else int(got)
            assert got == expected.iaqi[k], (k, values)
        assert keys_of(row["primary"], report, edition) == expected.primary
        if edition == "2012":
            assert keys_of(row["exceeding"], report, edition) == expected.exceeding


@pytest.mark.parametrize("edition", EDITIONS)
def test_hourly_vectorised_equals_scalar(con, edition: str) -> None:  # type: ignore[no-untyped-def]
    _check(con, HOURLY_KEYS, "hourly", edition, _frame(HOURLY_KEYS, 3000, 1))


@pytest.mark.parametrize("edition", EDITIONS)
def test_daily_vectorised_equals_scalar(con, edition: str) -> None:  # type: ignore[no-untyped-def]
    keys = DAILY_KEYS[edition]  # type: ignore[index]
    _check(con, keys, "daily", edition, _frame(keys, 3000, 2))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.one_of(st.none(), st.decimals(0, 1500, places=1)) for _ in HOURLY_KEYS]), min_size=1, max_size=20
    ),
    st.sampled_from(EDITIONS),
)
def test_property_hourly_agrees(rows: list[tuple], edition: str) -> None:  # type: ignore[type-arg]
    backend = ibis.duckdb.connect()
    data = {k: [None if r[i] is None else float(r[i]) for r in rows] for i, k in enumerate(HOURLY_KEYS)}
    _check(backend, HOURLY_KEYS, "hourly", edition, data)
    backend.disconnect()


def test_edition_chosen_per_row_by_day(con) -> None:  # type: ignore[no-untyped-def]
    data = {"day": [date(2026, 2, 28), date(2026, 3, 1)], **{k: [10.0, 10.0] for k in HOURLY_KEYS}}
    data["PM2_5_1h"] = [75.0, 75.0]
    out = con.execute(with_aqi(ibis.memtable(data), {k: k for k in HOURLY_KEYS}, day_column="day"))
    assert "aqi__2012" not in out.columns
    assert out["aqi"].tolist() == [100, 114]
    assert out["exceeding"].isna().tolist() == [False, True]


def test_missing_column_is_refused() -> None:
    table = ibis.memtable({"PM10_1h": [1.0]})
    with pytest.raises(ValueError, match="no column"):
        with_aqi(table, {"PM10_1h": "PM10_1h"}, edition="2026")
    assert set(KEYS) >= set(HOURLY_KEYS)


def _every_reported_value(key: str) -> list[Decimal]:
    """Every reported value of `key` from 0 to a fifth past the top of both tables, the half-way points between
    them (where rounding half to even decides), values a thousandth either side of each half-way point, and a few
    negative values (2026 reports -0.4 as 0, whose IAQI is 0; 2012 computes none)."""
    unit = Decimal("0.1") if key.startswith("CO") else Decimal(1)
    top = max(max(breakpoints(key, edition)) for edition in EDITIONS)  # type: ignore[arg-type]
    values: list[Decimal] = [-unit, -unit / 2, -unit / 2 - Decimal("0.001"), Decimal("-0.001")]
    for n in range(int(top / unit * Decimal("1.2")) + 2):
        whole = n * unit
        values += [whole, whole + unit / 2, whole + unit / 2 - Decimal("0.001"), whole + unit / 2 + Decimal("0.001")]
    return values


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("report", ["hourly", "daily"])
def test_every_reported_value_agrees_with_the_scalar_iaqi(con, report: str, edition: str) -> None:  # type: ignore[no-untyped-def]
    """Each IAQI column equals `standards.aqi.iaqi` of the reported concentration for every reported value in
    range, every half-way point and its neighbours: the rounding, the segment choice and the ceiling are exact."""
    keys = HOURLY_KEYS if report == "hourly" else DAILY_KEYS[edition]  # type: ignore[index]
    columns = {key: _every_reported_value(key) for key in keys}
    rows = max(len(values) for values in columns.values())
    data = {key: [float(values[i % len(values)]) for i in range(rows)] for key, values in columns.items()}
    table = ibis.memtable(data, schema={k: "float64" for k in keys})
    out = con.execute(with_aqi(table, {k: k for k in keys}, report=report, edition=edition))
    for key, values in columns.items():
        got = out[f"iaqi_{key}"].tolist()[: len(values)]
        expected = [iaqi(key, report_concentration(key, v, edition), edition) for v in values]  # type: ignore[arg-type]
        wrong = [(v, g, e) for v, g, e in zip(values, got, expected, strict=True) if (None if g != g else g) != e]
        assert not wrong, (key, len(wrong), wrong[:5])
