"""The daily analysis (日研判): yesterday's air in each county and town, its rank, and what the morning meeting
acts on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from ecoloop.i18n import N_, gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports.content import Cell, Chart, Content, Source, Table
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.layout import Block, Heading, Image, Paragraph, TableBlock
from ecoloop.reports.periods import ReportPeriod
from ecoloop.results.queries import area_days
from ecoloop.standards import ranking

COUNTY_COLUMNS = {
    "rank": N_("Rank"),
    "name": N_("County"),
    "aqi": N_("AQI"),
    "level": N_("AQI category"),
    "primary": N_("Primary pollutant"),
    "pm25": N_("PM2.5 (µg/m³)"),
}


def _county_columns() -> list[tuple[str, str]]:
    return [(key, gettext(COUNTY_COLUMNS[key])) for key in COUNTY_COLUMNS]


def _regions(source: Source, level: RegionLevel) -> list[Region]:
    stmt = select(Region).where(Region.level == level, Region.path.startswith(source.city.path, autoescape=True))
    return list(source.session.scalars(stmt.order_by(Region.code)))


class DailyBrief:
    kind = ReportKind.DAILY

    def title(self, period: ReportPeriod) -> str:
        return gettext("Daily analysis of air quality, %(day)s") % {"day": period.key}

    def layout(self) -> Sequence[Block]:
        return (
            Heading(gettext("1. Air quality yesterday")),
            Paragraph("{{ summary }}"),
            TableBlock("counties", _county_columns()),
            Image("county_chart"),
        )

    def build(self, source: Source, period: ReportPeriod) -> Sequence[Content]:
        day = period.first
        counties = _regions(source, RegionLevel.COUNTY)
        found = area_days(source.reads, [source.city.id] + [c.id for c in counties], day, day)
        ranks = ranking.rank({c.id: found[(c.id, day)].aqi.aqi if (c.id, day) in found else None for c in counties})
        rows: list[dict[str, Cell]] = []
        for county in sorted(counties, key=lambda c: (ranks[c.id] is None, ranks[c.id] or 0, c.code)):
            entry = found.get((county.id, day))
            aqi = entry.aqi if entry else None
            pm25 = entry.values.get("PM2_5_24h") if entry else None
            rows.append(
                {
                    "rank": ranks[county.id],
                    "name": county.name,
                    "aqi": aqi.aqi if aqi else None,
                    "level": gettext(aqi.label) if aqi and aqi.label else None,
                    "primary": (aqi.primary_text or None) if aqi else None,
                    "pm25": None if pm25 is None else round(pm25),
                }
            )
        city = found.get((source.city.id, day))
        values: dict[str, Any] = {
            "summary": gettext("Yesterday the city's AQI was %(aqi)s, %(level)s.")
            % {
                "aqi": city.aqi.aqi if city and city.aqi.aqi is not None else "—",
                "level": gettext(city.aqi.label) if city and city.aqi.label else "—",
            }
        }
        table = Table("counties", gettext("Counties"), _county_columns(), rows)
        chart = Chart(
            "county_chart",
            gettext("AQI by county"),
            "bar",
            [str(r["name"]) for r in rows],
            [(gettext("AQI"), [float(r["aqi"]) if isinstance(r["aqi"], int) else None for r in rows])],
        )
        return [Content(region_id=source.city.id, values=values, tables=[table], charts=[chart])]


BRIEF = DailyBrief()
