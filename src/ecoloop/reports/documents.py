"""A brief's content as a Word document (its template filled in by docxtpl, in a sandbox: a template is the
bureau's upload, so its tags may read the content and nothing else) and as a workbook (one sheet per table, numbers
as numbers, text as text: `ecoloop.exports`)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment

from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.reports import charts
from ecoloop.reports.content import Content
from ecoloop.reports.layout import TYPE_WIDTH_MM

IMAGE_WIDTH_MM = TYPE_WIDTH_MM - 6
SHEET_TITLE_CHARS = 31  # Excel's limit
_FORBIDDEN_SHEET = str.maketrans({c: "_" for c in "[]:*?/\\"})


def environment() -> SandboxedEnvironment:
    """The Jinja environment templates are filled in by: sandboxed, every value escaped for XML."""
    return SandboxedEnvironment(autoescape=True)


def docx(
    template: bytes, content: Content, common: Mapping[str, str], images: Mapping[str, bytes] | None = None
) -> bytes:
    """The template filled in with the common values (issuer, document number, …), the content and its charts
    (`images`: PNG by chart name, drawn when not given)."""
    document = DocxTemplate(io.BytesIO(template))
    context: dict[str, Any] = {**content.context(), **common}
    for chart in content.charts:
        picture = images[chart.name] if images is not None else charts.png(chart)
        context[chart.name] = InlineImage(document, io.BytesIO(picture), width=Mm(IMAGE_WIDTH_MM))
    document.render(context, jinja_env=environment(), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx(content: Content, title: str) -> bytes:
    """The content's tables, one sheet each (headers, then the rows); the brief's title as the workbook's."""
    book = new_workbook()
    book.properties.title = title
    used: set[str] = set()
    for table in content.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        used.add(sheet.title)
        append_row(sheet, [header for _, header in table.columns])
        for row in table.rows:
            append_row(sheet, [row.get(key) for key, _ in table.columns])
        for n, (_, header) in enumerate(table.columns):
            sheet.column_dimensions[sheet.cell(1, n + 1).column_letter].width = max(10, min(40, 2 * len(header) + 2))
    if not used:
        append_row(book.create_sheet(_sheet_title(title, used)), [title])
    return workbook_bytes(book)


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_FORBIDDEN_SHEET)[:SHEET_TITLE_CHARS] or "-"
    found, n = base, 1
    while found in used:
        n += 1
        found = f"{base[: SHEET_TITLE_CHARS - 3]}({n})"
    return found
