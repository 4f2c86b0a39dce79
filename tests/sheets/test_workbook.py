"""Reading spreadsheets as offices fill them in."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pytest

from ecoloop.sheets import (
    BadWorkbookError,
    SheetLimits,
    SheetTooLargeError,
    blank_row,
    cell_text,
    header_key,
    parse_date,
    read_sheets,
)
from tests.factories import crafted_xlsx as crafted


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


# --- hostile workbooks (issue 13): bounded by the cells really there, refused beyond the limits -------------------


HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>site_code</t></is></c><c r="B1"><v>1</v></c></row>'


@contextmanager
def cost() -> Iterator[dict[str, float]]:
    """The peak of memory allocated (MB) and the seconds taken by the block."""
    measured: dict[str, float] = {}
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield measured
    finally:
        measured["seconds"] = time.perf_counter() - started
        measured["mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()


def test_a_forged_sheet_dimension_costs_only_the_cells_really_there() -> None:
    data = crafted(HEADER_ROW + '<row r="3000"/>')  # rows of 16,384 cells each before (issue 13)
    assert len(data) < 8_000
    with cost() as measured:
        sheets = read_sheets(data, 50_000)
    assert sheets[0][1] == [("site_code", 1)] + [()] * 2999
    assert measured["seconds"] < 0.5 and measured["mb"] < 8, measured


@pytest.mark.parametrize(
    ("rows", "code", "limit"),
    [
        (HEADER_ROW + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "sheet_rows", 100_002),
        (HEADER_ROW + '<row r="2"><c r="XFD2"><v>1</v></c></row>', "sheet_columns", 256),
        (HEADER_ROW + "".join(f'<row r="{n}"><c r="XFD{n}"/></row>' for n in range(2, 30_000)), "sheet_columns", 256),
        ("".join(f'<row r="{n}"><c r="IV{n}"><v>1</v></c></row>' for n in range(1, 20_000)), "sheet_cells", 200_000),
    ],
)
def test_rows_columns_and_cells_beyond_the_limits_are_refused_while_streaming(rows: str, code: str, limit: int) -> None:
    data = crafted(rows)
    assert len(data) < 250_000
    with cost() as measured, pytest.raises(SheetTooLargeError) as refused:
        read_sheets(data, 50_000, SheetLimits(cells=200_000))
    assert (refused.value.code, refused.value.limit) == (code, limit)
    assert measured["seconds"] < 1.5 and measured["mb"] < 16, measured


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = crafted(HEADER_ROW, extra={"xl/media/image1.png": b"\0" * (60 * 1024 * 1024)})
    many = crafted(HEADER_ROW, extra={f"xl/media/i{n}.png": b"" for n in range(1_200)})
    rows = crafted("<row><c><v>1</v></c></row>" * 60_000)  # 1.5 MB of rows in a file of a few KB
    assert len(bomb) < 120_000 and len(rows) < 12_000
    for data in (bomb, many, rows):
        with cost() as measured, pytest.raises(SheetTooLargeError) as refused:
            read_sheets(data, 100)
        assert refused.value.code == "sheet_unzipped"
        assert measured["seconds"] < 0.5 and measured["mb"] < 8, measured
    with pytest.raises(SheetTooLargeError):
        read_sheets(crafted(HEADER_ROW), 100, SheetLimits(unzipped_bytes=1_000))


def test_tighter_limits_from_the_caller() -> None:
    data = crafted(HEADER_ROW + '<row r="2"><c r="C2"><v>1</v></c></row>')
    with pytest.raises(SheetTooLargeError) as refused:
        read_sheets(data, 100, SheetLimits(columns=2))
    assert refused.value.code == "sheet_columns"
    assert read_sheets(data, 100, SheetLimits(columns=3))[0][1] == [("site_code", 1), (None, None, 1)]
