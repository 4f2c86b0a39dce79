"""The inspection pages over HTTP: the officer's phone form and its JSON submission (stored once per key, stale and
foreign ones refused in Chinese, CSRF), photos, who sees which inspection, the finding registered as a case, and
the published outcomes without anything private."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.db.base import utcnow
from ecoloop.identity.enums import Role
from ecoloop.inspections import service
from ecoloop.inspections.enums import Conclusion, Status
from ecoloop.inspections.models import CampaignTarget, Inspection, InspectionPhoto, InspectionSubmission
from ecoloop.settings import Settings
from tests.factories import World, add_user
from tests.inspections.conftest import FINDING, acting, full_record, key, photo_bytes, plan
from tests.web.helpers import csrf_for, open_client, open_session, page_title, parse, reread

STALE = "另一名执法人员修改了检查记录"
NOT_OFFICER = "您不是本次检查的执法人员。"


def body(inspection: Inspection, *, version: int | None = None, violation: bool = False, k: str = "") -> dict[str, Any]:
    record = full_record(inspection, violation=violation, findings="现场检查时企业正常生产")
    return {
        "key": k or key(),
        "version": inspection.version if version is None else version,
        "answers": {k: {"answer": r.answer.value, "note": r.note} for k, r in record.answers.items()},
        "findings": record.findings,
        "conclusion": record.conclusion.value if record.conclusion else None,
    }


async def send(client: httpx.AsyncClient, inspection_id: int, payload: dict[str, Any]) -> httpx.Response:
    csrf = await csrf_for(client)
    return await client.post(
        f"/inspections/{inspection_id}/submit",
        content=json.dumps(payload),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
    )


def planned(app_db: Session, world: World, **extra: Any) -> Inspection:
    inspection = plan(app_db, world, **extra)
    app_db.commit()
    return inspection


async def test_the_officer_opens_the_task_and_the_form(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    inspection = planned(app_db, app_world)
    open_session(app_db, client, "inspector")

    tasks = await client.get("/inspections/mine")
    form_page = await client.get(f"/inspections/{inspection.id}/field")

    upcoming = parse(tasks.text).find("section", id="upcoming")
    assert upcoming is not None and app_world.enterprise_a.name in upcoming.text
    form = parse(form_page.text).find("form", data_inspection_form="")
    assert form is not None and form.attrs["data-version"] == str(inspection.version)
    assert form.attrs["data-csrf"]
    radios = [e for e in form.iter() if e.attrs.get("type") == "radio" and e.attrs["name"].startswith("answer-")]
    assert len(radios) == 3 * len(inspection.checklist_version.items)
    assert "提交并确认" in form.text
    assert page_title(form_page.text).startswith(app_world.enterprise_a.name)


async def test_a_submission_sent_twice_over_http_is_stored_once(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    inspection = planned(app_db, app_world)
    open_session(app_db, client, "inspector")
    payload = body(inspection)

    first = await send(client, inspection.id, payload)
    again = await send(client, inspection.id, payload)

    assert first.status_code == again.status_code == 200
    assert (first.json()["stored"], again.json()["stored"]) == (True, False)
    assert first.json()["confirmed"] == ["Inspector"]
    reread(app_db)
    assert app_db.scalar(select(func.count()).select_from(InspectionSubmission)) == 1
    assert app_db.get(Inspection, inspection.id).status is Status.RECORDED  # type: ignore[union-attr]


async def test_stale_foreign_and_unsigned_submissions_are_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    inspection = planned(app_db, app_world, officers=("inspector", "branch_a"))  # the bureau's inspection
    add_user(app_db, "inspector_2", Role.INSPECTOR, app_world.bureau)
    app_db.commit()
    opened = inspection.version
    open_session(app_db, client, "inspector")
    assert (await send(client, inspection.id, body(inspection))).status_code == 200

    async with open_client(app_settings, ip="10.5.5.5") as branch:
        open_session(app_db, branch, "branch_a")
        stale = await send(branch, inspection.id, body(inspection, version=opened, violation=True))
    async with open_client(app_settings, ip="10.6.6.6") as colleague:
        open_session(app_db, colleague, "inspector_2")
        listed = await colleague.get("/inspections")  # their unit's inspection: seen, not theirs to record
        foreign = await send(colleague, inspection.id, body(inspection, version=inspection.version + 1))
        unsigned = await colleague.post(f"/inspections/{inspection.id}/submit", content=json.dumps(body(inspection)))

    assert stale.status_code == 409 and STALE in stale.json()["reason"]
    assert stale.json()["version"] == opened + 1  # the version stored now, to continue from
    assert inspection.number in listed.text
    assert foreign.status_code == 403 and foreign.json()["reason"] == NOT_OFFICER
    assert unsigned.status_code == 403
    reread(app_db)
    stored = app_db.get(Inspection, inspection.id)
    assert stored is not None and stored.conclusion is Conclusion.NO_PROBLEM
    assert app_db.scalar(select(func.count()).select_from(InspectionSubmission)) == 1


async def test_photos_are_taken_with_time_and_place(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    inspection = planned(app_db, app_world, on_site=True)
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    form = {"key": key(), "taken_at": "2026-12-07T09:30:00+08:00", "longitude": "116.6456", "latitude": "36.696"}

    sent = await client.post(
        f"/inspections/{inspection.id}/photos", data=form, files={"photo": ("p.jpg", photo_bytes(exif=True))},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    shown = await client.get(sent.json()["url"])

    assert sent.status_code == 200 and shown.status_code == 200
    assert shown.headers["content-type"] == "image/jpeg"
    reread(app_db)
    row = app_db.scalars(select(InspectionPhoto)).one()
    assert (str(row.longitude), str(row.latitude), row.taken_at.hour) == ("116.645600", "36.696000", 1)


@pytest.mark.parametrize("taken_at", ["9999-12-31T23:00:00Z", "9999-12-31T23:00:00-05:00", "1970-01-01T00:00:00Z"])
async def test_a_photo_time_out_of_reason_is_dropped_and_the_pages_still_show(
    client: httpx.AsyncClient, app_db: Session, app_world: World, taken_at: str
) -> None:
    inspection = planned(app_db, app_world, on_site=True)
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)

    sent = await client.post(
        f"/inspections/{inspection.id}/photos", data={"key": key(), "taken_at": taken_at},
        files={"photo": ("p.jpg", photo_bytes())}, headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    detail = await client.get(f"/inspections/{inspection.id}")
    field = await client.get(f"/inspections/{inspection.id}/field")

    assert (sent.status_code, detail.status_code, field.status_code) == (200, 200, 200)
    reread(app_db)
    assert app_db.scalars(select(InspectionPhoto.taken_at)).one() is None


async def test_who_sees_which_inspection(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    county_a = planned(app_db, app_world, officers=("branch_a", "inspector"))

    seen = {}
    for who in ("analyst", "branch_a", "branch_b", "inspector", "leader"):
        open_session(app_db, client, who)
        page = await client.get(f"/inspections/{county_a.id}")
        listed = await client.get("/inspections")
        seen[who] = (page.status_code, county_a.number in listed.text)
    open_session(app_db, client, "department")
    refused = await client.get("/inspections")

    assert seen == {
        "analyst": (200, True),
        "branch_a": (200, True),
        "branch_b": (404, False),  # another county's
        "inspector": (200, True),  # one of its officers
        "leader": (200, True),
    }
    assert refused.status_code == 403


async def complete(app_db: Session, world: World, client: httpx.AsyncClient, settings: Settings, *,
                   violation: bool) -> Inspection:  # fmt: skip
    inspection = planned(app_db, world)
    for who, ip in (("branch_a", "10.7.0.1"), ("inspector", "10.7.0.2")):
        async with open_client(settings, ip=ip) as officer:
            open_session(app_db, officer, who)
            reread(app_db)
            current = app_db.get(Inspection, inspection.id)
            assert current is not None
            answer = await send(officer, inspection.id, body(current, violation=violation))
            assert answer.status_code == 200, answer.text
    reread(app_db)
    return inspection


async def test_a_finding_is_registered_as_a_case_from_the_inspection_page(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    inspection = await complete(app_db, app_world, client, app_settings, violation=True)
    open_session(app_db, client, "branch_a")

    page = await client.get(f"/inspections/{inspection.id}")
    assert parse(page.text).find("section", id="to-case") is not None
    csrf = await csrf_for(client)
    made = await client.post(f"/inspections/{inspection.id}/case", data={"csrf_token": csrf, "category": "solid_waste"})

    assert made.status_code == 303 and made.headers["location"].startswith("/cases/")
    case_page = await client.get(made.headers["location"])
    assert FINDING in case_page.text


async def test_the_published_outcomes_hold_nothing_private(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    inspection = await complete(app_db, app_world, client, app_settings, violation=True)
    pending = planned(app_db, app_world, enterprise=app_world.enterprise_b, officers=("branch_b", "inspector"))
    app_world.enterprise_a.contact_name, app_world.enterprise_a.contact_phone = "钱经理", "13800001234"
    app_db.commit()

    async with open_client(app_settings, ip="10.9.9.9") as anonymous:
        page = await anonymous.get("/public/inspections")

    assert page.status_code == 200
    row = parse(page.text).find("table", class_="published")
    assert row is not None
    text = row.text
    for public in (app_world.enterprise_a.name, app_world.enterprise_a.credit_code, "花园社区居委会", "清源区分局",
                   "日常检查", "发现违法行为，需立案调查"):  # fmt: skip
        assert public in text
    for private in ("Inspector", "Branch_A", FINDING, "现场检查时企业正常生产", "钱经理", "13800001234",
                    "/inspections/photos", inspection.number, app_world.enterprise_b.name, pending.number):  # fmt: skip
        assert private not in page.text
    assert "<img" not in page.text


async def test_the_analyst_keeps_a_checklist_and_each_edit_is_a_version(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    fields = {"csrf_token": csrf, "name": "涉VOCs企业检查表", "prefixes": "c26 C29", "active": "yes",
              "text-1": "储罐密闭", "basis-1": "GB 37822-2019", "required-1": "yes"}  # fmt: skip

    made = await client.post("/inspections/checklists/new", data=fields)
    assert made.status_code == 303
    url = made.headers["location"]
    edited = await client.post(url, data={**fields, "text-2": "LDAR 按期开展", "basis-2": "GB 37822-2019"})
    wrong = await client.post(url, data={**fields, "prefixes": "26"})
    page = await client.get(url)

    assert edited.status_code == 303
    assert wrong.status_code == 422 and "行业代码前缀为 GB/T 4754 门类字母" in wrong.text
    versions = parse(page.text).find("ul")
    assert "v2" in page.text and "v1" in page.text and versions is not None
    listing = await client.get("/inspections/checklists")
    assert "C26 C29" in listing.text


async def test_a_campaign_is_made_its_targets_chosen_by_filters_and_planned(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    made = await client.post(
        "/inspections/campaigns/new",
        data={"csrf_token": csrf, "name": "涉危险废物专项执法", "starts_on": "2026-11-01", "ends_on": "2026-12-31"},
    )
    url = made.headers["location"]
    await client.post(f"{url}/targets", data={"csrf_token": csrf, "region": str(app_world.county_a.id)})
    officers = [str(app_world.users[u].id) for u in ("branch_a", "inspector")]
    planned_ = await client.post(
        f"{url}/plan", data={"csrf_token": csrf, "planned_on": "2026-12-10", "officers": officers}
    )
    too_few = await client.post(
        f"{url}/plan", data={"csrf_token": csrf, "planned_on": "2026-12-10", "officers": officers[:1]}
    )
    page = await client.get(url)

    assert made.status_code == planned_.status_code == 303
    assert too_few.headers["location"].endswith("refused=officers_too_few")
    targets = [r.attrs["data-target"] for r in parse(page.text).find_all("tr") if "data-target" in r.attrs]
    assert sorted(targets) == sorted(str(e.id) for e in (app_world.enterprise_a, app_world.enterprise_a2))
    assert "共 2 家，已检查 0 家，剩余 2 家" in page.text
    listing = await client.get("/inspections/campaigns")
    assert "涉危险废物专项执法" in listing.text


async def test_a_branch_cannot_change_a_city_campaign_and_sees_only_its_countys_targets(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    analyst = acting(app_db, app_world, "analyst")
    today = utcnow().date()
    city = service.create_campaign(app_db, analyst, name="全市涉VOCs专项执法", starts_on=today, ends_on=today)
    service.add_targets(app_db, analyst, city, [app_world.enterprise_a.id, app_world.enterprise_b.id])
    county_b = plan(app_db, app_world, enterprise=app_world.enterprise_b, officers=("branch_b", "inspector"),
                    campaign=city)  # fmt: skip
    app_db.commit()
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    url = f"/inspections/campaigns/{city.id}"
    officers = [str(app_world.users[u].id) for u in ("branch_a", "inspector")]

    tried = [
        await client.post(f"{url}/targets", data={"csrf_token": csrf, "region": str(app_world.county_a.id)}),
        await client.post(f"{url}/targets/{app_world.enterprise_b.id}/remove", data={"csrf_token": csrf}),
        await client.post(f"{url}/targets/{app_world.enterprise_a.id}/remove", data={"csrf_token": csrf}),
        await client.post(f"{url}/plan", data={"csrf_token": csrf, "planned_on": "2026-12-10", "officers": officers}),
    ]
    page = await client.get(url)

    assert [r.status_code for r in tried] == [403] * 4
    assert "只有该单位可以修改" in tried[0].text
    reread(app_db)
    targets = app_db.scalars(select(CampaignTarget.enterprise_id).where(CampaignTarget.campaign_id == city.id))
    assert sorted(targets) == sorted([app_world.enterprise_a.id, app_world.enterprise_b.id])
    assert app_db.scalar(select(func.count()).select_from(Inspection)) == 1
    shown = [r.attrs["data-target"] for r in parse(page.text).find_all("tr") if "data-target" in r.attrs]
    assert shown == [str(app_world.enterprise_a.id)]
    assert county_b.number not in page.text and app_world.enterprise_b.name not in page.text
    assert f"{url}/plan" not in page.text  # no organiser's forms on a campaign the branch may not change


async def test_an_inspection_is_planned_by_hand(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    officers = [str(app_world.users[u].id) for u in ("branch_a", "inspector")]
    form = {"csrf_token": csrf, "credit_code": app_world.enterprise_a.credit_code, "planned_on": "2026-12-09",
            "kind": "complaint", "on_site": "yes", "officers": officers}  # fmt: skip

    made = await client.post("/inspections/new", data=form)
    other_county = await client.post(
        "/inspections/new", data={**form, "credit_code": app_world.enterprise_b.credit_code}
    )

    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert app_world.enterprise_a.name in page.text and "信访举报核查" in page.text
    assert other_county.status_code == 422 and "该企业不在您的辖区内。" in other_county.text


async def test_a_violation_found_is_proposed_as_a_penalty_case_from_its_inspection(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    inspection = await complete(app_db, app_world, client, app_settings, violation=True)
    open_session(app_db, client, "branch_a")

    page = await client.get(f"/inspections/{inspection.id}")
    link = parse(page.text).find("section", id="to-penalty")
    assert link is not None and f"/penalties/new?inspection={inspection.id}" in str(link)
    answer = await client.get(f"/penalties/new?inspection={inspection.id}")
    form = parse(answer.text)
    facts = form.find("textarea", name="facts")
    assert facts is not None and FINDING in facts.text
    chosen = [o.attrs["value"] for o in form.find_all("option") if "selected" in o.attrs and o.attrs["value"]]
    assert str(app_world.enterprise_a.id) in chosen
    officers = {i.attrs["value"] for i in form.find_all("input", name="officer") if "checked" in i.attrs}
    assert officers == {str(app_world.users["branch_a"].id), str(app_world.users["inspector"].id)}
    discovered = form.find("input", name="discovered_on")
    assert discovered is not None  # the day the inspection was completed

    csrf = await csrf_for(client)
    officers_sent = [str(app_world.users["branch_a"].id), str(app_world.users["inspector"].id)]
    fields = {"csrf_token": csrf, "inspection": str(inspection.id), "enterprise": str(app_world.enterprise_a.id),
              "discovered_on": discovered.attrs["value"], "facts": FINDING, "violation": "AIR-EXCEED",
              "officer": officers_sent}  # fmt: skip
    made = await client.post("/penalties/new", data=fields)
    assert made.status_code == 303, made.text
    case_page = await client.get(made.headers["location"])
    assert f'href="/inspections/{inspection.id}"' in case_page.text
    # The inspection of one enterprise cannot found a case against another of the branch's enterprises.
    other = next(o.attrs["value"] for o in form.find_all("option") if o.attrs.get("value") not in ("", chosen[0]))
    refused = await client.post("/penalties/new", data={**fields, "enterprise": other})
    assert refused.status_code == 422 and "该检查不在您的范围内" in refused.text
