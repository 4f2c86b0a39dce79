"""The forecasts page: the coming days' forecasts as each user may see them, the upload with its outcome row by row,
the blank template, and the refusals in Chinese."""

from __future__ import annotations

import io
from datetime import date, timedelta

import httpx
import openpyxl
import pytest
from sqlalchemy.orm import Session

from ecoloop.reports import forecasts
from ecoloop.reports.models import AirForecast
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World
from tests.web.helpers import csrf_of, open_session, page_title, parse


@pytest.fixture
def web(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client of the whole app."""
    return client


def _plant(db: Session, world: World, today: date) -> None:
    db.add_all(
        [
            AirForecast(region_id=world.city.id, day=today, aqi_low=50, aqi_high=80, primary="PM2_5", imported_by="甲"),
            AirForecast(region_id=world.county_a.id, day=today + timedelta(days=1), aqi_low=90, aqi_high=130,
                        primary="PM2_5,O3", imported_by="甲"),
            AirForecast(region_id=world.county_b.id, day=today, aqi_low=20, aqi_high=40, primary="", imported_by="甲"),
            AirForecast(region_id=world.city.id, day=today - timedelta(days=1), aqi_low=60, aqi_high=90, primary="",
                        imported_by="甲"),  # yesterday's: not among the coming days
        ]
    )  # fmt: skip
    db.commit()


def _rows(html: str) -> list[tuple[str, str]]:
    table = parse(html).find("table", class_="forecasts")
    assert table is not None
    return [
        (row.attrs["data-day"], row.find_all("td")[1].text) for row in table.find_all("tr") if "data-day" in row.attrs
    ]


async def test_the_page_lists_the_coming_days_and_imports_a_table(
    web: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    today = local_today(app_settings)
    _plant(app_db, app_world, today)
    open_session(app_db, web, "analyst")
    page = await web.get("/reports/forecasts")
    assert page.status_code == 200
    assert page_title(page.text).startswith("空气质量预报")
    assert _rows(page.text) == [
        (today.isoformat(), app_world.city.name),
        (today.isoformat(), app_world.county_b.name),
        ((today + timedelta(days=1)).isoformat(), app_world.county_a.name),
    ]
    cells = parse(page.text).find("tr", data_region=str(app_world.county_a.id))
    assert cells is not None and [td.text for td in cells.find_all("td")][2:5] == [
        "90～130",
        "良至轻度污染",
        "PM2.5、臭氧",
    ]

    later = today + timedelta(days=2)
    table = "区划代码,日期,AQI下限,AQI上限,首要污染物\n" + "".join(
        f"{code},{later},{low},{high},{primary}\n"
        for code, low, high, primary in (("371821", 60, 95, "臭氧"), ("371821", 70, 90, "PM10"), ("X", 1, 2, ""))
    )
    form = {"csrf_token": csrf_of(page.text)}
    answer = await web.post("/reports/forecasts", data=form, files={"file": ("预报.csv", table.encode(), "text/csv")})
    assert answer.status_code == 200
    result = parse(answer.text)
    counts = {td.attrs["data-count"]: td.text for td in result.find_all("td") if "data-count" in td.attrs}
    assert counts == {"added": "1", "updated": "0", "unchanged": "0", "refused": "2"}
    errors = result.find("table", class_="row-errors")
    assert errors is not None
    assert [[td.text for td in tr.find_all("td")] for tr in errors.find_all("tr")[1:]] == [
        ["3", "", "本文件第2行已给出该区域当日的预报。"],
        ["4", "区划代码", "此处只允许填写数字。"],
    ]
    assert (later.isoformat(), app_world.county_b.name) in _rows(answer.text)


async def test_a_branch_sees_its_countys_and_the_citys_forecasts_and_may_not_import(
    web: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    today = local_today(app_settings)
    _plant(app_db, app_world, today)
    open_session(app_db, web, "branch_a")
    page = await web.get("/reports/forecasts")
    assert page.status_code == 200
    assert {name for _day, name in _rows(page.text)} == {app_world.city.name, app_world.county_a.name}
    assert parse(page.text).find("form", action="/reports/forecasts") is None  # no upload form
    table = f"区划代码,日期,AQI下限,AQI上限\n371802,{today},55,80\n"
    refused = await web.post(
        "/reports/forecasts", data={"csrf_token": csrf_of(page.text)}, files={"file": ("f.csv", table.encode())}
    )
    assert refused.status_code == 403
    assert "您的角色无权执行此操作。" in parse(refused.text).text


async def test_an_unreadable_or_too_large_file_is_refused_in_chinese(
    web: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, web, "analyst")
    page = await web.get("/reports/forecasts")
    form = {"csrf_token": csrf_of(page.text)}
    answer = await web.post("/reports/forecasts", data=form, files={"file": ("预报.xlsx", b"PK\x03\x04broken")})
    assert answer.status_code == 422
    assert "文件既不是Excel工作簿（.xlsx），也不是CSV表格（.csv）。" in parse(answer.text).text
    big = b"a" * (forecasts.MAX_FORECAST_BYTES + 10)
    answer = await web.post("/reports/forecasts", data=form, files={"file": ("预报.csv", big)})
    assert answer.status_code == 413
    assert "文件超过512 KB。" in parse(answer.text).text


async def test_the_blank_template_downloads_with_its_headers(
    web: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, web, "branch_a")  # every reader may take the template
    answer = await web.get("/reports/forecasts/template.xlsx")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    header = next(sheet.iter_rows(values_only=True))
    assert header == ("区划代码", "区划名称", "日期*", "AQI下限*", "AQI上限*", "首要污染物")
