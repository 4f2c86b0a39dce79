"""The registry import pages over HTTP (regions and data loggers stand for all): the form and the template in
Chinese, a good workbook counted, a broken one listing every problem by row and column with nothing written, the
size limit before the workbook is read, and the roles."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.regions.models import Region
from ecoloop.web.imports import MAX_WORKBOOK_BYTES
from tests.factories import World
from tests.sheets.workbooks import xlsx
from tests.web.helpers import open_session, page_title, parse, reread

REGION_HEADER = ["区划代码", "名称"]


def regions(db: Session) -> int:
    reread(db)
    return db.scalar(select(func.count(Region.id))) or 0


async def upload(client: httpx.AsyncClient, path: str, data: bytes) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200
    form = parse(page.text).find("form", action=path)
    assert form is not None
    return await client.post(path, data=form.fields(), files={"file": ("表.xlsx", data)})


async def test_the_form_and_the_template_are_in_chinese(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    page = await client.get("/admin/regions/import")
    assert "导入行政区划" in page_title(page.text)
    template = await client.get("/admin/regions/import/template.xlsx")
    assert template.status_code == 200
    assert "attachment" in template.headers["content-disposition"]
    book = load_workbook(io.BytesIO(template.content))
    assert next(book["区划"].values)[:2] == ("区划代码*", "名称*")


async def test_a_good_sheet_is_imported_and_counted(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    before = regions(app_db)
    response = await upload(
        client, "/admin/regions/import", xlsx([REGION_HEADER, ["371803", "东湖区"], ["371803101000", "东湖镇"]])
    )
    assert response.status_code == 200
    counts = parse(response.text).find("table", class_="import-counts")
    assert counts is not None
    added = counts.find("td", data_count="added")
    assert added is not None
    assert added.text == "2"
    assert regions(app_db) == before + 2


async def test_a_broken_sheet_lists_every_problem_and_writes_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    before = regions(app_db)
    data = xlsx([REGION_HEADER, ["371803", "东湖区"], ["3718031", "坏代码"], ["371899101000", "无主镇"]])
    response = await upload(client, "/admin/regions/import", data)
    assert response.status_code == 422
    table = parse(response.text).find("table", class_="row-errors")
    assert table is not None
    rows = [[td.text for td in tr.find_all("td")] for tr in table.find_all("tr") if tr.find("td")]
    assert [row[:2] for row in rows] == [["3", "区划代码"], ["4", "区划代码"]]
    assert all(row[2] and not row[2].isascii() for row in rows)  # the messages are Chinese
    assert regions(app_db) == before


async def test_a_workbook_over_the_size_limit_is_refused_unread(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    response = await upload(client, "/monitoring/devices/import", b"PK\x03\x04" + b"\0" * MAX_WORKBOOK_BYTES)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("path", "user"), [("/admin/regions/import", "leader"), ("/monitoring/devices/import", "analyst")]
)
async def test_roles_without_the_action_are_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, path: str, user: str
) -> None:
    open_session(app_db, client, user)
    assert (await client.get(path)).status_code == 403
    assert (await client.get(f"{path}/template.xlsx")).status_code == 403


async def test_a_branch_imports_loggers(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "branch_a")
    response = await upload(
        client, "/monitoring/devices/import", xlsx([["MN号", "访问密码", "监测点位编码"], ["MN-1", "1", "NOWHERE"]])
    )
    assert response.status_code == 422
    assert "NOWHERE" in response.text
