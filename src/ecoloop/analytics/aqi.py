"""HJ 633 AQI as Ibis expressions: the same tables as `ecoloop.standards.aqi`, evaluated column-wise on any backend.

Exactness: concentrations become whole numbers of their reporting unit (2026) or of thousandths (2012), held in
doubles, which represent such integers exactly (values given with up to three decimals, which covers every
reported precision); rounding half to even and the ceiling of each IAQI segment are exact IEEE 754 operations,
so the result is the same on DuckDB and Spark. `tests/analytics/test_aqi.py` checks this path against the
scalar one value by value.

Speed (bench/standards.py): every step is a few vectorised double operations; the only branching is one CASE
ladder per pollutant over the table's segments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from ecoloop.standards.aqi import (
    DAILY_KEYS,
    HOURLY_KEYS,
    IAQI_LEVELS,
    LEVELS,
    breakpoints,
)
from ecoloop.standards.editions import EDITION_2026_START, Edition, check_edition

SCALE = 1000  # concentrations are handled as integer thousandths of their unit


def quantum(key: str) -> int:
    """Reporting precision in thousandths: 0.1 mg/m³ for CO, 1 µg/m³ otherwise (HJ 633-2026 §4.2.2)."""
    return 100 if key.startswith("CO") else SCALE


# Adding and then subtracting 1.5·2**52 rounds a double of magnitude below 2**51 to a whole number, half to even:
# the sum lies where consecutive doubles are 1 apart, and IEEE 754 arithmetic (C++, the JVM) rounds to the nearest,
# ties to even. Two additions replace ROUND (half away from zero on DuckDB and Spark), a modulo and a correction.
_RINT = 1.5 * 2**52


def _rint(value: ir.FloatingValue) -> ir.FloatingValue:
    """`value` rounded to a whole number, half to even (still a double)."""
    magic = ibis.literal(_RINT, type="float64")
    return (value + magic) - magic


def round_half_even(milli: ir.IntegerValue, step: int) -> ir.IntegerValue:
    """Round thousandths (or any integer units) to a multiple of `step`, half to even (GB/T 8170).

    m / step is a double division, correctly rounded: an exact half stays exact, and any other quotient lies at
    least 1/step from a half, far more than the rounding error for m < 2**50 (far above any concentration).
    """
    return (_rint(milli / step) * step).cast("int64")


def _reported(value: ir.NumericValue, key: str, edition: Edition) -> tuple[ir.FloatingValue, int]:
    """The concentration as a whole number of units (a double), and the unit in thousandths.

    2026 reports to its precision first (HJ 633-2026 §4.2.2, half to even). µg/m³ values are rounded to whole units
    on the value itself: a double lies on the same side of every half-integer as the decimal it stands for, and a
    decimal half-integer is a double, so this is exact for any input. CO goes to tenths through thousandths
    (exact for values with up to three decimals). 2012 takes the value as given, in thousandths.
    """
    value = value.cast("float64")
    if edition == "2012":
        return _rint(value * SCALE), 1
    step = quantum(key)
    if step == SCALE:
        return _rint(value), step
    return _rint(_rint(value * SCALE) / step), step


def iaqi_expr(value: ir.NumericValue, key: str, edition: Edition, unit: int = 1) -> ir.IntegerValue:
    """IAQI of a column of whole-number concentrations counted in `unit` thousandths (thousandths by default)
    (HJ 633 Table 1 and formula (1); see `standards.aqi.iaqi`).

    Each segment is one line with integer coefficients: i_lo + (c - lo)·ΔI/Δc = (c·ΔI + i_lo·Δc - lo·ΔI) / Δc.
    Its ceiling is taken on the double quotient of two integers below 2**53, which is correctly rounded: an
    integer quotient is exact, and any other lies at least 1/Δc below the next integer, far more than the
    rounding error, so the ceiling is exact on every backend.
    """
    bps = [int(bp * SCALE) // unit for bp in breakpoints(key, edition)]
    c = value
    # A null concentration matches no branch and falls through to NULL. Most values lie in the lowest segments,
    # which come first.
    branches: list[tuple[Any, Any]] = [(c < 0, ibis.null("int64"))]
    for i in range(1, len(bps)):
        lo, hi = bps[i - 1], bps[i]
        i_lo, i_hi = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
        slope, width, offset = i_hi - i_lo, hi - lo, i_lo * (hi - lo) - lo * (i_hi - i_lo)
        divisor = math.gcd(slope, width, offset)
        slope, width, offset = slope // divisor, width // divisor, offset // divisor
        branches.append((c <= hi, ((c * slope + offset) / width).ceil()))
    if not (edition == "2012" and key in ("SO2_1h", "O3_8h")):
        # Above the table: its top level (500; 200 for SO2 1-hour and 300 for O3 8-hour, HJ 633-2026 Table 1
        # notes 2 and 3). HJ 633-2012 computes neither of those two above its table (notes 2 and 3): NULL.
        branches.append((c > bps[-1], IAQI_LEVELS[len(bps) - 1]))
    return ibis.cases(*branches).cast("int64")


def _stages(table: ir.Table, columns: Mapping[str, str], edition: Edition, report: str, tag: str) -> ir.Table:
    """Add the AQI columns (suffixed `tag`) in successive projections, so the SQL grows linearly.

    AQI = max IAQI; primary = the keys at the maximum when AQI > 50; exceeding = IAQI > 100 (2012 only);
    HJ 633-2026 §5.3.1: with a pollutant missing, the AQI is published only above 100 (see `standards.aqi`).
    """
    edition = check_edition(edition)
    keys = HOURLY_KEYS if report == "hourly" else DAILY_KEYS[edition]
    missing = [k for k in keys if k not in columns]
    if missing:
        raise ValueError(f"no column given for {', '.join(missing)}")
    # One projection per step, so every expression refers to columns and the SQL stays linear in size.
    reported = {k: _reported(table[columns[k]], k, edition) for k in keys}
    t = table.mutate(**{f"_c_{k}{tag}": value for k, (value, _unit) in reported.items()})
    t = t.mutate(**{f"iaqi_{k}{tag}": iaqi_expr(t[f"_c_{k}{tag}"], k, edition, reported[k][1]) for k in keys})
    iaqis = [t[f"iaqi_{k}{tag}"] for k in keys]
    top = ibis.greatest(*iaqis) if len(iaqis) > 1 else iaqis[0]
    complete = ibis.and_(*[v.notnull() for v in iaqis])
    # HJ 633-2026 §5.3.1: with a pollutant missing, the AQI is published only above 100.
    withheld = ~complete & (top <= 100)
    aqi = ibis.cases((withheld, ibis.null("int64")), else_=top) if edition == "2026" else top
    t = t.mutate(**{f"complete{tag}": complete, f"aqi{tag}": aqi})
    aqi = t[f"aqi{tag}"]
    # A null AQI matches no branch and falls through to NULL.
    levels = [(aqi <= upper, n) for n, (upper, _c, _col) in enumerate(LEVELS[:-1], 1)]
    extra = {
        f"level{tag}": ibis.cases(*levels, (aqi > LEVELS[-2][0], len(LEVELS))).cast("int64"),
        f"primary{tag}": ibis.cases((aqi > 50, _mask([t[f"iaqi_{k}{tag}"] == aqi for k in keys])), else_=0),
    }
    if edition == "2012":
        extra[f"exceeding{tag}"] = _mask([t[f"iaqi_{k}{tag}"] > 100 for k in keys])
    t = t.mutate(**extra)
    return t.drop(*[c for c in t.columns if c.startswith("_") and c.endswith(tag) and c not in table.columns])


def _mask(conditions: list[ir.BooleanValue]) -> ir.IntegerValue:
    """A bit mask: bit i set where condition i holds (null counts as not holding)."""
    total: ir.IntegerValue = ibis.literal(0, type="int64")
    for bit, condition in enumerate(conditions):
        total = total + ibis.cases((condition, 1 << bit), else_=0)
    return total


def keys_of(mask: int | None, report: str = "hourly", edition: Edition = "2026") -> tuple[str, ...]:
    """The pollutant keys a `primary` or `exceeding` mask stands for, in the order of the standard's items."""
    if mask is None:
        return ()
    keys = HOURLY_KEYS if report == "hourly" else DAILY_KEYS[check_edition(edition)]
    return tuple(k for bit, k in enumerate(keys) if int(mask) & (1 << bit))


def with_aqi(
    table: ir.Table,
    columns: Mapping[str, str],
    *,
    report: str = "hourly",
    edition: Edition | None = None,
    day_column: str | None = None,
) -> ir.Table:
    """`table` with IAQI per key, `aqi`, `level`, `primary`, `complete` and, for 2012, `exceeding` added, for
    `report` "hourly" (six 1-hour values) or "daily". `primary` and `exceeding` are bit masks over the keys of
    the report (cheap to store and compare); `keys_of()` turns one into the keys.

    Give `edition` for one edition, or `day_column` (a date) to apply, row by row, the edition in force on
    that day (HJ 633-2012 before 2026-03-01, HJ 633-2026 from then on).
    """
    if edition is not None:
        return _stages(table, columns, edition, report, "")
    if day_column is None:
        raise ValueError("give an edition or a day column")
    both = _stages(_stages(table, columns, "2012", report, "__2012"), columns, "2026", report, "__2026")
    is_new = both[day_column].cast("date") >= ibis.literal(EDITION_2026_START, type="date")
    names = [c.removesuffix("__2026") for c in both.columns if c.endswith("__2026")]
    picked: dict[str, Any] = {}
    for name in names:
        new = both[f"{name}__2026"]
        old = both[f"{name}__2012"] if f"{name}__2012" in both.columns else ibis.null(new.type())
        picked[name] = ibis.cases((is_new, new), else_=old)
    picked["exceeding"] = ibis.cases((is_new, ibis.null("int64")), else_=both["exceeding__2012"])
    result = both.mutate(**picked)
    return result.drop(*[c for c in result.columns if c.endswith(("__2012", "__2026"))])
