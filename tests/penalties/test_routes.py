"""The penalty pages as each role: a case proposed with the benchmark's recommendation, approved by a leader,
worked through its steps (a step out of order refused with its reason), its documents downloaded, its scope, and
the settings kept by the analysts."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import httpx
import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.models import Case
from ecoloop.db.base import utcnow
from ecoloop.penalties.config_routes import table_from_form
from ecoloop.penalties.discretion import as_json, check
from ecoloop.penalties.models import PenaltyBenchmark, PenaltyCase, PenaltyConfig
from ecoloop.reports import layout
from tests.factories import World
from tests.web.helpers import csrf_for, open_session, page_title, parse, reread

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def as_form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated keys as httpx posts them."""
    found: dict[str, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    return found


async def as_user(client: httpx.AsyncClient, db: Session, username: str) -> str:
    open_session(db, client, username)
    return await csrf_for(client)


def form(world: World, csrf: str, action: str) -> dict[str, object]:
    today = utcnow().date()
    return {
        "csrf_token": csrf,
        "enterprise": str(world.enterprise_a.id),
        "discovered_on": today.isoformat(),
        "facts": "现场检查发现二氧化硫超标1.5倍",
        "violation": "AIR-EXCEED",
        "level_exceed": "lt3",
        "level_duration": "lt7d",
        "level_sensitive": "none",
        "level_repeat": "first",
        "level_rectify": "in_time",
        "officer": [str(world.users["inspector"].id), str(world.users["analyst"].id)],
        "rectification": "立即停止超标排放",
        "deadline": (today + timedelta(days=30)).isoformat(),
        "action": action,
    }


async def propose(client: httpx.AsyncClient, db: Session, world: World) -> int:
    csrf = await as_user(client, db, "inspector")
    response = await client.post("/penalties/new", data=form(world, csrf, "open"))
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/penalties/(\d+)", response.headers["location"])
    assert found is not None
    return int(found.group(1))


async def test_recommendation_shown_before_proposing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    csrf = await as_user(client, app_db, "inspector")
    response = await client.post("/penalties/new", data=form(app_world, csrf, "preview"))
    assert response.status_code == 200
    advice = parse(response.text).find(id="recommendation")
    assert advice is not None
    assert "388,000.00" in advice.text and "给予行政处罚" in advice.text
    reread(app_db)
    assert app_db.scalar(select(PenaltyCase.id)) is None  # nothing stored


async def test_a_case_through_its_pages(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    case_id = await propose(client, app_db, app_world)
    page = await client.get(f"/penalties/{case_id}")
    assert "立案审批中" in page.text
    assert parse(page.text).find(data_step="approve_registration") is None  # the leader's
    # The leader approves: the number, and the closed-loop case.
    csrf = await as_user(client, app_db, "leader")
    page = await client.get(f"/penalties/{case_id}")
    approve = parse(page.text).find(data_step="approve_registration")
    assert approve is not None
    version = approve.fields()["version"]
    response = await client.post(
        f"/penalties/{case_id}/steps/approve_registration", data={"csrf_token": csrf, "version": version}
    )
    assert response.status_code == 303
    page = await client.get(f"/penalties/{case_id}")
    assert "第1号" in page_title(page.text)
    reread(app_db)
    case = app_db.get(PenaltyCase, case_id)
    assert case is not None and case.case_id is not None
    link = parse(page.text).find(data_loop_case="")
    assert link is not None and link.attrs["href"] == f"/cases/{case.case_id}"
    assert app_db.get(Case, case.case_id) is not None
    # The officer: a step out of order is refused with its reason.
    csrf = await as_user(client, app_db, "inspector")
    refused = await client.post(
        f"/penalties/{case_id}/steps/serve", data={"csrf_token": csrf, "day": utcnow().date().isoformat()}
    )
    assert refused.status_code == 422
    assert "案件当前环节不能进行此操作" in parse(refused.text).find(role="alert").text
    evidence = await client.post(
        f"/penalties/{case_id}/evidence",
        data={"csrf_token": csrf, "kind": "photo", "description": "排口照片"},
        files={"file": ("photo.jpg", JPEG, "image/jpeg")},
    )
    assert evidence.status_code == 303
    page = await client.get(f"/penalties/{case_id}")
    assert parse(page.text).find(data_stage="investigating") is not None
    item = parse(page.text).find(id="evidence").find("a")
    download = await client.get(item.attrs["href"])
    assert download.content == JPEG
    document = await client.get(f"/penalties/{case_id}/documents/rectification_order.docx")
    assert document.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(document.content)).paragraphs)
    assert app_world.enterprise_a.name in text and app_world.enterprise_a.credit_code in text
    assert (await client.get(f"/penalties/{case_id}/documents/decision.docx")).status_code == 404  # not yet
    # Two officers at least.
    one = await client.post(
        f"/penalties/{case_id}/officers", data={"csrf_token": csrf, "officer": [str(app_world.users["inspector"].id)]}
    )
    assert one.status_code == 422 and "不得少于两人" in one.text
    officers = [str(app_world.users[name].id) for name in ("inspector", "branch_a")]
    changed = await client.post(f"/penalties/{case_id}/officers", data={"csrf_token": csrf, "officer": officers})
    assert changed.status_code == 303
    page = await client.get(f"/penalties/{case_id}")
    # The timeline names who did what.
    timeline = parse(page.text).find(id="timeline").text
    assert "立案呈批" in timeline and "立案已批准" in timeline and "调查取证" in timeline


@pytest.mark.parametrize(("username", "status"), [("branch_a", 200), ("branch_b", 404), ("department", 403)])
async def test_scope_by_county(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, status: int
) -> None:
    case_id = await propose(client, app_db, app_world)
    await as_user(client, app_db, username)
    assert (await client.get(f"/penalties/{case_id}")).status_code == status
    listed = await client.get("/penalties")
    if status == 200:
        assert parse(listed.text).find(data_penalty=str(case_id)) is not None
    elif username == "branch_b":
        assert parse(listed.text).find(data_penalty=str(case_id)) is None


async def test_settings_kept_as_versions(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    csrf = await as_user(client, app_db, "analyst")
    page = await client.get("/penalties/settings")
    limits = parse(page.text).find(id="penalty-limits")
    assert limits is not None
    fields = limits.fields()
    fields.update(decision_days="60", csrf_token=csrf)
    assert (await client.post("/penalties/settings", data=fields)).status_code == 303
    reread(app_db)
    assert app_db.scalars(select(PenaltyConfig)).one().parameters["decision_days"] == 60
    benchmark = parse(page.text).find(id="penalty-benchmark")
    assert benchmark is not None
    values = benchmark.fields()
    assert values["v0_code"] == "AIR-EXCEED"
    # The form gives back the table it shows (checkboxes: the factors each violation weighs).
    posted = [(k, v) for k, v in values.items() if not re.fullmatch(r"v\d+_factors", k)]
    for box in benchmark.find_all("input", type="checkbox"):
        if "checked" in box.attrs:
            posted.append((box.attrs["name"], box.attrs["value"]))
    posted = [(k, v) for k, v in posted if k != "csrf_token"] + [("csrf_token", csrf)]
    assert table_from_form(posted) == json.loads(json.dumps(as_json(check(table_from_form(posted)))))
    changed = as_form([(k, "200000" if k == "v0_minimum" else v) for k, v in posted])
    assert (await client.post("/penalties/settings/benchmark", data=changed)).status_code == 303
    refused = await client.post(
        "/penalties/settings/benchmark", data=as_form([(k, "2000000" if k == "v0_minimum" else v) for k, v in posted])
    )
    assert refused.status_code == 422
    alert = parse(refused.text).find(role="alert")
    assert (alert is not None and "最低" in alert.text) or "下限" in alert.text
    reread(app_db)
    [row] = app_db.scalars(select(PenaltyBenchmark)).all()
    assert row.table["violations"][0]["minimum"] == "200000"
    template = layout.build_template([layout.Paragraph("{{ party }} {{ nope }}")])
    upload = await client.post(
        "/penalties/settings/templates/decision",
        data={"csrf_token": csrf},
        files={"file": ("t.docx", template, "application/octet-stream")},
    )
    assert upload.status_code == 422
    good = layout.build_template([layout.Paragraph("{{ party }}")])
    upload = await client.post(
        "/penalties/settings/templates/decision",
        data={"csrf_token": csrf},
        files={"file": ("t.docx", good, "application/octet-stream")},
    )
    assert upload.status_code == 303
    assert (await client.get("/penalties/settings/templates/decision.docx")).content == good
    csrf = await as_user(client, app_db, "inspector")
    assert (await client.post("/penalties/settings", data={"csrf_token": csrf})).status_code == 403
