"""The after-action report of a heavy-pollution warning (预警应急响应总结评估, issue 20 part 5): the levels it held
and when, the air quality of the areas it covered during the episode (daily AQI against the forecast, the peak
hourly AQI), and the compliance of the emergency reduction list: per county and per industry, the share of the
enterprises required to act that no confirmed flag caught, and the flagged enterprises; as a Word document in the
layout of official documents (GB/T 9704-2012, `reports.layout`), in Chinese.

The list and the flags are arguments (`ListedEnterprise`, `Flag`), read by the control list and the electricity
checks, which the composition registers (`register_inputs`, in `ecoloop.tables`); without them the report says that
no list was in force. Compliance rate = (listed enterprises required to act, minus those of them with a confirmed
flag) / listed enterprises required to act (docs/episodes.md, "After-action figures")."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.queries import issuer_name
from ecoloop.episodes.enums import WarningLevel, WarningStatus
from ecoloop.episodes.models import PollutionWarning
from ecoloop.episodes.queries import held_of
from ecoloop.i18n import gettext
from ecoloop.regions.models import Region
from ecoloop.reports.models import AirForecast

if TYPE_CHECKING:  # the document and the results' reads load Word, the charts and the analytics engine: imported
    # where the report is built, not by the composition that registers `forecast_aqi`
    from ecoloop.results.queries import ResultReads

HEAVY_AQI: Final = 200  # AQI above 200: heavy pollution (重度污染, HJ 633-2012 Table 2)
PERCENT: Final = Decimal("0.1")


@dataclass(frozen=True)
class ListedEnterprise:
    """An enterprise on the warning's emergency reduction list: its county and industry as the report groups them,
    and whether its measures at the level in force required it to act (A-grade and 引领性 enterprises reduce on
    their own: not required)."""

    enterprise_id: int
    name: str
    county: str
    industry: str
    required: bool


@dataclass(frozen=True)
class Flag:
    """A confirmed finding that an enterprise did not act as its measures required during the warning (production
    above the allowed load, treatment not running…): `kind` as the electricity checks name it, and when it began."""

    enterprise_id: int
    kind: str
    first_at: datetime


@dataclass(frozen=True)
class Compliance:
    """One group's figures: listed and required to act, flagged among them, and the rate in percent (None: none
    required)."""

    group: str
    listed: int
    required: int
    flagged: int

    @property
    def rate(self) -> Decimal | None:
        if not self.required:
            return None
        return (Decimal(100 * (self.required - self.flagged)) / self.required).quantize(PERCENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Flagged:
    """A flagged enterprise and its flags, the first first."""

    enterprise: ListedEnterprise
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class Figures:
    """The list's compliance: overall, by county, by industry, and the flagged enterprises."""

    overall: Compliance
    by_county: list[Compliance]
    by_industry: list[Compliance]
    flagged: list[Flagged]


def compliance(listed: Sequence[ListedEnterprise], flags: Sequence[Flag]) -> Figures:
    """The compliance figures of a list and its confirmed flags (an enterprise counts once however many flags it
    has; a flag of an enterprise not on the list is left out)."""
    by_id = {e.enterprise_id: e for e in listed}
    flags_of: dict[int, list[Flag]] = defaultdict(list)
    for flag in flags:
        if flag.enterprise_id in by_id:
            flags_of[flag.enterprise_id].append(flag)

    def group(name: str, members: Sequence[ListedEnterprise]) -> Compliance:
        required = [e for e in members if e.required]
        return Compliance(name, len(members), len(required), sum(1 for e in required if e.enterprise_id in flags_of))

    def grouped(key: Callable[[ListedEnterprise], str]) -> list[Compliance]:
        groups: dict[str, list[ListedEnterprise]] = defaultdict(list)
        for e in listed:
            groups[key(e)].append(e)
        return [group(name, members) for name, members in sorted(groups.items())]

    flagged = [Flagged(by_id[i], tuple(sorted(fs, key=lambda f: (f.first_at, f.kind)))) for i, fs in flags_of.items()]
    flagged.sort(key=lambda f: (f.enterprise.county, f.enterprise.name))
    return Figures(group("", listed), grouped(lambda e: e.county), grouped(lambda e: e.industry), flagged)


# --- the inputs the control list and the electricity checks provide --------------------------------------------------

Inputs = Callable[[Session, PollutionWarning], tuple[list[ListedEnterprise], list[Flag]]]
_INPUTS: list[Inputs] = []


def register_inputs(inputs: Inputs) -> None:
    """Declare where the list and the confirmed flags of a warning are read (the last one registered wins)."""
    _INPUTS[:] = [inputs]


def inputs_of(session: Session, warning: PollutionWarning) -> tuple[list[ListedEnterprise], list[Flag]] | None:
    """The list and flags of a warning, or None when no reader is registered."""
    return _INPUTS[0](session, warning) if _INPUTS else None


def forecast_aqi(session: Session, region_id: int, first: date, last: date) -> dict[date, int]:
    """The forecast daily AQI (the top of each day's range) of a region, first…last: the forecast centre's table
    the briefs keep, read by the warnings' form (`episodes.queries.register_forecasts`)."""
    rows = session.execute(
        select(AirForecast.day, AirForecast.aqi_high).where(
            AirForecast.region_id == region_id, AirForecast.day >= first, AirForecast.day <= last
        )
    )
    return {day: high for day, high in rows}


# --- the report -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelRow:
    level: WarningLevel
    start: datetime
    end: datetime | None
    hours: Decimal | None


@dataclass(frozen=True)
class DayRow:
    """One day of one area: the forecast range, the observed daily AQI with its level and primary pollutant, and
    whether the observed AQI fell within the forecast range."""

    area: str
    day: date
    forecast: tuple[int, int] | None
    aqi: int | None
    level: str
    primary: str

    @property
    def within(self) -> bool | None:
        if self.forecast is None or self.aqi is None:
            return None
        return self.forecast[0] <= self.aqi <= self.forecast[1]


@dataclass(frozen=True)
class AreaPeak:
    area: str
    hour: datetime | None  # local
    aqi: int | None


@dataclass
class AfterAction:
    """Everything the page and the document show of one warning's response."""

    warning: PollutionWarning
    areas: list[str]
    start: datetime | None
    end: datetime | None  # None: still in force
    levels: list[LevelRow]
    days: list[DayRow]
    peaks: list[AreaPeak]
    figures: Figures | None
    interim: bool
    notes: list[str] = field(default_factory=list)

    @property
    def heavy_days(self) -> int:
        return sum(1 for d in self.days if d.aqi is not None and d.aqi > HEAVY_AQI)

    @property
    def forecast_hits(self) -> tuple[int, int]:
        """Days whose observed AQI fell within the forecast range, of the days with both."""
        judged = [d.within for d in self.days if d.within is not None]
        return sum(1 for w in judged if w), len(judged)


def _hours(start: datetime, end: datetime | None) -> Decimal | None:
    if end is None:
        return None
    return (Decimal((end - start).total_seconds()) / 3600).quantize(PERCENT, ROUND_HALF_UP)


def build(
    session: Session, reads: ResultReads | None, warning: PollutionWarning, *, now: datetime, tz: tzinfo
) -> AfterAction:
    """The after-action figures of `warning` as of `now` (an interim while it is in force)."""
    held = held_of(session, warning.id)
    regions = [warning.city] if warning.city_wide else sorted((a.region for a in warning.areas), key=lambda r: r.code)
    levels = [LevelRow(h.level, h.start, h.end, _hours(h.start, h.end)) for h in held]
    start = held[0].start if held else None
    end = held[-1].end if held else None
    interim = warning.status is not WarningStatus.LIFTED
    days: list[DayRow] = []
    peaks: list[AreaPeak] = []
    if start is not None:
        until = min(end or now, now)
        first, last = start.astimezone(tz).date(), max(start, until - timedelta(microseconds=1)).astimezone(tz).date()
        days = _days(session, reads, regions, first, last)
        peaks = _peaks(reads, regions, first, last, start.astimezone(tz), until.astimezone(tz))
    inputs = inputs_of(session, warning)
    figures = compliance(*inputs) if inputs is not None else None
    return AfterAction(warning, [r.name for r in regions], start, end, levels, days, peaks, figures, interim)


def _days(
    session: Session, reads: ResultReads | None, regions: Sequence[Region], first: date, last: date
) -> list[DayRow]:
    from ecoloop.results.queries import area_days

    observed = area_days(reads, [r.id for r in regions], first, last) if reads is not None else {}
    forecasts = {
        (f.region_id, f.day): (f.aqi_low, f.aqi_high)
        for f in session.scalars(
            select(AirForecast).where(
                AirForecast.region_id.in_([r.id for r in regions]), AirForecast.day >= first, AirForecast.day <= last
            )
        )
    }
    rows = []
    for region in regions:
        day = first
        while day <= last:
            seen = observed.get((region.id, day))
            aqi = seen.aqi if seen is not None else None
            rows.append(
                DayRow(
                    region.name,
                    day,
                    forecasts.get((region.id, day)),
                    aqi.aqi if aqi is not None else None,
                    gettext(aqi.label) if aqi is not None and aqi.label else "",
                    aqi.primary_text if aqi is not None else "",
                )
            )
            day += timedelta(days=1)
    return rows


def _peaks(
    reads: ResultReads | None,
    regions: Sequence[Region],
    first: date,
    last: date,
    start: datetime,
    until: datetime,
) -> list[AreaPeak]:
    from ecoloop.results import air_queries

    rows: list[dict[str, Any]] = []
    if reads is not None:
        try:
            rows = air_queries.area_hours(reads.con(), reads.root, [r.id for r in regions], first, last)
        except FileNotFoundError:  # no hourly results stored for the period
            rows = []
    lo, hi = start.replace(tzinfo=None), until.replace(tzinfo=None)
    best: dict[int, tuple[int, datetime]] = {}
    for row in rows:
        hour, aqi = row.get("hour_start"), row.get("aqi")
        if not isinstance(hour, datetime) or aqi is None or not lo <= hour < hi:
            continue
        region_id = int(row["region_id"])
        if region_id not in best or aqi > best[region_id][0]:
            best[region_id] = (int(aqi), hour)
    return [
        AreaPeak(r.name, best[r.id][1] if r.id in best else None, best[r.id][0] if r.id in best else None)
        for r in regions
    ]


# --- the Word document ----------------------------------------------------------------------------------------------


def _blocks() -> list[Any]:
    from ecoloop.reports.layout import Heading, Items, Paragraph, TableBlock

    return [
        Heading(gettext("I. The warning")),
        Paragraph("{{ summary }}"),
        TableBlock(
            "levels",
            [
                ("level", gettext("Warning level")),
                ("start", gettext("From")),
                ("end", gettext("To")),
                ("hours", gettext("Hours")),
            ],
        ),
        Heading(gettext("II. Air quality during the episode")),
        Paragraph("{{ air_summary }}"),
        TableBlock(
            "days",
            [
                ("area", gettext("Area")),
                ("day", gettext("Day")),
                ("forecast", gettext("Forecast AQI")),
                ("aqi", gettext("Observed AQI")),
                ("level", gettext("Air quality level")),
                ("primary", gettext("Primary pollutant")),
            ],
        ),
        Heading(gettext("III. Compliance of the emergency reduction list")),
        Paragraph("{{ compliance_summary }}"),
        TableBlock(
            "by_county",
            [
                ("group", gettext("County")),
                ("required", gettext("Required to act")),
                ("flagged", gettext("Flagged")),
                ("rate", gettext("Compliance rate")),
            ],
        ),
        TableBlock(
            "by_industry",
            [
                ("group", gettext("Industry")),
                ("required", gettext("Required to act")),
                ("flagged", gettext("Flagged")),
                ("rate", gettext("Compliance rate")),
            ],
        ),
        Heading(gettext("IV. Flagged enterprises")),
        Items("flagged", "{{ item }}", gettext("No enterprise was flagged.")),
    ]


def _time(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else gettext("until lifted")


def _rate(rate: Decimal | None) -> str:
    return f"{rate}%" if rate is not None else "—"


def context(report: AfterAction, tz: tzinfo) -> dict[str, Any]:
    """The values the document's tags read, as text."""
    w = report.warning
    summary = gettext("Warning %(number)s (%(pollutant)s) covered %(areas)s from %(start)s to %(end)s%(interim)s.") % {
        "number": w.number,
        "pollutant": gettext(w.pollutant.label),
        "areas": gettext(", ").join(report.areas),
        "start": _time(report.start, tz),
        "end": _time(report.end, tz),
        "interim": gettext(" (interim: the warning is still in force)") if report.interim else "",
    }
    hits, judged = report.forecast_hits
    observed = [d.aqi for d in report.days if d.aqi is not None]
    peaks = "; ".join(
        gettext("%(area)s peak hourly AQI %(aqi)s at %(hour)s")
        % {"area": p.area, "aqi": p.aqi, "hour": p.hour.strftime("%m-%d %H:00")}
        for p in report.peaks
        if p.aqi is not None and p.hour is not None
    )
    air_summary = gettext(
        "%(days)s area-days observed, %(heavy)s of them heavily polluted (AQI above 200); highest daily AQI "
        "%(max)s; the observed AQI fell within the forecast range on %(hits)s of %(judged)s days. %(peaks)s"
    ) % {
        "days": len(observed),
        "heavy": report.heavy_days,
        "max": max(observed) if observed else "—",
        "hits": hits,
        "judged": judged,
        "peaks": peaks,
    }
    figures = report.figures
    if figures is None:
        compliance_summary = gettext("No emergency reduction list was read for this warning.")
    else:
        compliance_summary = gettext(
            "%(listed)s enterprises were on the list, %(required)s of them required to act; %(flagged)s of these were "
            "flagged: compliance rate %(rate)s."
        ) % {
            "listed": figures.overall.listed,
            "required": figures.overall.required,
            "flagged": figures.overall.flagged,
            "rate": _rate(figures.overall.rate),
        }

    def rows(groups: Sequence[Compliance]) -> list[dict[str, Any]]:
        return [{"group": g.group, "required": g.required, "flagged": g.flagged, "rate": _rate(g.rate)} for g in groups]

    return {
        "summary": summary,
        "levels": [
            {
                "level": gettext(r.level.label),
                "start": _time(r.start, tz),
                "end": _time(r.end, tz),
                "hours": r.hours or "",
            }
            for r in report.levels
        ],
        "air_summary": air_summary,
        "days": [
            {
                "area": d.area,
                "day": d.day.isoformat(),
                "forecast": f"{d.forecast[0]}-{d.forecast[1]}" if d.forecast else "—",
                "aqi": d.aqi if d.aqi is not None else "—",
                "level": d.level,
                "primary": d.primary,
            }
            for d in report.days
        ],
        "compliance_summary": compliance_summary,
        "by_county": rows(figures.by_county) if figures else [],
        "by_industry": rows(figures.by_industry) if figures else [],
        "flagged": [
            gettext("%(county)s %(name)s (%(industry)s): %(flags)s")
            % {
                "county": f.enterprise.county,
                "name": f.enterprise.name,
                "industry": f.enterprise.industry,
                "flags": gettext(", ").join(
                    f"{flag.kind} {flag.first_at.astimezone(tz).strftime('%m-%d %H:%M')}" for flag in f.flags
                ),
            }
            for f in (figures.flagged if figures else [])
        ],
    }


def document(session: Session, report: AfterAction, *, now: datetime, tz: tzinfo) -> bytes:
    """The after-action report as a Word document (GB/T 9704 layout), in the catalog's language."""
    from docxtpl import DocxTemplate

    from ecoloop.reports.documents import environment
    from ecoloop.reports.layout import build_template
    from ecoloop.reports.service import long_date

    template = DocxTemplate(io.BytesIO(build_template(_blocks())))
    city = report.warning.city
    issuer = issuer_name(session, city) or city.name
    common = {
        "issuer": issuer,
        "issuer_header": issuer,
        "doc_number": report.warning.number,
        "title": gettext("After-action report of heavy-pollution warning %(number)s")
        % {"number": report.warning.number},
        "addressees": gettext("The county branches and the bureau's divisions"),
        "issued_on": long_date(now.astimezone(tz).date()),
        "marking": gettext("Interim") if report.interim else "",
    }
    template.render({**context(report, tz), **common}, jinja_env=environment(), autoescape=True)
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()
