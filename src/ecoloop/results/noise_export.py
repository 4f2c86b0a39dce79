"""The noise month table as a download (.xlsx or .csv, through `ecoloop.exports`): per station its compliance of
the month, then every station-day with Ld, Ln, their hours, limits and verdicts, as the /noise page shows them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ecoloop.exports import append_row, csv_bytes, new_workbook, workbook_bytes
from ecoloop.i18n import gettext
from ecoloop.monitoring.enums import NoiseZone
from ecoloop.results.noise_queries import NoiseDay, NoiseOverview


def _zone(value: str | None) -> str:
    if value is None or value not in NoiseZone._value2member_map_:
        return ""
    return gettext(NoiseZone(value).label)


def _verdict(exceeds: bool | None) -> str:
    if exceeds is None:
        return gettext("Not judged")
    return gettext("Exceeds") if exceeds else gettext("Meets")


def _rate(rate: Decimal | None) -> float | None:
    return None if rate is None else float(rate)


def _summary(o: NoiseOverview) -> Iterator[list[Any]]:
    yield [
        gettext("Station code"),
        gettext("Station"),
        gettext("Region"),
        gettext("Acoustic function zone"),
        gettext("Days judged (day)"),
        gettext("Days meeting the limit (day)"),
        gettext("Compliance rate by day (%)"),
        gettext("Nights judged"),
        gettext("Nights meeting the limit"),
        gettext("Compliance rate at night (%)"),
    ]
    for s in o.stations:
        t = s.tally
        zone = s.site.noise_zone.value if s.site.noise_zone else None
        row: list[Any] = [s.site.code, s.site.name, s.site.region.name, _zone(zone)]
        row += [t.day_judged, t.day_met, _rate(t.day_rate), t.night_judged, t.night_met, _rate(t.night_rate)]
        yield row


def _days(o: NoiseOverview) -> Iterator[list[Any]]:
    yield [
        gettext("Station code"),
        gettext("Station"),
        gettext("Date"),
        gettext("Acoustic function zone"),
        gettext("Ld (dB(A))"),
        gettext("Day hours"),
        gettext("Day limit (dB(A))"),
        gettext("Daytime verdict"),
        gettext("Ln (dB(A))"),
        gettext("Night hours"),
        gettext("Night limit (dB(A))"),
        gettext("Night-time verdict"),
        gettext("Night maximum (dB(A))"),
    ]
    for s in o.stations:
        for d in s.days:
            yield _day(s.site.code, s.site.name, d)


def _day(code: str, name: str, d: NoiseDay) -> list[Any]:
    return [
        code,
        name,
        d.day,
        _zone(d.zone),
        d.ld,
        d.hours_day,
        d.ld_limit,
        _verdict(d.ld_exceeds),
        d.ln,
        d.hours_night,
        d.ln_limit,
        _verdict(d.ln_exceeds),
        d.lmax_night,
    ]


def month_workbook(o: NoiseOverview) -> bytes:
    """Two sheets: the stations' compliance of the period, and their days."""
    book = new_workbook()
    for title, rows in ((gettext("Compliance"), _summary(o)), (gettext("Daily levels"), _days(o))):
        sheet = book.create_sheet(title)
        for row in rows:
            append_row(sheet, row)
    return workbook_bytes(book)


def month_csv(o: NoiseOverview) -> bytes:
    """The days of the period as CSV (one table: the workbook's second sheet)."""
    return csv_bytes(_days(o))
