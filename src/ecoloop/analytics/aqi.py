"""HJ 633 AQI as Ibis expressions: the same tables as `ecoloop.standards.aqi`, evaluated column-wise on any backend.

Exactness: concentrations are scaled to integer thousandths (exact for values given with up to three
decimals, which covers every reported precision) and the IAQI is computed with integer arithmetic only, so
the ceiling is exact on DuckDB and Spark alike. `tests/analytics/test_aqi.py` checks this path against the
scalar one value by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from ecoloop.standards.aqi import (
    DAILY_KEYS,
    HOURLY_KEYS,
    IAQI_LEVELS,
    LEVELS,
    O3_8H_CEILING,
    SO2_1H_CEILING,
    breakpoints,
)
from ecoloop.standards.editions import EDITION_2026_START, Edition, check_edition

SCALE = 1000  # concentrations are handled as integer thousandths of their unit


def _milli(value: ir.NumericValue) -> ir.IntegerValue:
    return (value * SCALE).round().cast("int64")


def quantum(key: str) -> int:
    """Reporting precision in thousandths: 0.1 mg/m³ for CO, 1 µg/m³ otherwise (HJ 633-2026 §4.2.2)."""
    return 100 if key.startswith("CO") else SCALE


def round_half_even(milli: ir.IntegerValue, step: int) -> ir.IntegerValue:
    """Round non-negative thousandths to a multiple of `step`, half to even (GB/T 8170).

    ROUND(m / step) rounds halves up; an exact half whose lower neighbour is even (m mod 2·step = step/2) goes back
    down. m / step is a double division, exact enough for m < 2**50 (far above any concentration).
    """
    half_up = (milli / step).round().cast("int64")
    back = (milli % (2 * step) == step // 2).cast("int64")
    return (half_up - back) * step


def iaqi_expr(milli: ir.IntegerValue, key: str, edition: Edition) -> ir.IntegerValue:
    """IAQI of a column of concentrations in thousandths (HJ 633 Table 1 and formula (1); see `standards.aqi.iaqi`)."""
    bps = [int(bp * SCALE) for bp in breakpoints(key, edition)]
    # A null concentration matches no branch and falls through to NULL.
    branches: list[tuple[Any, Any]] = [(milli < 0, ibis.null("int64"))]
    if key == "SO2_1h":
        branches.append((milli > int(SO2_1H_CEILING * SCALE), ibis.null("int64") if edition == "2012" else 200))
    if key == "O3_8h":
        branches.append((milli > int(O3_8H_CEILING * SCALE), ibis.null("int64") if edition == "2012" else 300))
    branches.append((milli >= bps[-1], IAQI_LEVELS[len(bps) - 1]))
    for i in range(1, len(bps)):
        lo, hi = bps[i - 1], bps[i]
        i_lo, i_hi = IAQI_LEVELS[i - 1], IAQI_LEVELS[i]
        numerator = (milli - lo) * (i_hi - i_lo)
        # ceil(n / d) for n ≥ 0 with integers only: (n + d - 1) // d.
        branches.append((milli <= hi, i_lo + (numerator + (hi - lo) - 1) // (hi - lo)))
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
    t = table.mutate(**{f"_m_{k}{tag}": _milli(table[columns[k]]) for k in keys})
    if edition == "2026":
        t = t.mutate(**{f"_c_{k}{tag}": round_half_even(t[f"_m_{k}{tag}"], quantum(k)) for k in keys})
    else:
        t = t.mutate(**{f"_c_{k}{tag}": t[f"_m_{k}{tag}"] for k in keys})
    t = t.mutate(**{f"iaqi_{k}{tag}": iaqi_expr(t[f"_c_{k}{tag}"], k, edition) for k in keys})
    iaqis = [t[f"iaqi_{k}{tag}"] for k in keys]
    t = t.mutate(
        **{
            f"_max{tag}": ibis.greatest(*iaqis) if len(iaqis) > 1 else iaqis[0],
            f"complete{tag}": ibis.and_(*[v.notnull() for v in iaqis]),
        }
    )
    top, complete = t[f"_max{tag}"], t[f"complete{tag}"]
    withheld = ~complete & (top <= 100) if edition == "2026" else ibis.literal(False)
    t = t.mutate(**{f"aqi{tag}": ibis.cases((withheld, ibis.null("int64")), else_=top)})
    aqi = t[f"aqi{tag}"]
    level = ibis.cases(*[(aqi <= upper, n) for n, (upper, _c, _col) in enumerate(LEVELS[:-1], 1)], else_=6)
    named = [t[f"iaqi_{k}{tag}"] for k in keys]
    extra = {
        f"level{tag}": ibis.cases((aqi.isnull(), ibis.null("int64")), else_=level),
        f"primary{tag}": _mask([(aqi > 50) & (v == aqi) for v in named]),
    }
    if edition == "2012":
        extra[f"exceeding{tag}"] = _mask([v > 100 for v in named])
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
