"""ECharts options of the results pages, built on the server (`static/charts.js` draws them): labels in the user's
language through the catalog, stored names and values only as data, never as markup or code.

AQI levels carry the colours of HJ 633 (2012 Table 2, 2026 Appendix A) wherever an AQI is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ecoloop.i18n import gettext
from ecoloop.standards.aqi import LEVELS

COLOURS = {n: colour for n, (_upper, _category, colour) in enumerate(LEVELS, start=1)}
NO_DATA = "#C8CDD2"
PALETTE = ("#2F6FB3", "#D9822B", "#3C8D5A", "#8E5BB5", "#C23B3B", "#5A7A8C", "#B5A33C", "#3CB5AE")


def level_colour(level: int | None) -> str:
    """The colour of an AQI level 1-6, grey without one."""
    return COLOURS.get(level or 0, NO_DATA)


def _axis_time(value: datetime | date) -> str:
    return value.strftime("%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()


def _base(title: str) -> dict[str, Any]:
    """What every chart shares; the title names the chart for screen readers (`aria`), the card's heading shows it."""
    return {
        "animation": False,
        "aria": {"enabled": True, "label": {"description": title}},
        "grid": {"left": 56, "right": 56, "top": 40, "bottom": 64},
        "tooltip": {"trigger": "axis"},
        "dataZoom": [{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 8}],
    }


def aqi_chart(
    title: str,
    times: Sequence[datetime | date],
    aqi: Sequence[int | None],
    levels: Sequence[int | None],
    line: tuple[str, Sequence[float | None]] | None = None,
) -> dict[str, Any]:
    """AQI as bars in the colour of each one's level, with one concentration (name with unit, values) as a line
    on a second axis."""
    option = _base(title)
    option["xAxis"] = {"type": "category", "data": [_axis_time(t) for t in times]}
    option["yAxis"] = [{"type": "value", "name": "AQI", "min": 0}]
    bars = [
        {"value": value, "itemStyle": {"color": level_colour(level)}} for value, level in zip(aqi, levels, strict=True)
    ]
    option["series"] = [{"name": "AQI", "type": "bar", "data": bars, "barMaxWidth": 14}]
    if line is not None:
        name, values = line
        option["yAxis"].append({"type": "value", "name": name, "min": 0})
        option["series"].append(
            {
                "name": name,
                "type": "line",
                "yAxisIndex": 1,
                "data": list(values),
                "showSymbol": False,
                "connectNulls": False,
                "itemStyle": {"color": PALETTE[0]},
            }
        )
        option["legend"] = {"top": 0, "data": ["AQI", name]}
    return option


def lines_chart(
    title: str, unit: str, times: Sequence[datetime | date], series: Mapping[str, Sequence[float | None]]
) -> dict[str, Any]:
    """Several series of one quantity over the same times (compare stations)."""
    option = _base(title)
    option["xAxis"] = {"type": "category", "data": [_axis_time(t) for t in times]}
    option["yAxis"] = {"type": "value", "name": unit, "min": 0}
    option["legend"] = {"top": 0, "type": "scroll"}
    option["series"] = [
        {
            "name": name,
            "type": "line",
            "data": list(values),
            "showSymbol": False,
            "connectNulls": False,
            "itemStyle": {"color": PALETTE[n % len(PALETTE)]},
        }
        for n, (name, values) in enumerate(series.items())
    ]
    return option


def no_data_text() -> str:
    return gettext("No results for this period yet.")
