"""Reading a registry sheet: the header found among title rows and matched in any order and spelling, cells
checked into values or into problems named by row and column, and the template."""

from __future__ import annotations

import io
from decimal import Decimal
from enum import StrEnum

from openpyxl import load_workbook

from ecoloop.i18n import use_locale
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words, read_records, template_workbook
from tests.sheets.workbooks import xlsx


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


WORDS = Words.of(Colour, {"红": Colour.RED, "蓝": Colour.BLUE}, also={"红色": Colour.RED})
LAYOUT = Layout(
    sheet="清单",
    columns=(
        Column("code", "编码", True, ("代码",), text=True),
        Column("name", "名称", True),
        Column("colour", "颜色"),
        Column("longitude", "经度"),
        Column("latitude", "纬度"),
        Column("count", "数量"),
    ),
    messages={"own": "Own problem %(value)s"},
    examples=(("A1", "甲", "红", "", "", "1"),),
)


def read(data: bytes) -> tuple[ImportReport, list[tuple[int, dict[str, object]]]]:
    report = ImportReport(LAYOUT)
    return report, read_records(data, report)


def test_the_header_is_found_below_a_title_and_matched_by_alias_spacing_and_required_marks() -> None:
    report, records = read(
        xlsx([["某某登记表"], [], ["名 称*", "代码", "备注"], ["甲", "A1", "x"], [], ["乙", "A2", None]], "清单")
    )
    assert report.ok
    assert [(n, v["code"], v["name"]) for n, v in records] == [(4, "A1", "甲"), (6, "A2", "乙")]
    assert report.ignored_columns == ["备注"]
    assert report.rows == 2


def test_the_named_sheet_is_read_else_the_first() -> None:
    _report, records = read(xlsx([["编码", "名称"], ["X", "其他"]], "别的", ("清单", [["编码", "名称"], ["A", "甲"]])))
    assert [v["code"] for _n, v in records] == ["A"]
    _report, records = read(xlsx([["编码", "名称"], ["X", "其他"]], "别的"))
    assert [v["code"] for _n, v in records] == ["X"]


def test_a_missing_or_doubled_column_names_the_header_row() -> None:
    report, records = read(xlsx([["编码", "编码"], ["A", "B"]]))
    assert records == []
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (1, "编码", "column_duplicate"),
        (1, "名称", "column_missing"),
    ]


def test_a_file_that_is_not_a_workbook_and_an_empty_sheet_are_problems_of_the_file() -> None:
    report, _ = read(b"not a zip")
    assert [(p.row, p.code) for p in report.problems] == [(0, "bad_file")]
    report, _ = read(xlsx([["编码", "名称"]]))
    assert [(p.row, p.code) for p in report.problems] == [(0, "no_rows")]


def test_cells_check_text_choices_numbers_and_points_by_row_and_column() -> None:
    report = ImportReport(LAYOUT)
    cells = Cells(report, 7, {"code": " Ａ１ ", "name": None, "colour": "红色", "longitude": "116.5", "count": "2.5"})
    assert cells.code("code", 8, required=True) == "A1"  # full-width forms read as ASCII
    assert cells.text("name", 10, required=True) is None
    assert cells.choice("colour", WORDS) is Colour.RED
    assert cells.point() is None
    assert cells.whole("count", 0, 10) is None
    assert not cells.ok
    with use_locale("zh_CN"):
        assert [(p.row, p.column, p.code) for p in report.problems] == [
            (7, "名称", "required"),
            (7, "纬度", "coordinates_incomplete"),
            (7, "数量", "not_a_whole_number"),
        ]
        assert all(p.message and "%(" not in p.message for p in report.problems)


def test_cells_refuse_a_word_not_accepted_and_name_the_accepted_ones() -> None:
    report = ImportReport(LAYOUT)
    cells = Cells(report, 3, {"colour": "绿", "longitude": "200", "latitude": "30"})
    assert cells.choice("colour", WORDS) is None
    assert cells.point() is None
    assert [(p.code, p.value) for p in report.problems] == [
        ("bad_choice", "红 / 蓝"),
        ("coordinates_out_of_range", "200"),
    ]


def test_a_point_and_lists_in_one_cell() -> None:
    report = ImportReport(LAYOUT)
    cells = Cells(report, 2, {"longitude": 116.25, "latitude": "36.5", "colour": "红、蓝，红", "code": "a, b；c"})
    assert cells.point() == (Decimal("116.25"), Decimal("36.5"))
    assert cells.choices("colour", WORDS) == [Colour.RED, Colour.BLUE]
    assert cells.codes("code") == ["a", "b", "c"]
    assert report.ok


def test_the_registry_s_own_messages_are_used() -> None:
    report = ImportReport(LAYOUT)
    report.problem(5, "code", "own", "x")
    assert report.problems[0].message == "Own problem x"
    assert report.problems[0].column == "编码"


def test_the_template_has_the_headers_the_examples_and_notes_and_reads_back_without_problems() -> None:
    with use_locale("zh_CN"):
        data = template_workbook(LAYOUT, {"colour": WORDS.shown})
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["清单", "说明"]
    rows = list(book["清单"].values)
    assert rows[0] == ("编码*", "名称*", "颜色", "经度", "纬度", "数量")
    notes = {row[0]: row[2] for row in book["说明"].values}
    assert notes["颜色"] == "红 / 蓝"
    report, records = read(data)
    assert report.ok
    assert [v["code"] for _n, v in records] == ["A1"]
