"""The electricity pages and API over HTTP: the menu entry, meters and flags by role (an enterprise its own),
the meter page's chart, the mapping edit, the settings, a file import with refused rows kept, and the readings API
with a token (idempotent on meter and time)."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.db.base import utcnow
from ecoloop.electricity import service
from ecoloop.electricity.enums import FlagKind, MeterTarget
from ecoloop.electricity.models import ElectricityFlag, Meter, MeterReading
from ecoloop.identity.service import create_api_token
from tests.electricity.conftest import add_lines, issue_warning, list_enterprise
from tests.factories import World
from tests.web.helpers import csrf_for, menu_links, open_session, parse


@pytest.fixture
def meters(app_db: Session, app_world: World) -> dict[str, Meter]:
    out = {}
    for key, enterprise in (("a", app_world.enterprise_a), ("b", app_world.enterprise_b)):
        production, _ = add_lines(app_db, enterprise, key)
        out[key] = service.save_meter(
            app_db,
            number=f"DB-{key}",
            enterprise_id=enterprise.id,
            target=MeterTarget.PRODUCTION,
            line_id=production.id,
        )
    warning = issue_warning(app_db, app_world, utcnow() - timedelta(hours=10), utcnow() + timedelta(hours=10))
    flag = ElectricityFlag(
        warning_id=warning.id,
        meter_id=out["b"].id,
        enterprise_id=app_world.enterprise_b.id,
        kind=FlagKind.OVER_ALLOWANCE,
        first_at=utcnow() - timedelta(hours=3),
        last_at=utcnow() - timedelta(hours=1),
        found=8,
        checked=12,
    )
    app_db.add(flag)
    app_db.commit()
    return out


async def as_user(client: httpx.AsyncClient, db: Session, username: str) -> str:
    open_session(db, client, username)
    return await csrf_for(client)


def meter_numbers(html: str) -> set[str]:
    table = parse(html).find("table", class_="electricity-meters")
    assert table is not None
    return {a.text for a in table.find_all("a")}


@pytest.mark.parametrize(
    ("username", "shown"), [("analyst", {"DB-a", "DB-b"}), ("branch_a", {"DB-a"}), ("enterprise_a", {"DB-a"})]
)
async def test_each_reader_sees_the_meters_of_their_area(
    client: httpx.AsyncClient, app_db: Session, meters: dict[str, Meter], username: str, shown: set[str]
) -> None:
    await as_user(client, app_db, username)
    page = await client.get("/electricity")
    assert page.status_code == 200
    assert menu_links(page.text).get("/electricity") == "用电监控"
    assert meter_numbers(page.text) == shown
    other = meters["b"].id
    assert (await client.get(f"/electricity/meters/{other}")).status_code == (200 if "DB-b" in shown else 404)


async def test_roles_without_the_action_get_no_menu_entry(
    client: httpx.AsyncClient, app_db: Session, meters: dict[str, Meter]
) -> None:
    await as_user(client, app_db, "department")
    page = await client.get("/")
    assert "/electricity" not in menu_links(page.text)
    assert (await client.get("/electricity")).status_code == 403


async def test_the_meter_page_draws_the_recent_load_and_edits_the_mapping(
    client: httpx.AsyncClient, app_db: Session, app_world: World, meters: dict[str, Meter]
) -> None:
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    rows = [service.RawReading(i, "DB-a", (now - timedelta(minutes=15 * i)).isoformat(), 10 + i) for i in range(8)]
    service.store_readings(
        app_db,
        rows,
        service.meters_by_number(app_db, app_world.principal(app_db, "admin")),
        origin=service.ReadingOrigin.API,
        username="t",
        now=utcnow(),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    app_db.commit()
    csrf = await as_user(client, app_db, "analyst")
    page = await client.get(f"/electricity/meters/{meters['a'].id}")
    assert page.status_code == 200
    chart = parse(page.text).find("script", id="electricity-recent")
    assert chart is not None and len(json.loads(chart.text)["series"][0]["data"]) == 8
    saved = await client.post(
        f"/electricity/meters/{meters['a'].id}",
        data={
            "csrf_token": csrf,
            "number": "DB-a",
            "target": "enterprise",
            "line_id": "",
            "interval": "1h",
            "source": "国网",
            "active": "on",
        },
    )
    assert saved.status_code == 303
    app_db.expire_all()
    meter = app_db.get_one(Meter, meters["a"].id)
    assert (meter.target, meter.line_id, meter.source) == (MeterTarget.ENTERPRISE, None, "国网")
    refused = await client.post(
        f"/electricity/meters/{meters['a'].id}",
        data={"csrf_token": csrf, "number": "DB-b", "target": "enterprise", "line_id": "", "interval": "1h"},
    )
    assert refused.status_code == 422
    assert "另一块电表已使用此编号" in refused.text


async def test_an_enterprise_sees_only_its_own_flags(
    client: httpx.AsyncClient, app_db: Session, meters: dict[str, Meter]
) -> None:
    await as_user(client, app_db, "enterprise_a")
    assert (await client.get("/electricity/settings")).status_code == 403
    assert (await client.get("/electricity/imports")).status_code == 403


async def test_settings_are_saved_as_a_version_and_checked(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    csrf = await as_user(client, app_db, "analyst")
    page = await client.get("/electricity/settings")
    assert page.status_code == 200
    values = {name: str(value) for name, value in service.Parameters().to_json().items()}
    bad = await client.post("/electricity/settings", data={"csrf_token": csrf, **values, "residual": "1.5"})
    assert bad.status_code == 422
    good = await client.post("/electricity/settings", data={"csrf_token": csrf, **values, "residual": "0.2"})
    assert good.status_code == 303
    assert service.parameters(app_db).residual == 0.2


async def test_a_file_is_imported_row_by_row_with_its_refused_rows_kept(
    client: httpx.AsyncClient, app_db: Session, meters: dict[str, Meter]
) -> None:
    csrf = await as_user(client, app_db, "analyst")
    text = "电表编号,时间,用电量\nDB-a,2026-11-20 08:00,12.5\nDB-a,2026-11-20 08:15,abc\nDB-x,2026-11-20 08:15,1\n"
    sent = await client.post(
        "/electricity/imports",
        data={"csrf_token": csrf},
        files={"file": ("readings.csv", text.encode("gb18030"), "text/csv")},
    )
    assert sent.status_code == 303
    page = await client.get(sent.headers["location"])
    tree = parse(page.text)
    assert {(r.attrs["data-row"], r.attrs["data-reason"]) for r in tree.find_all("tr") if "data-row" in r.attrs} == {
        ("3", "value_invalid"),
        ("4", "meter_unknown"),
    }
    assert app_db.scalar(select(func.count()).select_from(MeterReading)) == 1
    wrong = await client.post(
        "/electricity/imports", data={"csrf_token": csrf}, files={"file": ("r.pdf", b"%PDF", "application/pdf")}
    )
    assert wrong.status_code == 415


async def test_an_oversized_upload_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient, app_db: Session, meters: dict[str, Meter]
) -> None:
    csrf = await as_user(client, app_db, "analyst")
    big = b"x" * (11 * 1024 * 1024)
    sent = await client.post(
        "/electricity/imports", data={"csrf_token": csrf}, files={"file": ("r.csv", big, "text/csv")}
    )
    assert sent.status_code == 413


async def test_the_readings_api_takes_a_token_and_is_idempotent(
    client: httpx.AsyncClient, app_db: Session, app_world: World, meters: dict[str, Meter]
) -> None:
    _token, raw = create_api_token(app_db, app_world.users["analyst"], "feed", utcnow())
    app_db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    body = {
        "readings": [
            {"meter": "DB-a", "time": "2026-11-20T08:00:00+08:00", "kwh": 12.5},
            {"meter": "DB-a", "time": "x", "kwh": 1},
        ]
    }
    first = await client.post("/api/v1/electricity/readings", json=body, headers=headers)
    assert first.status_code == 200
    assert first.json()["stored"] == 1 and first.json()["errors"] == [{"index": 1, "reason": "time_invalid"}]
    again = await client.post("/api/v1/electricity/readings", json=body, headers=headers)
    assert again.json()["stored"] == 1
    assert app_db.scalar(select(func.count()).select_from(MeterReading)) == 1
    assert (await client.post("/api/v1/electricity/readings", json=body)).status_code == 401
    bad = await client.post("/api/v1/electricity/readings", json={"rows": []}, headers=headers)
    assert bad.status_code == 422


async def test_the_meter_page_draws_the_load_against_the_allowed_level_during_the_warning(
    client: httpx.AsyncClient, app_db: Session, app_world: World, meters: dict[str, Meter]
) -> None:
    # enterprise a stops (D grade) during the warning of the fixture (10 hours ago to 10 hours ahead) but runs on
    list_enterprise(app_db, app_world.enterprise_a)
    now = utcnow()
    service.store_simulated(
        app_db,
        [meters["a"]],
        start=now - timedelta(weeks=8, days=1),
        days=8 * 7 + 2,
        zone=ZoneInfo("Asia/Shanghai"),
        stretches={},
        until=now,
    )
    app_db.commit()
    await as_user(client, app_db, "enterprise_a")
    page = await client.get(f"/electricity/meters/{meters['a'].id}")
    chart = parse(page.text).find("script", id="electricity-curve")
    assert chart is not None
    names = [s["name"] for s in json.loads(chart.text)["series"]]
    assert names == ["用电量", "正常用电（基线）", "允许用电水平"]


async def test_an_analyst_runs_the_check_from_the_page_an_enterprise_may_not(
    client: httpx.AsyncClient, app_db: Session, app_world: World, meters: dict[str, Meter]
) -> None:
    list_enterprise(app_db, app_world.enterprise_a)
    app_db.commit()
    csrf = await as_user(client, app_db, "analyst")
    ran = await client.post("/electricity/check", data={"csrf_token": csrf})
    assert ran.status_code == 303
    # the listed enterprise's meter has no readings: it cannot be judged, its data is missing
    page = parse((await client.get(ran.headers["location"])).text)
    assert [r.attrs["data-enterprise"] for r in page.find_all("tr", data_flag="missing_data")] == [
        str(app_world.enterprise_a.id)
    ]
    csrf = await as_user(client, app_db, "enterprise_a")
    assert (await client.post("/electricity/check", data={"csrf_token": csrf})).status_code == 403
