"""The daily analysis (日研判): yesterday's air in each county and town with its rank, the exceedances and hotspots
of the day with the cases they became, the stations with data problems, the cases registered, due and overdue,
and the air-quality forecast for today and tomorrow where one was imported: what the morning meeting acts on.

The air numbers are the stored results as the /air pages show them (`results.queries.area_days` and
`concentrations`, rounded as HJ 633-2026 §4.2.2 reports them); counties and towns are ranked by their daily AQI,
lowest first, equal values equal (`standards.ranking.rank`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ecoloop.alerts.rules import RuleKind
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.regions.models import Region
from ecoloop.reports import daily_reads as reads
from ecoloop.reports import forecasts
from ecoloop.reports.content import Cell, Chart, Content, Source, Table
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.layout import Block, Heading, Image, Items, Paragraph, TableBlock
from ecoloop.reports.periods import ReportPeriod
from ecoloop.results import air_queries
from ecoloop.results.air import local_bounds
from ecoloop.results.queries import NAME_SEPARATOR, Aqi, DayAqi, area_days, concentrations, pollutant_name
from ecoloop.standards import ranking

# The daily values of the air tables, by column (GB 3095-2012 Table 1 averaging; µg/m³, CO mg/m³).
VALUE_KEYS = {
    "pm25": "PM2_5_24h",
    "pm10": "PM10_24h",
    "o3": "O3_8h",
    "no2": "NO2_24h",
    "so2": "SO2_24h",
    "co": "CO_24h",
}
VALUE_COLUMNS = {
    "pm25": N_("PM2.5 (µg/m³)"),
    "pm10": N_("PM10 (µg/m³)"),
    "o3": N_("O3 8-hour (µg/m³)"),
    "no2": N_("NO2 (µg/m³)"),
    "so2": N_("SO2 (µg/m³)"),
    "co": N_("CO (mg/m³)"),
}
COUNTY_COLUMNS = {
    "name": N_("County"),
    "rank": N_("Rank"),
    "aqi": N_("AQI"),
    "level": N_("AQI category"),
    "primary": N_("Primary pollutant"),
    **VALUE_COLUMNS,
}
TOWN_COLUMNS = {
    "name": N_("Town or street"),
    "county": N_("County"),
    "rank": N_("Rank"),
    "aqi": N_("AQI"),
    "level": N_("AQI category"),
    "primary": N_("Primary pollutant"),
    "pm25": N_("PM2.5 (µg/m³)"),
    "pm10": N_("PM10 (µg/m³)"),
    "o3": N_("O3 8-hour (µg/m³)"),
}
ALERT_COLUMNS = {
    "number": N_("Alert number"),
    "time": N_("Data time"),
    "kind": N_("Kind"),
    "place": N_("Site or area"),
    "county": N_("County"),
    "parameter": N_("Parameter"),
    "observed": N_("Value"),
    "reference": N_("Limit or reference"),
    "case": N_("Case number"),
}
STATION_COLUMNS = {
    "name": N_("Station"),
    "county": N_("County"),
    "problem": N_("Problem"),
    "alerts": N_("Alert number"),
}
CASE_COUNT_COLUMNS = {
    "name": N_("County"),
    "new": N_("Registered yesterday"),
    "due": N_("Due within %(days)s days"),
    "overdue": N_("Overdue"),
}
OVERDUE_COLUMNS = {
    "number": N_("Case number"),
    "title": N_("Title"),
    "unit": N_("Lead unit"),
    "county": N_("County"),
    "deadline": N_("Deadline"),
    "days": N_("Days overdue"),
}
FORECAST_COLUMNS = {
    "name": N_("Area"),
    "today_aqi": N_("Today: AQI"),
    "today_level": N_("Today: category"),
    "today_primary": N_("Today: primary pollutant"),
    "tomorrow_aqi": N_("Tomorrow: AQI"),
    "tomorrow_level": N_("Tomorrow: category"),
    "tomorrow_primary": N_("Tomorrow: primary pollutant"),
}
# The document's tables name the pollutants only (their units in the note below the table); the workbook's
# headers carry the units.
SHORT_VALUES = {
    "pm25": N_("PM2.5"),
    "pm10": N_("PM10"),
    "o3": N_("O3-8h"),
    "no2": N_("NO2"),
    "so2": N_("SO2"),
    "co": N_("CO"),
}
UNITS_NOTE = N_("Daily means in µg/m³ (CO in mg/m³); O3-8h: the day's maximum 8-hour mean.")
COLUMNS = {
    "counties": COUNTY_COLUMNS,
    "towns": TOWN_COLUMNS,
    "alerts": ALERT_COLUMNS,
    "stations": STATION_COLUMNS,
    "case_counts": CASE_COUNT_COLUMNS,
    "overdue": OVERDUE_COLUMNS,
    "forecasts": FORECAST_COLUMNS,
}
# The sentences under the county and town tables: with results, and without any.
RANKING_SUMMARIES = {
    "counties": (
        N_(
            "Of %(count)s counties, %(good)s had excellent or good air; the best was %(best)s (AQI %(best_aqi)s), "
            "the worst %(worst)s."
        ),
        N_("No county has a daily result for the day."),
    ),
    "towns": (
        N_(
            "%(ranked)s of %(count)s towns and streets have a daily result, %(good)s of them excellent or good; "
            "the worst: %(worst)s."
        ),
        N_("No town or street has a daily result for the day."),
    ),
}
AIR_ALERT_KINDS = frozenset({RuleKind.AIR_HOTSPOT, RuleKind.AIR_SUDDEN_RISE})
WORST = {"counties": 1, "towns": 3}  # the areas named as the worst under each table
GOOD_AQI = 100  # AQI ≤ 100: excellent or good (HJ 633 Table 2)
PM25_DAILY_LIMIT = 75.0  # µg/m³, the 24-hour mean limit of grade II (GB 3095-2012 Table 1)


def _columns(table: str, **values: object) -> list[tuple[str, str]]:
    """A table's (key, header) in the catalog's language; `values` fill the headers' placeholders."""
    return [
        (key, gettext(COLUMNS[table][key]) % values if values else gettext(COLUMNS[table][key]))
        for key in COLUMNS[table]
    ]


def _document_columns(table: str) -> list[tuple[str, str]]:
    """A table's headers in the document: the pollutants without their units (the note gives them)."""
    return [(key, gettext(SHORT_VALUES[key]) if key in SHORT_VALUES else header) for key, header in _columns(table)]


def _number(text: str) -> Cell:
    """A value as the pages print it ("—" none, "35", "0.8") as a number of the workbook."""
    if text == "—":
        return None
    return Decimal(text) if "." in text else int(text)


def _plain(value: Decimal | None) -> Decimal | None:
    """A stored number without trailing zeros (123.40 → 123.4; 100.000 → 100)."""
    if value is None:
        return None
    reduced = value.normalize()
    return reduced.quantize(Decimal(1)) if reduced.as_tuple().exponent > 0 else reduced  # type: ignore[operator]  # exponent is an int for finite numbers


def _long(day: date) -> str:
    return gettext("%(year)d-%(month)d-%(day)d") % {"year": day.year, "month": day.month, "day": day.day}


def _short(day: date) -> str:
    return gettext("%(month)d-%(day)d") % {"month": day.month, "day": day.day}


# --- air ------------------------------------------------------------------------------------------------------------


def _air_row(name: str, rank: int | None, entry: DayAqi | None, columns: Mapping[str, str]) -> dict[str, Cell]:
    aqi = entry.aqi if entry else Aqi()
    row: dict[str, Cell] = {
        "name": name,
        "rank": rank,
        "aqi": aqi.aqi,
        "level": gettext(aqi.label) if aqi.label else None,
        "primary": aqi.primary_text or None,
    }
    values = {c.key: _number(c.text) for c in concentrations(entry)} if entry else {}
    for column, key in VALUE_KEYS.items():
        if column in columns:
            row[column] = values.get(key)
    return row


def _ranked(regions: Sequence[Region], found: Mapping[tuple[int, date], DayAqi], day: date) -> list[Region]:
    ranks = _ranks(regions, found, day)
    return sorted(regions, key=lambda r: (ranks[r.id] is None, ranks[r.id] or 0, r.code))


def _ranks(regions: Sequence[Region], found: Mapping[tuple[int, date], DayAqi], day: date) -> dict[int, int | None]:
    return ranking.rank({r.id: found[(r.id, day)].aqi.aqi if (r.id, day) in found else None for r in regions})


def _city_summary(city: DayAqi | None, day: date) -> str:
    if city is None or city.aqi.aqi is None:
        return gettext("No daily result of the city has been computed for %(day)s.") % {"day": _long(day)}
    values = {c.key: c.text for c in concentrations(city)}
    return gettext(
        "On %(day)s the city's AQI was %(aqi)s, %(level)s, primary pollutant %(primary)s; PM2.5 %(pm25)s µg/m³, "
        "PM10 %(pm10)s µg/m³, ozone (maximum 8-hour mean) %(o3)s µg/m³."
    ) % {
        "day": _long(day),
        "aqi": city.aqi.aqi,
        "level": gettext(city.aqi.label),
        "primary": city.aqi.primary_text or gettext("none"),
        "pm25": values["PM2_5_24h"],
        "pm10": values["PM10_24h"],
        "o3": values["O3_8h"],
    }


def _ranking_summary(table: str, rows: Sequence[Mapping[str, Cell]]) -> str:
    ranked = [(r["name"], r["aqi"]) for r in rows if isinstance(r["aqi"], int)]
    if not ranked:
        return gettext(RANKING_SUMMARIES[table][1])
    worst = ranked[-min(WORST[table], max(len(ranked) - 1, 1)) :][::-1]
    return gettext(RANKING_SUMMARIES[table][0]) % {
        "count": len(rows),
        "ranked": len(ranked),
        "good": sum(1 for _name, aqi in ranked if aqi <= GOOD_AQI),
        "best": ranked[0][0],
        "best_aqi": ranked[0][1],
        "worst": NAME_SEPARATOR.join(
            gettext("%(name)s (AQI %(aqi)s)") % {"name": name, "aqi": aqi} for name, aqi in worst
        ),
    }


def _air(source: Source, day: date) -> tuple[dict[str, str], list[Table], list[Chart]]:
    city = source.city
    counties = reads.counties_of(source.session, city)
    towns = reads.towns_of(source.session, city)
    found = area_days(source.reads, [city.id, *(c.id for c in counties), *(t.id for t in towns)], day, day)
    county_ranks = _ranks(counties, found, day)
    county_rows = [
        _air_row(c.name, county_ranks[c.id], found.get((c.id, day)), COUNTY_COLUMNS)
        for c in _ranked(counties, found, day)
    ]
    town_ranks = _ranks(towns, found, day)
    town_rows = []
    for town in _ranked(towns, found, day):
        row = _air_row(town.name, town_ranks[town.id], found.get((town.id, day)), TOWN_COLUMNS)
        county = reads.county_of(town.path, counties)
        row["county"] = county.name if county else None
        town_rows.append({key: row.get(key) for key in TOWN_COLUMNS})
    values = {
        "summary": _city_summary(found.get((city.id, day)), day),
        "county_summary": _ranking_summary("counties", county_rows),
        "town_summary": _ranking_summary("towns", town_rows),
    }
    tables = [
        Table("counties", gettext("Counties"), _columns("counties"), county_rows),
        Table("towns", gettext("Towns and streets"), _columns("towns"), town_rows),
    ]
    names = [str(r["name"]) for r in county_rows]
    charts = [
        Chart(
            "county_chart",
            gettext("AQI by county"),
            "bar",
            names,
            [(gettext("AQI"), [float(r["aqi"]) if isinstance(r["aqi"], int) else None for r in county_rows])],
            limit=float(GOOD_AQI),
        ),
        Chart(
            "pm25_chart",
            gettext("PM2.5 by county"),
            "bar",
            names,
            [(gettext("PM2.5"), [float(r["pm25"]) if isinstance(r["pm25"], int) else None for r in county_rows])],
            unit="µg/m³",
            limit=PM25_DAILY_LIMIT,
        ),
    ]
    return values, tables, charts


# --- alerts and stations --------------------------------------------------------------------------------------------


def _county_name(path: str, counties: Sequence[Region]) -> str | None:
    county = reads.county_of(path, counties)
    return county.name if county else None


def _alerts(source: Source, day: date, start: datetime, end: datetime) -> tuple[dict[str, str], Table]:
    counties = reads.counties_of(source.session, source.city)
    lines = reads.alerts_raised(source.session, start, end, device=False)
    rows = [
        {
            "number": line.number,
            "time": line.first_at.astimezone(source.tz).strftime("%m-%d %H:%M"),
            "kind": gettext(line.kind.label),
            "place": line.site_name or line.region.name,
            "county": _county_name(line.region.path, counties),
            "parameter": parameters.label(line.parameter, ambient=line.kind in AIR_ALERT_KINDS)
            if line.parameter
            else None,
            "observed": _plain(line.observed),
            "reference": _plain(line.reference),
            "case": line.case_number,
        }
        for line in lines
    ]
    if not lines:
        summary = gettext("No alert of an exceedance or a hotspot was raised on %(day)s.") % {"day": _long(day)}
    else:
        kinds = Counter(line.kind for line in lines)
        summary = gettext(
            "On %(day)s %(count)s alerts of exceedances and hotspots were raised (%(kinds)s); %(cases)s of them "
            "became cases."
        ) % {
            "day": _long(day),
            "count": len(lines),
            "kinds": NAME_SEPARATOR.join(
                gettext("%(kind)s %(count)s") % {"kind": gettext(kind.label), "count": kinds[kind]}
                for kind in RuleKind
                if kinds[kind]
            ),
            "cases": sum(1 for line in lines if line.case_number),
        }
    return {"alert_summary": summary}, Table("alerts", gettext("Alerts"), _columns("alerts"), rows)


def _stations(source: Source, day: date, start: datetime, end: datetime) -> tuple[dict[str, str], Table]:
    session = source.session
    counties = reads.counties_of(session, source.city)
    stations = reads.air_stations(session, source.city)
    con = source.reads.con()
    days = {
        int(r["site_id"]): r
        for r in air_queries.station_days(con, source.reads.root, [s.site_id for s in stations], day, day)
    }
    short = [s for s in stations if not (days.get(s.site_id) or {}).get("complete")]
    hours = air_queries.valid_hours(
        air_queries.station_hours(con, source.reads.root, [s.site_id for s in short], day, day)
    )
    problems: dict[int, list[str]] = {}
    numbers: dict[int, list[str]] = {}
    for station in short:
        row = days.get(station.site_id)
        valid = hours.get((station.site_id, day), 0)
        if row is None:
            text = gettext("No daily result: %(hours)s valid hours of PM2.5 (20 needed)") % {"hours": valid}
        else:
            missing = [pollutant_name(k) for k in VALUE_KEYS.values() if row.get(k) is None]
            text = gettext("Too few valid hours for a daily value of %(names)s") % {
                "names": NAME_SEPARATOR.join(missing) or gettext("a pollutant")
            }
        problems.setdefault(station.site_id, []).append(text)
    device = [(a.site_id, a) for a in reads.device_alerts_active(session, start, end) if a.site_id is not None]
    places = reads.station_paths(session, [site_id for site_id, _alert in device])
    for site_id, alert in device:
        problems.setdefault(site_id, []).append(gettext(alert.kind.label))
        numbers.setdefault(site_id, []).append(alert.number)
    known = {s.site_id: (s.name, s.region_path) for s in stations} | places
    rows = [
        {
            "name": known[site_id][0],
            "county": _county_name(known[site_id][1], counties),
            "problem": gettext("; ").join(dict.fromkeys(texts)),
            "alerts": NAME_SEPARATOR.join(numbers.get(site_id, [])) or None,
        }
        for site_id, texts in sorted(problems.items(), key=lambda item: known[item[0]][0])
    ]
    if not rows:
        summary = gettext("No station had a data problem on %(day)s.") % {"day": _long(day)}
    else:
        summary = gettext(
            "On %(day)s %(short)s of %(stations)s air stations had too few valid hours for a complete day, and "
            "%(devices)s device alerts held."
        ) % {"day": _long(day), "short": len(short), "stations": len(stations), "devices": len(device)}
    return {"station_summary": summary}, Table(
        "stations", gettext("Stations with data problems"), _columns("stations"), rows
    )


# --- cases ----------------------------------------------------------------------------------------------------------


def _cases(source: Source, day: date, start: datetime, end: datetime) -> tuple[dict[str, str], list[Table]]:
    today = day + timedelta(days=1)
    counties = reads.counties_of(source.session, source.city)
    lines = reads.cases_of_day(source.session, start, end, today)
    totals: dict[str, Counter[str]] = {c.name: Counter() for c in counties}
    for line in lines:
        county = _county_name(line.region_path, counties) or source.city.name
        tally = totals.setdefault(county, Counter())
        tally.update(new=int(line.registered), due=int(line.due), overdue=int(line.overdue))
    overall: Counter[str] = Counter()
    rows: list[dict[str, Cell]] = []
    for name, tally in totals.items():
        overall.update(tally)
        rows.append({"name": name, "new": tally["new"], "due": tally["due"], "overdue": tally["overdue"]})
    rows.append({"name": gettext("Total"), "new": overall["new"], "due": overall["due"], "overdue": overall["overdue"]})
    late = sorted(
        (line for line in lines if line.overdue),
        key=lambda line: (line.deadline or today, line.number),
    )
    overdue_rows = [
        {
            "number": line.number,
            "title": line.title,
            "unit": line.unit or None,
            "county": _county_name(line.region_path, counties),
            "deadline": line.deadline,
            "days": (today - line.deadline).days if line.deadline else None,
        }
        for line in late[: reads.MAX_OVERDUE_LISTED]
    ]
    values = {
        "case_summary": gettext(
            "On %(day)s %(new)s cases were registered; %(due)s open cases are due within %(days)s days and "
            "%(overdue)s are overdue."
        )
        % {
            "day": _long(day),
            "new": overall["new"],
            "due": overall["due"],
            "days": reads.DUE_DAYS,
            "overdue": overall["overdue"],
        },
        "overdue_note": _overdue_note(len(overdue_rows), len(late)),
    }
    tables = [
        Table("case_counts", gettext("Cases by county"), _columns("case_counts", days=reads.DUE_DAYS), rows),
        Table("overdue", gettext("Overdue cases"), _columns("overdue"), overdue_rows),
    ]
    return values, tables


def _overdue_note(shown: int, total: int) -> str:
    if not total:
        return gettext("No case is overdue.")
    if shown < total:
        return gettext("The %(shown)s most overdue of %(total)s overdue cases:") % {"shown": shown, "total": total}
    return gettext("The overdue cases:")


# --- the forecast ---------------------------------------------------------------------------------------------------


def _forecast(source: Source, day: date) -> tuple[dict[str, Any], Table]:
    today, tomorrow = day + timedelta(days=1), day + timedelta(days=2)
    counties = reads.counties_of(source.session, source.city)
    regions = [source.city, *counties]
    found = forecasts.forecasts_of(source.session, [r.id for r in regions], today, tomorrow)
    rows: list[dict[str, Cell]] = []
    for region in regions:
        if not any((region.id, d) in found for d in (today, tomorrow)):
            continue
        row: dict[str, Cell] = {"name": region.name}
        for prefix, d in (("today", today), ("tomorrow", tomorrow)):
            f = found.get((region.id, d))
            row[f"{prefix}_aqi"] = f.range_text if f else None
            row[f"{prefix}_level"] = f.levels_text if f else None
            row[f"{prefix}_primary"] = (f.primary_text or gettext("none")) if f else None
        rows.append(row)
    lines = [
        gettext("%(day)s: AQI %(range)s, %(levels)s, primary pollutant %(primary)s.")
        % {
            "day": _short(d),
            "range": f.range_text,
            "levels": f.levels_text,
            "primary": f.primary_text or gettext("none"),
        }
        for d in (today, tomorrow)
        if (f := found.get((source.city.id, d))) is not None
    ]
    return {"forecast": lines}, Table("forecasts", gettext("Air-quality forecast"), _columns("forecasts"), rows)


# --- the brief ------------------------------------------------------------------------------------------------------


class DailyBrief:
    kind = ReportKind.DAILY

    def title(self, period: ReportPeriod) -> str:
        return gettext("Daily analysis of air quality, %(day)s") % {"day": period.key}

    def layout(self) -> Sequence[Block]:
        return (
            Heading(gettext("1. Air quality yesterday")),
            Paragraph("{{ summary }}"),
            Heading(gettext("(1) Counties"), 2),
            Paragraph("{{ county_summary }}"),
            TableBlock("counties", _document_columns("counties"), gettext(UNITS_NOTE)),
            Image("county_chart"),
            Image("pm25_chart"),
            Heading(gettext("(2) Towns and streets"), 2),
            Paragraph("{{ town_summary }}"),
            TableBlock("towns", _document_columns("towns"), gettext(UNITS_NOTE)),
            Heading(gettext("2. Exceedances and hotspots in the last 24 hours")),
            Paragraph("{{ alert_summary }}"),
            TableBlock("alerts", _columns("alerts")),
            Heading(gettext("3. Stations with data problems")),
            Paragraph("{{ station_summary }}"),
            TableBlock("stations", _columns("stations")),
            Heading(gettext("4. Cases")),
            Paragraph("{{ case_summary }}"),
            TableBlock("case_counts", _columns("case_counts", days=reads.DUE_DAYS)),
            Paragraph("{{ overdue_note }}"),
            TableBlock("overdue", _columns("overdue")),
            Heading(gettext("5. Air-quality forecast")),
            Items(
                "forecast",
                "{{ item }}",
                gettext("No air-quality forecast of the city has been imported for today or tomorrow."),
            ),
            TableBlock("forecasts", _columns("forecasts")),
        )

    def build(self, source: Source, period: ReportPeriod) -> Sequence[Content]:
        day = period.first
        start, end = local_bounds(day, day, source.tz)
        values: dict[str, Any] = {}
        tables: list[Table] = []
        air_values, air_tables, charts = _air(source, day)
        values |= air_values
        tables += air_tables
        alert_values, alert_table = _alerts(source, day, start, end)
        station_values, station_table = _stations(source, day, start, end)
        case_values, case_tables = _cases(source, day, start, end)
        forecast_values, forecast_table = _forecast(source, day)
        values |= alert_values | station_values | case_values | forecast_values
        tables += [alert_table, station_table, *case_tables, forecast_table]
        return [Content(region_id=source.city.id, values=values, tables=tables, charts=charts)]


BRIEF = DailyBrief()
