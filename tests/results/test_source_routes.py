"""Outlet compliance over HTTP: the section of the enterprise file (charts against the limit, months), the bureau's
/sources page (sortable, month picker, Excel), the API, and scope: a branch sees its county's outlets only, an
enterprise its own, a foreign outlet answers 404."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.base import utcnow
from ecoloop.enterprises import service as enterprises
from ecoloop.enterprises.enums import OutletKind, PermitClass
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import service, store
from ecoloop.results.sources import OUTLET_MONTH
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import open_session, parse

SO2, O2 = "a21026", "a19001"


@dataclass
class Outlets:
    """SRC-A (enterprise A, county A) with an hour above its SO2 limit of 35 mg/m³ at 6 % O2, and SRC-B (enterprise
    B, county B), both computed for the months of their hours."""

    a: Site
    b: Site
    month: date
    hours: list[datetime]


def outlet(db: Session, world: World, code: str, enterprise_id: int, region: object, number: str) -> Site:
    site = add_site(
        db, code=code, name=f"{code} 排口", kind=SiteKind.AIR_SOURCE, region=region, enterprise_id=enterprise_id
    )
    enterprise = world.enterprise_a if code == "SRC-A" else world.enterprise_b
    permit = enterprises.add_permit(
        db,
        enterprise=enterprise,
        number=number,
        permit_class=PermitClass.KEY,
        valid_from=date(2024, 1, 1),
        valid_to=date(2030, 12, 31),
    )
    o = enterprises.add_outlet(db, permit=permit, code="DA001", name="1号锅炉烟囱", kind=OutletKind.GAS, site=site)
    enterprises.add_limit(
        db,
        outlet=o,
        pollutant=SO2,
        limit_value=Decimal(35),
        unit="mg/m³",
        source="GB 13223-2011 表2",
        reference_o2=Decimal(6),
    )
    return site


@pytest.fixture
def outlets(app_db: Session, app_world: World, app_settings: Settings) -> Outlets:
    a = outlet(app_db, app_world, "SRC-A", app_world.enterprise_a.id, app_world.village_a, "91371802-0001P")
    b = outlet(app_db, app_world, "SRC-B", app_world.enterprise_b.id, app_world.village_b, "91371821-0001P")
    app_db.commit()
    top = utcnow().replace(minute=0, second=0, microsecond=0)
    hours = [top - timedelta(hours=n) for n in (4, 3, 2)]
    hot = HotStore(app_settings.hot_store_path)
    readings = []
    for site in (a, b):
        for hour, value in zip(hours, (80.0, 20.0, 30.0), strict=True):
            readings += [
                Reading(site.id, SO2, Interval.HOUR, hour, value),
                Reading(site.id, O2, Interval.HOUR, hour, 6.0),
            ]
    hot.write(readings)
    days = {h.astimezone(app_settings.tz).date() for h in hours}
    service.compute_days(app_db, StoredReadings.of(hot, app_settings), app_settings.results_root, days, app_settings.tz)
    hot.close()
    month = hours[0].astimezone(app_settings.tz).date().replace(day=1)
    return Outlets(a, b, month, hours)


def kept(settings: Settings, site_id: int, month: date) -> dict[str, object]:
    table = store.read_partition(settings.results_root, OUTLET_MONTH, f"{month.year}")
    assert table is not None
    [row] = [r for r in table.to_pylist() if r["site_id"] == site_id and r["month"] == month]
    return row


async def test_the_enterprise_file_shows_its_outlets_compliance(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings, outlets: Outlets
) -> None:
    """The enterprise's own account sees the section: a chart of the hours at 6 % O2 with the limit as a mark line,
    and the month's exceedance hours and effective rate as kept."""
    stored = kept(app_settings, outlets.a.id, outlets.month)
    assert stored["exceed_hours"] == 1
    open_session(app_db, client, "enterprise_a")

    response = await client.get(f"/enterprises/{app_world.enterprise_a.id}")

    assert response.status_code == 200
    page = parse(response.text)
    section = page.find(id="compliance")
    assert section is not None
    row = section.find("tr", data_month=outlets.month.isoformat()[:7])
    assert row is not None
    exceeded = row.find(data_figure="exceeded")
    effective = row.find(data_figure="effective")
    assert exceeded is not None and effective is not None
    assert exceeded.text.split()[0] == str(stored["exceed_hours"])
    assert effective.text == f"{Decimal(repr(stored['effective_rate'])).quantize(Decimal('0.1'))}%"
    [chart] = [d for d in section.find_all("div") if "data-chart" in d.attrs]
    source = page.find("script", id=chart.attrs["data-chart"])
    assert source is not None and source.attrs["type"] == "application/json"
    option = json.loads(source.text)
    [line] = option["series"]
    assert line["markLine"]["data"] == [{"yAxis": 35.0}]
    assert [v for _t, v in line["data"]] == [80.0, 20.0, 30.0]
    scripts = [s.attrs.get("src") for s in page.find_all("script") if s.attrs.get("src")]
    assert "/static/charts.js" in scripts and "/static/vendor/echarts.min.js" in scripts


async def test_a_file_without_outlet_sites_has_no_compliance_section(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get(f"/enterprises/{app_world.enterprise_a2.id}")
    assert response.status_code == 200
    assert parse(response.text).find(id="compliance") is None


async def test_the_bureau_page_lists_the_outlets_of_the_users_area(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, outlets: Outlets
) -> None:
    month = outlets.month.strftime("%Y-%m")
    open_session(app_db, client, "analyst")
    page = parse((await client.get(f"/sources?month={month}&sort=effective&order=asc")).text)
    sites = {r.attrs["data-site"]: r for r in page.find_all("tr") if "data-site" in r.attrs}
    assert set(sites) == {str(outlets.a.id), str(outlets.b.id)}
    figure = sites[str(outlets.a.id)].find(data_figure="exceed_hours")
    assert figure is not None and figure.text == "1"

    open_session(app_db, client, "branch_a")
    page = parse((await client.get(f"/sources?month={month}")).text)
    assert [r.attrs["data-site"] for r in page.find_all("tr") if "data-site" in r.attrs] == [str(outlets.a.id)]

    response = await client.get("/sources?month=2026-13")
    assert "无法识别所选月份" in parse(response.text).text

    workbook = await client.get(f"/sources/export.xlsx?month={month}")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    lines = [[c.value for c in line] for line in sheet.iter_rows()]
    assert lines[0][:3] == ["企业", "站点编码", "站点"]
    [line] = lines[1:]
    assert line[1] == "SRC-A" and line[13] == 1 and line[7] == 35


async def test_the_api_gives_an_outlets_months_to_those_who_see_it(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, outlets: Outlets
) -> None:
    open_session(app_db, client, "enterprise_a")
    response = await client.get(f"/api/v1/sources/outlets/{outlets.a.id}/months")
    assert response.status_code == 200
    body = response.json()
    assert body["site_code"] == "SRC-A"
    [month] = [m for m in body["months"] if m["month"] == outlets.month.isoformat()]
    stored = kept(app_settings, outlets.a.id, outlets.month)
    assert (month["exceed_hours"], month["effective_rate"], month["limit"]) == (1, stored["effective_rate"], 35.0)

    assert (await client.get(f"/api/v1/sources/outlets/{outlets.b.id}/months")).status_code == 404
    open_session(app_db, client, "branch_a")
    assert (await client.get(f"/api/v1/sources/outlets/{outlets.b.id}/months")).status_code == 404
    open_session(app_db, client, "hotline")
    assert (await client.get(f"/api/v1/sources/outlets/{outlets.a.id}/months")).status_code == 403
