"""The warning pages: prepared, sent, signed by the leader, issued, upgraded and lifted through the forms, the
banner on the start page, a refusal in Chinese, an enterprise's view, the settings and the after-action document."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.episodes.enums import ChangeKind, WarningStatus
from ecoloop.episodes.models import PollutionWarning, WarningTriggerConfig
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import csrf_for, open_session, parse, reread


def _local(settings: Settings, delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).astimezone(settings.tz).strftime("%Y-%m-%dT%H:%M")


async def test_a_warning_through_the_pages(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    open_session(app_db, client, "analyst")
    form = await client.get("/warnings/new")
    assert form.status_code == 200 and "建议级别" in form.text
    csrf = await csrf_for(client)
    made = await client.post(
        "/warnings",
        data={"csrf_token": csrf, "level": "yellow", "pollutant": "pm25", "area": "counties",
              "county_ids": str(app_world.county_a.id), "planned_start": _local(app_settings, timedelta(hours=2)),
              "planned_end": _local(app_settings, timedelta(hours=50)), "peak_aqi": "230", "forecast": "预计重污染"},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    page = made.headers["location"]
    assert (await client.post(f"{page}/submit", data={"csrf_token": csrf})).status_code == 303
    # The analyst may not sign.
    assert (await client.post(f"{page}/approve", data={"csrf_token": csrf})).status_code == 403

    open_session(app_db, client, "leader")
    csrf = await csrf_for(client)
    shown = parse((await client.get(page)).text)
    assert shown.find("dd", data_status="awaiting_approval") is not None
    assert (await client.post(f"{page}/approve", data={"csrf_token": csrf, "note": "同意"})).status_code == 303

    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    assert (await client.post(f"{page}/issue", data={"csrf_token": csrf})).status_code == 303
    # Upgrading to the same level is refused in Chinese.
    same = await client.post(
        f"{page}/change",
        data={"csrf_token": csrf, "kind": "level", "level": "yellow", "reason": "x",
              "approver_id": str(app_world.users["leader"].id),
              "effective_at": _local(app_settings, timedelta(hours=3))},
    )  # fmt: skip
    assert same.status_code == 422 and "该预警已是此级别" in same.text
    up = await client.post(
        f"{page}/change",
        data={"csrf_token": csrf, "kind": "level", "level": "orange", "reason": "会商加重",
              "approver_id": str(app_world.users["leader"].id),
              "effective_at": _local(app_settings, timedelta(hours=3))},
    )  # fmt: skip
    assert up.status_code == 303, up.text
    listing = await client.get("/warnings")
    assert "重污染天气预警" in listing.text and "橙色预警" in listing.text

    # The enterprise of county A sees it, with the banner on its start page.
    open_session(app_db, client, "enterprise_a")
    assert (await client.get(page)).status_code == 200
    banner = parse((await client.get("/")).text).find("div", class_="warning-banner")
    assert banner is not None and "黄色预警" in banner.text  # starting in two hours, yellow first
    assert (await client.get(f"{page}/after-action")).status_code == 404  # names other enterprises
    assert "2条未读通知" in (await client.get("/warnings")).text  # issued, upgraded
    read = await client.post("/warnings/notices/read", data={"csrf_token": await csrf_for(client)})
    assert read.status_code == 303
    assert "未读通知" not in (await client.get("/warnings")).text

    open_session(app_db, client, "leader")
    csrf = await csrf_for(client)
    lift = {
        "csrf_token": csrf,
        "kind": "lift",
        "reason": "好转",
        "effective_at": _local(app_settings, timedelta(hours=4)),
    }
    lifted = await client.post(f"{page}/change", data=lift)
    assert lifted.status_code == 303, lifted.text
    reread(app_db)
    w = app_db.scalars(select(PollutionWarning)).one()
    assert w.status is WarningStatus.LIFTED
    assert [c.kind for c in w.changes] == [ChangeKind.ISSUE, ChangeKind.UPGRADE, ChangeKind.LIFT]
    report = await client.get(f"{page}/after-action")
    assert report.status_code == 200 and "总结评估报告" in report.text
    document = await client.get(f"{page}/after-action.docx")
    assert document.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(document.content)).paragraphs)
    assert w.number in text and "总结评估报告" in text


async def test_an_enterprise_of_another_county_does_not_see_a_county_warning(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    from tests.episodes.conftest import issued

    w = issued(app_db, app_world, county_ids=(app_world.county_b.id,))
    app_db.commit()
    open_session(app_db, client, "enterprise_a")
    assert (await client.get(f"/warnings/{w.id}")).status_code == 404
    assert w.number not in (await client.get("/warnings")).text


async def test_trigger_settings(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/warnings/settings")
    assert "黄色预警: AQI&gt;200 24h 或 AQI&gt;150 48h" in page.text
    csrf = await csrf_for(client)
    bad = await client.post("/warnings/settings", data={"csrf_token": csrf, "rules": "blue: AQI>200 24h"})
    assert bad.status_code == 422 and "第1行无法识别" in bad.text
    assert (await client.post("/warnings/settings", data={"csrf_token": csrf, "preset": "2017"})).status_code == 303
    reread(app_db)
    assert app_db.scalars(select(WarningTriggerConfig.preset)).one() == "2017"
    assert "红色预警: AQI&gt;499 24h" in (await client.get("/warnings/settings")).text
    # A branch reads the rules but may not change them.
    open_session(app_db, client, "branch_a")
    assert (await client.get("/warnings/settings")).status_code == 200
    csrf = await csrf_for(client)
    assert (await client.post("/warnings/settings", data={"csrf_token": csrf, "preset": "2024"})).status_code == 403
