"""The statistics of hotspot orders as a workbook (`ecoloop.exports`): one sheet per lead unit's figures, one of
the stations' repeat counts; headers in the user's language, numbers as numbers."""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal

from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.hotspots.queries import Stats
from ecoloop.i18n import gettext


def _n(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def stats_workbook(stats: Stats, zone: tzinfo) -> bytes:
    """The per-unit and per-station statistics as .xlsx bytes."""
    book = new_workbook()
    units = book.create_sheet(gettext("By unit"))
    append_row(
        units,
        [
            gettext("Lead unit"),
            gettext("Orders"),
            gettext("Replied"),
            gettext("Reply rate (per cent)"),
            gettext("Mean response time (min)"),
            gettext("Overdue"),
            gettext("Share overdue (per cent)"),
            gettext("Replies naming a source"),
            gettext("Mean change at the station"),
            gettext("Mean change net of the neighbours"),
        ],
    )
    for u in stats.units:
        append_row(
            units,
            [
                u.unit,
                u.orders,
                u.replied,
                _n(u.reply_rate),
                _n(u.mean_response_minutes),
                u.overdue,
                _n(u.overdue_share),
                u.found,
                _n(u.mean_delta),
                _n(u.mean_net_delta),
            ],
        )
    stations = book.create_sheet(gettext("By station"))
    append_row(
        stations,
        [
            gettext("Station"),
            gettext("Orders"),
            gettext("Last dispatched"),
            gettext("Mean change at the station"),
        ],
    )
    for s in stats.stations:
        append_row(stations, [s.site, s.orders, s.last.astimezone(zone).strftime("%Y-%m-%d %H:%M"), _n(s.mean_delta)])
    return workbook_bytes(book)
