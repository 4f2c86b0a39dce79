"""The control list as the usual .xlsx workbook (through `ecoloop.exports`, the one writer of workbooks): one sheet
of enterprises with the identity columns, normal emissions, then a two-row header with a yellow, an orange and a
red group of 措施 and reductions of SO2, NOx, PM and VOCs, transport and contact (issue 20 memo §6, a layout
from practice [unverified]); a summary sheet per county with its baselines and the shares at each level."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]  # openpyxl ships no type information

from ecoloop.controls.enums import Pollutant
from ecoloop.controls.rules import LEVELS
from ecoloop.controls.views import CountySummary, ListRow, describe
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.i18n import N_, gettext

KG = N_("kg/d")


def _identity_headers() -> list[str]:
    return [
        gettext("No."),
        gettext("City"),
        gettext("County"),
        gettext("Enterprise"),
        gettext("Unified social credit code"),
        gettext("Industry code"),
        gettext("Guide industry"),
        gettext("Performance grade"),
        gettext("Livelihood protection"),
    ]


def _tail_headers() -> list[str]:
    return [
        gettext("Transport"),
        gettext("Heavy trucks"),
        gettext("Longitude"),
        gettext("Latitude"),
        gettext("Contact person"),
        gettext("Contact phone"),
        gettext("Note"),
    ]


def _pollutant_headers() -> list[str]:
    return [f"{gettext(p.label)} ({gettext(KG)})" for p in Pollutant]


def _enterprise_sheet(book: Any, rows: Sequence[ListRow], day: date) -> None:
    sheet = book.create_sheet(gettext("Emergency control list"))
    identity, tail, pollutants = _identity_headers(), _tail_headers(), _pollutant_headers()
    top: list[str] = [*identity, gettext("Normal emissions"), *[""] * (len(pollutants) - 1)]
    second: list[str] = [*[""] * len(identity), *pollutants]
    for level in LEVELS:
        top += [gettext(level.label), *[""] * len(pollutants)]
        second += [
            gettext("Reduction measure"),
            *[gettext("Reduction of %(pollutant)s") % {"pollutant": p} for p in pollutants],
        ]
    top += tail
    second += [""] * len(tail)
    append_row(sheet, top)
    append_row(sheet, second)
    _merge_header(sheet, len(identity), len(pollutants), len(tail))
    for number, row in enumerate(rows, start=1):
        e, entry = row.enterprise, row.entry
        county = row.county
        city = county.parent.name if county is not None and county.parent is not None else ""
        values: list[Any] = [
            number,
            city,
            county.name if county else "",
            e.name,
            e.credit_code,
            e.industry_code or "",
            gettext(entry.industry.label),
            gettext(row.grade.label) if row.grade else gettext("Not graded"),
            gettext(entry.livelihood.label),
            *[row.emissions.get(p) for p in Pollutant],
        ]
        for view in row.levels:
            values += [describe(view.measure), *[view.reduction.get(p) for p in Pollutant]]
        values += [
            entry.transport,
            entry.heavy_trucks,
            e.longitude,
            e.latitude,
            e.contact_name or "",
            e.contact_phone or "",
            entry.note,
        ]
        append_row(sheet, values)
    sheet.freeze_panes = "E3"


def _merge_header(sheet: Any, identity: int, pollutants: int, tail: int) -> None:
    """Identity and tail columns over both header rows; each group's title over its columns."""
    bold, centre = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    for column in range(1, identity + 1):
        sheet.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    start = identity + 1
    sheet.merge_cells(start_row=1, start_column=start, end_row=1, end_column=start + pollutants - 1)
    start += pollutants
    for _ in LEVELS:
        sheet.merge_cells(start_row=1, start_column=start, end_row=1, end_column=start + pollutants)
        start += pollutants + 1
    for column in range(start, start + tail):
        sheet.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    for row in sheet.iter_rows(min_row=1, max_row=2):
        for cell in row:
            cell.font, cell.alignment = bold, centre


def _summary_sheet(book: Any, summaries: Sequence[CountySummary]) -> None:
    sheet = book.create_sheet(gettext("Summary per county"))
    header = [gettext("County"), gettext("Enterprises on the list"), gettext("Pollutant"), gettext("Baseline (kg/d)")]
    for level in LEVELS:
        label = gettext(level.label)
        header += [
            gettext("%(level)s: reduction (kg/d)") % {"level": label},
            gettext("%(level)s: share") % {"level": label},
            gettext("%(level)s: required share") % {"level": label},
        ]
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for summary in summaries:
        for i, pollutant in enumerate(Pollutant):
            values: list[Any] = [summary.county.name, summary.enterprises, gettext(pollutant.label)]
            values.append(summary.baselines.get(pollutant))
            for level in LEVELS:
                check = summary.checks[level][i]
                values += [check.reduction, check.share, check.required]
            append_row(sheet, values)
            for cell in sheet[sheet.max_row][5::3] + sheet[sheet.max_row][6::3]:
                cell.number_format = "0.0%"
    sheet.freeze_panes = "B2"


def control_workbook(rows: Sequence[ListRow], summaries: Sequence[CountySummary], day: date) -> bytes:
    """The workbook of the list on `day` (an enterprise account's: its own row, no summary)."""
    book = new_workbook()
    _enterprise_sheet(book, rows, day)
    if summaries:
        _summary_sheet(book, summaries)
    return workbook_bytes(book)
