"""The weekly notice (周通报) of an ISO week, Monday to Sunday: the counties and the towns ranked by the composite
index with their PM2.5 and good-day ratio, each rank against the previous week's and the same dates last year,
the last units and the most improved named; the cases of each responsible unit (open and overdue at the end of the
week, supervision notices and closings in it) and the complaints of each county.

The ranking is the rankings page's for the from-to period of the week (`/rankings?period=range&from=…&to=…`):
`results.periods.compared` (this week against the same dates a year earlier) and `results.rankings.rank_rows`
with the previous week as the previous period, so rank, movement and change rate are the page's. Towns are ranked
across the whole city (the page ranks the towns of one county: the figures are the same, the ranks city-wide).

The cases are counted as they stood at the end of the week, from their timelines (`CaseEvent`): a case is open
when its last state before the week's end is an open one, overdue when in addition the daily escalation marked it
overdue (`EventKind.OVERDUE`) after its latest assignment, extension or reopening; so a brief regenerated later
says what was true that week. The responsible unit is the case's lead unit. A complaint is counted by the county
of the case's region; nothing of the complainant is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoloop.cases.enums import CaseSource, EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.queries import OPEN_STATES
from ecoloop.cases.workflow import State
from ecoloop.i18n import N_, gettext
from ecoloop.identity.models import Organisation
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.reports.content import Cell, Chart, Content, Source, Table, columns
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.layout import Block, Heading, Image, Paragraph, TableBlock
from ecoloop.reports.periods import ReportPeriod
from ecoloop.results import periods as result_periods
from ecoloop.results import rankings
from ecoloop.standards import ranking

BOTTOM_COUNTIES = 3
BOTTOM_TOWNS = 10

COUNTY_COLUMNS = {
    "name": N_("County"),
    "rank": N_("Rank"),
    "composite": N_("Composite index"),
    "previous_rank": N_("Rank last week"),
    "movement": N_("Movement"),
    "last_year_rank": N_("Rank a year earlier"),
    "composite_rate": N_("Composite index against a year earlier (%)"),
}
# The counties by PM2.5 (in the order of that rank) with their good-day ratio and its rank.
POLLUTION_COLUMNS = {
    "name": N_("County"),
    "pm25_rank": N_("PM2.5 rank"),
    "pm25": N_("PM2.5 (µg/m³)"),
    "pm25_rate": N_("PM2.5 against a year earlier (%)"),
    "good_ratio_rank": N_("Good-day ratio rank"),
    "good_ratio": N_("Good-day ratio (%)"),
    "good_ratio_points": N_("Good-day ratio against a year earlier (percentage points)"),
}
TOWN_COLUMNS = {
    "name": N_("Town"),
    "county": N_("County"),
    "rank": N_("Rank"),
    "composite": N_("Composite index"),
    "previous_rank": N_("Rank last week"),
    "movement": N_("Movement"),
    "pm25": N_("PM2.5 (µg/m³)"),
}
UNIT_COLUMNS = {
    "name": N_("Responsible unit"),
    "open": N_("Open cases at the end of the week"),
    "overdue": N_("Of which overdue"),
    "supervised": N_("Supervision notices this week"),
    "closed": N_("Closed this week"),
}
COMPLAINT_COLUMNS = {
    "name": N_("County"),
    "received": N_("Complaints received"),
    "closed": N_("Complaints closed"),
}


def _regions(source: Source, level: RegionLevel) -> list[Region]:
    """The active regions of `level` in the city, by code."""
    stmt = select(Region).where(
        Region.level == level, Region.active.is_(True), Region.path.startswith(source.city.path, autoescape=True)
    )
    return list(source.session.scalars(stmt.order_by(Region.code)))


def _day(day: date) -> str:
    return gettext("%(year)d-%(month)d-%(day)d") % {"year": day.year, "month": day.month, "day": day.day}


# --- the ranking ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A ranking of the week: its rows (`rankings.Row`, best first), the rank of each subject a year earlier by
    the composite index, and each subject's composite index of the previous week."""

    rows: list[rankings.Row]
    last_year: dict[int, int | None]
    previous: dict[int, result_periods.Statistics]


def rank_week(source: Source, period: ReportPeriod, regions: Sequence[Region]) -> Ranked:
    """`regions` ranked by the composite index over the week, as the rankings page ranks a from-to period."""
    week = result_periods.range_period(period.first, period.last)
    ids = [r.id for r in regions]
    changes = result_periods.compared(source.reads.lazy_con(), source.reads.root, "areas", week, ids)
    before = week.previous()
    previous = source.area_statistics(before.first, before.last, ids) if before is not None else {}
    subjects = [rankings.Subject(r.id, r.code, r.name) for r in regions]
    rows = rankings.rank_rows(
        subjects, changes, "composite", {k: result_periods.change(s, None) for k, s in previous.items()}
    )
    last_year = ranking.rank_by_composite_index(
        {r.id: c.before.composite if (c := changes.get(r.id)) and c.before else None for r in regions}
    )
    return Ranked(rows, last_year, previous)


def movement_text(movement: int | None) -> str | None:
    """A rank's movement since last week in words: up 2 places, down 1, unchanged; None when unranked."""
    if movement is None:
        return None
    if movement > 0:
        return gettext("Up %(places)d") % {"places": movement}
    if movement < 0:
        return gettext("Down %(places)d") % {"places": -movement}
    return gettext("Same place")


def _row(row: rankings.Row, ranked: Ranked) -> dict[str, Cell]:
    """A line of a composite-index ranking (the keys of COUNTY_COLUMNS and TOWN_COLUMNS)."""
    now = row.change.now
    return {
        "name": row.subject.name,
        "rank": row.rank,
        "composite": now.composite_index if now else None,
        "previous_rank": row.previous_rank,
        "movement": movement_text(row.movement),
        "last_year_rank": ranked.last_year.get(row.subject.id),
        "composite_rate": row.change.composite_rate,
        "pm25": now.pm25 if now else None,
    }


def pollution_rows(rows: Sequence[rankings.Row]) -> list[dict[str, Cell]]:
    """The rows by PM2.5 rank (the unranked last, equal ranks by code) with the good-day ratio."""
    ordered = sorted(rows, key=lambda r: (r.ranks["pm25"] is None, r.ranks["pm25"] or 0, r.subject.code))
    return [
        {
            "name": r.subject.name,
            "pm25_rank": r.ranks["pm25"],
            "pm25": r.change.now.pm25 if r.change.now else None,
            "pm25_rate": r.change.pm25_rate,
            "good_ratio_rank": r.ranks["good_ratio"],
            "good_ratio": r.change.now.good_ratio if r.change.now else None,
            "good_ratio_points": r.change.good_ratio_points,
        }
        for r in ordered
    ]


def bottom(rows: Sequence[rankings.Row], count: int) -> list[rankings.Row]:
    """The last `count` ranked rows, the last first; never every ranked row (one at least stays above)."""
    ranked = [r for r in rows if r.rank is not None]
    shown = min(count, len(ranked) - 1)
    return ranked[::-1][:shown] if shown > 0 else []


def most_improved(rows: Sequence[rankings.Row]) -> rankings.Row | None:
    """The row that rose the most places since last week (the better rank among equals); None when none rose."""
    risen = [r for r in rows if r.movement is not None and r.movement > 0]
    return max(risen, key=lambda r: (r.movement or 0, -(r.rank or 0))) if risen else None


def _ranking_values(counties: Ranked, towns: Ranked, town_county: Mapping[int, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    last = bottom(counties.rows, BOTTOM_COUNTIES)
    values["bottom"] = (
        gettext("The last %(count)d counties by the composite index, from the last: %(names)s.")
        % {"count": len(last), "names": gettext(", ").join(r.subject.name for r in last)}
        if last
        else ""
    )
    risen = most_improved(counties.rows)
    values["improved"] = (
        gettext("Most improved on last week: %(name)s, from place %(before)d to place %(now)d.")
        % {"name": risen.subject.name, "before": risen.previous_rank or 0, "now": risen.rank or 0}
        if risen
        else gettext("No county rose in the ranking this week.")
    )
    best = min(
        (r for r in counties.rows if r.change.composite_rate is not None and r.change.composite_rate < 0),
        key=lambda r: (r.change.composite_rate, r.subject.code),
        default=None,
    )
    values["improved_year"] = (
        gettext("Most improved on the same days a year earlier: %(name)s, composite index down %(rate)s%%.")
        % {"name": best.subject.name, "rate": -(best.change.composite_rate or 0)}
        if best
        else ""
    )
    last_towns = bottom(towns.rows, BOTTOM_TOWNS)
    names = [
        gettext("%(town)s (%(county)s)") % {"town": r.subject.name, "county": town_county.get(r.subject.id, "")}
        for r in last_towns
    ]
    values["bottom_towns"] = (
        gettext("The last %(count)d towns by the composite index, from the last: %(names)s.")
        % {"count": len(names), "names": gettext(", ").join(names)}
        if names
        else ""
    )
    return values


# --- cases ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitWeek:
    """A responsible unit's cases in the week: open and overdue at its end, supervision notices (督办) given and
    cases closed in it."""

    name: str
    open: int = 0
    overdue: int = 0
    supervised: int = 0
    closed: int = 0


_EPISODE_STARTS = frozenset({EventKind.ASSIGNED, EventKind.DEADLINE_EXTENDED, EventKind.REOPENED})
_COUNTED = frozenset({EventKind.OVERDUE, EventKind.SUPERVISED, EventKind.PASSED}) | _EPISODE_STARTS


def week_bounds(source: Source, period: ReportPeriod) -> tuple[datetime, datetime]:
    """The week as instants: from Monday 00:00 to the next Monday 00:00, local time."""
    start = datetime.combine(period.first, time(), source.tz)
    return start, datetime.combine(period.last + timedelta(days=1), time(), source.tz)


def unit_weeks(session: Session, start: datetime, end: datetime) -> list[UnitWeek]:
    """Per lead unit, its cases as they stood at `end` and what happened to them in [start, end), from the
    timelines (see the module docstring); units with nothing to count are left out; by name."""
    candidates = select(Case.id).where(
        Case.lead_unit_id.is_not(None), or_(Case.closed_at.is_(None), Case.closed_at >= start)
    )
    units = dict(
        session.execute(
            select(Case.id, Organisation.name)
            .join(Organisation, Organisation.id == Case.lead_unit_id)
            .where(Case.id.in_(candidates))
        ).all()
    )
    events = session.execute(
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.kind, CaseEvent.to_state)
        .where(
            CaseEvent.case_id.in_(candidates),
            CaseEvent.at < end,
            or_(CaseEvent.to_state.is_not(None), CaseEvent.kind.in_(_COUNTED)),
        )
        .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)
    ).all()
    timelines: dict[int, list[Any]] = {}
    for event in events:
        timelines.setdefault(event.case_id, []).append(event)
    found: dict[str, dict[str, int]] = {}
    for case_id, timeline in timelines.items():
        state: State | None = None
        marked = closed = False
        supervised = 0
        for _case, at, kind, to_state in timeline:
            state = to_state or state
            if kind is EventKind.OVERDUE:
                marked = True
            elif kind in _EPISODE_STARTS:
                marked = False
            in_week = at >= start
            supervised += int(kind is EventKind.SUPERVISED and in_week)
            closed = closed or (kind is EventKind.PASSED and in_week)
        is_open = state in OPEN_STATES
        counts = (int(is_open), int(is_open and marked), supervised, int(closed))
        if any(counts) and case_id in units:
            entry = found.setdefault(units[case_id], dict.fromkeys(("open", "overdue", "supervised", "closed"), 0))
            for key, n in zip(("open", "overdue", "supervised", "closed"), counts, strict=True):
                entry[key] += n
    return [UnitWeek(name, **counts) for name, counts in sorted(found.items())]


def complaints_by_county(
    session: Session, counties: Sequence[Region], start: datetime, end: datetime
) -> dict[int, tuple[int, int]]:
    """Per county, the complaints (cases from the public, `CaseSource.COMPLAINT`) registered and closed in
    [start, end); merged duplicates are left out. Only counts: nothing of the complainant is read."""

    def counted(kind: EventKind) -> dict[int, int]:
        rows = session.execute(
            select(Region.path, CaseEvent.case_id)
            .join(Case, Case.id == CaseEvent.case_id)
            .join(Region, Region.id == Case.region_id)
            .where(
                Case.source == CaseSource.COMPLAINT,
                Case.state != State.MERGED,
                CaseEvent.kind == kind,
                CaseEvent.at >= start,
                CaseEvent.at < end,
            )
            .distinct()
        ).all()
        found = dict.fromkeys((c.id for c in counties), 0)
        for path, _case in rows:
            county = next((c for c in counties if path.startswith(c.path)), None)
            if county is not None:
                found[county.id] += 1
        return found

    received, closed = counted(EventKind.REGISTERED), counted(EventKind.PASSED)
    return {c.id: (received[c.id], closed[c.id]) for c in counties}


# --- the brief ------------------------------------------------------------------------------------------------------


class WeeklyBrief:
    kind = ReportKind.WEEKLY

    def title(self, period: ReportPeriod) -> str:
        year, week = period.first.isocalendar()[:2]
        return gettext("Weekly notice of air quality and case handling, week %(week)d of %(year)d") % {
            "week": week,
            "year": year,
        }

    def layout(self) -> Sequence[Block]:
        return (
            Heading(gettext("1. Air quality of the counties")),
            Paragraph("{{ summary }}"),
            Paragraph("{{ bottom }}"),
            Paragraph("{{ improved }}{{ improved_year }}"),
            Heading(gettext("(1) Ranking by the composite index"), level=2),
            TableBlock("counties", columns(COUNTY_COLUMNS)),
            Image("county_chart"),
            Heading(gettext("(2) Ranking by PM2.5, with the good-day ratio"), level=2),
            TableBlock("pollution", columns(POLLUTION_COLUMNS)),
            Heading(gettext("2. Air quality of the towns")),
            Paragraph("{{ bottom_towns }}"),
            TableBlock("towns", columns(TOWN_COLUMNS)),
            Heading(gettext("3. Cases and supervision notices by responsible unit")),
            Paragraph("{{ case_summary }}"),
            TableBlock("units", columns(UNIT_COLUMNS)),
            Heading(gettext("4. Complaints by county")),
            Paragraph("{{ complaint_summary }}"),
            TableBlock("complaints", columns(COMPLAINT_COLUMNS)),
        )

    def build(self, source: Source, period: ReportPeriod) -> Sequence[Content]:
        counties = _regions(source, RegionLevel.COUNTY)
        towns = _regions(source, RegionLevel.TOWN)
        by_county = {t.id: next((c.name for c in counties if t.path.startswith(c.path)), "") for t in towns}
        county_ranking = rank_week(source, period, counties)
        town_ranking = rank_week(source, period, towns)
        county_rows = [_row(r, county_ranking) for r in county_ranking.rows]
        town_rows = [{**_row(r, town_ranking), "county": by_county.get(r.subject.id)} for r in town_ranking.rows]

        start, end = week_bounds(source, period)
        units = unit_weeks(source.session, start, end)
        complaints = complaints_by_county(source.session, counties, start, end)

        values: dict[str, Any] = {
            "summary": self._summary(source, period),
            **_ranking_values(county_ranking, town_ranking, by_county),
            "case_summary": gettext(
                "This week %(notices)d supervision notices were issued and %(closed)d cases closed; at the end of "
                "the week %(open)d cases were open, %(overdue)d of them overdue."
            )
            % {
                "notices": sum(u.supervised for u in units),
                "closed": sum(u.closed for u in units),
                "open": sum(u.open for u in units),
                "overdue": sum(u.overdue for u in units),
            },
            "complaint_summary": gettext("This week %(received)d complaints were received and %(closed)d closed.")
            % {
                "received": sum(n for n, _ in complaints.values()),
                "closed": sum(n for _, n in complaints.values()),
            },
        }
        tables = [
            Table("counties", gettext("Counties"), columns(COUNTY_COLUMNS), county_rows),
            Table(
                "pollution",
                gettext("PM2.5 and good days"),
                columns(POLLUTION_COLUMNS),
                pollution_rows(county_ranking.rows),
            ),
            Table("towns", gettext("Towns"), columns(TOWN_COLUMNS), town_rows),
            Table("units", gettext("Cases by unit"), columns(UNIT_COLUMNS), [asdict(u) for u in units]),
            Table(
                "complaints",
                gettext("Complaints"),
                columns(COMPLAINT_COLUMNS),
                [{"name": c.name, "received": complaints[c.id][0], "closed": complaints[c.id][1]} for c in counties],
            ),
        ]
        return [Content(region_id=source.city.id, values=values, tables=tables, charts=[_chart(county_ranking)])]

    def _summary(self, source: Source, period: ReportPeriod) -> str:
        city = source.area_statistics(period.first, period.last, [source.city.id]).get(source.city.id)
        return gettext(
            "From %(first)s to %(last)s the city's composite index was %(composite)s, its PM2.5 %(pm25)s µg/m³ and "
            "its good-day ratio %(ratio)s%%."
        ) % {
            "first": _day(period.first),
            "last": _day(period.last),
            "composite": city.composite_index if city and city.composite_index is not None else "—",
            "pm25": city.pm25 if city and city.pm25 is not None else "—",
            "ratio": city.good_ratio if city and city.good_ratio is not None else "—",
        }


def _chart(ranked: Ranked) -> Chart:
    """The composite index of each county this week and last week, in this week's order."""
    now = [r.change.now.composite_index if r.change.now else None for r in ranked.rows]
    before = [(s.composite_index if (s := ranked.previous.get(r.subject.id)) else None) for r in ranked.rows]
    return Chart(
        "county_chart",
        gettext("Composite index by county"),
        "bar",
        [r.subject.name for r in ranked.rows],
        [
            (gettext("This week"), [None if v is None else float(v) for v in now]),
            (gettext("Last week"), [None if v is None else float(v) for v in before]),
        ],
    )


BRIEF = WeeklyBrief()
