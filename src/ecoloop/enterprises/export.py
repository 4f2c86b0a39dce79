"""Excel exports of the enterprise file (一企一档) and of a supervision list on a date.

Pure: the functions take rows already loaded (scoped by the caller) and return the bytes of an .xlsx workbook,
one sheet per section, with headers in the request's language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from openpyxl.styles import Font  # type: ignore[import-untyped]  # openpyxl ships no type information
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Permit,
    SupervisionList,
)
from ecoloop.enterprises.rules import INDUSTRY_SECTIONS, industry_section
from ecoloop.exports import append_row, cell_value, new_workbook, workbook_bytes
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters

# --- the workbooks ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseFile:
    """What the file of one enterprise holds, loaded: permits with their outlets and limits, list memberships,
    grades and correction requests (each list newest first), and the names of the sites outlets link to."""

    enterprise: Enterprise
    permits: Sequence[Permit]
    memberships: Sequence[ListMembership]
    grades: Sequence[GradeRecord]
    corrections: Sequence[DataCorrection]
    site_names: Mapping[int, str] = field(default_factory=dict)


def enterprise_workbook(file: EnterpriseFile, tz: tzinfo) -> bytes:
    """The enterprise file as an .xlsx workbook: basic record, permits, outlets, limits, lists, grades,
    correction requests (times in `tz`)."""
    e = file.enterprise
    book = _Book(tz)
    book.sheet(
        N_("Basic record"),
        [N_("Item"), N_("Value")],
        [
            (gettext("Name"), e.name),
            (gettext("Unified social credit code"), e.credit_code),
            (gettext("Industry code"), e.industry_code),
            (gettext("Industry section"), _section_name(e.industry_code)),
            (gettext("Region"), f"{e.region.name} ({e.region.code})"),
            (gettext("Address"), e.address),
            (gettext("Status"), gettext(e.status.label)),
            (gettext("Longitude"), e.longitude),
            (gettext("Latitude"), e.latitude),
            (gettext("Contact person"), e.contact_name),
            (gettext("Contact phone"), e.contact_phone),
        ],
    )
    book.sheet(
        N_("Permits"),
        [N_("Permit number"), N_("Management class"), N_("Valid from"), N_("Valid to"), N_("Issued by")],
        [(p.number, gettext(p.permit_class.label), p.valid_from, p.valid_to, p.issued_by) for p in file.permits],
    )
    book.sheet(
        N_("Outlets"),
        [N_("Permit number"), N_("Outlet code"), N_("Outlet name"), N_("Kind"), N_("Monitoring site")],
        [
            (p.number, o.code, o.name, gettext(o.kind.label), file.site_names.get(o.site_id or 0))
            for p in file.permits
            for o in p.outlets
        ],
    )
    book.sheet(
        N_("Limits"),
        [
            N_("Permit number"),
            N_("Outlet code"),
            N_("Pollutant"),
            N_("Limit"),
            N_("Unit"),
            N_("Averaging"),
            N_("Reference oxygen content"),
            N_("Source"),
        ],
        [
            (
                p.number,
                o.code,
                parameters.name(lim.pollutant),
                lim.limit_value,
                lim.unit,
                gettext(lim.averaging.label),
                lim.reference_o2,
                lim.source,
            )
            for p in file.permits
            for o in p.outlets
            for lim in o.limits
        ],
    )
    book.sheet(
        N_("Supervision lists"),
        [N_("List"), N_("From"), N_("To"), N_("Reason"), N_("Document")],
        [(m.supervision_list.name, m.start, m.end, m.reason, m.document) for m in file.memberships],
    )
    book.sheet(
        N_("Performance grades"),
        [N_("Grade"), N_("From"), N_("To"), N_("Document")],
        [(gettext(g.grade.label), g.start, g.end, g.document) for g in file.grades],
    )
    book.sheet(
        N_("Data corrections"),
        [
            N_("Submitted"),
            N_("Monitoring site"),
            N_("Parameter"),
            N_("Data"),
            N_("Time"),
            N_("Current value"),
            N_("Proposed value"),
            N_("Proposed flag"),
            N_("Reason"),
            N_("Status"),
            N_("Reviewed"),
            N_("Review note"),
        ],
        [
            (
                c.created_at,
                file.site_names.get(c.site_id, str(c.site_id)),
                parameters.name(c.parameter),
                parameters.interval_name(c.interval),
                c.time,
                c.current_value,
                c.proposed_value,
                c.proposed_flag,
                c.reason,
                gettext(c.status.label),
                c.reviewed_at,
                c.review_note,
            )
            for c in file.corrections
        ],
    )
    return book.save()


def list_workbook(supervision_list: SupervisionList, day: date, members: Iterable[Enterprise]) -> bytes:
    """The enterprises on a list on `day` as an .xlsx workbook (one sheet, with the list and date above)."""
    book = _Book(None)
    rows: list[Sequence[Any]] = [
        (
            e.name,
            e.credit_code,
            e.region.name,
            e.industry_code,
            _section_name(e.industry_code),
            gettext(e.status.label),
            e.address,
        )
        for e in members
    ]
    heading = [(gettext("List"), supervision_list.name), (gettext("On"), day), ()]
    columns = [
        N_("Name"),
        N_("Unified social credit code"),
        N_("Region"),
        N_("Industry code"),
        N_("Industry section"),
        N_("Status"),
        N_("Address"),
    ]
    book.sheet(N_("Members"), columns, rows, heading=heading)
    return book.save()


# --- helpers ------------------------------------------------------------------------------------------------------


def _section_name(code: str | None) -> str | None:
    letter = industry_section(code)
    return f"{letter} {gettext(INDUSTRY_SECTIONS[letter][0])}" if letter in INDUSTRY_SECTIONS else None


class _Book:
    """An openpyxl workbook filled sheet by sheet: a bold header row, cells as Excel types (times in `tz`), text
    as text (`ecoloop.exports`)."""

    def __init__(self, tz: tzinfo | None) -> None:
        self.book: Any = new_workbook()  # Any: openpyxl is untyped
        self.tz = tz

    def sheet(
        self,
        title: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        heading: Sequence[Sequence[Any]] = (),
    ) -> None:
        sheet = self.book.create_sheet(gettext(title))
        for line in heading:
            append_row(sheet, [self._cell(v) for v in line])
        append_row(sheet, [gettext(c) for c in columns])
        header_row = len(heading) + 1
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        widths = [_width(gettext(c)) for c in columns]
        for row in rows:
            cells = [self._cell(v) for v in row]
            append_row(sheet, cells)
            widths = [max(w, _width(c)) for w, c in zip(widths, cells, strict=False)]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for row_cells in sheet.iter_rows(min_row=header_row + 1):
            for cell in row_cells:
                _format(cell)

    def _cell(self, value: Any) -> Any:
        if isinstance(value, datetime):
            # Excel has no time zones: local wall-clock time.
            local = value.astimezone(self.tz) if self.tz else value
            return local.replace(tzinfo=None)
        if isinstance(value, Decimal):
            # Numeric(14, 4) columns come back as 120.0000: whole numbers as integers, others without trailing zeros.
            return int(value) if value == value.to_integral_value() else value.normalize()
        return cell_value(value)

    def save(self) -> bytes:
        return workbook_bytes(self.book)


_FORMATS: dict[type, str] = {datetime: "yyyy-mm-dd hh:mm", date: "yyyy-mm-dd"}


def _format(cell: Any) -> None:
    kind = type(cell.value)
    if kind in _FORMATS:
        cell.number_format = _FORMATS[kind]


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    # Chinese characters take about two columns.
    text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
