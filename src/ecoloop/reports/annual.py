"""The annual statistics (年度统计) of the city and each county: the engine's figures of the year — good-day ratio,
good days, heavy-pollution days, PM2.5, PM10, the O3 90th percentile, the composite index and the days at each AQI
level — with the change against the year before, and the sentences a report states about them
(`reports.statements`: good days increased by 31.6 %, heavy-pollution days decreased by 71.4 %).

The air figures are `results.periods.compared` over the calendar year (the pages' period statistics, rounded as
published) against the year before; the change rates of PM2.5 and the composite index are the pages' (to 0.01 %),
those of the days, PM10 and O3 come from the same rule (`standards.ranking.change_rate`), the good-day ratio's
change is in percentage points. A sentence rounds a rate to 0.1 %, and says nothing where the year before has no
figure or a figure of 0.

Water: there are no annual water results, so the year is stated from the monthly classes of the sections
(`results.water`, WATER_MONTH, as the water pages show them): the share of section-months of class I-III and of
劣V among the classed section-months of the year (`water_queries.summarise`), against the year before in
percentage points; the document says so in its sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select

from ecoloop.i18n import N_, gettext
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports import statements
from ecoloop.reports.content import Cell, Chart, Content, Source, Table, columns
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.layout import Block, Heading, Image, Items, Paragraph, TableBlock
from ecoloop.reports.periods import ReportPeriod
from ecoloop.reports.statements import Wording
from ecoloop.results import periods as result_periods
from ecoloop.results.queries import LEVEL_LABELS
from ecoloop.results.water import WATER_MONTH
from ecoloop.results.water_queries import PERCENT_PLACES, SectionMonth, Summary, summarise
from ecoloop.standards import limits, ranking

DAY_COLUMNS = {
    "name": N_("Area"),
    "days": N_("Days assessed"),
    "good_days": N_("Days excellent or good"),
    "good_days_change": N_("Good days against the year before (%)"),
    "good_ratio": N_("Good-day ratio (%)"),
    "good_ratio_points": N_("Good-day ratio against the year before (percentage points)"),
    "heavy_days": N_("Heavy-pollution days"),
    "heavy_days_change": N_("Heavy-pollution days against the year before (%)"),
}
PARTICLE_COLUMNS = {
    "name": N_("Area"),
    "pm25": N_("PM2.5 (µg/m³)"),
    "pm25_change": N_("PM2.5 against the year before (%)"),
    "pm10": N_("PM10 (µg/m³)"),
    "pm10_change": N_("PM10 against the year before (%)"),
}
INDEX_COLUMNS = {
    "name": N_("Area"),
    "o3": N_("O3 90th percentile of MDA8 (µg/m³)"),
    "o3_change": N_("O3 against the year before (%)"),
    "composite": N_("Composite index"),
    "composite_change": N_("Composite index against the year before (%)"),
}
LEVEL_COLUMNS = {"name": N_("Area"), **{f"level_{n}": LEVEL_LABELS[n - 1] for n in range(1, 7)}}
WATER_COLUMNS = {
    "name": N_("Area"),
    "months": N_("Section-months classed"),
    "good_share": N_("Class I-III (%)"),
    "good_points": N_("Class I-III against the year before (percentage points)"),
    "worse_share": N_("Worse than class V (%)"),
    "worse_points": N_("Worse than class V against the year before (percentage points)"),
}


def _rate(now: Decimal | int | None, before: Decimal | int | None) -> Decimal | None:
    """A table's change rate: the standards' rule to the pages' 0.01 %."""
    return statements.percent_change(now, before, places=ranking.CHANGE_RATE_PLACES)


def _points(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    return None if now is None or before is None else now - before


def air_statement(change: result_periods.Change) -> str | None:
    """The sentence of an area's year against the year before: good days, heavy-pollution days, the good-day
    ratio, PM2.5 and the composite index, as far as each can be stated."""
    now, before = change.now, change.before
    if now is None or before is None:
        return None
    return statements.sentence(
        [
            statements.change_clause(gettext("good days"), now.good_days, before.good_days, Wording.COUNT),
            statements.change_clause(gettext("heavy-pollution days"), now.heavy_days, before.heavy_days, Wording.COUNT),
            statements.points_clause(gettext("the good-day ratio"), now.good_ratio, before.good_ratio),
            statements.change_clause(gettext("the PM2.5 mean"), now.pm25, before.pm25, Wording.LEVEL),
            statements.change_clause(
                gettext("the composite index"), now.composite_index, before.composite_index, Wording.LEVEL
            ),
        ]
    )


# --- water ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaterYear:
    """An area's water sections over a year, from their monthly classes: the summary of its section-months and
    the share worse than class V (percent to 0.1)."""

    summary: Summary
    worse_share: Decimal | None


def _water_year(months: Sequence[SectionMonth]) -> WaterYear:
    summary = summarise(len({m.site_id for m in months}), months)
    worse = None
    if summary.classed:
        worse = (Decimal(100 * summary.worse_than_v) / summary.classed).quantize(PERCENT_PLACES, ROUND_HALF_EVEN)
    return WaterYear(summary, worse)


def water_years(source: Source, year: int, areas: Sequence[Region]) -> dict[int, WaterYear]:
    """Each area's water sections over `year` (those in its subtree with a kept month in the year)."""
    sections = dict(
        source.session.execute(
            select(Site.id, Region.path)
            .join(Region, Region.id == Site.region_id)
            .where(Site.kind == SiteKind.WATER_STATION)
        ).all()
    )

    def build(con: Any, t: Any) -> list[SectionMonth]:
        return [SectionMonth.of(row) for row in con.to_pyarrow(t.order_by(["month", "site_id"])).to_pylist()]

    months = source.reads.read(WATER_MONTH, date(year, 1, 1), date(year, 12, 1), "annual-months", build) or []
    return {
        area.id: _water_year([m for m in months if sections.get(m.site_id, "").startswith(area.path)]) for area in areas
    }


def water_sentence(city: WaterYear, before: WaterYear) -> str:
    """What the year's water was, saying how it is counted, and its change where the year before had any."""
    summary = city.summary
    if not summary.classed:
        return gettext("No monthly water classes of sections were kept for the year.")
    found = gettext(
        "Counted over the monthly classes of the sections (%(months)d section-months), class I-III made "
        "%(good)s%% and worse than class V %(worse)s%%."
    ) % {"months": summary.classed, "good": summary.good_share, "worse": city.worse_share}
    change = statements.sentence(
        [
            statements.points_clause(
                gettext("the share of class I-III"), summary.good_share, before.summary.good_share
            ),
            statements.points_clause(gettext("the share worse than class V"), city.worse_share, before.worse_share),
        ]
    )
    return found + (change or "")


# --- the brief ------------------------------------------------------------------------------------------------------


class AnnualBrief:
    kind = ReportKind.ANNUAL

    def title(self, period: ReportPeriod) -> str:
        return gettext("Environmental quality statistics of %(year)d") % {"year": period.first.year}

    def layout(self) -> Sequence[Block]:
        return (
            Heading(gettext("1. Air quality")),
            Paragraph("{{ summary }}"),
            Paragraph("{{ statement }}"),
            Items("county_statements", "{{ item }}", gettext("No county has figures of the year before to compare.")),
            Heading(gettext("(1) Good and heavy-pollution days"), level=2),
            TableBlock("days", columns(DAY_COLUMNS)),
            Heading(gettext("(2) Days per AQI category"), level=2),
            TableBlock("levels", columns(LEVEL_COLUMNS), gettext("Days at each AQI category (HJ 633).")),
            Heading(gettext("(3) Particulate matter"), level=2),
            TableBlock("particles", columns(PARTICLE_COLUMNS)),
            Image("pm25_chart"),
            Heading(gettext("(4) Ozone and the composite index"), level=2),
            TableBlock("indices", columns(INDEX_COLUMNS)),
            Heading(gettext("2. Surface water")),
            Paragraph("{{ water_summary }}"),
            TableBlock("water", columns(WATER_COLUMNS)),
        )

    def build(self, source: Source, period: ReportPeriod) -> Sequence[Content]:
        counties = list(
            source.session.scalars(
                select(Region)
                .where(Region.parent_id == source.city.id, Region.level == RegionLevel.COUNTY, Region.active.is_(True))
                .order_by(Region.code)
            )
        )
        areas = [source.city, *counties]
        year = result_periods.range_period(period.first, period.last)
        changes = result_periods.compared(
            source.reads.lazy_con(), source.reads.root, "areas", year, [a.id for a in areas]
        )
        empty = result_periods.Change(None, None, None, None, None)
        found = {a.id: changes.get(a.id, empty) for a in areas}
        water_now = water_years(source, period.first.year, areas)
        water_before = water_years(source, period.first.year - 1, areas)

        county_statements = []
        for county in counties:
            said = air_statement(found[county.id])
            if said:
                county_statements.append(gettext("%(name)s: %(sentence)s") % {"name": county.name, "sentence": said})
        values: dict[str, Any] = {
            "summary": self._summary(period, found[source.city.id]),
            "statement": air_statement(found[source.city.id]) or "",
            "county_statements": county_statements,
            "water_summary": water_sentence(water_now[source.city.id], water_before[source.city.id]),
        }
        tables = [
            Table(
                "days",
                gettext("Good and heavy-pollution days"),
                columns(DAY_COLUMNS),
                [_days(a, found[a.id]) for a in areas],
            ),
            Table(
                "levels",
                gettext("Days per AQI category"),
                columns(LEVEL_COLUMNS),
                [_levels(a, found[a.id]) for a in areas],
            ),
            Table(
                "particles",
                gettext("PM2.5 and PM10"),
                columns(PARTICLE_COLUMNS),
                [_concentrations(a, found[a.id]) for a in areas],
            ),
            Table(
                "indices",
                gettext("O3 and the composite index"),
                columns(INDEX_COLUMNS),
                [_concentrations(a, found[a.id]) for a in areas],
            ),
            Table(
                "water",
                gettext("Surface water"),
                columns(WATER_COLUMNS),
                [_water(a, water_now[a.id], water_before[a.id]) for a in areas],
            ),
        ]
        chart = _chart(counties, found, limits.class_ii_limits(period.last)[("PM2_5", "annual")])
        return [Content(region_id=source.city.id, values=values, tables=tables, charts=[chart])]

    def _summary(self, period: ReportPeriod, change: result_periods.Change) -> str:
        now = change.now
        if now is None:
            return gettext("The city has no air results for %(year)d.") % {"year": period.first.year}
        return gettext(
            "In %(year)d the city had %(good)d good days of %(days)d assessed (%(ratio)s%%) and %(heavy)d "
            "heavy-pollution days; PM2.5 averaged %(pm25)s µg/m³, PM10 %(pm10)s µg/m³, the O3 90th percentile of "
            "MDA8 was %(o3)s µg/m³ and the composite index %(composite)s."
        ) % {
            "year": period.first.year,
            "good": now.good_days,
            "days": now.days,
            "ratio": _shown(now.good_ratio),
            "heavy": now.heavy_days,
            "pm25": _shown(now.pm25),
            "pm10": _shown(now.pm10),
            "o3": _shown(now.o3_p90),
            "composite": _shown(now.composite_index),
        }


def _shown(value: Decimal | None) -> str:
    return "—" if value is None else str(value)


def _days(area: Region, change: result_periods.Change) -> dict[str, Cell]:
    now, before = change.now, change.before
    return {
        "name": area.name,
        "days": now.days if now else None,
        "good_days": now.good_days if now else None,
        "good_days_change": _rate(now.good_days, before.good_days) if now and before else None,
        "good_ratio": now.good_ratio if now else None,
        "good_ratio_points": change.good_ratio_points,
        "heavy_days": now.heavy_days if now else None,
        "heavy_days_change": _rate(now.heavy_days, before.heavy_days) if now and before else None,
    }


def _concentrations(area: Region, change: result_periods.Change) -> dict[str, Cell]:
    """The keys of PARTICLE_COLUMNS and INDEX_COLUMNS."""
    now, before = change.now, change.before
    return {
        "name": area.name,
        "pm25": now.pm25 if now else None,
        "pm25_change": change.pm25_rate,
        "pm10": now.pm10 if now else None,
        "pm10_change": _rate(now.pm10, before.pm10) if now and before else None,
        "o3": now.o3_p90 if now else None,
        "o3_change": _rate(now.o3_p90, before.o3_p90) if now and before else None,
        "composite": now.composite_index if now else None,
        "composite_change": change.composite_rate,
    }


def _levels(area: Region, change: result_periods.Change) -> dict[str, Cell]:
    now = change.now
    return {"name": area.name, **{f"level_{n}": now.level_days[n - 1] if now else None for n in range(1, 7)}}


def _water(area: Region, now: WaterYear, before: WaterYear) -> dict[str, Cell]:
    return {
        "name": area.name,
        "months": now.summary.classed,
        "good_share": now.summary.good_share,
        "good_points": _points(now.summary.good_share, before.summary.good_share),
        "worse_share": now.worse_share,
        "worse_points": _points(now.worse_share, before.worse_share),
    }


def _chart(counties: Sequence[Region], found: dict[int, result_periods.Change], limit: Decimal) -> Chart:
    """PM2.5 of each county this year and the year before, with the annual limit (GB 3095 class II)."""

    def pm25(s: result_periods.Statistics | None) -> float | None:
        return None if s is None or s.pm25 is None else float(s.pm25)

    return Chart(
        "pm25_chart",
        gettext("PM2.5 by county"),
        "bar",
        [c.name for c in counties],
        [
            (gettext("This year"), [pm25(found[c.id].now) for c in counties]),
            (gettext("The year before"), [pm25(found[c.id].before) for c in counties]),
        ],
        unit=gettext("µg/m³"),
        limit=float(limit),
    )


BRIEF = AnnualBrief()
