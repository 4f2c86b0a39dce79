"""How the water pages, exports and API show the kept water results: indicator names and units, the precision of
each mean, class colours, the main pollutants in words, the rows of the month's export, and the ECharts options
of the charts (drawn by static/charts.js; every label a catalog message, user data only as data values)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any

from ecoloop.analytics.water import WATER_CODES
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.results.water_queries import Section, SectionMonth, Summary
from ecoloop.standards.water import PH_RANGE, WaterGrade, limits_for

CODES = {indicator: code for code, indicator in WATER_CODES.items()}
# Decimals a mean is shown with: the precision monitoring reports give each indicator (an ecoloop choice, finer than
# the two significant digits of GB 3838-2002 Table 1's limits).
DECIMALS = {
    "pH": 2, "DO": 2, "CODMn": 1, "COD": 1, "BOD5": 1, "NH3_N": 3, "TP": 3, "TN": 2, "F": 2,
    "As": 4, "Hg": 5, "Cd": 4, "Cr6": 3, "Pb": 4, "phenol": 4, "petroleum": 2,
}  # fmt: skip
# Class colours as water-quality bulletins and the national real-time release draw them (a convention, not a
# standard): blues for I-II, green III, yellow IV, orange V, red 劣V.
GRADE_COLOURS = {
    WaterGrade.CLASS_I: "#44c5fd",
    WaterGrade.CLASS_II: "#1f8ef1",
    WaterGrade.CLASS_III: "#3fae49",
    WaterGrade.CLASS_IV: "#f2c318",
    WaterGrade.CLASS_V: "#f7901e",
    WaterGrade.WORSE_THAN_V: "#e53935",
}
MAIN_WITH_MULTIPLE = N_("%(name)s (%(multiple)s times over)")
LIST_SEPARATOR = N_("%(first)s, %(next)s")


def indicator_name(indicator: str) -> str:
    """The indicator's name in the current language (氨氮)."""
    return parameters.name(CODES[indicator])


def indicator_label(indicator: str) -> str:
    """The indicator's name with its unit (氨氮 (mg/L)), as table headers show it."""
    return parameters.label(CODES[indicator])


def shown(indicator: str, value: float | None) -> str:
    """A mean to its indicator's decimals, half to even (GB/T 8170), or "" when none."""
    if value is None:
        return ""
    places = Decimal(1).scaleb(-DECIMALS[indicator])
    return str(Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_EVEN))


def main_text(main: Sequence[tuple[str, str | None]]) -> str:
    """The main pollutants in words, in the method's order (NH3-N 0.2 times over, DO)."""
    parts = [
        gettext(MAIN_WITH_MULTIPLE) % {"name": indicator_name(k), "multiple": m} if m else indicator_name(k)
        for k, m in main
    ]
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = gettext(LIST_SEPARATOR) % {"first": text, "next": part}
    return text


def grade_name(grade: WaterGrade | None) -> str:
    return gettext(grade.label) if grade is not None else ""


MONTH_COLUMNS = (
    N_("Section code"),
    N_("Section"),
    N_("Region"),
    N_("Water quality class"),
    N_("Main pollutants (times over the class III limit)"),
    N_("CWQI"),
    N_("Water quality target"),
    N_("Meets the target"),
)


def month_columns(indicators: Sequence[str]) -> list[str]:
    """The header of the month's export."""
    return [gettext(MONTH_COLUMNS[n]) for n in range(len(MONTH_COLUMNS))] + [indicator_label(i) for i in indicators]


def month_export_rows(
    rows: Sequence[tuple[Section, SectionMonth | None]], indicators: Sequence[str]
) -> list[list[Any]]:
    """The month's table as export rows: text stays text, means as numbers to their decimals."""
    out: list[list[Any]] = [month_columns(indicators)]
    for section, m in rows:
        if m is None:
            out.append([section.code, section.name, section.region_name, gettext(N_("No data"))])
            continue
        meets = "" if m.meets is None else gettext(N_("Yes") if m.meets else N_("No"))
        out.append(
            [
                section.code,
                section.name,
                section.region_name,
                grade_name(m.grade),
                main_text(m.main),
                float(m.cwqi) if m.cwqi is not None else None,
                grade_name(m.target),
                meets,
                *[float(shown(i, m.means[i])) if i in m.means else None for i in indicators],
            ]
        )
    return out


def indicators_of(months: Sequence[SectionMonth]) -> list[str]:
    """The indicators with a mean in any of `months`, in GB 3838-2002 Table 1 order."""
    present = {k for m in months for k in m.means}
    return [i for i in WATER_CODES.values() if i in present]


# --- charts ---------------------------------------------------------------------------------------------------------


def distribution_chart(summary: Summary) -> dict[str, Any]:
    """Bars of how many sections are in each class."""
    grades = list(WaterGrade)
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 32},
        "xAxis": {"type": "category", "data": [grade_name(g) for g in grades]},
        "yAxis": {"type": "value", "minInterval": 1, "name": gettext(N_("Number of sections"))},
        "series": [
            {
                "type": "bar",
                "name": gettext(N_("Number of sections")),
                "data": [
                    {"value": summary.by_grade.get(g, 0), "itemStyle": {"color": GRADE_COLOURS[g]}} for g in grades
                ],
                "label": {"show": True, "position": "top"},
            }
        ],
    }


def grade_chart(months: Sequence[date], found: dict[date, SectionMonth]) -> dict[str, Any]:
    """The class of each month (a gap where none is kept), coloured by class."""
    grades = list(WaterGrade)
    data: list[Any] = []
    for month in months:
        m = found.get(month)
        if m is None or m.grade is None:
            data.append(None)
        else:
            data.append({"value": grade_name(m.grade), "itemStyle": {"color": GRADE_COLOURS[m.grade]}})
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 72, "right": 16, "top": 16, "bottom": 32},
        "xAxis": {"type": "category", "data": [month.strftime("%Y-%m") for month in months]},
        "yAxis": {"type": "category", "data": [grade_name(g) for g in grades], "inverse": True},
        "series": [
            {
                "type": "line",
                "name": gettext(N_("Water quality class")),
                "data": data,
                "symbol": "circle",
                "symbolSize": 12,
                "connectNulls": False,
                "lineStyle": {"color": "#9aa5b1"},
            }
        ],
    }


def limit_lines(indicator: str, grade: WaterGrade) -> list[tuple[str, float]]:
    """The limits a mean of `indicator` is held to in class `grade` (GB 3838-2002 Table 1, the river rows): pH its
    range 6-9, TN (classed for lakes only) none."""
    if indicator == "pH":
        return [
            (gettext(N_("pH lower limit")), float(PH_RANGE[0])),
            (gettext(N_("pH upper limit")), float(PH_RANGE[1])),
        ]
    if indicator == "TN" or grade is WaterGrade.WORSE_THAN_V:
        return []
    limit = limits_for(indicator).limits[grade.rank - 1]
    return [(gettext(N_("%(grade)s limit")) % {"grade": grade_name(grade)}, float(limit))]


def nice_ceiling(value: float) -> float:
    """The smallest multiple of half a power of ten at or above `value` (6.59 → 7, 0.0173 → 0.02)."""
    if value <= 0:
        return 1.0
    step = Decimal(1).scaleb(math.floor(math.log10(value))) / 2
    return float((Decimal(repr(value)) / step).to_integral_value(rounding=ROUND_CEILING) * step)


def indicator_chart(
    indicator: str, months: Sequence[date], found: dict[date, SectionMonth], grade: WaterGrade
) -> dict[str, Any]:
    """The monthly means of one indicator against the limit of class `grade` (the section's target)."""
    values = [shown(indicator, found[m].means.get(indicator)) if m in found else "" for m in months]
    lines = limit_lines(indicator, grade)
    numbers = [float(v) for v in values if v] + [value for _name, value in lines]
    series: dict[str, Any] = {
        "type": "line",
        "name": indicator_label(indicator),
        "data": [float(v) if v else None for v in values],
        "connectNulls": False,
        "symbol": "circle",
        "itemStyle": {"color": "#1f5fa8"},
    }
    if lines:
        series["markLine"] = {
            "symbol": "none",
            "lineStyle": {"color": "#e53935", "type": "dashed"},
            "label": {"formatter": "{b}"},
            "data": [{"name": name, "yAxis": value} for name, value in lines],
        }
    # The axis reaches the limits too (ECharts fits it to the data alone), so a limit is never off the chart.
    axis: dict[str, Any] = {"type": "value", "min": 0}
    if numbers:
        axis["max"] = nice_ceiling(max(numbers) * 1.1)
    return {
        "animation": False,
        "title": {"text": indicator_label(indicator), "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 72, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [month.strftime("%Y-%m") for month in months]},
        "yAxis": axis,
        "series": [series],
    }
