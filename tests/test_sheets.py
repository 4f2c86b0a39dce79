"""Reading spreadsheets as offices fill them in."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ecoloop.sheets import BadWorkbookError, blank_row, cell_text, header_key, parse_date, read_sheets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("2026/1/5", date(2026, 1, 5)),
        ("2026.01.05", date(2026, 1, 5)),
        ("2026年1月5日", date(2026, 1, 5)),
        ("２０２６年１月５日", date(2026, 1, 5)),
        ("2026-12-31 00:00:00", date(2026, 12, 31)),
        ("2026-02-30", None),
        ("长期坚持", None),
    ],
)
def test_dates_as_offices_write_them(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_cells_headers_and_bad_files() -> None:
    assert cell_text(371802.0) == "371802" and cell_text(datetime(2026, 1, 5, 8))  # noqa: DTZ001 - Excel cells have no zone == "2026-01-05"
    assert cell_text("  ") is None and blank_row((None, " ", ""))
    assert header_key(" 限 值 (mg/m³) ") == header_key("*限值[mg/m3]") == "限值"
    with pytest.raises(BadWorkbookError):
        read_sheets(b"not a workbook", 10)
