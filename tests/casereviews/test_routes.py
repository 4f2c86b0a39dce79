"""The review pages as each role uses them: a round created from its form, a reviewer's sheet (and a refused one),
the file returned to its unit with the points named, the unit's correction, the reviewer's acceptance; who may open
a file; the standard's versions; the summary and its workbook with hostile names kept as text."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.casereviews import rules, service
from ecoloop.casereviews.enums import FileStatus
from ecoloop.casereviews.models import ReviewFile, ReviewRound, ReviewStandard
from tests.casereviews.conftest import Review, penalty_case, review_people
from tests.factories import World
from tests.test_exports import PAYLOADS, assert_text_kept
from tests.web.helpers import Element, csrf_for, form_for, open_session, parse, reread


@pytest.fixture
def people(app_db: Session, app_world: World) -> Review:
    review = review_people(app_db, app_world)
    app_db.commit()
    return review


async def post(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    return await client.post(url, data={"csrf_token": await csrf_for(client), **data})


async def create_round(client: httpx.AsyncClient, app_db: Session, **fields: str) -> ReviewRound:
    form = {"name": "2026年度行政处罚案卷评查", "year": "2026", "period_from": "2026-01-01", "period_to": "2026-12-31"}
    created = await post(client, "/case-reviews/rounds", form | {"basis": "closed", "reviewers_per_file": "2"} | fields)
    assert created.status_code == 303, created.text
    reread(app_db)
    round_ = app_db.get(ReviewRound, int(created.headers["location"].rsplit("/", 1)[1]))
    assert round_ is not None
    return round_


def file_links(html: str, section: str) -> list[str]:
    found = parse(html).find(id=section)
    assert found is not None, section
    links = [a.attrs.get("href", "") for a in found.find_all("a")]
    return [href for href in links if href.startswith("/case-reviews/files/")]


def having(tree: Element, attribute: str) -> list[Element]:
    """The elements of `tree` that carry `attribute`."""
    return [e for e in tree.iter() if attribute in e.attrs]


async def test_a_file_from_the_round_s_form_to_its_accepted_correction(
    client: httpx.AsyncClient, app_db: Session, app_world: World, people: Review
) -> None:
    w = app_world
    case_a = penalty_case(app_db, w, w.branch_a, [people.officer_a])
    penalty_case(app_db, w, w.branch_b, [people.officer_b])
    app_db.commit()
    open_session(app_db, client, "analyst")
    assert (await client.get("/case-reviews/rounds/new")).status_code == 200
    round_ = await create_round(client, app_db)
    page = await client.get(f"/case-reviews/rounds/{round_.id}")
    assert len(having(parse(page.text), "data-file")) == 2
    file = app_db.scalars(select(ReviewFile).filter_by(round_id=round_.id, penalty_case_id=case_a.id)).one()
    address = f"/case-reviews/files/{file.id}"

    open_session(app_db, client, "leader")
    assert address in file_links((await client.get("/case-reviews")).text, "to-score")
    form = form_for((await client.get(address)).text, f"{address}/sheet")
    assert {"d:procedure.hearing", "r:procedure.hearing", "vr:subject"} <= set(form.fields())
    assert {e.attrs["name"] for e in form.find_all("input", type="checkbox")} == {
        "v:subject",
        "v:facts",
        "v:law",
        "v:procedure",
    }
    refused = await post(client, f"{address}/sheet", {"d:law.basis": "7", "r:law.basis": "依据错误"})
    assert refused.status_code == 422
    assert "最高扣分" in parse(refused.text).find(class_="alert").text
    kept = form_for(refused.text, f"{address}/sheet").fields()
    assert kept["d:law.basis"] == "7" and kept["r:law.basis"] == "依据错误"  # what was typed stays
    sent = await post(
        client,
        f"{address}/sheet",
        {"d:law.basis": "2", "r:law.basis": "依据不全", "v:subject": "1", "vr:subject": "无执法证"},
    )
    assert sent.status_code == 303
    open_session(app_db, client, "analyst")
    assert (await post(client, f"{address}/sheet", {})).status_code == 303
    reread(app_db)
    file = app_db.get_one(ReviewFile, file.id)
    assert (file.status, file.score, file.vetoed) == (FileStatus.RETURNED, Decimal(99), True)

    open_session(app_db, client, "branch_a")
    home = await client.get("/case-reviews")
    assert file_links(home.text, "returned") == [address]
    assert parse(home.text).find(id="to-score") is None  # a unit reviews nothing
    page = parse((await client.get(address)).text)
    named = page.find(id="points-named")
    assert named is not None
    assert {li.attrs["data-point"] for li in having(named, "data-point")} == {"subject", "law.basis"}
    assert "无执法证" in named.text and "依据不全" in named.text
    open_session(app_db, client, "branch_b")
    assert (await client.get(address)).status_code == 404
    assert (await post(client, f"{address}/correction", {"correction": "x"})).status_code == 404
    open_session(app_db, client, "branch_a")
    assert (await post(client, f"{address}/correction", {"correction": "已补正执法证"})).status_code == 303

    open_session(app_db, client, "leader")
    assert file_links((await client.get("/case-reviews")).text, "to-judge") == [address]
    assert (await post(client, f"{address}/judgement", {"decision": "accept", "note": ""})).status_code == 303
    reread(app_db)
    assert app_db.get_one(ReviewFile, file.id).status is FileStatus.CORRECTED


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("admin", 200),
        ("leader", 200),
        ("analyst", 200),
        ("branch_a", 200),  # its own unit's file
        ("officer_a", 200),
        ("branch_b", 404),
        ("inspector", 404),  # an officer of the bureau, not of the file's unit
        ("hotline", 403),
        ("department", 403),
        ("enterprise_a", 403),
    ],
)
async def test_who_opens_a_file(
    client: httpx.AsyncClient, app_db: Session, app_world: World, people: Review, username: str, status: int
) -> None:
    w = app_world
    penalty_case(app_db, w, w.branch_a, [people.officer_a])
    app_db.commit()
    open_session(app_db, client, "analyst")
    round_ = await create_round(client, app_db)
    file = app_db.scalars(select(ReviewFile).filter_by(round_id=round_.id)).one()
    open_session(app_db, client, username)
    assert (await client.get(f"/case-reviews/files/{file.id}")).status_code == status
    expected_round = 403 if status == 403 else 200
    assert (await client.get(f"/case-reviews/rounds/{round_.id}")).status_code == expected_round


async def test_the_standard_is_kept_by_version(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/case-reviews/standard")
    fields = form_for(page.text, "/case-reviews/standard").fields()
    text = rules.as_text(service.default_standard())  # the built-in standard in the bureau's language
    assert text.splitlines()[0] == "[filing] 立案 = 10"
    assert fields["text"].split() == text.split()  # (the test parser joins a textarea's lines)
    fields["text"] = text
    broken = await post(client, "/case-reviews/standard", fields | {"text": fields["text"] + "\n不是一行"})
    assert broken.status_code == 422
    line = len(fields["text"].splitlines()) + 1
    assert f"第 {line} 行" in parse(broken.text).find(class_="alert").text
    saved = await post(client, "/case-reviews/standard", fields | {"pass_mark": "80"})
    assert saved.status_code == 303
    reread(app_db)
    versions = app_db.scalars(select(ReviewStandard).order_by(ReviewStandard.version)).all()
    assert [(v.version, v.parameters["pass_mark"]) for v in versions] == [(1, "80")]
    open_session(app_db, client, "branch_a")
    assert (await client.get("/case-reviews/standard")).status_code == 403


@pytest.mark.parametrize("payload", PAYLOADS[:2])
async def test_the_summary_and_its_workbook(
    client: httpx.AsyncClient, app_db: Session, app_world: World, people: Review, payload: str
) -> None:
    w = app_world
    people.officer_a.display_name = payload
    app_db.add(people.officer_a)
    penalty_case(app_db, w, w.branch_a, [people.officer_a])
    app_db.commit()
    open_session(app_db, client, "analyst")
    round_ = await create_round(client, app_db)
    file = app_db.scalars(select(ReviewFile).filter_by(round_id=round_.id)).one()
    for username in ("leader", "analyst"):
        open_session(app_db, client, username)
        sent = await post(client, f"/case-reviews/files/{file.id}/sheet", {"d:law.basis": "3", "r:law.basis": payload})
        assert sent.status_code == 303
    open_session(app_db, client, "branch_a")
    page = parse((await client.get("/case-reviews/summary?year=2026")).text)
    assert page.find(data_figure="files").text == "1"
    assert page.find(data_figure="mean").text == "97.0"
    assert page.find(data_figure="excellent").text == "1"
    workbook = await client.get("/case-reviews/summary.xlsx?year=2026")
    assert workbook.status_code == 200
    assert_text_kept(workbook.content, payload, 1)  # the officer's name, as text
    book = load_workbook(io.BytesIO(workbook.content))
    assert [s.title for s in book.worksheets] == ["各单位得分", "各承办人员得分", "常见扣分项"]
    assert [c.value for c in book.worksheets[0][2]][:3] == ["清源区分局", 1, 97.0]
    # Without a year: the newest year with a round (up to this one), here the round's 2026 while it runs.
    default = parse((await client.get("/case-reviews/summary")).text)
    assert default.find(data_figure="files").text == "1"
