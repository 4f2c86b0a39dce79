"""ECharts options of the air overview (the overview screen and the public page): the stations over the region map,
coloured by their AQI level, and an area's daily AQI as bars in the level colours.

Options are data (drawn by `static/charts.js`, no online tiles): labels come from the catalog, stored names only as
data values (tooltips render as rich text, never as HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ecoloop.i18n import gettext
from ecoloop.results.queries import DayAqi, StationNow


@dataclass(frozen=True)
class Palette:
    """The map's colours: light pages, or the dark wall screen."""

    area: str
    border: str
    label: str
    text: str


LIGHT = Palette(area="#eef3f7", border="#7a8fa6", label="#4a5a6a", text="#222222")
DARK = Palette(area="#14283c", border="#4f7aa3", label="#9fb6cc", text="#e8eef4")


def station_tooltip(station: StationNow) -> str:
    """A station's tooltip: name, AQI and level, primary pollutant, hour (plain text)."""
    lines = [station.name]
    a = station.aqi
    if a.aqi is None or station.hour is None:
        lines.append(gettext("No AQI in the last hours"))
        return "\n".join(lines)
    lines.append(f"AQI {a.aqi} {gettext(a.label)}")
    if a.primary:
        lines.append(gettext("Primary pollutant: %(names)s") % {"names": a.primary_text})
    lines.append(station.hour.strftime("%m-%d %H:00"))
    return "\n".join(lines)


def stations_map(
    map_url: str | None, map_name: str, stations: Sequence[StationNow], palette: Palette = LIGHT
) -> dict[str, Any]:
    """The stations with coordinates over the region map (`map_url`), each a dot in its AQI level's colour
    labelled with its AQI; without a map (no boundaries imported yet), on longitude and latitude axes."""
    data = [
        {
            "name": s.name,
            "value": [s.longitude, s.latitude, s.aqi.aqi if s.aqi.aqi is not None else "-"],
            "itemStyle": {"color": s.aqi.colour},
            "tooltip": {"formatter": station_tooltip(s)},
        }
        for s in stations
        if s.longitude is not None and s.latitude is not None
    ]
    series: dict[str, Any] = {
        "type": "scatter",
        "symbolSize": 14,
        "itemStyle": {"borderColor": palette.text, "borderWidth": 1},
        "data": data,
        "label": {"show": True, "formatter": "{@[2]}", "position": "top", "color": palette.text, "fontSize": 11},
        "labelLayout": {"hideOverlap": True},  # dense stations: the labels that fit, all in tooltips
        "emphasis": {"scale": 1.6},
    }
    if map_url is None:
        axis = {"type": "value", "scale": True, "axisLabel": {"color": palette.label}, "splitLine": {"show": False}}
        return {"tooltip": {"trigger": "item"}, "xAxis": axis, "yAxis": axis, "series": [series]}
    return {
        "mapUrl": map_url,
        "mapName": map_name,
        "tooltip": {"trigger": "item"},
        "geo": {
            "map": map_name,
            "roam": True,
            "label": {"show": True, "color": palette.label, "fontSize": 12},
            "itemStyle": {"areaColor": palette.area, "borderColor": palette.border, "borderWidth": 1},
            "emphasis": {"label": {"color": palette.text}, "itemStyle": {"areaColor": palette.area}},
            "tooltip": {"show": False},
        },
        "series": [{**series, "coordinateSystem": "geo"}],
    }


def daily_bars(days: Sequence[DayAqi], palette: Palette = LIGHT) -> dict[str, Any]:
    """An area's daily AQI, one bar a day in its level's colour."""
    return {
        "grid": {"left": 40, "right": 12, "top": 28, "bottom": 28},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "data": [d.day.strftime("%m-%d") for d in days],
            "axisLabel": {"color": palette.label},
        },
        "yAxis": {
            "type": "value",
            "name": "AQI",
            "nameTextStyle": {"color": palette.label},
            "axisLabel": {"color": palette.label},
            "splitLine": {"lineStyle": {"color": palette.area}},
        },
        "series": [
            {
                "type": "bar",
                "name": "AQI",
                "data": [
                    {"value": d.aqi.aqi if d.aqi.aqi is not None else "-", "itemStyle": {"color": d.aqi.colour}}
                    for d in days
                ],
            }
        ],
    }
