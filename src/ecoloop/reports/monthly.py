"""The monthly assessment (月考核): every county's score by the bureau's weights with its rank and its change, and
the air-quality ecological compensation with each amount's calculation (`assessment` computes; this module
gathers the engine's figures for a month and lays them out).

The brief is the city's (every county's row, the bureau may keep it internal) followed by one per county holding
only that county's row, components and compensation: a branch receives its own when the city's is internal.

What each component reads (docs/reports-assessment.md):
- air quality and improvement: the counties' period statistics of the month and of the same month last year
  (`Source.area_statistics`, as the rankings page computes them; `results.periods.change` for the change rate);
- water: the sections (water stations) in the county's subtree and their kept month (`results.water`,
  WATER_MONTH), whose `meets` says whether the class reached the section's target;
- cases on time: the cases of the county whose deadline lies in the month, closed (verified) on or before the
  local deadline day, the rule of `cases.queries.handling_by_unit`; merged duplicates left out;
- data quality: the daily results (AIR_DAY) of the county's active air stations with a complete daily AQI;
- complaints: the cases from complaints (CaseSource.COMPLAINT) registered in the month in the county;
- compensation: the month's PM2.5 mean against the county's target of the year (`results.targets`) and each
  section's class against the same month last year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ecoloop.cases.enums import CaseSource, EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.workflow import State
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports import assessment
from ecoloop.reports.assessment import Compensation, CountyInputs, Score, SectionClasses
from ecoloop.reports.config import COMPONENT_LABELS, COMPONENTS
from ecoloop.reports.content import Cell, Chart, Content, Source, Table, columns
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.layout import Block, Heading, Image, Paragraph, TableBlock
from ecoloop.reports.periods import ReportPeriod
from ecoloop.results import periods as result_periods
from ecoloop.results.air import AIR_DAY, local_bounds
from ecoloop.results.targets import published_targets
from ecoloop.results.water import WATER_MONTH
from ecoloop.results.water_queries import SectionMonth

SCORE_COLUMNS = {
    "name": N_("County"),
    **COMPONENT_LABELS,
    "total": N_("Total score"),
    "rank": N_("Rank"),
    "change": N_("Rank change (places up)"),
}
RANK_KEYS = ("name", "total", "rank", "change")
SCORE_NOTE = N_("Scores are points out of 100; the total is the weighted mean of the components assessed.")
COMPENSATION_NOTE = N_("Amounts above 0 are received by the county, below 0 paid by it.")
WEIGHT_COLUMNS = {"component": N_("Component"), "weight": N_("Weight")}
COMPENSATION_COLUMNS = {
    "item": N_("Item"),
    "county": N_("County"),
    "now": N_("This month"),
    "basis": N_("Target or last year"),
    "amount": N_("Amount (yuan)"),
    "calculation": N_("Calculation"),
}
BALANCE_COLUMNS = {
    "name": N_("County"),
    "received": N_("Received (yuan)"),
    "paid": N_("Paid (yuan)"),
    "net": N_("Net (yuan)"),
}


# --- gathering the engine's figures ---------------------------------------------------------------------------------


def counties(source: Source) -> list[Region]:
    """The active counties of the city, by code."""
    stmt = select(Region).where(
        Region.level == RegionLevel.COUNTY,
        Region.active.is_(True),
        Region.path.startswith(source.city.path, autoescape=True),
    )
    return list(source.session.scalars(stmt.order_by(Region.code)))


def _county_of(path: str, areas: Sequence[Region]) -> int | None:
    return next((c.id for c in areas if path.startswith(c.path)), None)


@dataclass(frozen=True)
class _Section:
    id: int
    code: str
    name: str
    county: int


def _sections(source: Source, areas: Sequence[Region]) -> list[_Section]:
    rows = source.session.execute(
        select(Site.id, Site.code, Site.name, Region.path)
        .join(Region, Site.region_id == Region.id)
        .where(Site.kind == SiteKind.WATER_STATION, Region.path.startswith(source.city.path, autoescape=True))
        .order_by(Site.code)
    )
    found = []
    for site_id, code, name, path in rows:
        county = _county_of(path, areas)
        if county is not None:
            found.append(_Section(site_id, code, name, county))
    return found


def _water_months(source: Source, site_ids: Sequence[int], month: date) -> dict[int, SectionMonth]:
    """The kept month of each section (as the water pages read it)."""
    wanted = sorted(site_ids)

    def build(con: Any, t: Any) -> dict[int, SectionMonth]:
        t = t.filter(t.site_id.isin(wanted))
        return {int(r["site_id"]): SectionMonth.of(r) for r in con.to_pyarrow(t).to_pylist()}

    if not wanted:
        return {}
    return source.reads.read(WATER_MONTH, month, month, ("monthly", tuple(wanted)), build) or {}


def _air_stations(source: Source, areas: Sequence[Region]) -> dict[int, int]:
    """The active air stations of the counties: site id → county id."""
    rows = source.session.execute(
        select(Site.id, Region.path)
        .join(Region, Site.region_id == Region.id)
        .where(Site.kind == SiteKind.AIR_STATION, Site.active.is_(True))
    )
    found = {}
    for site_id, path in rows:
        county = _county_of(path, areas)
        if county is not None:
            found[site_id] = county
    return found


def _complete_days(source: Source, site_ids: Sequence[int], period: ReportPeriod) -> dict[int, int]:
    """Per station, the days of the period with a complete daily AQI (AIR_DAY `complete`)."""
    wanted = sorted(site_ids)

    def build(con: Any, t: Any) -> dict[int, int]:
        t = t.filter(t.site_id.isin(wanted), t["complete"].fill_null(False))
        t = t.group_by("site_id").aggregate(days=t.day.nunique())
        return {int(r["site_id"]): int(r["days"]) for r in con.to_pyarrow(t).to_pylist()}

    if not wanted:
        return {}
    return source.reads.read(AIR_DAY, period.first, period.last, ("complete", tuple(wanted)), build) or {}


def _cases(source: Source, areas: Sequence[Region], period: ReportPeriod) -> dict[int, tuple[int, int]]:
    """Per county: the cases due in the period and those of them closed on time (`handling_by_unit`'s rule)."""
    rows = source.session.execute(
        select(Region.path, Case.state, Case.deadline, Case.closed_at)
        .join(Region, Case.region_id == Region.id)
        .where(Case.deadline >= period.first, Case.deadline <= period.last, Case.state != State.MERGED)
    )
    found = {c.id: [0, 0] for c in areas}
    for path, state, deadline, closed_at in rows:
        county = _county_of(path, areas)
        if county is None or deadline is None:  # the query asks for a deadline in the period
            continue
        found[county][0] += 1
        if state == State.CLOSED and closed_at is not None and closed_at.astimezone(source.tz).date() <= deadline:
            found[county][1] += 1
    return {k: (due, on_time) for k, (due, on_time) in found.items()}


def _complaints(source: Source, areas: Sequence[Region], period: ReportPeriod) -> dict[int, int]:
    """Per county: the complaints registered in the period (merged duplicates left out)."""
    start, end = local_bounds(period.first, period.last, source.tz)
    registered = select(CaseEvent.case_id).where(
        CaseEvent.kind == EventKind.REGISTERED, CaseEvent.at >= start, CaseEvent.at < end
    )
    rows = source.session.execute(
        select(Region.path, func.count(Case.id))
        .join(Region, Case.region_id == Region.id)
        .where(Case.id.in_(registered), Case.source == CaseSource.COMPLAINT, Case.state != State.MERGED)
        .group_by(Region.path)
    )
    found = {c.id: 0 for c in areas}
    for path, count in rows:
        county = _county_of(path, areas)
        if county is not None:
            found[county] += int(count)
    return found


def inputs(source: Source, areas: Sequence[Region], period: ReportPeriod) -> dict[int, CountyInputs]:
    """Every county's figures for the month `period` (module docstring)."""
    ids = [c.id for c in areas]
    before = period.last_year()
    now_stats = source.area_statistics(period.first, period.last, ids)
    then_stats = source.area_statistics(before.first, before.last, ids)
    targets = published_targets(source.session, ids, period.first.year)
    sections = _sections(source, areas)
    section_ids = [s.id for s in sections]
    months_now = _water_months(source, section_ids, period.first)
    months_then = _water_months(source, section_ids, before.first)
    stations = _air_stations(source, areas)
    complete = _complete_days(source, list(stations), period)
    cases = _cases(source, areas, period)
    complaints = _complaints(source, areas, period)
    found = {}
    for county in areas:
        change = result_periods.change(now_stats.get(county.id), then_stats.get(county.id))
        own = [s for s in sections if s.county == county.id]
        judged = [months_now[s.id] for s in own if s.id in months_now and months_now[s.id].meets is not None]
        own_stations = [site for site, c in stations.items() if c == county.id]
        target = targets.get(county.id)
        found[county.id] = CountyInputs(
            composite=change.now.composite_index if change.now else None,
            composite_rate=change.composite_rate,
            sections_judged=len(judged),
            sections_meeting=sum(1 for m in judged if m.meets),
            cases_due=cases[county.id][0],
            cases_on_time=cases[county.id][1],
            station_days=len(own_stations) * period.days,
            valid_days=sum(complete.get(site, 0) for site in own_stations),
            complaints=complaints[county.id],
            pm25=change.now.pm25 if change.now else None,
            pm25_target=target.pm25_target if target else None,
            sections=tuple(
                SectionClasses(
                    s.code,
                    s.name,
                    months_now[s.id].grade if s.id in months_now else None,
                    months_then[s.id].grade if s.id in months_then else None,
                )
                for s in own
            ),
        )
    return found


# --- the brief ------------------------------------------------------------------------------------------------------


def _month_text(period: ReportPeriod) -> str:
    return gettext("%(year)d-%(month)d") % {"year": period.first.year, "month": period.first.month}


def _score_row(county: Region, score: Score, change: int | None) -> dict[str, Cell]:
    row: dict[str, Cell] = {"name": county.name}
    row.update(score.components)
    row.update({"total": score.total, "rank": score.rank, "change": change})
    return row


def _compensation_rows(county: Region, amounts: Sequence[Compensation]) -> list[dict[str, Cell]]:
    return [
        {
            "item": gettext("%(county)s: %(subject)s") % {"county": county.name, "subject": c.subject},
            "county": county.name,
            "now": c.now,
            "basis": c.basis,
            "amount": c.amount,
            "calculation": c.calculation,
        }
        for c in amounts
    ]


def _balance_row(county: Region, amounts: Sequence[Compensation]) -> dict[str, Cell]:
    received, paid, net = assessment.balance(amounts)
    return {"name": county.name, "received": received, "paid": paid, "net": net}


def _weights(source: Source) -> Table:
    rows: list[dict[str, Cell]] = [
        {"component": gettext(COMPONENT_LABELS[key]), "weight": source.config.weights[key]} for key in COMPONENTS
    ]
    return Table("weights", gettext("Weights"), columns(WEIGHT_COLUMNS), rows)


def _number(value: Cell) -> float | None:
    return float(value) if isinstance(value, Decimal | int) else None


class MonthlyBrief:
    kind = ReportKind.MONTHLY

    def title(self, period: ReportPeriod) -> str:
        return gettext("Monthly assessment of the counties and ecological compensation, %(month)s") % {
            "month": _month_text(period)
        }

    def layout(self) -> Sequence[Block]:
        # The document shows the scores in two tables and each amount by its item and calculation (ten columns or
        # six do not fit the type area's 156 mm); the workbook's sheets hold every column.
        scores = columns(SCORE_COLUMNS)
        ranks = [c for c in scores if c[0] in RANK_KEYS]
        components = [c for c in scores if c[0] not in RANK_KEYS or c[0] == "name"]
        amounts = [c for c in columns(COMPENSATION_COLUMNS) if c[0] in ("item", "amount", "calculation")]
        return (
            Heading(gettext("1. Totals and ranks of the counties")),
            Paragraph("{{ summary }}"),
            TableBlock("scores", ranks),
            Image("score_chart"),
            Heading(gettext("2. Scores of the components")),
            TableBlock("scores", components, gettext(SCORE_NOTE)),
            Heading(gettext("3. Weights of the components")),
            TableBlock("weights", columns(WEIGHT_COLUMNS)),
            Heading(gettext("4. Ecological compensation")),
            Paragraph("{{ compensation_summary }}"),
            TableBlock("balance", columns(BALANCE_COLUMNS)),
            TableBlock("compensation", amounts, gettext(COMPENSATION_NOTE)),
        )

    def build(self, source: Source, period: ReportPeriod) -> Sequence[Content]:
        areas = counties(source)
        config = source.config
        figures = inputs(source, areas, period)
        now = assessment.assess(figures, config)
        before = assessment.assess(inputs(source, areas, period.previous()), config)
        amounts = {c.id: assessment.compensation(figures[c.id], config) for c in areas}
        ordered = sorted(areas, key=lambda c: (now[c.id].rank is None, now[c.id].rank or 0, c.code))
        changes = {c.id: assessment.movement(now[c.id].rank, before[c.id].rank) for c in areas}
        scores = {c.id: _score_row(c, now[c.id], changes[c.id]) for c in ordered}
        weights = _weights(source)
        month = _month_text(period)
        city = self._city(source, month, ordered, scores, amounts, weights)
        return [city] + [
            self._county(source, month, c, scores[c.id], amounts[c.id], weights, len(areas)) for c in areas
        ]

    def _city(
        self,
        source: Source,
        month: str,
        ordered: Sequence[Region],
        scores: Mapping[int, dict[str, Cell]],
        amounts: Mapping[int, Sequence[Compensation]],
        weights: Table,
    ) -> Content:
        rows = [scores[c.id] for c in ordered]
        first = rows[0] if rows and rows[0]["rank"] == 1 else None
        summary = (
            gettext("In %(month)s %(count)d counties were assessed; %(first)s ranked first with %(total)s points.")
            % {"month": month, "count": len(rows), "first": first["name"], "total": first["total"]}
            if first
            else gettext("In %(month)s no county could be assessed.") % {"month": month}
        )
        every = [a for c in ordered for a in amounts[c.id]]
        received, paid, _net = assessment.balance(every)
        values = {
            "summary": summary,
            "compensation_summary": gettext(
                "In %(month)s the counties received %(received)s yuan and paid %(paid)s yuan in ecological"
                " compensation."
            )
            % {"month": month, "received": assessment.money(received), "paid": assessment.money(paid)},
        }
        tables = [
            Table("scores", gettext("Scores"), columns(SCORE_COLUMNS), rows),
            weights,
            Table("balance", gettext("Compensation by county"), columns(BALANCE_COLUMNS),
                  [_balance_row(c, amounts[c.id]) for c in ordered]),
            Table("compensation", gettext("Compensation"), columns(COMPENSATION_COLUMNS),
                  [r for c in ordered for r in _compensation_rows(c, amounts[c.id])]),
        ]  # fmt: skip
        chart = Chart(
            "score_chart",
            gettext("Total score by county"),
            "bar",
            [str(r["name"]) for r in rows],
            [(gettext("Total score"), [_number(r["total"]) for r in rows])],
        )
        return Content(region_id=source.city.id, values=values, tables=tables, charts=[chart])

    def _county(
        self,
        source: Source,
        month: str,
        county: Region,
        row: dict[str, Cell],
        amounts: Sequence[Compensation],
        weights: Table,
        count: int,
    ) -> Content:
        received, paid, net = assessment.balance(amounts)
        summary = (
            gettext("In %(month)s %(county)s scored %(total)s points and ranked %(rank)s of %(count)d counties.")
            % {"month": month, "county": county.name, "total": row["total"], "rank": row["rank"], "count": count}
            if row["rank"] is not None
            else gettext("In %(month)s %(county)s could not be assessed.") % {"month": month, "county": county.name}
        )
        values = {
            "summary": summary,
            "compensation_summary": gettext(
                "In %(month)s %(county)s received %(received)s yuan and paid %(paid)s yuan in ecological"
                " compensation, %(net)s yuan net."
            )
            % {
                "month": month,
                "county": county.name,
                "received": assessment.money(received),
                "paid": assessment.money(paid),
                "net": assessment.money(net),
            },
        }
        tables = [
            Table("scores", gettext("Scores"), columns(SCORE_COLUMNS), [row]),
            weights,
            Table("balance", gettext("Compensation by county"), columns(BALANCE_COLUMNS),
                  [_balance_row(county, amounts)]),
            Table("compensation", gettext("Compensation"), columns(COMPENSATION_COLUMNS),
                  _compensation_rows(county, amounts)),
        ]  # fmt: skip
        labels = [gettext(COMPONENT_LABELS[key]) for key in COMPONENTS]
        chart = Chart(
            "score_chart",
            gettext("Scores of %(county)s") % {"county": county.name},
            "bar",
            labels,
            [(gettext("Score"), [_number(row[key]) for key in COMPONENTS])],
        )
        return Content(region_id=county.id, values=values, tables=tables, charts=[chart])


BRIEF = MonthlyBrief()
