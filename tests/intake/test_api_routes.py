"""The complaints' JSON API for other front ends: filing with and without a partner's key (channels, consent,
limits per address and per phone), refusals with the reason code and never the values sent, and the citizen's
look-up (status and reply only; a wrong pair is 404 like an unknown ticket; limited) (SQLite)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.i18n import gettext, use_locale
from ecoloop.intake.enums import Channel, Status
from ecoloop.intake.keyring import keyring
from ecoloop.intake.models import Complaint, Partner
from ecoloop.intake.partners import key_digest as key_hash
from ecoloop.intake.service import context
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World, give_boundaries

URL = "/api/v1/complaints"
PHONE = "13912345678"
WECHAT_KEY = "wx_mini_program_key_1"
PARTNER_KEY = "solid_waste_platform_key"


@pytest.fixture
def app_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
    return make_settings(tmp_path, complaints_per_ip_hour=4, complaints_per_phone_day=2, lookups_per_ip_hour=5)


@pytest.fixture
def city(app_db: Session, app_world: World) -> World:
    give_boundaries(app_db, app_world)
    app_db.add(Partner(code="wechat-mini", name="微信小程序", key_hash=key_hash(WECHAT_KEY)))
    app_db.add(Partner(code="solid-waste", name="固废平台", key_hash=key_hash(PARTNER_KEY)))
    app_db.commit()
    return app_world


def complaint(**changes: Any) -> dict[str, Any]:
    return {
        "topic": "noise.construction",
        "description": f"工地夜间打桩，我的电话 {PHONE}",
        "longitude": "114.05",
        "latitude": "35.05",
        "name": "李四",
        "phone": PHONE,
        "consent": True,
        **changes,
    }


def stored(db: Session, ticket: str) -> Complaint:
    db.expire_all()
    return db.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()


async def test_a_keyless_complaint_is_a_public_one_and_answers_its_ticket(
    client: httpx.AsyncClient, app_db: Session, city: World, app_settings: Settings
) -> None:
    response = await client.post(URL, json=complaint())

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"ticket", "status", "status_label", "accept_due"}
    with use_locale("zh_CN"):
        assert (body["status"], body["status_label"]) == ("received", gettext(Status.RECEIVED.label))
    row = stored(app_db, body["ticket"])
    assert (row.channel, row.partner_id, row.accept_due.isoformat()) == (Channel.WEB, None, body["accept_due"])
    assert PHONE not in row.description
    ring = keyring(app_settings.pii_keys_path)
    assert ring.decrypt(row.phone_enc, context("phone", row.ticket)) == PHONE
    assert PHONE not in response.text


async def test_a_partner_key_decides_the_channel(client: httpx.AsyncClient, app_db: Session, city: World) -> None:
    wechat = await client.post(URL, json=complaint(), headers={"X-Api-Key": WECHAT_KEY})
    partner = await client.post(
        URL, json=complaint(consent=False, external_id="GF-2026-77"), headers={"X-Api-Key": PARTNER_KEY}
    )
    unknown = await client.post(URL, json=complaint(), headers={"X-Api-Key": "made-up"})

    assert (wechat.status_code, partner.status_code) == (201, 201)
    assert stored(app_db, wechat.json()["ticket"]).channel is Channel.WECHAT
    row = stored(app_db, partner.json()["ticket"])
    assert (row.channel, row.external_id, row.phone_masked) == (Channel.PARTNER, "GF-2026-77", "139****5678")
    assert (unknown.status_code, unknown.json()["code"]) == (403, "unknown_key")


async def test_refusals_carry_the_reason_code_and_never_what_was_sent(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    no_consent = await client.post(URL, json=complaint(consent=False))
    outside = await client.post(URL, json=complaint(longitude="120.0", latitude="30.0"))
    bad_phone = await client.post(URL, json=complaint(phone=f"{PHONE}99"))
    too_long = await client.post(URL, json=complaint(description=f"{PHONE} " + "烟" * 3000))
    malformed = await client.post(URL, json=complaint(topic="air.rumour", extra=PHONE, phone=13912345678))
    not_json = await client.post(URL, content=f"phone={PHONE}".encode(), headers={"content-type": "application/json"})

    assert [r.status_code for r in (no_consent, outside, bad_phone, too_long, malformed, not_json)] == [422] * 6
    codes = [r.json()["code"] for r in (no_consent, outside, bad_phone, too_long, malformed, not_json)]
    assert codes == ["consent_missing", "place_outside_city", "phone_invalid", "description_too_long"] + ["invalid"] * 2
    assert set(malformed.json()["fields"]) == {"topic", "extra", "phone"}
    for response in (no_consent, outside, bad_phone, too_long, malformed, not_json):
        assert response.json()["detail"]
        assert PHONE not in response.text and "5678" not in response.text
    assert app_db.scalar(select(Complaint.id)) is None


async def test_keyless_complaints_are_limited_per_address_and_per_phone(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    by_phone = [await client.post(URL, json=complaint()) for _ in range(3)]
    others = [await client.post(URL, json=complaint(phone="", name="", consent=False)) for _ in range(2)]
    partner = await client.post(URL, json=complaint(), headers={"X-Api-Key": PARTNER_KEY})

    assert [r.status_code for r in by_phone] == [201, 201, 429]  # two a day per phone
    assert [r.status_code for r in others] == [201, 429]  # four an hour per address (the refused one counted)
    assert others[-1].json()["code"] == "too_many" and others[-1].headers["retry-after"] == "3600"
    assert partner.status_code == 201


async def test_the_look_up_shows_the_status_and_reply_only(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    ticket = (await client.post(URL, json=complaint())).json()["ticket"]
    row = stored(app_db, ticket)
    row.status = Status.REPLIED
    row.reply = f"已责令停止夜间施工，如有问题请联系 {PHONE}"
    app_db.commit()

    found = await client.post(f"{URL}/lookup", json={"ticket": ticket.lower().replace("-", ""), "phone_last4": "5678"})

    assert found.status_code == 200
    assert set(found.json()) == {"ticket", "status", "status_label", "reply", "replied_at"}
    assert (found.json()["ticket"], found.json()["status"]) == (ticket, "replied")
    assert found.json()["reply"] == "已责令停止夜间施工，如有问题请联系 139****5678"
    assert "李四" not in found.text and "打桩" not in found.text


async def test_a_wrong_pair_is_404_like_an_unknown_ticket_and_tries_are_limited(
    client: httpx.AsyncClient, city: World
) -> None:
    ticket = (await client.post(URL, json=complaint())).json()["ticket"]
    anonymous = (await client.post(URL, json=complaint(name="", phone="", consent=False))).json()["ticket"]

    wrong = await client.post(f"{URL}/lookup", json={"ticket": ticket, "phone_last4": "0000"})
    missing = await client.post(f"{URL}/lookup", json={"ticket": "2026-ZZZZ-ZZZZ", "phone_last4": "5678"})
    without = await client.post(f"{URL}/lookup", json={"ticket": anonymous})
    tries = [await client.post(f"{URL}/lookup", json={"ticket": ticket, "phone_last4": "5678"}) for _ in range(3)]

    assert (wrong.status_code, missing.status_code) == (404, 404)
    assert wrong.json() == missing.json()
    assert without.status_code == 200
    assert [t.status_code for t in tries] == [200, 200, 429]  # five an hour per address


async def test_a_planted_phone_reaches_no_log_line_and_no_audit_diff(
    client: httpx.AsyncClient, app_db: Session, city: World, caplog: pytest.LogCaptureFixture
) -> None:
    open311 = {"service_code": "air.smoke", "lat": "35.05", "long": "114.05", "phone": PHONE}
    with caplog.at_level(logging.DEBUG):
        filed = await client.post(URL, json=complaint())
        refused = await client.post(URL, json=complaint(consent=False))
        partner = await client.post(URL, json=complaint(), headers={"X-Api-Key": PARTNER_KEY})
        by_form = await client.post(
            "/open311/v2/requests.xml",
            data=open311 | {"description": f"请回电 {PHONE}", "first_name": "李四", "attribute[consent]": "true"},
        )
        looked_up = await client.post(f"{URL}/lookup", json={"ticket": filed.json()["ticket"], "phone_last4": "5678"})

    assert [r.status_code for r in (filed, refused, partner, by_form, looked_up)] == [201, 422, 201, 200, 200]
    assert PHONE not in caplog.text and "李四" not in caplog.text
    diffs = json.dumps([(r.before, r.after) for r in app_db.scalars(select(AuditRecord))], ensure_ascii=False)
    assert "complaints" in {r.entity_type for r in app_db.scalars(select(AuditRecord))}
    assert PHONE not in diffs and "李四" not in diffs


async def test_the_openapi_description_shows_the_bodies(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]

    filed = paths["/api/v1/complaints"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    looked = paths["/api/v1/complaints/lookup"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"topic", "description", "phone", "consent"} <= set(filed["properties"])
    assert set(looked["properties"]) == {"ticket", "phone_last4"}
