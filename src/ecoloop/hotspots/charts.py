"""The chart of an order's page: the station's hourly values of the order's pollutant from before the hotspot to
after the reply, with the two windows the effect compares shaded, as an ECharts option (`static/charts.js` draws
it; names and labels are data, never markup)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ecoloop.analytics import sites as site_readings
from ecoloop.analytics.sites import StoredReadings
from ecoloop.hotspots.models import HotspotOrder
from ecoloop.hotspots.queries import aware
from ecoloop.i18n import gettext
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings import parameters
from ecoloop.readings.vocabulary import Interval
from ecoloop.settings import Settings

HOUR = timedelta(hours=1)
LEAD = timedelta(hours=12)  # hours shown before the hotspot at least
MAX_SPAN = timedelta(days=7)


def _hour(moment: datetime) -> datetime:
    return datetime.fromtimestamp(moment.timestamp() // 3600 * 3600, UTC)


def station_chart(readings: StoredReadings, order: HotspotOrder, settings: Settings, now: datetime) -> dict[str, Any]:
    """The ECharts option of the station's values around the order (null where no valid value was stored)."""
    n = timedelta(hours=settings.hotspot_effect_hours)
    began = aware(order.hotspot_at)
    replied = aware(order.replied_at) if order.replied_at else None
    start = _hour(began - max(LEAD, n))
    end = min(now, (replied or now) + n + 6 * HOUR, start + MAX_SPAN)
    with readings.backend() as con:
        t = site_readings.period_readings(con, readings, [order.site_id], [Interval.HOUR], start, end + HOUR)
        rows = site_readings.rows(con, t.filter(t.parameter == order.parameter).select("time", "value", "flag"))
    values = {
        _hour(r["time"]): r["value"] for r in rows if r["value"] is not None and (r["flag"] or "N") not in INVALID_FLAGS
    }
    times = [start + i * HOUR for i in range(int((end - start) / HOUR) + 1)]

    def label(moment: datetime) -> str:
        return _hour(moment).astimezone(settings.tz).strftime("%m-%d %H:%M")

    labels = [label(t) for t in times]
    areas = [[{"name": gettext("Before the hotspot"), "xAxis": label(began - n)}, {"xAxis": label(began)}]]
    lines = [{"name": gettext("Hotspot began"), "xAxis": label(began)}]
    if replied is not None:
        areas.append([{"name": gettext("After the reply"), "xAxis": label(replied)}, {"xAxis": label(replied + n)}])
        lines.append({"name": gettext("Replied"), "xAxis": label(replied)})
    shown = set(labels)
    return {
        "animation": False,
        "color": ["#1f5fa8"],
        "grid": {"left": 56, "right": 24, "top": 36, "bottom": 48},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels, "boundaryGap": False, "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "name": parameters.unit(order.parameter, ambient=True)},
        "series": [
            {
                "name": parameters.name(order.parameter),
                "type": "line",
                "data": [values.get(t) for t in times],
                "connectNulls": False,
                "symbolSize": 5,
                "markArea": {
                    "silent": True,
                    "itemStyle": {"color": "rgba(31, 95, 168, 0.08)"},
                    "label": {"position": "insideTop", "color": "#1f5fa8"},
                    "data": [a for a in areas if a[0]["xAxis"] in shown],
                },
                "markLine": {
                    "symbol": "none",
                    "silent": True,
                    "lineStyle": {"type": "dashed", "color": "#c0392b"},
                    "label": {"formatter": "{b}", "position": "insideEndTop"},
                    "data": [line for line in lines if line["xAxis"] in shown],
                },
            }
        ],
        "hasValues": bool(values),
    }
