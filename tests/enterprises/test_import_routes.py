"""The import page of enterprise files over HTTP: the template download, a good workbook counted per sheet, a
broken one listing every problem with sheet, row and column and importing nothing, roles and CSRF."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.enterprises.imports import example_workbook
from ecoloop.enterprises.models import Enterprise, Permit
from tests.factories import World, crafted_xlsx, credit_code
from tests.web.helpers import csrf_for, open_session, page_title, parse, reread

FORBIDDEN_TEXT = "您的角色无权执行此操作。"


def count(db: Session, model: type[object]) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(model)) or 0


def broken_workbook() -> bytes:
    """An enterprise sheet with a bad credit code and an unknown region, beside a good row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "企业"
    sheet.append(["统一社会信用代码", "企业名称", "所在区划代码", "生产状态"])
    sheet.append([credit_code(10), "清源新材料有限公司", "371802001000", "正常生产"])
    sheet.append(["91371802MA3C00000X", "坏代码公司", "371802", "正常生产"])
    sheet.append([credit_code(11), "无处可寻公司", "999999", "正常生产"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def upload(client: httpx.AsyncClient, data: bytes, name: str = "企业档案.xlsx") -> httpx.Response:
    page = await client.get("/enterprises/import")
    form = parse(page.text).find("form", action="/enterprises/import")
    assert form is not None
    return await client.post("/enterprises/import", data=form.fields(), files={"file": (name, data)})


async def test_a_good_workbook_is_imported_and_counted_per_sheet(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    before = count(app_db, Enterprise)

    response = await upload(client, example_workbook())

    assert response.status_code == 200
    assert "导入企业档案" in page_title(response.text)
    table = parse(response.text).find("table", class_="import-counts")
    assert table is not None
    added = {
        tr.attrs["data-entity"]: int(tr.find("td", data_count="added").text)  # type: ignore[union-attr]
        for tr in table.find_all("tr")
        if "data-entity" in tr.attrs
    }
    assert added == {"enterprise": 2, "permit": 2, "outlet": 2, "limit": 2, "membership": 2, "grade": 2}
    assert count(app_db, Enterprise) == before + 2
    again = await upload(client, example_workbook())
    unchanged = parse(again.text).find("tr", data_entity="enterprise")
    assert unchanged is not None and unchanged.find("td", data_count="added").text == "0"  # type: ignore[union-attr]
    assert count(app_db, Enterprise) == before + 2


async def test_a_broken_workbook_lists_every_problem_and_imports_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    before = count(app_db, Enterprise)

    response = await upload(client, broken_workbook())

    assert response.status_code == 422
    table = parse(response.text).find("table", class_="row-errors")
    assert table is not None
    rows = {
        (tr.attrs["data-code"], *[td.text for td in tr.find_all("td")][:3])
        for tr in table.find_all("tr")
        if "data-code" in tr.attrs
    }
    assert ("region_unknown", "企业", "4", "所在区划代码") in rows
    assert any(code.startswith("credit_code") and (sheet, row) == ("企业", "3") for code, sheet, row, _ in rows)
    messages = [tr.find_all("td")[3].text for tr in table.find_all("tr") if "data-code" in tr.attrs]
    assert "There is no region" not in " ".join(messages), "problems are described in Chinese"
    assert any("999999" in m for m in messages)
    assert "未导入任何数据" in " ".join(a.text for a in parse(response.text).find_all(role="alert"))
    assert count(app_db, Enterprise) == before


async def test_a_file_that_is_no_workbook_is_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")

    response = await upload(client, b"credit_code,name\n", name="enterprises.csv")

    assert response.status_code == 422
    problem = parse(response.text).find("tr", data_code="bad_file")
    assert problem is not None and "不是 Excel 工作簿" in problem.text


async def test_a_workbook_beyond_the_sheet_limits_is_refused_with_the_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    """Issue 13: a small workbook with rows far down made the import spend 20 s; it is refused as it is read."""
    open_session(app_db, client, "analyst")
    far = crafted_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="900000"><c r="A900000"><v>1</v></c></row>')
    wide = crafted_xlsx('<row r="1"><c r="XFD1"><v>1</v></c></row>')

    started = time.perf_counter()
    responses = [await upload(client, far), await upload(client, wide)]
    seconds = time.perf_counter() - started

    codes = [
        parse(r.text).find("tr", data_code=code)
        for r, code in zip(responses, ("sheet_rows", "sheet_columns"), strict=True)
    ]
    assert [r.status_code for r in responses] == [422, 422]
    assert codes[0] is not None and "超出第 40024 行" in codes[0].text
    assert codes[1] is not None and "超出第 256 列" in codes[1].text
    assert seconds < 10


async def test_the_template_downloads(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "branch_a")
    page = await client.get("/enterprises/import")
    link = parse(page.text).find("a", href="/enterprises/import/template.xlsx")
    assert link is not None

    response = await client.get(link.attrs["href"])

    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["企业", "排污许可", "名录", "绩效分级"]


@pytest.mark.parametrize("username", ["inspector", "department", "enterprise_a", "hotline"])
async def test_only_those_who_keep_enterprise_files_import(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)
    csrf = await csrf_for(client)

    page = await client.get("/enterprises/import")
    posted = await client.post(
        "/enterprises/import", data={"csrf_token": csrf}, files={"file": ("a.xlsx", example_workbook())}
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    assert FORBIDDEN_TEXT in parse(posted.text).text
    assert count(app_db, Permit) == 0


async def test_the_import_needs_the_csrf_token(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    before = count(app_db, Enterprise)

    response = await client.post("/enterprises/import", files={"file": ("a.xlsx", example_workbook())})

    assert response.status_code == 403
    assert count(app_db, Enterprise) == before
