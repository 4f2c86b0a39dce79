"""Importing the control list from a workbook: all rows or none, each refusal by row and column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.controls import queries
from ecoloop.controls.enums import GuideIndustry, Livelihood, Pollutant
from ecoloop.controls.imports import LAYOUT, import_list, template
from ecoloop.controls.models import ControlEntry, NormalEmission
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from tests.factories import World
from tests.web.helpers import csrf_for, open_session

TODAY = date(2026, 12, 7)
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "指南行业",
    "民生保障类型",
    "纳入日期",
    "运输方式",
    "SO2 (千克/日)",
    "NOx正常排放量",
]


def workbook(*rows: list[Any]) -> bytes:
    book = new_workbook()
    sheet = book.create_sheet("应急减排清单")
    append_row(sheet, HEADER)
    for row in rows:
        append_row(sheet, row)
    return workbook_bytes(book)


def test_rows_put_enterprises_on_the_list_with_their_emissions(db: Session, world: World) -> None:
    a, a2 = world.enterprise_a, world.enterprise_a2
    data = workbook(
        [a.credit_code, a.name, "火电", "供暖", "2026-11-01", "铁路", 120, "300.5"],
        [a2.credit_code, "", "水泥熟料", "", "", "", "", 80],
    )

    report = import_list(db, world.principal(db, "branch_a"), data, today=TODAY)

    assert report.ok, [p.describe() for p in report.problems]
    assert report.added == 2
    entries = {e.enterprise_id: e for e in db.scalars(select(ControlEntry))}
    assert (entries[a.id].industry, entries[a.id].livelihood) == (GuideIndustry.POWER, Livelihood.HEATING)
    assert queries.listed_now(db, [a.id, a2.id]) == {a.id, a2.id}
    emissions = {(e.enterprise_id, e.pollutant): e.kg_per_day for e in db.scalars(select(NormalEmission))}
    assert emissions == {
        (a.id, Pollutant.SO2): Decimal(120),
        (a.id, Pollutant.NOX): Decimal("300.5"),
        (a2.id, Pollutant.NOX): Decimal(80),
    }
    again = import_list(db, world.principal(db, "branch_a"), data, today=TODAY)
    assert (again.ok, again.added, again.updated) == (True, 0, 2)


def test_refused_row_by_row_and_nothing_written(db: Session, world: World) -> None:
    data = workbook(
        [world.enterprise_a.credit_code, "", "火电", "", "2026-13-01", "", -5, ""],
        [world.enterprise_b.credit_code, "", "冶金", "", "", "", "", ""],  # another county's, and no such industry
        [world.enterprise_a.credit_code, "", "火电", "", "", "", "", ""],
        ["91371802MA00000000", "", "火电", "", "", "", "", ""],
    )

    report = import_list(db, world.principal(db, "branch_a"), data, today=TODAY)

    problems = [(p.row, p.column, p.code) for p in report.problems]
    assert problems == [
        (2, "纳入日期", "bad_date"),
        (2, "SO2正常排放量", "negative"),
        (3, "指南行业", "bad_choice"),
        (5, "统一社会信用代码", "enterprise_unknown"),
    ]  # row 4 is fine, yet not written: the sheet is imported whole or not at all
    assert db.scalars(select(ControlEntry)).all() == []


def test_the_template_reads_back(db: Session, world: World) -> None:
    report = import_list(db, world.principal(db, "admin"), template(), today=TODAY)
    assert [p.code for p in report.problems] == ["enterprise_unknown"]
    assert LAYOUT.sheet == "应急减排清单"


async def test_the_import_page(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    data = workbook([app_world.enterprise_b.credit_code, "", "化工", "", "", "", 10, 20])

    response = await client.post(
        "/controls/import", data={"csrf_token": csrf}, files={"file": ("list.xlsx", data, "application/octet-stream")}
    )

    assert response.status_code == 200, response.text
    assert (await client.get("/controls/import/template.xlsx")).status_code == 200
