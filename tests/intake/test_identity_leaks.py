"""The complainant's identity, provably protected (issue 18, part 5): a phone number is planted through every
channel — the public page, the hotline desk, the JSON API, Open311, a partner platform's warning — in the phone
field and typed into the free text, and a name in every name field (a name written in free text is found by no
pattern, so it is not planted there). The complaints are worked through (accepted, commented, answered). Then every
page each role reaches, every export, every API answer, every log line written meanwhile, every webhook body queued
and every audit record is searched for them. Only the hotline's audited reveal shows them (the control that this
search can find them)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ecoloop.alerts.case_webhooks import queue_case_events
from ecoloop.alerts.models import Alert, Webhook, WebhookDelivery
from ecoloop.alerts.webhooks import sign
from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow
from ecoloop.intake.challenge import ANSWER_FIELD, TOKEN_FIELD
from ecoloop.intake.models import Complaint
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World, give_boundaries
from tests.intake.conftest import register
from tests.web.helpers import csrf_for, open_session, reread

# Each channel its own phone and name, so that a leak names its way in.
PLANTED = {
    "web": ("13912340001", "赵一"),
    "desk": ("13912340002", "钱二"),
    "api": ("13912340003", "孙三"),
    "open311": ("13912340004", "李四"),
    "partner": ("13912340005", ""),
}
ROLES = ("admin", "leader", "analyst", "inspector", "branch_a", "department", "enterprise_a")


@pytest.fixture
def app_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
    return make_settings(tmp_path, complaint_form_min_seconds=0)


@pytest.fixture
def city(app_db: Session, app_world: World) -> World:
    give_boundaries(app_db, app_world)
    app_db.commit()
    return app_world


def leaks(body: str) -> list[str]:
    """The planted phones (whole, or as digits split by separators) and names found in `body`."""
    digits = re.sub(r"[\s\-]", "", body)
    found = [f"phone of {way}" for way, (phone, _name) in PLANTED.items() if phone in digits]
    return found + [f"name of {way}" for way, (_phone, name) in PLANTED.items() if name and name in body]


async def form_fields(client: httpx.AsyncClient) -> dict[str, str]:
    page = (await client.get("/public/complaints")).text
    token = re.search(rf'name="{TOKEN_FIELD}" value="([^"]+)"', page)
    assert token is not None
    fields = {TOKEN_FIELD: token.group(1)}
    asked = re.search(r"(\d+) ?(加|减) ?(\d+)", page)
    if asked:
        a, b = int(asked.group(1)), int(asked.group(3))
        fields[ANSWER_FIELD] = str(a + b if asked.group(2) == "加" else a - b)
    return fields


async def plant(client: httpx.AsyncClient, app_db: Session, city: World) -> None:
    """One complaint through each channel, each with its phone in the text and (where the channel has them) the
    name and phone fields."""
    phone, name = PLANTED["web"]
    web = {
        **await form_fields(client),
        "topic": "air.smoke",
        "description": f"厂区冒黑烟，电话{phone}",
        "longitude": "114.05",
        "latitude": "35.05",
        "name": name,
        "phone": phone,
        "consent": "1",
    }
    assert (await client.post("/public/complaints", data=web)).status_code == 200

    phone, name = PLANTED["api"]
    api = {
        "topic": "air.odour",
        "description": f"夜间异味，联系 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
        "longitude": 114.06,
        "latitude": 35.06,
        "name": name,
        "phone": phone,
        "consent": True,
    }
    assert (await client.post("/api/v1/complaints", json=api)).status_code == 201

    phone, name = PLANTED["open311"]
    o311 = {
        "service_code": "noise.construction",
        "lat": "35.07",
        "long": "114.07",
        "description": f"工地夜间施工 +86 {phone}",
        "first_name": name,
        "phone": phone,
        "attribute[consent]": "true",
    }
    assert (await client.post("/open311/v2/requests.json", data=o311)).status_code == 200

    registered = register(app_db, city, code="smoke-camera", name="黑烟抓拍系统")
    app_db.commit()
    phone, _ = PLANTED["partner"]
    warning = {
        "id": "HY-1",
        "title": "车辆冒黑烟",
        "description": f"目击者电话{phone}",
        "occurred_at": "2026-12-01T09:30:00+08:00",
        "longitude": 114.08,
        "latitude": 35.08,
        "category": "air",
    }
    raw = json.dumps(warning, ensure_ascii=False).encode()
    headers = {
        "Authorization": f"Bearer {registered.key}",
        "Content-Type": "application/json",
        "X-Ecoloop-Signature": sign(registered.partner.webhook_secret, raw, int(time.time())),
    }
    assert (await client.post("/api/v1/events", content=raw, headers=headers)).status_code == 201

    open_session(app_db, client, "hotline")
    csrf = await csrf_for(client)
    phone, name = PLANTED["desk"]
    desk = {
        "csrf_token": csrf,
        "channel": "hotline",
        "topic": "waste.dumping",
        "description": f"来电人（{phone}）反映路边倾倒垃圾",
        "region": str(city.town_a.id),
        "address": f"湖滨路，来电人手机{phone}",
        "name": name,
        "phone": phone,
    }
    assert (await client.post("/complaints/new", data=desk)).status_code == 303
    reread(app_db)
    for complaint in app_db.scalars(select(Complaint)):
        accepted = await client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": csrf})
        assert accepted.status_code == 303
        reply = {"csrf_token": csrf, "text": f"已处理，如有疑问请联系举报人 {PLANTED['web'][0]}"}
        assert (await client.post(f"/complaints/{complaint.id}/reply", data=reply)).status_code == 303
        reread(app_db)
        comment = {"csrf_token": csrf, "action": "comment", "text": f"已回电 {PLANTED['desk'][0]}"}
        await client.post(f"/cases/{complaint.case_id}/comments", data=comment)


async def test_the_planted_identities_reach_no_one_but_the_hotline(
    client: httpx.AsyncClient, app_db: Session, city: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A webhook of the branch that takes case events, and of the bureau: every case event is queued for them.
    for org in (city.branch_a, city.bureau):
        app_db.add(Webhook(organisation_id=org.id, url="https://hooks.example.org/x", secret="s", case_events=True))
    app_db.commit()
    queue_case_events(app_db, utcnow())  # the feed starts now
    app_db.commit()

    await plant(client, app_db, city)
    reread(app_db)
    complaints = list(app_db.scalars(select(Complaint)))
    assert len(complaints) == 4  # the partner's warning is an alert, not a complaint
    cases = [c.case_id for c in complaints]
    alerts = list(app_db.scalars(select(Alert.id)))
    found: dict[str, list[str]] = {}

    async def look(who: str, url: str, method: str = "GET") -> None:
        response = await (client.get(url) if method == "GET" else client.post(url, data={"csrf_token": ""}))
        if response.status_code == 200 and (hit := leaks(response.text)):
            found[f"{who} {url}"] = hit

    for role in ROLES:
        open_session(app_db, client, role)
        pages = ["/", "/complaints", "/complaints?queue=to_answer", "/cases", "/cases/mine", "/alerts", "/push-tasks"]
        pages += [f"/complaints/{c.id}" for c in complaints] + [f"/cases/{c}" for c in cases]
        pages += [f"/alerts/{a}" for a in alerts] + ["/admin/audit", "/admin/audit?table=complaints"]
        pages += ["/api/v1/cases", *(f"/api/v1/cases/{c}" for c in cases), "/cases/ledger.xlsx?region=371800"]
        for url in pages:
            await look(role, url)

    client.cookies.clear()  # the public
    for url in ("/open311/v2/requests.json", "/open311/v2/requests.xml", "/public"):
        await look("public", url)
    for c in complaints:
        await look("public", f"/open311/v2/requests/{c.ticket}.json")
        answer = await client.post("/api/v1/complaints/lookup", json={"ticket": c.ticket, "phone_last4": "0000"})
        if hit := leaks(answer.text):
            found[f"lookup {c.ticket}"] = hit

    # every webhook body queued, every audit record, every log line
    queue_case_events(app_db, utcnow() + timedelta(minutes=5))
    app_db.commit()
    bodies = list(app_db.scalars(select(WebhookDelivery.payload)))
    assert bodies, "no case event was queued: the webhook part of this test would prove nothing"
    found.update({f"webhook body {i}": hit for i, body in enumerate(bodies) if (hit := leaks(body))})
    for record in app_db.scalars(select(AuditRecord)):
        if hit := leaks(json.dumps([record.before, record.after], ensure_ascii=False)):
            found[f"audit {record.entity_type} {record.action}"] = hit
    for n, line in enumerate(caplog.messages):
        if hit := leaks(line):
            found[f"log line {n}"] = hit
    # and the database itself holds them only encrypted
    for row in app_db.execute(text("SELECT * FROM complaints")):
        if hit := leaks(" ".join(str(v) for v in row if v is not None)):
            found[f"stored complaint {row.ticket}"] = hit

    assert found == {}

    # the control: the hotline's reveal shows each complainant, so the search above could find them
    open_session(app_db, client, "hotline")
    csrf = await csrf_for(client)
    revealed = set()
    for c in complaints:
        shown = await client.post(f"/complaints/{c.id}/identity", data={"csrf_token": csrf})
        revealed |= set(leaks(shown.text))
    assert {f"phone of {way}" for way in ("web", "desk", "api", "open311")} <= revealed
