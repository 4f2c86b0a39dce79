"""The compliance section of an enterprise's file (issue 16, part 4): per outlet site, the last 30 days of each
limited pollutant charted against the permit limit, and the exceedance hours (days, for a daily limit) and the
传输有效率 of the last twelve months, from OUTLET_MONTH. `ecoloop.app` registers `PANELS` with
`ecoloop.enterprises.sections`; the enterprise page is already limited to enterprises the user may see, and the
outlet sites here to those the user may see (an enterprise account: its own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.results import source_queries as queries
from ecoloop.results.source_queries import OutletSite, Series, one_decimal
from ecoloop.settings import Settings

CHART_SCRIPTS = ("/static/vendor/echarts.min.js", "/static/charts.js")


@dataclass(frozen=True)
class Panel:
    """The section as the enterprise page draws it (`ecoloop.enterprises.sections.Panel`)."""

    template: str
    context: Mapping[str, Any]
    scripts: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    """One chart of the section: its element id, ECharts option, and what it shows in words."""

    id: str
    option: dict[str, Any]
    title: str


@dataclass(frozen=True)
class MonthCell:
    """One pollutant's month: exceedance hours (or days), the effective rate shown to 0.1 %, and the stored rate."""

    exceeded: int | None
    unit: str  # "hours" or "days"
    effective: str
    effective_stored: float | None


@dataclass(frozen=True)
class OutletBlock:
    """One outlet site's charts and months table."""

    site: OutletSite
    charts: list[Chart]
    columns: list[tuple[str, str]]  # (parameter + averaging key, label)
    months: list[tuple[date, dict[str, MonthCell]]]


def limit_chart(series: Series, chart_id: str) -> Chart:
    """A line of the values (the value compared, at the reference O2) with a mark line at the permit limit."""
    row = series.limit
    name = parameters.name(row.parameter)
    daily = row.averaging == "day"
    what = gettext(N_("Daily mean")) if daily else gettext(N_("Hourly value"))
    title = f"{name} · {what} ({row.unit})"
    limit = float(row.limit)
    top = max([limit, *(v for _t, v in series.points)])
    option: dict[str, Any] = {
        "animation": False,
        "grid": {"left": 56, "right": 24, "top": 32, "bottom": 32},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "time"},
        "yAxis": {"type": "value", "name": row.unit, "max": round(top * 1.1, 3)},
        "series": [
            {
                "type": "line",
                "name": name,
                "showSymbol": daily,
                "connectNulls": False,
                "data": [[t.isoformat(), v] for t, v in series.points],
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"color": "#c23531", "type": "dashed"},
                    "label": {"position": "insideEndTop", "formatter": gettext(N_("Permit limit")) + " {c}"},
                    "data": [{"yAxis": limit}],
                },
            }
        ],
    }
    return Chart(chart_id, option, title)


def _key(parameter: str, averaging: str) -> str:
    return f"{parameter}/{averaging}"


def outlet_blocks(
    sites: Sequence[OutletSite], series: Sequence[Series], months: Sequence[dict[str, Any]], shown: Sequence[date]
) -> list[OutletBlock]:
    """The section's blocks: per site its charts, the columns of its limited pollutants and the months `shown`
    (newest first) with each pollutant's kept figures."""
    blocks = []
    for site in sites:
        own = [s for s in series if s.site_id == site.site_id]
        charts = [limit_chart(s, f"outlet-{site.site_id}-{n}") for n, s in enumerate(own)]
        rows = [r for r in months if r["site_id"] == site.site_id]
        columns: dict[str, str] = {}
        for s in own:
            columns[_key(s.limit.parameter, s.limit.averaging)] = parameters.label(s.limit.parameter)
        for r in rows:
            columns.setdefault(_key(r["parameter"], r["averaging"]), parameters.label(r["parameter"]))
        by_month: dict[date, dict[str, MonthCell]] = {}
        for r in rows:
            daily = r["averaging"] == "day"
            by_month.setdefault(r["month"], {})[_key(r["parameter"], r["averaging"])] = MonthCell(
                r["exceed_days"] if daily else r["exceed_hours"],
                "days" if daily else "hours",
                one_decimal(r["effective_rate"]),
                r["effective_rate"],
            )
        table = [(month, by_month.get(month, {})) for month in shown]
        blocks.append(OutletBlock(site, charts, sorted(columns.items()), table))
    return blocks


def compliance_panel(request: Request, db: Session, p: Principal, enterprise_id: int) -> Panel | None:
    """The section for one enterprise: nothing when it has no outlet site the user may see."""
    if not allowed(p, Action.VIEW_MONITORING):
        return None
    sites = queries.outlet_sites(db, p, enterprise_id)
    if not sites:
        return None
    settings: Settings = request.app.state.settings
    now = utcnow()
    ids = [s.site_id for s in sites]
    this_month = now.astimezone(settings.tz).date().replace(day=1)
    shown = [queries.months_before(this_month, n + 1) for n in range(queries.MONTHS_SHOWN)]
    series = queries.recent_series(db, settings, request.app.state.hot_store, ids, now)
    months = queries.outlet_months(settings, ids, shown[-1], this_month)
    blocks = outlet_blocks(sites, series, months, shown)
    return Panel("results/_outlet_compliance.html", {"blocks": blocks, "days": queries.RECENT_DAYS}, CHART_SCRIPTS)


# (key, title message, panel of one enterprise) of the section.
PANELS = (("compliance", N_("Outlet compliance"), compliance_panel),)
