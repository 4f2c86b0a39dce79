"""The briefs' pages: generating on demand with a progress bar, the list, one brief with its versions and what
changed, the files, the internal mark and who sees what, the Word templates uploaded, checked and used."""

from __future__ import annotations

import io
from datetime import timedelta

import docx
import httpx
import openpyxl
from sqlalchemy.orm import Session

from ecoloop.results.air import AIR_DAY_AREA
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World, plant_results
from tests.web.helpers import csrf_for, open_session, parse

PM2_5_DAILY = 1 << 4


def _plant(settings: Settings, world: World, aqi_a: int, aqi_b: int) -> str:
    day = local_today(settings) - timedelta(days=1)
    rows = [
        {"region_id": region.id, "day": day, "aqi": aqi, "level": 2 if aqi > 50 else 1, "primary": PM2_5_DAILY}
        for region, aqi in ((world.city, 70), (world.county_a, aqi_a), (world.county_b, aqi_b))
    ]
    plant_results(settings.results_root, AIR_DAY_AREA, rows)
    return day.isoformat()


async def _generate(client: httpx.AsyncClient, kind: str, period: str) -> httpx.Response:
    form = {"csrf_token": await csrf_for(client), "kind": kind, "period": period}
    return await client.post("/reports/generate", data=form)


async def _rows(client: httpx.AsyncClient, report_url: str) -> list[list[str]]:
    page = parse((await client.get(report_url)).text)
    table = page.find("table", data_table="counties")
    return [[td.text for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]


async def test_a_brief_is_generated_on_demand_followed_and_generated_again_with_its_changes(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    day = _plant(app_settings, app_world, 80, 45)
    open_session(app_db, client, "analyst")
    started = await _generate(client, "daily", day)
    assert started.status_code == 303 and started.headers["location"].startswith("/reports/runs/")
    run = await client.get(started.headers["location"])
    assert run.status_code == 200 and "已完成" in run.text  # the generation ran after the answer
    bar = await client.get(started.headers["location"], headers={"HX-Request": "true"})
    first_url = bar.headers["HX-Redirect"]
    assert [row[:3] for row in (await _rows(client, first_url))[:2]] == [
        [app_world.county_b.name, "1", "45"],
        [app_world.county_a.name, "2", "80"],
    ]
    listed = parse((await client.get("/reports")).text)
    assert [tr.attrs["data-report"] for tr in listed.find_all("tr") if "data-report" in tr.attrs] == [
        first_url.rsplit("/", 1)[1]
    ]
    word = await client.get(f"{first_url}/document.docx")
    assert word.status_code == 200 and "filename*=UTF-8''" in word.headers["content-disposition"]
    table = docx.Document(io.BytesIO(word.content)).tables[0]
    assert [c.text for c in table.rows[1].cells][:3] == [app_world.county_b.name, "1", "45"]
    book = openpyxl.load_workbook(io.BytesIO((await client.get(f"{first_url}/tables.xlsx")).content), data_only=True)
    assert [c.value for c in book.worksheets[0][2]][:3] == [app_world.county_b.name, 1, 45]

    _plant(app_settings, app_world, 30, 45)  # county A's day recomputed
    again = await _generate(client, "daily", day)
    second_url = (await client.get(again.headers["location"], headers={"HX-Request": "true"})).headers["HX-Redirect"]
    page = parse((await client.get(second_url)).text)
    changes = [[td.text for td in tr.find_all("td")] for tr in page.find("table", class_="changes").find_all("tr")[1:]]
    assert any(c[1] == app_world.county_a.name and c[2] == "AQI" and c[3:] == ["80", "30"] for c in changes)
    assert any(c[1] == app_world.county_a.name and c[2] == "排名" and c[3:] == ["2", "1"] for c in changes)
    versions = page.find("table", class_="versions").find_all("tr")[1:]
    assert [tr.find("a").text for tr in versions] == ["2", "1"]


async def test_generation_is_refused_with_a_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    open_session(app_db, client, "analyst")
    for kind, period, reason in (
        ("daily", "2026-13-01", "请按简报类型填写时段"),
        ("daily", "2026-W49", "请按简报类型填写时段"),
        ("daily", local_today(app_settings).isoformat(), "该时段尚未结束"),
        ("nonsense", "2026", "请选择简报类型"),
    ):
        refused = await _generate(client, kind, period)
        assert refused.status_code == 422
        assert reason in parse(refused.text).find("p", class_="alert").text
        assert parse(refused.text).find("form", id="generate").fields()["period"] == period
    open_session(app_db, client, "branch_a")
    assert (await _generate(client, "daily", "2026-01-01")).status_code == 403


async def test_who_sees_a_brief_and_the_internal_mark(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    day = _plant(app_settings, app_world, 80, 45)
    open_session(app_db, client, "analyst")
    started = await _generate(client, "daily", day)
    url = (await client.get(started.headers["location"], headers={"HX-Request": "true"})).headers["HX-Redirect"]
    for name in ("branch_a", "department", "leader", "inspector"):
        open_session(app_db, client, name)
        assert (await client.get(url)).status_code == 200, name
        links = [a.attrs.get("href") for a in parse((await client.get("/")).text).find_all("a")]
        assert "/reports" in links and url in links, name  # in the menu, and on the start page as the newest
    for name in ("enterprise_a", "hotline"):
        open_session(app_db, client, name)
        assert (await client.get(url)).status_code == 403, name
    open_session(app_db, client, "analyst")
    form = {"csrf_token": await csrf_for(client), "internal": "true"}
    assert (await client.post(f"{url}/internal", data=form)).status_code == 303
    open_session(app_db, client, "admin")
    log = parse((await client.get("/admin/audit")).text).text
    assert "更改简报分发范围" in log and "生成简报" in log and "日研判" in log
    for name, status in (("branch_a", 404), ("department", 404), ("leader", 200)):
        open_session(app_db, client, name)
        assert (await client.get(url)).status_code == status, name
        assert (await client.get(f"{url}/document.docx")).status_code == status, name
    open_session(app_db, client, "branch_a")
    assert parse((await client.get("/reports")).text).find("table", class_="reports") is None
    # Generated again, the brief stays internal: the bureau's mark is kept by the new version.
    open_session(app_db, client, "analyst")
    again = await _generate(client, "daily", day)
    newer = (await client.get(again.headers["location"], headers={"HX-Request": "true"})).headers["HX-Redirect"]
    assert newer != url
    open_session(app_db, client, "branch_a")
    assert (await client.get(newer)).status_code == 404
    assert url not in [a.attrs.get("href") for a in parse((await client.get("/")).text).find_all("a")]


def _with_paragraph(data: bytes, text: str) -> bytes:
    document = docx.Document(io.BytesIO(data))
    document.paragraphs[-1].insert_paragraph_before(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def test_a_bureau_template_is_checked_used_and_reset(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    day = _plant(app_settings, app_world, 80, 45)
    open_session(app_db, client, "analyst")
    assert (await client.get("/reports/templates")).status_code == 200
    default = (await client.get("/reports/templates/daily/default.docx")).content
    csrf = await csrf_for(client)

    async def upload(data: bytes) -> httpx.Response:
        files = {"file": ("daily.docx", data, "application/octet-stream")}
        return await client.post("/reports/templates/daily", data={"csrf_token": csrf}, files=files)

    unknown = await upload(_with_paragraph(default, "{{ config.SECRET_KEY }}"))
    assert unknown.status_code == 422 and "模板使用了本简报不提供的标签" in unknown.text
    sandboxed = await upload(_with_paragraph(default, "{{ summary.__class__.__mro__ }}"))
    assert sandboxed.status_code == 422 and "无法用简报内容填充该模板" in sandboxed.text
    assert (await upload(b"PK not really")).status_code == 422
    assert (await upload(_with_paragraph(default, "本局编制：{{ issuer }}"))).status_code == 303
    started = await _generate(client, "daily", day)
    url = (await client.get(started.headers["location"], headers={"HX-Request": "true"})).headers["HX-Redirect"]
    word = docx.Document(io.BytesIO((await client.get(f"{url}/document.docx")).content))
    assert any(p.text.startswith("本局编制：") for p in word.paragraphs)
    reset = await client.post("/reports/templates/daily/reset", data={"csrf_token": csrf})
    assert reset.status_code == 303
    assert (await client.get("/reports/templates/daily/current.docx")).content[:2] == b"PK"
    open_session(app_db, client, "branch_a")
    assert (await client.get("/reports/templates")).status_code == 403
