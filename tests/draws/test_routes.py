"""The draw pages: pools and certificates kept on their pages, a draw announced, seeded and drawn through the forms,
its result on its page (verified) and in its workbook, a refusal shown in Chinese, and a branch's scope."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import httpx
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.draws.models import Draw, EnterprisePool, OfficerCertificate, OfficerPool
from ecoloop.settings import Settings
from tests.draws.conftest import Enforcement, build_enforcement
from tests.factories import World
from tests.web.helpers import csrf_for, form_for, open_session, parse, reread


def local_today(settings: Settings) -> str:
    return datetime.now(UTC).astimezone(settings.tz).date().isoformat()


async def make_pools(client: httpx.AsyncClient, world: World, count: str = "3") -> None:
    csrf = await csrf_for(client)
    made = await client.post(
        "/draws/pools/enterprises",
        data={"csrf_token": csrf, "name": "清源区日常监管", "region_id": str(world.county_a.id), "count": count,
              "weighted_lists": "key_discharge_units", "key_weight": "3"},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    made = await client.post(
        "/draws/pools/officers", data={"csrf_token": csrf, "name": "全市执法人员", "region_id": str(world.city.id)}
    )
    assert made.status_code == 303, made.text


async def announce(
    client: httpx.AsyncClient, db: Session, settings: Settings, world: World, **extra: str
) -> httpx.Response:
    reread(db)
    pool = db.scalars(select(EnterprisePool.id)).first()
    officers = db.scalars(select(OfficerPool.id)).first()
    today = local_today(settings)
    form = {
        "csrf_token": await csrf_for(client), "title": "第四季度双随机抽查", "region_id": str(world.county_a.id),
        "period_label": "2026年第四季度", "period_start": today, "period_end": today, "draw_on": today,
        "seed_source": "上海证券交易所 上证指数收盘价", "seed_date": today, "enterprise_pool_ids": str(pool),
        "officer_pool_ids": str(officers), "team": "2", "avoid_conflicts": "on", "avoid_last_inspectors": "on",
        "rotation_months": "12", "load_slack": "1", **extra,
    }  # fmt: skip
    return await client.post("/draws", data=form)


async def test_a_draw_through_the_pages(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    build_enforcement(app_db, app_world)
    app_db.commit()
    open_session(app_db, client, "analyst")
    await make_pools(client, app_world)
    announced = await announce(client, app_db, app_settings, app_world)
    assert announced.status_code == 303, announced.text
    page = announced.headers["location"]
    shown = await client.get(page)
    assert "已公告" in shown.text and "录入公开数值" in shown.text
    csrf = await csrf_for(client)
    draw_id = page.rsplit("/", 1)[1]
    assert (
        await client.post(f"/draws/{draw_id}/value", data={"csrf_token": csrf, "public_value": "3412.56"})
    ).status_code == 303
    assert (await client.post(f"/draws/{draw_id}/draw", data={"csrf_token": csrf})).status_code == 303
    assert parse((await client.get(page)).text).find("p", data_verification="ok") is None  # on demand
    drawn = await client.get(f"{page}?check=true")
    doc = parse(drawn.text)
    assert doc.find("p", data_verification="ok") is not None
    rows = doc.find("table", class_="assignments").find_all("tr")[1:]
    assert len(rows) == 3
    assert all(len(r.find_all("td")[4].text.strip()) > 0 for r in rows)
    workbook = await client.get(f"/draws/{draw_id}/export.xlsx")
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["现场检查", "非现场检查", "名录库", "记录"]
    assert book["现场检查"].max_row == 4
    reread(app_db)
    stored = app_db.get(Draw, int(draw_id))
    assert stored is not None
    for snapshot in stored.snapshots:
        text = await client.get(f"/draws/{draw_id}/snapshots/{snapshot.position}.json")
        assert hashlib.sha256(text.content).hexdigest() == snapshot.sha256
    # An inspector follows the draw but does not download its snapshots (officers' conflicts, last inspections).
    open_session(app_db, client, "inspector")
    assert (await client.get(f"/draws/{draw_id}/snapshots/1.json")).status_code == 403
    assert "/snapshots/" not in (await client.get(page)).text
    open_session(app_db, client, "analyst")
    listed = await client.get("/draws")
    assert "SJ" in parse(listed.text).find("table", class_="draws").text


async def test_a_branch_sees_its_county_s_draws_only(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    build_enforcement(app_db, app_world)
    app_db.commit()
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    made = await client.post(
        "/draws/pools/enterprises",
        data={"csrf_token": csrf, "name": "清源区", "region_id": str(app_world.county_a.id), "count": "2"},
    )
    assert made.status_code == 303
    made = await client.post(
        "/draws/pools/officers", data={"csrf_token": csrf, "name": "本分局", "region_id": str(app_world.county_a.id)}
    )
    assert made.status_code == 303
    announced = await announce(client, app_db, app_settings, app_world)
    assert announced.status_code == 303, announced.text
    draw_id = announced.headers["location"].rsplit("/", 1)[1]
    other = await client.post(
        "/draws/pools/enterprises",
        data={"csrf_token": csrf, "name": "临河县", "region_id": str(app_world.county_b.id), "count": "2"},
    )
    assert other.status_code == 422 and "无权" in other.text
    open_session(app_db, client, "branch_b")
    assert (await client.get(f"/draws/{draw_id}")).status_code == 404
    assert "SJ" not in parse((await client.get("/draws")).text).find("table", class_="draws").text


async def test_an_unstaffable_draw_is_refused_on_the_page_in_chinese(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    build_enforcement(app_db, app_world, per_unit=0)
    app_db.commit()
    open_session(app_db, client, "analyst")
    await make_pools(client, app_world)
    announced = await announce(client, app_db, app_settings, app_world)
    draw_id = announced.headers["location"].rsplit("/", 1)[1]
    csrf = await csrf_for(client)
    await client.post(f"/draws/{draw_id}/value", data={"csrf_token": csrf, "public_value": "1"})
    refused = await client.post(f"/draws/{draw_id}/draw", data={"csrf_token": csrf})
    assert refused.status_code == 422
    alert = parse(refused.text).find("p", class_="alert")
    assert alert is not None and "抽查被拒绝" in alert.text and "测试企业" in alert.text
    reread(app_db)
    assert app_db.get(Draw, int(draw_id)).status.value == "seeded"  # type: ignore[union-attr]


async def test_certificates_and_conflicts_are_kept_on_their_page(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    found: Enforcement = build_enforcement(app_db, app_world, per_unit=1)
    app_db.commit()
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    officer = found.officers["bu0"]
    added = await client.post(
        "/draws/certificates",
        data={"csrf_token": csrf, "user_id": str(officer.id), "number": "37180099", "valid_from": "2026-01-01",
              "valid_to": "2028-12-31", "issued_by": "省司法厅"},
    )  # fmt: skip
    assert added.status_code == 303, added.text
    declared = await client.post(
        "/draws/conflicts",
        data={"csrf_token": csrf, "user_id": str(officer.id), "credit_code": app_world.enterprise_a.credit_code,
              "reason": "配偶在该企业任职", "start": "2026-01-01"},
    )  # fmt: skip
    assert declared.status_code == 303, declared.text
    page = parse((await client.get("/draws/officers")).text)
    assert page.find("tr", data_certificate="37180099") is not None
    assert "配偶在该企业任职" in page.find("table", class_="conflicts").text
    twice = await client.post(
        "/draws/certificates",
        data={"csrf_token": csrf, "user_id": str(officer.id), "number": "37180099", "valid_from": "2026-01-01",
              "valid_to": "bad"},
    )  # fmt: skip
    assert twice.status_code == 422 and "YYYY-MM-DD" in twice.text
    reread(app_db)
    assert app_db.scalars(select(OfficerCertificate).where(OfficerCertificate.number == "37180099")).one()


async def test_a_retired_pool_is_no_longer_offered_to_announcements(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    build_enforcement(app_db, app_world, per_unit=1)
    app_db.commit()
    open_session(app_db, client, "analyst")
    await make_pools(client, app_world)
    reread(app_db)
    pool = app_db.scalars(select(EnterprisePool)).one()
    offered = form_for((await client.get("/draws/new")).text, "/draws")
    assert offered.find("input", name="enterprise_pool_ids", value=str(pool.id)) is not None
    retired = await client.post(
        f"/draws/pools/enterprises/{pool.id}/active", data={"csrf_token": await csrf_for(client), "active": "false"}
    )
    assert retired.status_code == 303
    offered = form_for((await client.get("/draws/new")).text, "/draws")
    assert offered.find("input", name="enterprise_pool_ids") is None
    assert (
        await client.post("/draws/pools/nothing/1/active", data={"csrf_token": await csrf_for(client)})
    ).status_code == 404


async def test_the_announce_form_refuses_a_team_below_two_and_a_weight_out_of_range(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    build_enforcement(app_db, app_world, per_unit=1)
    app_db.commit()
    open_session(app_db, client, "analyst")
    await make_pools(client, app_world)
    for team in ("0", "1"):
        refused = await announce(client, app_db, app_settings, app_world, team=team)
        assert refused.status_code == 422
        assert "至少派两名执法人员" in parse(refused.text).find("p", class_="alert").text  # type: ignore[union-attr]
    weighted = await client.post(
        "/draws/pools/enterprises",
        data={"csrf_token": await csrf_for(client), "name": "权重", "region_id": str(app_world.county_a.id),
              "count": "1", "weighted_lists": "key_discharge_units", "key_weight": "0"},
    )  # fmt: skip
    assert weighted.status_code == 422 and "权重为1至10的整数" in weighted.text
    reread(app_db)
    assert app_db.scalars(select(Draw)).all() == []
