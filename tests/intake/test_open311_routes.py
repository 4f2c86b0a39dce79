"""Open311 GeoReport v2 at /open311/v2/ over HTTP: every method's field names as the spec has them (XML parsed,
JSON root arrays), errors (403, 404, 400, 429), a POST then GET round trip, a partner's key, and a planted phone
number that no GET body and no POST answer ever shows (SQLite)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.i18n import gettext, use_locale
from ecoloop.intake import open311
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.keyring import keyring
from ecoloop.intake.models import Complaint, Partner
from ecoloop.intake.partners import key_digest as key_hash
from ecoloop.intake.service import context
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World, give_boundaries

BASE = "/open311/v2"
JURISDICTION = "qingyuan.gov.cn"
PHONE = "13912345678"  # typed into the description
OWN_PHONE = "13700001111"  # the complainant's own, in the phone field
PARTNER_KEY = "pk_live_police_video_5c1d"
POINT = {"lat": "35.05", "long": "114.05"}  # in town A of the test city


@pytest.fixture
def app_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
    return make_settings(tmp_path, open311_jurisdiction=JURISDICTION, complaints_per_ip_hour=3)


@pytest.fixture
def city(app_db: Session, app_world: World) -> World:
    give_boundaries(app_db, app_world)
    app_db.add(Partner(code="police-video", name="公安视频平台", key_hash=key_hash(PARTNER_KEY), key_prefix="pk_live"))
    app_db.add(Partner(code="old", name="停用平台", key_hash=key_hash("retired-key"), active=False))
    app_db.commit()
    return app_world


def xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def as_json(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def error_of(response: httpx.Response, fmt: str) -> tuple[int, str]:
    if fmt == "json":
        (error,) = as_json(response)
        assert set(error) == {"code", "description"}
        return error["code"], error["description"]
    root = xml(response)
    assert root.tag == "errors"
    (error,) = list(root)
    assert [c.tag for c in error] == ["code", "description"]
    return int(error.findtext("code") or 0), error.findtext("description") or ""


def form(**changes: str) -> dict[str, str]:
    return {
        "service_code": "air.smoke",
        **POINT,
        "description": f"东湖水泥厂烟囱冒黑烟，请回电 {PHONE}",
        "first_name": "三",
        "last_name": "张",
        "phone": OWN_PHONE,
        "email": "zhang@example.com",
        "media_url": "http://169.254.169.254/latest/meta-data/",
        "attribute[consent]": "true",
        **changes,
    }


async def test_the_service_list_has_one_service_per_topic_with_the_spec_fields(
    client: httpx.AsyncClient, city: World
) -> None:
    as_xml = xml(await client.get(f"{BASE}/services.xml"))
    listed = as_json(await client.get(f"{BASE}/services.json", params={"jurisdiction_id": JURISDICTION}))

    assert as_xml.tag == "services"
    assert [s.tag for s in as_xml] == ["service"] * len(Topic)
    for service in as_xml:
        assert tuple(c.tag for c in service) == open311.SERVICE_FIELDS
    assert [s.findtext("service_code") for s in as_xml] == [t.value for t in Topic]
    assert {s.findtext("metadata") for s in as_xml} == {"false"}
    with use_locale("zh_CN"):
        assert as_xml[0].findtext("service_name") == gettext(Topic.SMOKE.label) != Topic.SMOKE.label
        assert as_xml[0].findtext("group") == gettext(Topic.SMOKE.category.label)
    assert isinstance(listed, list) and [tuple(s) for s in listed] == [open311.SERVICE_FIELDS] * len(Topic)
    assert [s["service_code"] for s in listed] == [t.value for t in Topic]
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in listed)


async def test_discovery_and_definitions(client: httpx.AsyncClient, city: World) -> None:
    discovered = as_json(await client.get(f"{BASE}/discovery.json"))
    definition = xml(await client.get(f"{BASE}/services/noise.construction.xml"))
    unknown = await client.get(f"{BASE}/services/noise.nothing.json")

    assert discovered["endpoints"][0]["url"] == f"http://testserver{BASE}"
    assert xml(await client.get(f"{BASE}/discovery.xml")).tag == "discovery"
    assert (definition.tag, definition.findtext("service_code")) == ("service_definition", "noise.construction")
    assert unknown.status_code == 404
    assert error_of(unknown, "json")[0] == 404
    assert (await client.get(f"{BASE}/services.csv")).status_code == 404


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_a_post_then_get_round_trip_shows_public_fields_only(
    client: httpx.AsyncClient, app_db: Session, city: World, app_settings: Settings, fmt: str
) -> None:
    posted = await client.post(f"{BASE}/requests.{fmt}", data=form(jurisdiction_id=JURISDICTION))

    assert posted.status_code == 200
    if fmt == "json":
        (created,) = as_json(posted)
    else:
        root = xml(posted)
        assert (root.tag, [r.tag for r in root]) == ("service_requests", ["request"])
        created = {c.tag: c.text or "" for c in root[0]}
    assert tuple(created) == open311.CREATED_FIELDS
    ticket = created["service_request_id"]
    assert "工作日" in created["service_notice"]
    assert created["account_id"] in (None, "")

    complaint = app_db.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()
    assert complaint.channel is Channel.OPEN311 and complaint.partner_id is None
    assert complaint.topic is Topic.SMOKE and not complaint.anonymous
    ring = keyring(app_settings.pii_keys_path)
    assert ring.decrypt(complaint.phone_enc, context("phone", ticket)) == OWN_PHONE
    assert ring.decrypt(complaint.name_enc, context("name", ticket)) == "三 张"

    one = await client.get(f"{BASE}/requests/{ticket}.{fmt}")
    listed = await client.get(f"{BASE}/requests.{fmt}")
    typed = ticket.lower().replace("-", "")  # as a citizen may type it
    by_id = await client.get(f"{BASE}/requests.{fmt}", params={"service_request_id": f"{typed},nothing"})
    for response in (one, listed, by_id):
        assert response.status_code == 200
        if fmt == "json":
            rows = as_json(response)
        else:
            root = xml(response)
            assert root.tag == "service_requests" and {r.tag for r in root} == {"request"}
            rows = [{c.tag: c.text or "" for c in r} for r in root]
        assert [tuple(r) for r in rows] == [open311.REQUEST_FIELDS]
        (row,) = rows
        assert row["service_request_id"] == ticket and row["status"] == "open"
        assert (row["lat"], row["long"]) == ("35.050", "114.050")
        # what the citizen wrote is not published (it may name them), only the topic, the area and the answer
        assert row["description"] == "" and "东湖水泥厂" not in response.text and row["address"] == city.town_a.name
        assert row["media_url"] == ""
        assert row["requested_datetime"].endswith("+08:00")
    for body in (posted.text, one.text, listed.text, by_id.text):
        assert PHONE not in body and OWN_PHONE not in body and "1111" not in body
        assert "zhang@example.com" not in body and "张" not in body and "169.254" not in body


async def test_a_partner_key_attributes_the_request_and_an_unknown_key_is_403(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    unknown = await client.post(f"{BASE}/requests.xml", data=form(api_key="guessed"))
    retired = await client.post(f"{BASE}/requests.json", data=form(api_key="retired-key"))
    known = await client.post(f"{BASE}/requests.json", data=form(api_key=PARTNER_KEY, **{"attribute[consent]": ""}))

    assert (unknown.status_code, error_of(unknown, "xml")[0]) == (403, 403)
    assert (retired.status_code, error_of(retired, "json")[0]) == (403, 403)
    assert known.status_code == 200
    complaint = app_db.scalars(select(Complaint)).one()
    partner = app_db.scalars(select(Partner).where(Partner.code == "police-video")).one()
    assert (complaint.channel, complaint.partner_id) == (Channel.PARTNER, partner.id)
    assert complaint.phone_masked == "137****1111"  # the partner's agreement covers its users' consent


async def test_without_consent_the_name_and_phone_are_not_kept(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    posted = await client.post(f"{BASE}/requests.json", data=form(**{"attribute[consent]": ""}))

    assert posted.status_code == 200
    complaint = app_db.scalars(select(Complaint)).one()
    assert (complaint.anonymous, complaint.name_enc, complaint.phone_enc, complaint.phone_masked) == (True, "", "", "")
    assert "没有保存" in as_json(posted)[0]["service_notice"]


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        ({"service_code": "air.nothing"}, 404),
        ({"service_code": ""}, 400),
        ({"lat": "", "long": ""}, 400),  # no place
        ({"lat": "95"}, 400),
        ({"description": "  "}, 400),
        ({"jurisdiction_id": "other.gov.cn"}, 404),
        ({"lat": "", "long": "", "address_string": "幸福路 1 号"}, 200),  # an address alone will do
    ],
)
async def test_refused_posts_answer_an_errors_body(
    client: httpx.AsyncClient, app_db: Session, city: World, sent: dict[str, str], status: int
) -> None:
    response = await client.post(f"{BASE}/requests.xml", data=form(**sent))

    assert response.status_code == status
    if status != 200:
        code, description = error_of(response, "xml")
        assert code == status and description
        assert app_db.scalar(select(Complaint.id)) is None


async def test_unknown_requests_and_jurisdictions_are_404(client: httpx.AsyncClient, city: World) -> None:
    for fmt in ("xml", "json"):
        missing = await client.get(f"{BASE}/requests/2026-AAAA-BBBB.{fmt}")
        elsewhere = await client.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "other.gov.cn"})
        assert (missing.status_code, error_of(missing, fmt)[0]) == (404, 404)
        assert (elsewhere.status_code, error_of(elsewhere, fmt)[0]) == (404, 404)


async def test_the_list_filters_by_status_code_and_dates(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    smoke = await client.post(f"{BASE}/requests.json", data=form())
    noise = await client.post(f"{BASE}/requests.json", data=form(service_code="noise.construction"))
    closed = app_db.scalars(select(Complaint).where(Complaint.ticket == as_json(noise)[0]["service_request_id"])).one()
    closed.status = Status.CLOSED
    closed.reply = f"已责令整改，联系人 {PHONE}"
    app_db.commit()

    def tickets(response: httpx.Response) -> list[str]:
        return [r["service_request_id"] for r in as_json(response)]

    only_closed = await client.get(f"{BASE}/requests.json", params={"status": "closed"})
    only_smoke = await client.get(f"{BASE}/requests.json", params={"service_code": "air.smoke"})
    too_wide = await client.get(
        f"{BASE}/requests.json", params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    )
    long_ago = await client.get(
        f"{BASE}/requests.json", params={"start_date": "2020-01-01T00:00:00+08:00", "end_date": "2020-02-01T00:00:00Z"}
    )

    assert tickets(only_closed) == [closed.ticket]
    assert as_json(only_closed)[0]["status_notes"] == "已责令整改，联系人 139****5678"
    assert tickets(only_smoke) == [as_json(smoke)[0]["service_request_id"]]
    assert (too_wide.status_code, error_of(too_wide, "json")[0]) == (400, 400)
    assert as_json(long_ago) == []


async def test_keyless_posts_are_limited_per_address_and_partners_are_not(
    client: httpx.AsyncClient, app_db: Session, city: World
) -> None:
    answers = [await client.post(f"{BASE}/requests.json", data=form()) for _ in range(4)]
    partner = await client.post(f"{BASE}/requests.json", data=form(api_key=PARTNER_KEY))

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert error_of(answers[-1], "json")[0] == 429 and answers[-1].headers["retry-after"] == "3600"
    assert partner.status_code == 200
    assert len(app_db.scalars(select(Complaint.id)).all()) == 4
