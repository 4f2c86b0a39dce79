"""Monitoring pages, the site-quality API and the file upload over HTTP: scope, figures, row errors, refusals."""

from __future__ import annotations

import io
import time
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.engine import AlertEngine
from ecoloop.alerts.enums import AlertStatus
from ecoloop.alerts.models import Alert
from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow
from ecoloop.db.engine import make_session_factory
from ecoloop.enterprises.enums import Averaging, OutletKind, PermitClass
from ecoloop.enterprises.models import Outlet, OutletLimit, Permit
from ecoloop.ingest.upload import MAX_UPLOAD_BYTES
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Outcome, RawPacket, Reading
from ecoloop.settings import Settings
from tests.factories import World, crafted_xlsx, plant_implausible_readings
from tests.web.helpers import Element, csrf_for, menu_links, open_session, page_title, parse

FORBIDDEN_TEXT = "您的角色无权执行此操作。"
TZ = ZoneInfo("Asia/Shanghai")
HEADER = "site_code,parameter,interval,time,value,flag\n"


@pytest.fixture
def sites(app_db: Session, app_world: World) -> dict[str, Site]:
    """An air station in each county, an outlet of enterprise A and one of enterprise A2, with their loggers."""
    made = {
        "AQ-A": add_site(app_db, code="AQ-A", name="湖滨站", kind=SiteKind.AIR_STATION, region=app_world.town_a),
        "AQ-B": add_site(app_db, code="AQ-B", name="柳林站", kind=SiteKind.AIR_STATION, region=app_world.town_b),
        "SRC-A": add_site(
            app_db,
            code="SRC-A",
            name="华能排口",
            kind=SiteKind.AIR_SOURCE,
            region=app_world.village_a,
            enterprise_id=app_world.enterprise_a.id,
        ),
        "SRC-A2": add_site(
            app_db,
            code="SRC-A2",
            name="东湖水泥排口",
            kind=SiteKind.AIR_SOURCE,
            region=app_world.town_a,
            enterprise_id=app_world.enterprise_a2.id,
        ),
    }
    for code, site in made.items():
        add_device(app_db, mn=f"MN-{code}", password=f"secret-{code}", site=site)
    app_db.commit()
    return made


@pytest.fixture
def store(app_settings: Settings) -> HotStore:
    """The app's hot store, opened as a second writer (like the receiver process)."""
    return HotStore(app_settings.hot_store_path)


def this_hour() -> datetime:
    now = utcnow()
    return now.replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def readings(store: HotStore, sites: dict[str, Site]) -> None:
    """AQ-A: 18 of the last 24 hours of PM2.5 (one with PM2.5 above PM10) and all 24 of PM10; packets of its
    logger, two rejected; AQ-B: nothing for a day."""
    end, site = this_hour(), sites["AQ-A"].id
    hours = [end - timedelta(hours=h) for h in range(1, 25)]
    values = [Reading(site, "a34004", Interval.HOUR, t, 30.0 + i % 5) for i, t in enumerate(hours[:18])]
    values += [Reading(site, "a34002", Interval.HOUR, t, 60.0 + i % 3) for i, t in enumerate(hours)]
    values[0] = Reading(site, "a34004", Interval.HOUR, hours[0], 90.0)  # above PM10 (60)
    values.append(Reading(sites["AQ-B"].id, "a34004", Interval.HOUR, end - timedelta(days=2), 20.0))
    packets = [
        RawPacket(utcnow() - timedelta(minutes=30), "10.9.9.9", b"##...", Outcome.STORED, mn="MN-AQ-A", cn="2061"),
        RawPacket(end - timedelta(hours=2), "10.9.9.9", b"##x", Outcome.REJECTED, "crc_mismatch", mn="MN-AQ-A"),
        RawPacket(end - timedelta(hours=3), "10.9.9.9", b"##y", Outcome.REJECTED, "crc_mismatch", mn="MN-AQ-A"),
    ]
    store.write(values, packets)


async def signed_in(client: httpx.AsyncClient, app_db: Session, username: str) -> httpx.AsyncClient:
    open_session(app_db, client, username)
    return client


def site_codes(html: str) -> set[str]:
    table = parse(html).find("table", class_="sites")
    assert table is not None
    return {row.attrs["data-site"] for row in table.find_all("tr") if "data-site" in row.attrs}


def section(html: str, class_: str) -> Element:
    found = parse(html).find(class_=class_)
    assert found is not None, class_
    return found


# --- pages --------------------------------------------------------------------------------------------------------


async def test_analyst_sees_every_site_with_status_and_completeness(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None
) -> None:
    await signed_in(client, app_db, "analyst")

    page = await client.get("/monitoring/sites")

    assert page.status_code == 200
    assert "监测站点" in page_title(page.text)
    assert site_codes(page.text) == set(sites)
    rows = {r.attrs["data-site"]: r for r in parse(page.text).find_all("tr") if "data-site" in r.attrs}
    aq_a, aq_b = rows["AQ-A"], rows["AQ-B"]
    assert aq_a.find(class_="online") is not None and aq_b.find(class_="offline") is not None
    # PM2.5 18 of 24, PM10 24 of 24: 42 of 48 = 87.50 %
    assert "87.50%" in aq_a.text and "0.00%" in aq_b.text


async def test_site_page_shows_details_loggers_latest_values_and_quality(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None
) -> None:
    await signed_in(client, app_db, "analyst")

    page = await client.get(f"/monitoring/sites/{sites['AQ-A'].id}")

    assert page.status_code == 200
    doc = parse(page.text)
    assert "湖滨站" in page_title(page.text)
    assert [r.attrs["data-mn"] for r in section(page.text, "devices").find_all("tr") if "data-mn" in r.attrs] == [
        "MN-AQ-A"
    ]
    assert "secret-AQ-A" not in page.text
    latest = section(page.text, "latest")
    assert {r.attrs["data-parameter"] for r in latest.find_all("tr") if "data-parameter" in r.attrs} == {
        "a34004",
        "a34002",
    }
    figure = doc.find("span", data_figure="effective")
    assert figure is not None and figure.text == "87.50%"
    issues = {r.attrs["data-kind"] for r in section(page.text, "issues").find_all("tr") if "data-kind" in r.attrs}
    assert "pm25_above_pm10" in issues
    row = section(page.text, "issues").find("tr", data_kind="pm25_above_pm10")
    assert row is not None and row.find_all("td")[-1].text == "PM2.5 90.0 高于 PM10 60.0"  # in words (issue 13)
    rejected = section(page.text, "rejected").find("tr", data_reason="crc_mismatch")
    assert rejected is not None and rejected.text.endswith("2") and "CRC 校验不符" in rejected.text


async def test_site_pages_name_parameters_with_their_units(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: dict[str, Site], store: HotStore
) -> None:
    """Issue 13 §11: outlet data showed bare HJ 212 codes (w21003…) without names or units."""
    outlet = add_site(app_db, code="WS-A", name="污水排口", kind=SiteKind.WATER_SOURCE, region=app_world.village_a)
    app_db.commit()
    hour = this_hour() - timedelta(hours=1)
    store.write(
        [
            Reading(outlet.id, "w01018", Interval.HOUR, hour, 42.0),
            Reading(outlet.id, "w21003", Interval.HOUR, hour, 1.5),
            Reading(sites["AQ-A"].id, "a21026", Interval.HOUR, hour, 8.0),
        ],
        [],
    )
    await signed_in(client, app_db, "analyst")

    water = section((await client.get(f"/monitoring/sites/{outlet.id}")).text, "latest")
    air = section((await client.get(f"/monitoring/sites/{sites['AQ-A'].id}")).text, "latest")

    def first_cell(row: Element) -> str:
        cell = row.find("td")
        assert cell is not None
        return cell.text

    rows = water.find_all("tr")
    assert {r.attrs["data-parameter"]: first_cell(r) for r in rows if "data-parameter" in r.attrs} == {
        "w01018": "化学需氧量 (mg/L)",
        "w21003": "氨氮 (mg/L)",
    }
    assert "w21003" not in water.text
    so2 = air.find("tr", data_parameter="a21026")
    assert so2 is not None and first_cell(so2) == "二氧化硫 (µg/m³)"


async def test_site_page_period_and_htmx_fragment(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None
) -> None:
    await signed_in(client, app_db, "analyst")
    url = f"/monitoring/sites/{sites['AQ-A'].id}"
    end = this_hour().astimezone(TZ)
    start = end - timedelta(hours=6)
    query = {"from": start.strftime("%Y-%m-%dT%H:%M"), "to": end.strftime("%Y-%m-%dT%H:%M"), "interval": "hour"}

    fragment = await client.get(url, params=query, headers={"HX-Request": "true"})
    bad = await client.get(url, params={"from": "soon"})

    assert fragment.status_code == 200
    doc = parse(fragment.text)
    assert doc.find("html") is None and doc.find("div", id="quality") is not None
    expected = doc.find("tr", data_parameter="a34004")
    assert expected is not None and expected.find_all("td")[1].text == "6"
    assert bad.status_code == 200
    alert = parse(bad.text).find(role="alert")
    assert alert is not None and "最近 24 小时" in alert.text


async def test_device_list_shows_mns_never_passwords(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None
) -> None:
    await signed_in(client, app_db, "branch_a")

    page = await client.get("/monitoring/devices")

    assert page.status_code == 200
    rows = {r.attrs["data-mn"]: r for r in parse(page.text).find_all("tr") if "data-mn" in r.attrs}
    assert set(rows) == {"MN-AQ-A", "MN-SRC-A", "MN-SRC-A2"}
    assert rows["MN-AQ-A"].find(class_="online") is not None
    assert "secret" not in page.text


async def test_quality_api(client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None) -> None:
    await signed_in(client, app_db, "analyst")
    url = f"/api/v1/sites/{sites['AQ-A'].id}/quality"

    result = (await client.get(url)).json()
    chosen = await client.get(url, params={"from": "2026-11-01T00:00+08:00", "to": "2026-11-02T00:00+08:00"})
    too_long = await client.get(url, params={"from": "2026-01-01", "to": "2026-03-01"})

    assert (result["interval"], result["step_minutes"], result["online"]) == ("hour", 60, True)
    assert result["completeness"]["expected"] == 48 and result["completeness"]["effective"] == 87.5
    assert result["rejected"] == {"crc_mismatch": 2}
    assert "pm25_above_pm10" in {i["kind"] for i in result["issues"]}
    assert [d["mn"] for d in result["devices"]] == ["MN-AQ-A"] and "password" not in str(result)
    assert chosen.status_code == 200 and chosen.json()["start"].startswith("2026-10-31T16:00")
    assert too_long.status_code == 422


async def test_implausible_rows_in_every_tier_break_no_page_and_keep_no_site_online(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    sites: dict[str, Site],
    readings: None,
    store: HotStore,
    app_settings: Settings,
) -> None:
    received = int(utcnow().timestamp() * 1000)
    for code in ("AQ-B", "SRC-A"):
        plant_implausible_readings(store, app_settings.parquet_root, sites[code].id, received)
    await signed_in(client, app_db, "analyst")

    page = await client.get("/monitoring/sites")

    assert page.status_code == 200
    rows = {r.attrs["data-site"]: r for r in parse(page.text).find_all("tr") if "data-site" in r.attrs}
    assert rows["AQ-A"].find(class_="online") is not None
    assert rows["AQ-B"].find(class_="offline") is not None  # a reading dated 2099 is no sign of life
    for code in ("AQ-A", "AQ-B", "SRC-A"):
        site_page = await client.get(f"/monitoring/sites/{sites[code].id}")
        assert site_page.status_code == 200, code
        quality = await client.get(f"/api/v1/sites/{sites[code].id}/quality")
        assert quality.status_code == 200 and quality.json()["online"] is (code == "AQ-A"), code
    latest = section((await client.get(f"/monitoring/sites/{sites['AQ-B'].id}")).text, "latest")
    assert "2099" not in latest.text and "inf" not in latest.text.lower()
    enterprise = await client.get(f"/enterprises/{app_world.enterprise_a.id}")
    assert enterprise.status_code == 200
    await signed_in(client, app_db, "enterprise_a")
    assert (await client.get("/monitoring/sites")).status_code == 200
    assert (await client.get(f"/enterprises/{app_world.enterprise_a.id}")).status_code == 200


# --- scope --------------------------------------------------------------------------------------------------------


async def test_branch_of_county_a_does_not_find_a_county_b_site(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None
) -> None:
    await signed_in(client, app_db, "branch_a")
    missing = max(s.id for s in sites.values()) + 100

    listed = await client.get("/monitoring/sites")
    responses = {
        path: (await client.get(path.format(sites["AQ-B"].id)), await client.get(path.format(missing)))
        for path in ("/monitoring/sites/{}", "/api/v1/sites/{}/quality")
    }
    own = await client.get(f"/monitoring/sites/{sites['AQ-A'].id}")

    assert site_codes(listed.text) == {"AQ-A", "SRC-A", "SRC-A2"}
    for path, (hidden, absent) in responses.items():
        assert (hidden.status_code, absent.status_code) == (404, 404), path
        assert hidden.content == absent.content, path
    assert own.status_code == 200


async def test_enterprise_sees_only_its_own_sites(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], readings: None
) -> None:
    await signed_in(client, app_db, "enterprise_a")

    listed = await client.get("/monitoring/sites")
    devices = await client.get("/monitoring/devices")

    assert site_codes(listed.text) == {"SRC-A"}
    assert "MN-AQ-A" not in devices.text and "MN-SRC-A2" not in devices.text and "MN-SRC-A" in devices.text
    for other in ("AQ-A", "SRC-A2"):
        assert (await client.get(f"/monitoring/sites/{sites[other].id}")).status_code == 404
    assert (await client.get(f"/monitoring/sites/{sites['SRC-A'].id}")).status_code == 200


@pytest.mark.parametrize(
    ("username", "query", "expected"),
    [
        ("analyst", {"kind": "air_source"}, {"SRC-A", "SRC-A2"}),
        ("analyst", {"region": "371821"}, {"AQ-B"}),
        ("analyst", {"region": "371802001000", "kind": "air_station"}, {"AQ-A"}),
        ("analyst", {"kind": "nonsense"}, {"AQ-A", "AQ-B", "SRC-A", "SRC-A2"}),
        ("branch_a", {"region": "371821"}, set()),
    ],
)
async def test_site_list_filters(
    client: httpx.AsyncClient,
    app_db: Session,
    sites: dict[str, Site],
    username: str,
    query: dict[str, str],
    expected: set[str],
) -> None:
    await signed_in(client, app_db, username)

    assert site_codes((await client.get("/monitoring/sites", params=query)).text) == expected


@pytest.mark.parametrize("username", ["hotline", "department"])
async def test_roles_without_monitoring_are_refused(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], username: str
) -> None:
    await signed_in(client, app_db, username)

    for path in ("/monitoring/sites", f"/monitoring/sites/{sites['AQ-A'].id}", "/monitoring/devices"):
        response = await client.get(path)
        assert response.status_code == 403 and FORBIDDEN_TEXT in parse(response.text).text, path
    assert (await client.get(f"/api/v1/sites/{sites['AQ-A'].id}/quality")).status_code == 403
    assert "/monitoring/sites" not in menu_links((await client.get("/")).text)


@pytest.mark.parametrize(
    ("username", "entries"),
    [
        ("analyst", ["/monitoring/sites", "/monitoring/upload"]),
        ("branch_a", ["/monitoring/sites"]),
        ("enterprise_a", ["/monitoring/sites", "/monitoring/upload"]),
        ("inspector", ["/monitoring/sites"]),
        ("leader", ["/monitoring/sites"]),
    ],
)
async def test_menu_offers_monitoring_and_upload_by_role(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, entries: list[str]
) -> None:
    await signed_in(client, app_db, username)

    menu = menu_links((await client.get("/")).text)

    assert [href for href in menu if href.startswith("/monitoring")] == entries
    for href in entries:
        assert (await client.get(href)).status_code == 200, href


# --- upload -------------------------------------------------------------------------------------------------------


def csv_upload(rows: list[str], name: str = "data.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, (HEADER + "\n".join(rows) + "\n").encode(), "text/csv")}


async def upload(
    client: httpx.AsyncClient, files: dict[str, tuple[str, bytes, str]], csrf: str | None
) -> httpx.Response:
    data = {"csrf_token": csrf} if csrf is not None else {}
    return await client.post("/monitoring/upload", data=data, files=files)


def counts(html: str) -> dict[str, int]:
    result = section(html, "result")
    return {dd.attrs["data-count"]: int(dd.text) for dd in result.find_all("dd") if "data-count" in dd.attrs}


def stored(store: HotStore, site: Site) -> list[tuple[str, float | None]]:
    table = store.hot_table(site_id=site.id)
    return sorted(zip(table["parameter"].to_pylist(), table["value"].to_pylist(), strict=True), key=str)


async def test_csv_upload_stores_good_rows_and_reports_the_broken_one(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    await signed_in(client, app_db, "analyst")
    csrf = await csrf_for(client)
    rows = [
        "AQ-A,a34004,hour,2026-11-22T08:00:00+08:00,35,N",
        "AQ-A,a34004,hour,2026-11-22T09:00:00,36,N",  # no UTC offset
        "",
        "AQ-A,a34002,hour,2026-11-22T08:00:00+08:00,,D",  # missing value: stored as missing
        "NOPE,a34004,hour,2026-11-22T08:00:00+08:00,1,N",
        "AQ-B,a34004,hour,2026-11-22T08:00+08:00,abc,N",
    ]

    response = await upload(client, csv_upload(rows), csrf)
    again = await upload(client, csv_upload(rows), csrf)

    assert response.status_code == 200
    assert counts(response.text) == {
        "rows": 5,
        "stored": 2,
        "changed": 2,
        "duplicates": 0,
        "conflicts": 0,
        "refused": 3,
    }
    errors = parse(response.text).find("table", class_="row-errors")
    assert errors is not None
    by_row = {tr.find_all("td")[0].text: tr.find_all("td")[1].text for tr in errors.find_all("tr")[1:]}
    assert set(by_row) == {"3", "6", "7"}  # the header is row 1; the blank row 4 is skipped
    # in Chinese, naming the file's columns (issue 13 §11: the validation library's English came through)
    assert by_row == {
        "3": "数据时间（time）须带时区偏移，例如 2026-11-22T08:00:00+08:00",
        "6": "站点编码（site_code）NOPE 不是您可报送数据的站点",
        "7": "监测值（value）应为数值",
    }
    assert stored(store, sites["AQ-A"]) == [("a34002", None), ("a34004", 35.0)]
    assert counts(again.text)["duplicates"] == 2 and counts(again.text)["changed"] == 0
    archived = store.packet_counts()
    assert archived[("stored", "row_errors")] == 2


async def test_xlsx_upload(client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore) -> None:
    await signed_in(client, app_db, "analyst")
    book = Workbook()
    sheet = book.active
    sheet.append(["site_code", "parameter", "interval", "time", "value", "flag"])
    sheet.append(["AQ-A", "a34004", "hour", "2026-11-22T08:00:00+08:00", 35, "N"])
    local = datetime(2026, 11, 22, 8)  # noqa: DTZ001 - an Excel date cell has no zone; it is read as local time
    sheet.append(["AQ-A", "a34002", "hour", local, 61.5, None])
    sheet.append(["AQ-A", "a34002", "hour", "not a time", 1, "N"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    response = await upload(client, {"file": ("data.xlsx", buffer.getvalue(), xlsx)}, await csrf_for(client))

    assert response.status_code == 200
    assert counts(response.text) == {
        "rows": 3,
        "stored": 2,
        "changed": 2,
        "duplicates": 0,
        "conflicts": 0,
        "refused": 1,
    }
    table = store.hot_table(site_id=sites["AQ-A"].id)
    assert {t.isoformat() for t in table["time"].to_pylist()} == {"2026-11-22T00:00:00+00:00"}
    assert stored(store, sites["AQ-A"]) == [("a34002", 61.5), ("a34004", 35.0)]


async def test_beijing_file_upload(
    client: httpx.AsyncClient, app_db: Session, app_world: World, store: HotStore
) -> None:
    site = add_site(app_db, code="bj-dongsi", name="东四站", kind=SiteKind.AIR_STATION, region=app_world.town_a)
    app_db.commit()
    await signed_in(client, app_db, "analyst")
    text = (
        '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","station"\n'
        '1,2017,2,28,0,12,20,3,30,500,60,1.0,"Dongsi"\n'
        '2,2017,2,28,1,NA,22,3,31,600,58,1.0,"Dongsi"\n'
        '3,2017,2,28,1,9,22,3,31,600,58,1.0,"Nowhere"\n'
    )

    response = await upload(client, {"file": ("PRSA_Data.csv", text.encode(), "text/csv")}, await csrf_for(client))

    assert response.status_code == 200
    assert counts(response.text) == {
        "rows": 3,
        "stored": 11,
        "changed": 11,
        "duplicates": 0,
        "conflicts": 0,
        "refused": 1,
    }
    assert len(stored(store, site)) == 11
    notes = parse(response.text).find("ul", class_="notes")
    assert notes is not None and notes.text == "1 行：没有编码为 bj-nowhere 的可报送站点"  # in Chinese (issue 13)


async def test_upload_refuses_implausible_times_and_infinite_values_and_stores_the_rest(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: dict[str, Site], store: HotStore
) -> None:
    await signed_in(client, app_db, "analyst")
    csrf = await csrf_for(client)
    rows = [
        "AQ-A,a34004,hour,2026-11-22T08:00:00+08:00,35,N",
        "AQ-A,a34004,hour,0001-01-01T00:00:00+14:00,36,N",
        "AQ-A,a34004,hour,9999-12-31T00:00:00-14:00,36,N",
        "AQ-A,a34004,hour,2099-01-01T00:00:00+08:00,36,N",
        "AQ-A,a34004,hour,1970-01-01T00:00:00+08:00,36,N",
        "AQ-A,a34002,hour,2026-11-22T08:00:00+08:00,inf,N",
        "AQ-A,a34002,hour,2026-11-22T09:00:00+08:00,1e999,N",
    ]
    response = await upload(client, csv_upload(rows), csrf)
    assert response.status_code == 200
    assert counts(response.text)["stored"] == 1 and counts(response.text)["refused"] == 6
    assert stored(store, sites["AQ-A"]) == [("a34004", 35.0)]
    (archived,) = store.packet_rows().to_pylist()
    for code in ("time_out_of_range 2", "time_ahead 1", "time_before_floor 1", "value_not_finite 2"):
        assert code in archived["detail"], (code, archived["detail"])
    # Beijing files: rows of implausible years and infinite values are counted, the others stored.
    site = add_site(app_db, code="bj-dongsi", name="东四站", kind=SiteKind.AIR_STATION, region=app_world.town_a)
    app_db.commit()
    text = (
        '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","station"\n'
        '1,2017,2,28,0,12,20,3,30,500,60,1.0,"Dongsi"\n'
        '2,2099,2,28,1,9,22,3,31,600,58,1.0,"Dongsi"\n'
        '3,1,1,1,0,9,22,3,31,600,58,1.0,"Dongsi"\n'
        '4,2017,2,28,2,inf,22,3,31,600,58,1.0,"Dongsi"\n'
    )
    response = await upload(client, {"file": ("PRSA_Data.csv", text.encode(), "text/csv")}, csrf)
    assert response.status_code == 200
    assert counts(response.text)["stored"] == 6 + 5
    assert {t.year for t in store.hot_table(site_id=site.id)["time"].to_pylist()} == {2017}
    notes = parse(response.text).text
    assert "时间晚于服务器时钟允许的时间" in notes and "不是有限数值" in notes


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("data.txt", b"site_code,parameter\n", 415),
        ("data.xlsx", b"site_code,parameter,interval,time,value\n", 415),
        ("data.csv", b"\x00\x01\x02binary", 415),
        ("data.csv", b"", 422),
        ("data.csv", b"site,parameter,interval,time,value\n", 422),
        ("data.csv", b"x" * (MAX_UPLOAD_BYTES + 1), 413),
    ],
    ids=["txt", "fake-xlsx", "binary-csv", "empty", "bad-header", "oversize"],
)
async def test_wrong_files_are_refused_whole(
    client: httpx.AsyncClient,
    app_db: Session,
    sites: dict[str, Site],
    store: HotStore,
    name: str,
    content: bytes,
    status: int,
) -> None:
    await signed_in(client, app_db, "analyst")

    response = await upload(client, {"file": (name, content, "application/octet-stream")}, await csrf_for(client))

    assert response.status_code == status
    alert = parse(response.text).find(role="alert") or parse(response.text).find("main")
    assert alert is not None and alert.text
    assert store.hot_table().num_rows == 0 and store.packet_counts() == {}
    app_db.commit()
    (record,) = app_db.scalars(select(AuditRecord).where(AuditRecord.action == "upload"))  # refused, yet audited
    assert record.actor_label == "analyst" and record.after is not None
    assert (record.after["file"], record.after["size"]) == (name, len(content))
    assert record.after["refused"] in ("bad_type", "empty", "bad_header", "too_large")


async def test_oversize_upload_is_refused_from_its_length(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    await signed_in(client, app_db, "analyst")
    big = b"x" * (MAX_UPLOAD_BYTES + 200 * 1024)

    response = await upload(client, {"file": ("big.csv", big, "text/csv")}, await csrf_for(client))

    assert response.status_code == 413 and "10 MB" in parse(response.text).text
    assert store.packet_counts() == {}


async def test_upload_needs_the_csrf_token(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    await signed_in(client, app_db, "analyst")
    files = csv_upload(["AQ-A,a34004,hour,2026-11-22T08:00:00+08:00,35,N"])

    missing = await upload(client, files, None)
    wrong = await upload(client, files, "forged")

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert store.hot_table().num_rows == 0


async def test_enterprise_uploads_only_for_its_own_sites(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    await signed_in(client, app_db, "enterprise_a")
    rows = ["SRC-A,a21026,hour,2026-11-22T08:00:00+08:00,12,N", "SRC-A2,a21026,hour,2026-11-22T08:00:00+08:00,9,N"]

    response = await upload(client, csv_upload(rows), await csrf_for(client))

    assert counts(response.text)["stored"] == 1
    errors = parse(response.text).find("table", class_="row-errors")
    assert errors is not None and "站点编码（site_code）SRC-A2 不是您可报送数据的站点" in errors.text
    assert stored(store, sites["SRC-A"]) == [("a21026", 12.0)]
    assert store.hot_table(site_id=sites["SRC-A2"].id).num_rows == 0


@pytest.mark.parametrize("username", ["branch_a", "leader", "hotline"])
async def test_roles_without_submit_may_not_upload(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore, username: str
) -> None:
    await signed_in(client, app_db, username)
    csrf = await csrf_for(client)

    form = await client.get("/monitoring/upload")
    response = await upload(client, csv_upload(["AQ-A,a34004,hour,2026-11-22T08:00:00+08:00,35,N"]), csrf)

    assert (form.status_code, response.status_code) == (403, 403)
    assert store.hot_table().num_rows == 0


async def test_upload_form_and_template(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    await signed_in(client, app_db, "analyst")

    form = await client.get("/monitoring/upload")
    template = await client.get("/monitoring/upload/template.csv")

    assert form.status_code == 200 and "上传监测数据" in page_title(form.text)
    upload_form = parse(form.text).find("form", action="/monitoring/upload")
    assert upload_form is not None and upload_form.attrs["enctype"] == "multipart/form-data"
    assert upload_form.find("input", name="csrf_token") is not None
    assert parse(form.text).find("a", href="/monitoring/upload/template.csv") is not None
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert template.content.decode("utf-8-sig").splitlines()[0] == HEADER.strip()


async def test_a_spreadsheet_bomb_is_refused_quickly_with_the_reason(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    """A workbook declaring a sheet of 16,384 columns with a far cell (issue 13: 7 s and +740 MB before) is refused
    while it is read, at the cost of the cells really there."""
    await signed_in(client, app_db, "analyst")
    header = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for col, name in zip("ABCDEF", ("site_code", "parameter", "interval", "time", "value", "flag"), strict=True)
    )
    bomb = crafted_xlsx(f'<row r="1">{header}</row><row r="2000"><c r="XFD2000"><v>1</v></c></row>')
    csrf = await csrf_for(client)
    tracemalloc.start()
    started = time.perf_counter()
    response = await upload(client, {"file": ("data.xlsx", bomb, "application/octet-stream")}, csrf)
    seconds, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert response.status_code == 422
    alert = parse(response.text).find(role="alert")
    assert alert is not None and "超出第 256 列" in alert.text
    assert seconds < 10 and peak < 40_000_000, (seconds, peak)  # before: 2,000 rows of 16,384 cells (~300 MB)
    assert store.hot_table().num_rows == 0


async def test_an_unclosed_quote_spoils_its_own_row_only(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    """Issue 13: a quote left open swallowed the next valid rows into one field, silently."""
    await signed_in(client, app_db, "analyst")
    rows = [
        "AQ-A,a34004,hour,2026-11-22T08:00:00+08:00,35,N",
        'AQ-A,a34004,hour,"2026-11-22T09:00:00+08:00,36,N',  # the quote is never closed
        "AQ-A,a34004,hour,2026-11-22T10:00:00+08:00,37,N",
        'AQ-A,a34002,hour,2026-11-22T10:00:00+08:00,"6"1,N',  # stray characters after a quoted field
        "AQ-A,a34002,hour,2026-11-22T11:00:00+08:00,62,N",
    ]

    response = await upload(client, csv_upload(rows), await csrf_for(client))

    assert response.status_code == 200
    assert counts(response.text) == {
        "rows": 5,
        "stored": 3,
        "changed": 3,
        "duplicates": 0,
        "conflicts": 0,
        "refused": 2,
    }
    errors = parse(response.text).find("table", class_="row-errors")
    assert errors is not None
    assert [tr.find_all("td")[0].text for tr in errors.find_all("tr")[1:]] == ["3", "5"]
    assert stored(store, sites["AQ-A"]) == [("a34002", 62.0), ("a34004", 35.0), ("a34004", 37.0)]


# --- provenance (issue 13) ----------------------------------------------------------------------------------------


def _outlet_limit(app_db: Session, site: Site, enterprise_id: int) -> None:
    """An SO2 hourly limit of 35 mg/m³ at 6 % O2 on the site's outlet (what the source-exceedance rule judges)."""
    limit = OutletLimit(
        pollutant="a21026",
        limit_value=Decimal(35),
        unit="mg/m3",
        averaging=Averaging.HOUR,
        reference_o2=Decimal(6),
        source="GB 13223-2011 表2",
    )
    outlet = Outlet(code="DA001", name="1号锅炉烟囱", kind=OutletKind.GAS, site_id=site.id, limits=[limit])
    permit = Permit(
        enterprise_id=enterprise_id,
        number="91371802MA3C000001001P",
        permit_class=PermitClass.KEY,
        valid_from=date(2024, 1, 1),
        valid_to=date(2028, 12, 31),
        outlets=[outlet],
    )
    app_db.add(permit)
    app_db.commit()


async def test_an_enterprise_upload_never_replaces_its_loggers_value_that_raised_an_alert(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    app_settings: Settings,
    sites: dict[str, Site],
    store: HotStore,
) -> None:
    # Issue 13 point 8: the enterprise uploaded a lower value over its logger's value that had raised an alert; the
    # value was replaced, with nothing in the audit log and nothing on the site page saying where it came from.
    site = sites["SRC-A"]
    _outlet_limit(app_db, site, app_world.enterprise_a.id)
    at = this_hour() - timedelta(hours=2)
    logger = [
        Reading(site.id, "a21026", Interval.HOUR, at, 50.0, "N"),
        Reading(site.id, "a19001", Interval.HOUR, at, 6.0),
    ]
    store.write(logger, now=at + timedelta(minutes=5))
    engine = AlertEngine(make_session_factory(app_db.get_bind()), StoredReadings.of(store, app_settings), TZ)
    engine.start()
    engine.poll()
    (alert,) = app_db.scalars(select(Alert).where(Alert.site_id == site.id))
    assert alert.status is AlertStatus.OPEN and alert.observed == Decimal(50)
    await signed_in(client, app_db, "enterprise_a")
    local = at.astimezone(TZ).isoformat()

    response = await upload(client, csv_upload([f"SRC-A,a21026,hour,{local},20,N"], "fix.csv"), await csrf_for(client))

    assert counts(response.text) == {
        "rows": 1,
        "stored": 1,
        "changed": 0,
        "duplicates": 0,
        "conflicts": 1,
        "refused": 0,
    }
    assert stored(store, site) == [("a19001", 6.0), ("a21026", 50.0)]  # the logger's value stands
    engine.poll()  # the upload's arrival is judged on the value that stands
    app_db.commit()  # end the read transaction: the app and the engine committed in sessions of their own
    app_db.expire_all()
    assert app_db.get(Alert, alert.id).status is AlertStatus.OPEN  # type: ignore[union-attr]
    # The audit log has the upload: who, which file, its size and counts.
    (record,) = app_db.scalars(select(AuditRecord).where(AuditRecord.action == "upload"))
    assert (record.actor_label, record.entity_type, record.entity_id) == ("enterprise_a", "observations", "fix.csv")
    assert record.after is not None
    assert {k: record.after[k] for k in ("size", "stored", "conflicts", "refused")} == {
        "size": len(HEADER) + len(f"SRC-A,a21026,hour,{local},20,N\n"),
        "stored": 0,
        "conflicts": 1,
        "refused": 0,
    }
    # The site page lists the conflict as a data-quality issue and shows where each latest value came from.
    await signed_in(client, app_db, "analyst")
    page = await client.get(f"/monitoring/sites/{site.id}")
    issues = parse(page.text).find("table", class_="issues")
    issue = issues.find("tr", **{"data-kind": "conflict"}) if issues else None
    assert issue is not None
    text = " ".join(issue.text.split())
    assert "冲突数值" in text and "文件上传 enterprise_a" in text and "20.0 N，未保存" in text
    assert "保留数采仪（HJ 212）的数值50.0 N" in text
    latest = section(page.text, "latest").find("tr", **{"data-parameter": "a21026"})
    assert latest is not None and "数采仪（HJ 212）" in latest.text
    assert latest.find(**{"data-source": "hj212"}) is not None


async def test_a_reviewer_accepts_a_conflicting_value_which_then_replaces_the_kept_one(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site], store: HotStore
) -> None:
    site = sites["SRC-A"]
    at = this_hour() - timedelta(hours=3)
    store.write([Reading(site.id, "a21026", Interval.HOUR, at, 50.0, "N")], now=at + timedelta(minutes=5))
    store.write([Reading(site.id, "a21026", Interval.HOUR, at, 20.0, "N", "upload:enterprise_a")])
    (conflict,) = store.conflicts([site.id], at, at + timedelta(hours=1))
    url = f"/monitoring/sites/{site.id}/conflicts/{conflict.id}"
    enterprise_csrf = await csrf_for(await signed_in(client, app_db, "enterprise_a"))
    page = await client.get(f"/monitoring/sites/{site.id}")
    assert parse(page.text).find("form", class_="accept-conflict") is None  # the enterprise may not review
    refused = await client.post(url, data={"csrf_token": enterprise_csrf})
    csrf = await csrf_for(await signed_in(client, app_db, "analyst"))
    page = await client.get(f"/monitoring/sites/{site.id}")
    form = parse(page.text).find("form", class_="accept-conflict")
    assert form is not None and form.attrs["action"] == url

    accepted = await client.post(url, data={"csrf_token": csrf})
    again = await client.post(url, data={"csrf_token": csrf})
    elsewhere = await client.post(
        f"/monitoring/sites/{sites['AQ-A'].id}/conflicts/{conflict.id}", data={"csrf_token": csrf}
    )

    assert (refused.status_code, accepted.status_code, again.status_code, elsewhere.status_code) == (403, 303, 404, 404)
    (row,) = store.hot_table(site_id=site.id).to_pylist()
    assert (row["value"], row["source"]) == (20.0, "correction:analyst")
    page = await client.get(f"/monitoring/sites/{site.id}")
    issue = parse(page.text).find("tr", data_kind="conflict")
    assert issue is not None and "已由analyst于" in issue.text and issue.find("form") is None
    app_db.commit()
    (record,) = app_db.scalars(select(AuditRecord).where(AuditRecord.action == "accept_conflict"))
    assert record.actor_label == "analyst" and record.entity_id == str(conflict.id) and record.after is not None
    assert (record.after["value"], record.after["replaced_value"], record.after["source"]) == (
        20.0,
        50.0,
        "upload:enterprise_a",
    )
