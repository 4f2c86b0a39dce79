"""The citizen's pages and the complaint desk, through HTTP: a complaint filed on the public page (with a photo),
refused without the form's token or with the robots' field, limited per address; the look-up showing only status
and answer, for the right last four digits only; the rating; the hotline's registration, acceptance and reply;
who sees the complainant; who may use the desk."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.intake.challenge import ANSWER_FIELD, HONEYPOT_FIELD, TOKEN_FIELD
from ecoloop.intake.enums import Status
from ecoloop.intake.models import Complaint, ComplaintPhoto
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World, give_boundaries
from tests.web.helpers import csrf_for, open_session, parse, reread

PHONE = "13912345678"


@pytest.fixture
def app_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
    return make_settings(tmp_path, complaint_form_min_seconds=0, complaints_per_ip_hour=4)


@pytest.fixture
def city(app_db: Session, app_world: World) -> World:
    give_boundaries(app_db, app_world)
    app_db.commit()
    return app_world


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 90, 90)).save(out, format="PNG")
    return out.getvalue()


async def challenge(client: httpx.AsyncClient) -> dict[str, str]:
    """The form's token, and the answer to its sum when it asks one (as a person would work it out)."""
    page = await client.get("/public/complaints")
    assert page.status_code == 200 and "生态环境问题举报" in page.text
    match = re.search(rf'name="{TOKEN_FIELD}" value="([^"]+)"', page.text)
    assert match is not None
    fields = {TOKEN_FIELD: match.group(1)}
    asked = re.search(r"(\d+) ?(加|减) ?(\d+)", page.text)
    if asked:
        a, b = int(asked.group(1)), int(asked.group(3))
        fields[ANSWER_FIELD] = str(a + b if asked.group(2) == "加" else a - b)
    return fields


async def file(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    data = {
        **await challenge(client),
        "topic": "air.smoke",
        "description": f"烟囱冒黑烟，联系我{PHONE}",
        "longitude": "114.05",
        "latitude": "35.05",
        "name": "赵六",
        "phone": PHONE,
        "consent": "1",
        **fields,
    }
    return await client.post("/public/complaints", data=data, files={"photos": ("p.png", photo(), "image/png")})


async def test_a_citizen_files_and_follows_a_complaint(client: httpx.AsyncClient, app_db: Session, city: World) -> None:
    filed = await file(client)
    assert filed.status_code == 200, filed.text
    ticket = parse(filed.text).find("p", class_="ticket").text.strip()
    reread(app_db)
    complaint = app_db.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()
    assert complaint.status is Status.RECEIVED and PHONE not in complaint.description
    assert len(app_db.scalars(select(ComplaintPhoto)).all()) == 1

    wrong = await client.post("/public/lookup", data={"ticket": ticket, "last4": "0000"})
    unknown = await client.post("/public/lookup", data={"ticket": "2026-AAAA-AAAA", "last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert parse(wrong.text).find("p", class_="error").text == parse(unknown.text).find("p", class_="error").text
    found = await client.post("/public/lookup", data={"ticket": ticket.lower().replace("-", ""), "last4": "5678"})
    assert found.status_code == 200 and "已收到，待受理" in found.text
    for private in (PHONE, "139****5678", "赵六", "烟囱冒黑烟", "114.05"):
        assert private not in found.text  # status and answer only: not the text, place, name or phone

    # the hotline accepts and answers; the citizen reads the answer and is not satisfied
    open_session(app_db, client, "hotline")
    csrf = await csrf_for(client)
    assert (await client.post(f"/complaints/{complaint.id}/accept", data={"csrf_token": csrf})).status_code == 303
    reply = {"csrf_token": csrf, "text": "已责令企业停产整改。"}
    assert (await client.post(f"/complaints/{complaint.id}/reply", data=reply)).status_code == 303
    client.cookies.clear()
    answered = await client.post("/public/lookup", data={"ticket": ticket, "last4": "5678"})
    assert answered.status_code == 200 and "已责令企业停产整改。" in answered.text
    rated = await client.post(
        f"/public/complaints/{ticket}/rating", data={"last4": "5678", "satisfaction": "not_satisfied", "note": "还在冒"}
    )
    assert rated.status_code == 200 and "复查中" in rated.text
    guessed = await client.post(
        f"/public/complaints/{ticket}/rating", data={"last4": "1111", "satisfaction": "satisfied"}
    )
    assert guessed.status_code == 404
    reread(app_db)
    assert app_db.get(Complaint, complaint.id).status is Status.REVIEW  # type: ignore[union-attr]


async def test_the_form_refuses_robots_and_floods(client: httpx.AsyncClient, app_db: Session, city: World) -> None:
    trapped = await file(client, **{HONEYPOT_FIELD: "http://spam.example"})
    assert trapped.status_code == 400 and parse(trapped.text).find("p", class_="error") is not None
    no_token = await client.post("/public/complaints", data={"topic": "air.smoke", "description": "x", "address": "y"})
    assert no_token.status_code == 400
    sent = [await file(client, phone="", name="", consent="") for _ in range(2)]
    assert [r.status_code for r in sent] == [200, 200]
    limited = await file(client, phone="", name="")
    assert limited.status_code == 429 and "12369" in limited.text
    reread(app_db)
    assert len(app_db.scalars(select(Complaint)).all()) == 2


async def test_the_desk_and_who_sees_the_complainant(client: httpx.AsyncClient, app_db: Session, city: World) -> None:
    open_session(app_db, client, "hotline")
    csrf = await csrf_for(client)
    form = {
        "csrf_token": csrf,
        "channel": "hotline",
        "topic": "noise.construction",
        "description": f"工地夜间施工，来电人电话{PHONE}",
        "region": str(city.town_a.id),
        "address": "湖滨路",
        "name": "钱七",
        "phone": PHONE,
    }
    registered = await client.post("/complaints/new", data=form)
    assert registered.status_code == 303
    url = registered.headers["location"]
    page = await client.get(url)
    assert PHONE not in page.text and "139****5678" in page.text
    shown = await client.post(f"{url}/identity", data={"csrf_token": csrf})
    assert PHONE in shown.text and "钱七" in shown.text
    reread(app_db)
    assert app_db.scalars(select(AuditRecord).where(AuditRecord.action == "complainant_viewed")).first() is not None

    for name in ("analyst", "branch_a", "leader"):
        open_session(app_db, client, name)
        page = await client.get(url)
        assert page.status_code == 200 and PHONE not in page.text and "钱七" not in page.text
        assert "查看举报人信息" not in page.text
        assert (await client.post(f"{url}/identity", data={"csrf_token": await csrf_for(client)})).status_code == 403
        listed = await client.get("/complaints")
        assert PHONE not in listed.text
    open_session(app_db, client, "branch_b")  # another county's branch does not see it
    assert (await client.get(url)).status_code == 404
    open_session(app_db, client, "enterprise_a")
    assert (await client.get("/complaints")).status_code == 403
    open_session(app_db, client, "department")
    assert (await client.get("/complaints/new")).status_code == 403


async def test_the_time_limits_are_set_in_the_settings(client: httpx.AsyncClient, app_db: Session, city: World) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/complaints/settings")
    assert page.status_code == 200 and "15" in page.text
    csrf = await csrf_for(client)
    form = {
        "csrf_token": csrf,
        "valid_from": "2020-01-01",
        "accept_days": "10",
        "accept_unit": "calendar",
        "conclude_days": "60",
        "conclude_unit": "working",
        "extension_days": "30",
        "extension_unit": "working",
        "repeat_radius_m": "500",
        "repeat_near_m": "100",
        "repeat_days": "30",
        "repeat_similarity": "0.3",
        "high_after": "3",
        "critical_after": "10",
        "reply_rating_days": "15",
        "reward_max": "100000",
    }
    assert (await client.post("/complaints/settings", data=form)).status_code == 303
    refused = await client.post("/complaints/settings", data={**form, "accept_days": "0"})
    assert refused.status_code == 422 and "1至365天" in refused.text
    reread(app_db)
    from ecoloop.intake.service import config_for

    config = config_for(app_db, __import__("datetime").date(2026, 12, 7))
    assert config.accept.days == 10 and config.accept.unit.value == "calendar"
    open_session(app_db, client, "hotline")
    assert (await client.get("/complaints/settings")).status_code == 403
