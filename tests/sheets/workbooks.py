"""Workbooks for the registry import tests: one sheet of rows, the first row the header."""

from __future__ import annotations

import io

from openpyxl import Workbook


def xlsx(rows: list[list[object]], title: str = "Sheet1", *more: tuple[str, list[list[object]]]) -> bytes:
    """A workbook whose sheet `title` holds `rows` (then the `more` sheets)."""
    book = Workbook()
    book.remove(book.active)
    for name, sheet_rows in ((title, rows), *more):
        sheet = book.create_sheet(name)
        for row in sheet_rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
