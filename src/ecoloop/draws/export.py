"""The result of a draw as an .xlsx workbook (through `ecoloop.exports`, the one writer of workbooks): the on-site
enterprises with their officers and the avoidance applied, the 非现场 checks, the pools and the record's hashes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any

from openpyxl.styles import Font  # type: ignore[import-untyped]  # openpyxl ships no type information

from ecoloop.draws.models import Draw
from ecoloop.draws.views import DrawView, Row
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.i18n import gettext


def _sheet(book: Any, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A sheet of `book` with its (translated) title, a bold header row and the rows, text kept as text."""
    sheet = book.create_sheet(title)
    append_row(sheet, columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    sheet.freeze_panes = "A2"


def avoidance_text(row: Row) -> str:
    """The avoidance applied to a drawn enterprise in words: each rule with whom it kept away."""
    parts = [f"{gettext(rule.label)}: {who}" for rule, who in row.avoided]
    if row.rotation_waived:
        parts.append(gettext("rotation waived: no other unit available"))
    return "; ".join(parts)


def draw_workbook(draw: Draw, view: DrawView, tz: tzinfo) -> bytes:
    """The workbook of a drawn record."""
    book = new_workbook()
    _sheet(
        book,
        gettext("On-site checks"),
        [gettext("No."), gettext("Enterprise"), gettext("Unified social credit code"), gettext("Region"),
         gettext("Pool"), gettext("Checking unit"), gettext("Officers"), gettext("Avoidance applied")],
        [
            (r.position, r.name, r.credit_code, r.region, r.pool, r.unit,
             "、".join(f"{o.name} ({o.unit})" for o in r.officers),
             avoidance_text(r))
            for r in view.on_site
        ],
    )  # fmt: skip
    _sheet(
        book,
        gettext("Off-site checks"),
        [
            gettext("No."),
            gettext("Enterprise"),
            gettext("Unified social credit code"),
            gettext("Region"),
            gettext("Pool"),
        ],
        [(r.position, r.name, r.credit_code, r.region, r.pool) for r in view.off_site],
    )
    _sheet(
        book,
        gettext("Pools"),
        [gettext("Pool"), gettext("Enterprises in the pool"), gettext("On-site candidates"), gettext("To draw"),
         gettext("Drawn"), gettext("Off-site checks")],
        [(p["name"], p["size"], p["on_site_members"], p["take"], p["drawn"], p["offsite"]) for p in view.pools],
    )  # fmt: skip
    drawn_at = draw.drawn_at.astimezone(tz).replace(tzinfo=None) if draw.drawn_at else None
    _sheet(
        book,
        gettext("Record"),
        [gettext("Item"), gettext("Value")],
        [
            (gettext("Draw number"), draw.number),
            (gettext("Title"), draw.title),
            (gettext("Unit"), view.unit),
            (gettext("Period"), f"{draw.period_start.isoformat()} - {draw.period_end.isoformat()}"),
            (gettext("Drawn"), drawn_at),
            (gettext("Source of the seed"), draw.seed_source),
            (gettext("Public value"), draw.public_value),
            (gettext("Seed"), draw.seed),
            (gettext("Algorithm"), draw.algorithm),
            (gettext("Result hash"), draw.result_sha256),
            (gettext("Record hash"), draw.record_hash),
            (gettext("Previous record hash"), draw.previous_hash),
        ],
    )
    return workbook_bytes(book)
