"""ECharts options of the electricity pages, built on the server (`static/charts.js` draws them): a meter's load
against its learned baseline and the level its allowance permits during a warning; series names through the
catalog, values only as data."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from ecoloop.i18n import gettext

LOAD, BASELINE, ALLOWED, PRODUCTION = "#2F6FB3", "#8C8C8C", "#C23B3B", "#D9822B"


def _base(title: str, times: list[str]) -> dict[str, Any]:
    return {
        "animation": False,
        "aria": {"enabled": True, "label": {"description": title}},
        "grid": {"left": 56, "right": 24, "top": 40, "bottom": 64},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "dataZoom": [{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 8}],
        "xAxis": {"type": "category", "data": times},
        "yAxis": {"type": "value", "name": "kWh", "min": 0},
        "series": [],
    }


def _line(name: str, values: list[Any], colour: str, *, dashed: bool = False, step: bool = False) -> dict[str, Any]:
    series: dict[str, Any] = {
        "name": name,
        "type": "line",
        "data": values,
        "showSymbol": False,
        "connectNulls": False,
        "lineStyle": {"color": colour, "type": "dashed" if dashed else "solid"},
        "itemStyle": {"color": colour},
    }
    if step:
        series["step"] = "end"
    return series


def warning_chart(curve: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """Load, baseline and allowed level (or, for a treatment facility, its load and baseline with the production it
    serves) per slot of the warning, times in the bureau's zone."""
    start = datetime.fromisoformat(str(curve["start"]))
    step = timedelta(minutes=int(curve["minutes"]))
    load = list(curve["load"])
    times = [(start + step * i).astimezone(zone).strftime("%m-%d %H:%M") for i in range(len(load))]
    option = _base(gettext("Load against the allowed level"), times)
    option["series"] = [
        _line(gettext("Load"), load, LOAD),
        _line(gettext("Normal load (baseline)"), list(curve["baseline"]), BASELINE, dashed=True),
    ]
    if "allowed" in curve:
        option["series"].append(_line(gettext("Allowed level"), list(curve["allowed"]), ALLOWED, step=True))
    if "production" in curve:
        option["series"].append(_line(gettext("Production served"), list(curve["production"]), PRODUCTION))
        option["series"].append(
            _line(gettext("Production's normal load"), list(curve["production_baseline"]), PRODUCTION, dashed=True)
        )
    return option


def recent_chart(curve: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """A meter's readings of the last days."""
    times = [datetime.fromisoformat(t).astimezone(zone).strftime("%m-%d %H:%M") for t in curve["times"]]
    option = _base(gettext("Load of the last seven days"), times)
    option["series"] = [_line(gettext("Load"), list(curve["load"]), LOAD)]
    return option
