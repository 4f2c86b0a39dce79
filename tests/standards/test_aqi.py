"""HJ 633 AQI: hand-worked values from the standard's tables, both editions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoloop.standards.aqi import (
    IAQI_LEVELS,
    KEYS,
    AqiCategory,
    breakpoints,
    daily_aqi,
    hourly_aqi,
    iaqi,
    level_of,
    report_concentration,
)
from ecoloop.standards.editions import EDITIONS, edition_for


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("key", KEYS)
def test_every_breakpoint_gives_its_level(key: str, edition: str) -> None:
    """On a breakpoint both adjacent segments give the same value: exactly that IAQI (HJ 633 §5.1 formula (1))."""
    for level, bp in zip(IAQI_LEVELS, breakpoints(key, edition), strict=False):  # type: ignore[arg-type]
        assert iaqi(key, bp, edition) == level  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "concentration", "edition", "expected"),
    [
        # ceil(50 · 4.9/35) = ceil(7) = 7; with floats it would be ceil(7.000000000000001) = 8.
        ("PM2_5_24h", "4.9", "2012", 7),
        ("PM2_5_24h", 4.9, "2026", 7),
        # 50 + 50 · (36 − 35)/(75 − 35) = 51.25 → 52 (truncation would give 51).
        ("PM2_5_24h", 36, "2012", 52),
        # 2026: 35–60 maps to 50–100: 50 + 50 · 1/25 = 52 exactly.
        ("PM2_5_24h", 36, "2026", 52),
        ("PM2_5_24h", 75, "2012", 100),
        # 2026: 100 + 50 · (75 − 60)/(115 − 60) = 113.64 → 114.
        ("PM2_5_24h", 75, "2026", 114),
        ("PM2_5_24h", 60, "2026", 100),
        # 2012: 50 + 50 · (60 − 35)/40 = 81.25 → 82.
        ("PM2_5_24h", 60, "2012", 82),
        ("PM10_24h", 120, "2026", 100),
        # 2026: 100 + 50 · (150 − 120)/(250 − 120) = 111.54 → 112.
        ("PM10_24h", 150, "2026", 112),
        ("PM10_24h", 150, "2012", 100),
        # PM 1-hour values use the daily table.
        ("PM10_1h", 150, "2026", 112),
        ("PM2_5_1h", 75, "2026", 114),
        # CO 1.9 mg/m³: 50 · 1.9/2 = 47.5 → 48 (a library that truncates concentrations gives 25).
        ("CO_24h", "1.9", "2012", 48),
        ("CO_1h", "0.8", "2026", 8),
        # NO2 1-hour 101: 50 + 50 · 1/100 = 50.5 → 51.
        ("NO2_1h", 101, "2012", 51),
        # SO2 24-hour 300: 100 + 50 · 150/325 = 123.08 → 124.
        ("SO2_24h", 300, "2026", 124),
        # SO2 1-hour above 800: 2012 not computed, 2026 taken as 200 (Table 1 note 2).
        ("SO2_1h", 800, "2012", 200),
        ("SO2_1h", "800.1", "2012", None),
        ("SO2_1h", "800.1", "2026", 200),
        ("SO2_1h", 5000, "2026", 200),
        # O3 8-hour above 800: 2012 not computed, 2026 taken as 300 (Table 1 note 3).
        ("O3_8h", 800, "2012", 300),
        ("O3_8h", 801, "2012", None),
        ("O3_8h", 801, "2026", 300),
        # O3 8-hour 180: 100 + 50 · 20/55 = 118.18 → 119.
        ("O3_8h", 180, "2026", 119),
        ("O3_1h", 1200, "2012", 500),
        # Above the table the IAQI is capped at 500.
        ("PM2_5_24h", 600, "2026", 500),
        ("CO_24h", 61, "2012", 500),
        ("PM10_24h", 0, "2026", 0),
        # 0.001 µg/m³ of PM2.5 rounds up to IAQI 1.
        ("PM2_5_24h", "0.001", "2026", 1),
        ("PM10_24h", -1, "2026", None),
        ("PM10_24h", None, "2026", None),
    ],
)
def test_iaqi_hand_worked(key: str, concentration: object, edition: str, expected: int | None) -> None:
    assert iaqi(key, concentration, edition) == expected  # type: ignore[arg-type]


def test_unknown_key_and_edition() -> None:
    with pytest.raises(ValueError, match="unknown AQI key"):
        iaqi("PM1_24h", 3)
    with pytest.raises(ValueError, match="unknown edition"):
        iaqi("PM10_24h", 3, "2020")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("PM2_5_1h", "35.5", "36"),  # half to even: 36 is even
        ("PM2_5_1h", "36.5", "36"),
        ("PM2_5_1h", "36.51", "37"),  # more than half
        ("PM2_5_1h", 36.49, "36"),
        ("CO_1h", "0.45", "0.4"),
        ("CO_1h", "0.35", "0.4"),
        ("CO_1h", "0.451", "0.5"),
        ("O3_8h", 160.5, "160"),
    ],
)
def test_2026_rounds_reported_concentrations_half_even(key: str, value: object, expected: str) -> None:
    """HJ 633-2026 §4.2.2: µg/m³ to integers, CO to one decimal, by GB/T 8170."""
    assert report_concentration(key, value, "2026") == Decimal(expected)  # type: ignore[arg-type]
    assert report_concentration(key, value, "2012") == Decimal(str(value))  # type: ignore[arg-type]


def test_rounding_changes_the_iaqi_in_2026_only() -> None:
    # PM2.5 60.4 → 60 → IAQI 100 in 2026; as given in 2012: 50 + 50 · 25.4/40 = 81.75 → 82.
    assert hourly_aqi({"PM2_5_1h": "60.4"}, "2026").iaqi["PM2_5_1h"] == 100
    assert hourly_aqi({"PM2_5_1h": "60.4"}, "2012").iaqi["PM2_5_1h"] == 82


@pytest.mark.parametrize(
    ("aqi", "level", "category", "color"),
    [
        (0, 1, AqiCategory.EXCELLENT, "#00E400"),
        (50, 1, AqiCategory.EXCELLENT, "#00E400"),
        (51, 2, AqiCategory.GOOD, "#FFFF00"),
        (100, 2, AqiCategory.GOOD, "#FFFF00"),
        (101, 3, AqiCategory.LIGHTLY_POLLUTED, "#FF7E00"),
        (150, 3, AqiCategory.LIGHTLY_POLLUTED, "#FF7E00"),
        (151, 4, AqiCategory.MODERATELY_POLLUTED, "#FF0000"),
        (200, 4, AqiCategory.MODERATELY_POLLUTED, "#FF0000"),
        (201, 5, AqiCategory.HEAVILY_POLLUTED, "#99004C"),
        (300, 5, AqiCategory.HEAVILY_POLLUTED, "#99004C"),
        (301, 6, AqiCategory.SEVERELY_POLLUTED, "#7E0023"),
        (500, 6, AqiCategory.SEVERELY_POLLUTED, "#7E0023"),
    ],
)
def test_levels_at_their_bounds(aqi: int, level: int, category: AqiCategory, color: str) -> None:
    assert level_of(aqi) == level
    result = daily_aqi({"PM2_5_24h": _pm25_for(aqi)}, "2012")
    assert (result.aqi, result.level, result.category, result.color) == (aqi, level, category, color)


def _pm25_for(aqi: int) -> Decimal:
    """A 2012 daily PM2.5 concentration whose IAQI is exactly `aqi` (inverting the formula on a segment)."""
    bps = breakpoints("PM2_5_24h", "2012")
    for i in range(1, len(IAQI_LEVELS)):
        if aqi <= IAQI_LEVELS[i]:
            lo, hi = bps[i - 1], bps[i]
            i_lo, i_hi = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
            return lo + (hi - lo) * (aqi - i_lo) / (i_hi - i_lo)
    raise AssertionError


HOUR = {"SO2_1h": 10, "NO2_1h": 40, "CO_1h": "0.8", "O3_1h": 150, "PM10_1h": 80, "PM2_5_1h": 60}


def test_hourly_aqi_2012_hand_worked() -> None:
    """SO2 ceil(50·10/150)=4, NO2 ceil(50·40/100)=20, CO ceil(50·0.8/5)=8, O3 ceil(50·150/160)=47,
    PM10 50+50·30/100=65, PM2.5 50+50·25/40=81.25→82: AQI 82, primary PM2.5, level 2 (良)."""
    result = hourly_aqi(HOUR, "2012")
    assert result.iaqi == {"SO2_1h": 4, "NO2_1h": 20, "CO_1h": 8, "O3_1h": 47, "PM10_1h": 65, "PM2_5_1h": 82}
    assert (result.aqi, result.level, result.category, result.primary) == (82, 2, AqiCategory.GOOD, ("PM2_5_1h",))
    assert result.exceeding == ()


def test_hourly_aqi_2026_hand_worked() -> None:
    """2026 tables: PM10 50+50·30/70=71.43→72, PM2.5 60 → 100: AQI 100, primary PM2.5."""
    result = hourly_aqi(HOUR, "2026")
    assert result.iaqi["PM10_1h"] == 72 and result.iaqi["PM2_5_1h"] == 100
    assert (result.aqi, result.primary) == (100, ("PM2_5_1h",))


def test_ties_make_every_tied_pollutant_primary() -> None:
    result = hourly_aqi({**HOUR, "PM10_1h": 120, "PM2_5_1h": 60}, "2026")
    assert result.aqi == 100
    assert result.primary == ("PM10_1h", "PM2_5_1h")


def test_no_primary_pollutant_at_or_below_50() -> None:
    result = hourly_aqi({"SO2_1h": 5, "NO2_1h": 100, "CO_1h": 1, "O3_1h": 10, "PM10_1h": 20, "PM2_5_1h": 10})
    assert result.aqi == 50
    assert result.primary == ()


def test_exceeding_pollutants_only_in_2012() -> None:
    values = {**HOUR, "PM2_5_1h": 150, "PM10_1h": 250}
    assert hourly_aqi(values, "2012").exceeding == ("PM10_1h", "PM2_5_1h")
    assert hourly_aqi(values, "2026").exceeding == ()


def test_2026_missing_pollutant_publishes_only_above_100() -> None:
    """HJ 633-2026 §5.3.1."""
    missing = {**HOUR, "PM2_5_1h": None}
    low = hourly_aqi(missing, "2026")
    assert (low.aqi, low.level, low.category, low.primary, low.complete) == (None, None, None, (), False)
    assert low.iaqi["PM10_1h"] == 72
    # O3 1-hour 250: 100 + 50 · 50/100 = 125 > 100: published from the rest.
    high = hourly_aqi({**missing, "O3_1h": 250}, "2026")
    assert (high.aqi, high.primary, high.complete) == (125, ("O3_1h",), False)
    # 2012 has no such rule: the AQI of what is there.
    assert hourly_aqi(missing, "2012").aqi == 65


def test_2012_so2_above_800_falls_back_to_the_24h_iaqi() -> None:
    """HJ 633-2012 Table 1 note 2; SO2 24-hour 300 → 124."""
    values = {**HOUR, "SO2_1h": 900, "SO2_24h": 300}
    assert hourly_aqi(values, "2012").iaqi["SO2_1h"] == 124
    assert hourly_aqi({**HOUR, "SO2_1h": 900}, "2012").iaqi["SO2_1h"] is None
    assert hourly_aqi(values, "2026").iaqi["SO2_1h"] == 200


def test_nothing_to_compute() -> None:
    result = hourly_aqi({})
    assert result.aqi is None and result.level is None and not result.complete


DAY = {"SO2_24h": 20, "NO2_24h": 50, "CO_24h": "1.2", "PM10_24h": 130, "PM2_5_24h": 70, "O3_8h": 120}


def test_daily_aqi_items_per_edition() -> None:
    """2012 adds the daily maximum 1-hour O3 (§5.1); 2026 does not."""
    assert set(daily_aqi(DAY, "2026").iaqi) == {"SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h"}
    assert set(daily_aqi({**DAY, "O3_1h": 250}, "2012").iaqi) == set(DAY) | {"O3_1h"}


def test_daily_aqi_hand_worked() -> None:
    """2026: PM2.5 70 → 100 + 50·10/55 = 109.09 → 110; PM10 130 → 100 + 50·10/130 = 103.85 → 104.
    2012: PM2.5 70 → 50 + 50·35/40 = 93.75 → 94; PM10 130 → 50 + 50·80/100 = 90; O3 1-hour 250 → 125."""
    new = daily_aqi(DAY, "2026")
    assert (new.aqi, new.primary, new.level) == (110, ("PM2_5_24h",), 3)
    old = daily_aqi({**DAY, "O3_1h": 250}, "2012")
    assert (old.aqi, old.primary, old.exceeding) == (125, ("O3_1h",), ("O3_1h",))


def test_2012_o3_8h_above_800_is_covered_by_the_1h_term() -> None:
    result = daily_aqi({**DAY, "O3_8h": 850, "O3_1h": 900}, "2012")
    # O3 1-hour 900: 300 + 100 · 100/200 = 350.
    assert result.iaqi["O3_8h"] is None and result.iaqi["O3_1h"] == 350 and result.aqi == 350


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="PM1"):
        hourly_aqi({"PM1": 3})


def test_edition_for_dates() -> None:
    from datetime import date

    assert edition_for(date(2026, 2, 28)) == "2012"
    assert edition_for(date(2026, 3, 1)) == "2026"


concentrations = st.decimals(min_value=0, max_value=3000, places=3, allow_nan=False, allow_infinity=False)


@given(key=st.sampled_from(KEYS), edition=st.sampled_from(EDITIONS), a=concentrations, b=concentrations)
def test_iaqi_is_monotonic(key: str, edition: str, a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    i_low, i_high = iaqi(key, low, edition), iaqi(key, high, edition)  # type: ignore[arg-type]
    if i_low is not None and i_high is not None:
        assert i_low <= i_high
    assert i_low is None or 0 <= i_low <= 500
