"""Surface-water sections' monthly means as Ibis expressions (GB 3838-2002, 环办[2011]22号 §1(2)).

Input: stored readings of water stations (`analytics.sites` columns, one row per key: `sites.period_readings`).
Output: one row per section, local month and GB 3838-2002 Table 1 indicator with the arithmetic mean of its valid
values and their count; the class, main pollutants and CWQI of those means are `ecoloop.standards.water`'s
(`results.water`). Every expression is portable: DuckDB and Spark evaluate it alike (tests/analytics/test_water.py).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from ecoloop.analytics.sites import main_parameters
from ecoloop.readings.vocabulary import Interval

# HJ 212-2017 Appendix B (Table B.2) water codes → GB 3838-2002 Table 1 indicators as `ecoloop.standards.water`
# names them: the codes of the readings vocabulary (`readings.parameters`) that Table 1 grades or reports. Table 1
# items without a code there (copper, zinc, selenium, cyanide, LAS, sulphide, fecal coliform) are not read.
WATER_CODES = {
    "w01001": "pH",
    "w01009": "DO",
    "w01019": "CODMn",
    "w01018": "COD",
    "w01017": "BOD5",
    "w21003": "NH3_N",
    "w21011": "TP",
    "w21001": "TN",
    "w21017": "F",
    "w20119": "As",
    "w20111": "Hg",
    "w20115": "Cd",
    "w20117": "Cr6",
    "w20120": "Pb",
    "w23002": "phenol",
    "w22001": "petroleum",
}
INDICATORS = tuple(WATER_CODES.values())
# Which values make a month's mean: the hourly values of the automatic stations; a section's daily values (a
# manual sample, a day's upload) where it has no hourly value of that indicator in the month.
INTERVALS = (Interval.HOUR, Interval.DAY)


def monthly_means(readings: ir.Table, offset: timedelta, invalid_flags: Collection[str]) -> ir.Table:
    """Per section (`site_id`), local month (`month`, its first day) and indicator: `mean`, the arithmetic mean of
    its valid values, and `values`, their count (环办[2011]22号 §1(2): the period value is the mean of the period's
    values, missing ones skipped).

    Only main parameters of the water codes count, with a value that is present and not negative (no
    concentration is) and whose flag (N when none) is none of `invalid_flags` (HJ 212-2017 Table 8: not valid
    monitoring data). A reading's month is that of its local time (UTC + `offset`; a period's time is its start).
    Hourly values make the mean; daily values only for an indicator without an hourly value in the month, so a
    day is never counted twice."""
    flag = readings.flag.nullif("").fill_null("N").upper()
    rows = readings.filter(
        main_parameters(readings)
        & readings.parameter.isin(list(WATER_CODES))
        & readings.interval.isin([i.value for i in INTERVALS])
        & readings.value.notnull()
        & (readings.value >= 0)
        & ~flag.isin(sorted(invalid_flags))
    )
    local = rows.time.cast(dt.Timestamp(scale=6)) + ibis.interval(seconds=int(offset.total_seconds()))
    indicator = ibis.cases(*[(rows.parameter == code, name) for code, name in WATER_CODES.items()])
    rows = rows.mutate(month=local.truncate("M").cast("date"), indicator=indicator)
    per_interval = rows.group_by(["site_id", "month", "indicator", "interval"]).aggregate(
        mean=rows.value.mean(), values=rows.value.count()
    )
    preference = ibis.cases((per_interval.interval == Interval.HOUR.value, 0), else_=1)
    ranked = per_interval.mutate(
        _rank=ibis.row_number().over(group_by=["site_id", "month", "indicator"], order_by=[preference])
    )
    chosen = ranked.filter(ranked._rank == 0)
    return chosen.select(
        chosen.site_id.cast("int64").name("site_id"),
        "month",
        "indicator",
        chosen.mean.cast("float64").name("mean"),
        chosen["values"].cast("int64").name("values"),
    )
