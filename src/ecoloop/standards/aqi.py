"""Air quality index by HJ 633 (technical regulation on the ambient air quality index), editions 2012 and 2026.

Arithmetic is exact: concentrations become `Fraction`s of their decimal representation and the IAQI is the
ceiling of the exact value, as both editions require ("全部进位取整数", HJ 633-2012 §6.2; "全部向上进位取整数",
HJ 633-2026 §4.2.6). Binary floats would put dozens of values off by one (ceil(4.9 · 50/35) = 8, not 7).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction

from ecoloop.standards.editions import Edition, check_edition

Number = int | float | Decimal | str

# The IAQI levels of the breakpoint table (HJ 633-2012 Table 1; HJ 633-2026 Table 1).
IAQI_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)


def _bp(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


# Concentration breakpoints per key (µg/m³; CO in mg/m³), one per IAQI level (HJ 633-2012 Table 1).
_TABLE_2012: dict[str, tuple[Decimal, ...]] = {
    "SO2_24h": _bp("0", "50", "150", "475", "800", "1600", "2100", "2620"),
    # SO2 1-hour: the table stops at IAQI 200 (800 µg/m³); above it see note 2 (iaqi()).
    "SO2_1h": _bp("0", "150", "500", "650", "800"),
    "NO2_24h": _bp("0", "40", "80", "180", "280", "565", "750", "940"),
    "NO2_1h": _bp("0", "100", "200", "700", "1200", "2340", "3090", "3840"),
    "PM10_24h": _bp("0", "50", "150", "250", "350", "420", "500", "600"),
    "CO_24h": _bp("0", "2", "4", "14", "24", "36", "48", "60"),
    "CO_1h": _bp("0", "5", "10", "35", "60", "90", "120", "150"),
    "O3_1h": _bp("0", "160", "200", "300", "400", "800", "1000", "1200"),
    # O3 8-hour: the table stops at IAQI 300 (800 µg/m³); above it see note 3 (iaqi()).
    "O3_8h": _bp("0", "100", "160", "215", "265", "800"),
    "PM2_5_24h": _bp("0", "35", "75", "115", "150", "250", "350", "500"),
}

# HJ 633-2026 Table 1 changes only the IAQI-100 breakpoints of PM10 (150 → 120) and PM2.5 (75 → 60).
_TABLE_2026: dict[str, tuple[Decimal, ...]] = {
    **_TABLE_2012,
    "PM10_24h": _bp("0", "50", "120", "250", "350", "420", "500", "600"),
    "PM2_5_24h": _bp("0", "35", "60", "115", "150", "250", "350", "500"),
}

# PM10 and PM2.5 have no 1-hour table: their 1-hour values are evaluated on the daily table
# (HJ 633-2026 §5.2 Table 3 note; the national centre's real-time practice before 2026).
_ALIASES = {"PM10_1h": "PM10_24h", "PM2_5_1h": "PM2_5_24h"}

KEYS: tuple[str, ...] = (
    "SO2_1h",
    "SO2_24h",
    "NO2_1h",
    "NO2_24h",
    "PM10_1h",
    "PM10_24h",
    "PM2_5_1h",
    "PM2_5_24h",
    "CO_1h",
    "CO_24h",
    "O3_1h",
    "O3_8h",
)
HOURLY_KEYS: tuple[str, ...] = ("SO2_1h", "NO2_1h", "CO_1h", "O3_1h", "PM10_1h", "PM2_5_1h")
DAILY_KEYS: dict[Edition, tuple[str, ...]] = {
    # HJ 633-2012 §5.1: the daily report adds the daily maximum 1-hour O3 on the 1-hour table.
    "2012": ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h", "O3_1h"),
    # HJ 633-2026 §5.1: six daily items, no O3 1-hour term.
    "2026": ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h"),
}
SO2_1H_CEILING = Decimal(800)
O3_8H_CEILING = Decimal(800)


def breakpoints(key: str, edition: Edition = "2026") -> tuple[Decimal, ...]:
    """The concentration breakpoints of `key` in `edition`, one per entry of IAQI_LEVELS (HJ 633 Table 1)."""
    table = _TABLE_2026 if check_edition(edition) == "2026" else _TABLE_2012
    try:
        return table[_ALIASES.get(key, key)]
    except KeyError:
        raise ValueError(f"unknown AQI key {key!r}; expected one of {', '.join(KEYS)}") from None


def _exact(value: Number) -> Fraction:
    # str() of a float is its shortest repr, i.e. the decimal number that was measured or typed.
    return Fraction(Decimal(value) if isinstance(value, str | Decimal) else Decimal(str(value)))


def iaqi(key: str, concentration: Number | None, edition: Edition = "2026") -> int | None:
    """Individual AQI of one pollutant, from the concentration as given (HJ 633-2012 §5.1 formula (1), Table 1;
    HJ 633-2026 §4.2.5 formula (1), Table 1), rounded up to an integer.

    Segments are continuous: a concentration on a breakpoint gives exactly that breakpoint's IAQI. Above the
    top of the table the standard is silent; the IAQI is capped at 500. None for missing or negative input.

    SO2 1-hour above 800 µg/m³: 2012 does not compute it (Table 1 note 2: report the 24-hour IAQI instead,
    which `hourly_aqi` does when `SO2_24h` is given) → None; 2026 takes it as 200 (Table 1 note 2).
    O3 8-hour above 800 µg/m³: 2012 does not compute it (note 3: the 1-hour IAQI is reported) → None;
    2026 takes it as 300 (note 3).
    """
    edition = check_edition(edition)
    bps = breakpoints(key, edition)
    if concentration is None:
        return None
    c = _exact(concentration)
    if c < 0:
        return None
    if key == "SO2_1h" and c > SO2_1H_CEILING:
        return 200 if edition == "2026" else None
    if key == "O3_8h" and c > O3_8H_CEILING:
        return 300 if edition == "2026" else None
    if c >= bps[-1]:
        return IAQI_LEVELS[len(bps) - 1]
    for i in range(1, len(bps)):
        hi = Fraction(bps[i])
        if c <= hi:
            lo = Fraction(bps[i - 1])
            i_lo, i_hi = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
            return math.ceil((i_hi - i_lo) * (c - lo) / (hi - lo) + i_lo)
    raise AssertionError("unreachable: c is below the last breakpoint")


def report_concentration(key: str, concentration: Number, edition: Edition = "2026") -> Decimal:
    """The concentration as reported before the IAQI is computed.

    2026: µg/m³ values to an integer and CO (mg/m³) to one decimal, by GB/T 8170 ("四舍六入五成双":
    round half to even on the decimal value) (HJ 633-2026 §4.2.2). 2012 prescribes no rounding: the value
    is used as given.
    """
    value = Decimal(concentration) if isinstance(concentration, str | Decimal) else Decimal(str(concentration))
    if check_edition(edition) == "2012":
        return value
    quantum = Decimal("0.1") if key.startswith("CO") else Decimal(1)
    return value.quantize(quantum, rounding=ROUND_HALF_EVEN)


class AqiCategory(StrEnum):
    """The air quality category of an AQI level (HJ 633-2012 Table 2; HJ 633-2026 Appendix A)."""

    EXCELLENT = "优"
    GOOD = "良"
    LIGHTLY_POLLUTED = "轻度污染"
    MODERATELY_POLLUTED = "中度污染"
    HEAVILY_POLLUTED = "重度污染"
    SEVERELY_POLLUTED = "严重污染"


# (upper AQI of the level, category, colour) for levels 1-6 (HJ 633-2012 Table 2; HJ 633-2026 Appendix A).
LEVELS: tuple[tuple[float, AqiCategory, str], ...] = (
    (50, AqiCategory.EXCELLENT, "#00E400"),
    (100, AqiCategory.GOOD, "#FFFF00"),
    (150, AqiCategory.LIGHTLY_POLLUTED, "#FF7E00"),
    (200, AqiCategory.MODERATELY_POLLUTED, "#FF0000"),
    (300, AqiCategory.HEAVILY_POLLUTED, "#99004C"),
    (math.inf, AqiCategory.SEVERELY_POLLUTED, "#7E0023"),
)


def level_of(aqi: int) -> int:
    """The AQI level 1-6 of an AQI value (HJ 633-2012 Table 2; HJ 633-2026 Appendix A Table A.1)."""
    for number, (upper, _category, _colour) in enumerate(LEVELS, start=1):
        if aqi <= upper:
            return number
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class AqiResult:
    """An AQI with its level, category, colour, primary and (2012) exceeding pollutants and every IAQI.

    `aqi`, `level`, `category` and `color` are None where the edition does not publish them (HJ 633-2026
    §5.3.1: a pollutant missing and the AQI of the rest ≤ 100), or where nothing could be computed.
    """

    aqi: int | None
    level: int | None
    category: AqiCategory | None
    color: str | None
    primary: tuple[str, ...]
    exceeding: tuple[str, ...]
    iaqi: dict[str, int | None] = field(default_factory=dict)
    complete: bool = True


def _combine(iaqis: dict[str, int | None], edition: Edition) -> AqiResult:
    """AQI = max IAQI; primary = every key at the maximum when AQI > 50; exceeding = IAQI > 100 (2012 only)
    (HJ 633-2012 §5.2, §7; HJ 633-2026 §4.2.7, §4.3.1, §5.3.1)."""
    known = {k: v for k, v in iaqis.items() if v is not None}
    complete = len(known) == len(iaqis)
    if not known:
        return AqiResult(None, None, None, None, (), (), iaqis, complete)
    aqi = max(known.values())
    exceeding = tuple(k for k, v in known.items() if v > 100) if edition == "2012" else ()
    if edition == "2026" and not complete and aqi <= 100:
        # §5.3.1: with a pollutant missing, AQI, level and primary pollutant are published only above 100.
        return AqiResult(None, None, None, None, (), (), iaqis, complete)
    number = level_of(aqi)
    _upper, category, colour = LEVELS[number - 1]
    primary = tuple(k for k, v in known.items() if v == aqi) if aqi > 50 else ()
    return AqiResult(aqi, number, category, colour, primary, exceeding, iaqis, complete)


def _iaqis(keys: tuple[str, ...], values: Mapping[str, Number | None], edition: Edition) -> dict[str, int | None]:
    unknown = set(values) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown AQI keys: {', '.join(sorted(unknown))}")
    result: dict[str, int | None] = {}
    for key in keys:
        value = values.get(key)
        result[key] = None if value is None else iaqi(key, report_concentration(key, value, edition), edition)
    return result


def hourly_aqi(values: Mapping[str, Number | None], edition: Edition = "2026") -> AqiResult:
    """Real-time (hourly) AQI from the six 1-hour values SO2, NO2, CO, O3, PM10, PM2.5 (HJ 633-2026 §5.2).

    PM10 and PM2.5 1-hour values are evaluated on the daily table. Before 2026 this is what the national
    centre published (it reproduces every published value of 2017-2018), with the 2012 table. For 2012, an
    SO2 1-hour value above 800 µg/m³ is replaced by the IAQI of `SO2_24h` when that is given (HJ 633-2012
    Table 1 note 2); otherwise it counts as missing.
    """
    edition = check_edition(edition)
    iaqis = _iaqis(HOURLY_KEYS, values, edition)
    so2 = values.get("SO2_1h")
    so2_24h = values.get("SO2_24h")
    if edition == "2012" and so2 is not None and iaqis["SO2_1h"] is None and so2_24h is not None:
        iaqis["SO2_1h"] = iaqi("SO2_24h", report_concentration("SO2_24h", so2_24h, edition), edition)
    return _combine(iaqis, edition)


def daily_aqi(values: Mapping[str, Number | None], edition: Edition = "2026") -> AqiResult:
    """Daily AQI (HJ 633-2012 §5.1; HJ 633-2026 §5.1).

    2026: SO2, NO2, CO, PM10, PM2.5 daily means and the O3 daily maximum 8-hour mean (`O3_8h`).
    2012: the same plus the O3 daily maximum 1-hour value (`O3_1h`, on the 1-hour table); an O3 8-hour value
    above 800 µg/m³ is not computed and the 1-hour IAQI stands for O3 (Table 1 note 3).
    """
    edition = check_edition(edition)
    return _combine(_iaqis(DAILY_KEYS[edition], values, edition), edition)
