"""Case pages and API over HTTP: the board with its counts and filters, who sees which case, the whole loop through
the page's forms, stale versions and refused steps, attachments, 督办单 downloads, batch import, ledgers, my tasks,
the API's 409/422, CSRF and registration by the hotline."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from docx import Document
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ecoloop.cases.batches import COLUMNS, example_workbook
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Attachment, Case, CaseEvent, SupervisionBatch
from ecoloop.cases.service import (
    MAX_ATTACHMENT_BYTES,
    Acting,
    act,
    add_attachment,
    add_milestone,
    register_case,
)
from ecoloop.cases.workflow import Action, State
from ecoloop.db.base import utcnow
from ecoloop.regions.models import Region
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import Element, csrf_for, open_client, open_session, page_title, parse, reread

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STALE = "在您操作期间，其他人已修改了此案件。请刷新页面后重试。"
NOT_YOURS = "此案件的这一步不由您办理。"
FORBIDDEN_TEXT = "您的角色无权执行此操作。"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def today() -> Any:
    return utcnow().date()


def acting(db: Session, world: World, who: str) -> Acting:
    return Acting(world.users[who], world.principal(db, who))


def new_case(db: Session, world: World, title: str = "东王庄村生活污水直排入河", **overrides: Any) -> Case:
    """A case registered by the analyst (in county B, about enterprise B, unless overridden), committed."""
    fields: dict[str, Any] = {
        "source": CaseSource.COMPLAINT,
        "category": Category.WATER,
        "title": title,
        "region": world.village_b,
        "enterprise_id": world.enterprise_b.id,
        "now": utcnow(),
    }
    case = register_case(db, acting(db, world, "analyst"), **(fields | overrides))
    db.commit()
    return case


def assign(db: Session, world: World, case: Case, unit: Any = None) -> Case:
    act(
        db,
        case,
        acting(db, world, "analyst"),
        Action.ASSIGN,
        seen_version=case.version,
        now=utcnow(),
        unit=unit or world.department,
        deadline=today() + timedelta(days=30),
    )
    db.commit()
    return case


def step_form(html: str, action: str) -> Element:
    """The form of the case page that takes `action`."""
    form = parse(html).find("form", data_action=action)
    assert form is not None, f"no form for {action}"
    return form


def step_fields(html: str, action: str, **values: str) -> dict[str, str]:
    """What the form of `action` submits with `values` filled in (no co-units chosen unless given)."""
    fields = step_form(html, action).fields()
    fields.pop("co_unit_ids", None)
    return fields | values


def offered_steps(html: str) -> list[str]:
    return [f.attrs["data-action"] for f in parse(html).find_all("form", class_="step")]


def alert_text(html: str) -> str:
    return " ".join(a.text for a in parse(html).find_all(role="alert"))


def state_of(db: Session, case_id: int) -> tuple[State, int]:
    reread(db)
    case = db.get(Case, case_id)
    assert case is not None
    return case.state, case.version


def board_numbers(html: str) -> set[str]:
    return {row.find("code").text for row in parse(html).find_all("tr") if "data-case" in row.attrs}  # type: ignore[union-attr]


def tab_counts(html: str) -> dict[str, int]:
    tabs = parse(html).find("nav", class_="tabs")
    assert tabs is not None
    return {a.attrs["data-state"]: int(a.find(class_="count").text) for a in tabs.find_all("a")}  # type: ignore[union-attr]


def count(db: Session, model: type[Any]) -> int:
    reread(db)
    return db.scalar(select(func.count()).select_from(model)) or 0


# --- the board -------------------------------------------------------------------------------------------------


async def test_board_counts_cases_per_state_and_filters(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    water = new_case(app_db, app_world)
    air = new_case(app_db, app_world, "湖滨街道餐饮油烟扰民", region=app_world.town_a, category=Category.AIR)
    assigned = assign(app_db, app_world, new_case(app_db, app_world, "柳林镇建筑垃圾随意倾倒"))
    open_session(app_db, client, "analyst")

    page = await client.get("/cases")

    assert page.status_code == 200
    assert "案件" in page_title(page.text)
    counts = tab_counts(page.text)
    assert (counts[""], counts["registered"], counts["assigned"], counts["closed"]) == (3, 2, 1, 0)
    assert board_numbers(page.text) == {water.number, air.number, assigned.number}
    registered = await client.get("/cases", params={"state": "registered"})
    assert board_numbers(registered.text) == {water.number, air.number}
    assert tab_counts(registered.text)["assigned"] == 1, "the tabs count every state under the other filters"
    county_a = await client.get("/cases", params={"region": "371802"})
    assert board_numbers(county_a.text) == {air.number}
    assert tab_counts(county_a.text)[""] == 1
    by_text = await client.get("/cases", params={"q": "垃圾"})
    assert board_numbers(by_text.text) == {assigned.number}
    by_unit = await client.get("/cases", params={"unit": str(app_world.department.id), "category": "water"})
    assert board_numbers(by_unit.text) == {assigned.number}
    fragment = await client.get("/cases", params={"q": "油烟"}, headers={"HX-Request": "true"})
    assert parse(fragment.text).find("html") is None
    assert board_numbers(fragment.text) == {air.number}


async def test_board_marks_overdue_cases_and_filters_them(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    late = assign(app_db, app_world, new_case(app_db, app_world))
    new_case(app_db, app_world, "另一件")
    late.overdue = True
    app_db.commit()
    open_session(app_db, client, "analyst")

    page = await client.get("/cases", params={"overdue": "1"})

    assert board_numbers(page.text) == {late.number}
    row = parse(page.text).find("tr", data_case=str(late.id))
    assert row is not None and row.find("span", class_="overdue") is not None


async def test_department_sees_only_its_cases(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    mine = assign(app_db, app_world, new_case(app_db, app_world))
    other = new_case(app_db, app_world, "别人的案件")
    open_session(app_db, client, "department")

    board = await client.get("/cases")
    foreign = await client.get(f"/cases/{other.id}")
    api = await client.get("/api/v1/cases")

    assert board_numbers(board.text) == {mine.number}
    assert tab_counts(board.text)[""] == 1
    assert foreign.status_code == 404
    assert (await client.get(f"/api/v1/cases/{other.id}")).status_code == 404
    assert [c["number"] for c in api.json()] == [mine.number]
    assert (await client.get(f"/cases/{mine.id}")).status_code == 200
    assert parse(board.text).find("form", action="/cases", method="post") is None, "a department registers no cases"


async def test_enterprise_sees_only_its_own_cases(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    own = new_case(
        app_db, app_world, "华能热电夜间冒黑烟", region=app_world.village_a, enterprise_id=app_world.enterprise_a.id
    )
    other = new_case(app_db, app_world)
    open_session(app_db, client, "enterprise_a")

    board = await client.get("/cases")

    assert board_numbers(board.text) == {own.number}
    assert (await client.get(f"/cases/{other.id}")).status_code == 404
    assert (await client.get(f"/cases/{own.id}")).status_code == 200


# --- the loop through the forms --------------------------------------------------------------------------------


async def test_the_whole_loop_through_the_forms(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, app_world: World
) -> None:
    case = new_case(app_db, app_world)
    url = f"/cases/{case.id}"
    deadline = (today() + timedelta(days=20)).isoformat()

    open_session(app_db, client, "analyst")
    page = await client.get(url)
    assert offered_steps(page.text) == ["assign", "merge"]
    form = step_form(page.text, "assign")
    assert {o.attrs["value"] for o in form.find_all("option")} >= {str(app_world.department.id)}
    values = step_fields(page.text, "assign", unit_id=str(app_world.department.id), deadline=deadline)
    assigned = await client.post(f"{url}/actions", data=values)
    assert (assigned.status_code, assigned.headers["location"]) == (303, f"{url}?done=actions#timeline")
    assert state_of(app_db, case.id)[0] is State.ASSIGNED

    async with open_client(app_settings, ip="10.7.7.7") as unit:
        open_session(app_db, unit, "department")
        tasks = await unit.get("/cases/mine")
        to_accept = parse(tasks.text).find("section", id="to_accept")
        assert to_accept is not None and case.number in to_accept.text
        page = await unit.get(url)
        assert offered_steps(page.text) == ["accept", "return"]
        accepted = await unit.post(f"{url}/actions", data=step_form(page.text, "accept").fields())
        assert accepted.status_code == 303
        page = await unit.get(url)
        assert offered_steps(page.text) == ["report"]
        values = step_form(page.text, "report").fields() | {"reason": "已铺设污水管网 2 公里"}
        reported = await unit.post(
            f"{url}/actions", data=values, files={"evidence": ("管网照片.png", PNG, "image/png")}
        )
        assert reported.status_code == 303
    assert state_of(app_db, case.id)[0] is State.REPORTED

    async with open_client(app_settings, ip="10.8.8.8") as branch:
        open_session(app_db, branch, "branch_b")  # the branch of the case's county supervises it
        tasks = await branch.get("/cases/mine")
        to_verify = parse(tasks.text).find("section", id="to_verify")
        assert to_verify is not None and case.number in to_verify.text
        page = await branch.get(url)
        started = await branch.post(f"{url}/actions", data=step_form(page.text, "start_verification").fields())
        assert started.status_code == 303
        page = await branch.get(url)
        assert offered_steps(page.text) == ["pass", "fail"]
        passed = await branch.post(f"{url}/actions", data=step_form(page.text, "pass").fields())
        assert passed.status_code == 303
        page = await branch.get(url)

    assert state_of(app_db, case.id)[0] is State.CLOSED
    timeline = parse(page.text).find("ol", class_="timeline")
    assert timeline is not None
    kinds = [li.attrs["data-event"] for li in timeline.find_all("li") if "data-event" in li.attrs]
    assert kinds == [
        "registered",
        "assigned",
        "accepted",
        "evidence_added",
        "reported",
        "verification_started",
        "passed",
    ]
    assigned_line = timeline.find("li", data_event="assigned")
    assert assigned_line is not None
    assert app_world.department.name in assigned_line.text and deadline in assigned_line.text
    assert "已登记 → 已交办待签收" in assigned_line.text
    link = timeline.find("a", download="")
    assert link is not None and link.text == "管网照片.png"
    download = await client.get(link.attrs["href"])
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert "filename*=utf-8''%E7%AE%A1%E7%BD%91%E7%85%A7%E7%89%87.png" in download.headers["content-disposition"]
    attachment = app_db.scalars(select(Attachment)).one()
    assert (app_settings.case_attachments_root / attachment.sha256[:2] / attachment.sha256).read_bytes() == PNG


async def test_a_stale_version_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = new_case(app_db, app_world)
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{case.id}")
    form = step_fields(page.text, "assign")
    # Meanwhile a colleague assigns the case to another unit.
    assign(app_db, app_world, case, unit=app_world.branch_b)
    before = state_of(app_db, case.id)

    response = await client.post(
        f"/cases/{case.id}/actions",
        data=form | {"unit_id": str(app_world.department.id), "deadline": (today() + timedelta(days=9)).isoformat()},
    )

    assert response.status_code == 409
    assert STALE in alert_text(response.text)
    assert state_of(app_db, case.id) == before
    reread(app_db)
    assert app_db.get(Case, case.id).lead_unit_id == app_world.branch_b.id  # type: ignore[union-attr]
    events = app_db.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert events == [EventKind.REGISTERED, EventKind.ASSIGNED]


async def test_a_step_not_offered_is_refused_with_the_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "department")
    csrf = await csrf_for(client)

    supervisors_only = await client.post(
        f"/cases/{case.id}/actions",
        data={"action": "merge", "version": str(case.version), "reason": "重复", "csrf_token": csrf},
    )
    wrong_state = await client.post(
        f"/cases/{case.id}/actions", data={"action": "report", "version": str(case.version), "csrf_token": csrf}
    )
    no_reason = await client.post(
        f"/cases/{case.id}/actions", data={"action": "return", "version": str(case.version), "csrf_token": csrf}
    )

    open_session(app_db, client, "analyst")  # a supervisor, not the unit
    not_theirs = await client.post(
        f"/cases/{case.id}/actions",
        data={"action": "accept", "version": str(case.version), "csrf_token": await csrf_for(client)},
    )

    assert supervisors_only.status_code == 403, "a supervisor's step: not the department's role (issue 13)"
    assert not_theirs.status_code == 422
    assert NOT_YOURS in alert_text(not_theirs.text)
    assert wrong_state.status_code == 422
    assert "案件当前状态不允许此操作。" in alert_text(wrong_state.text)
    assert no_reason.status_code == 422
    assert "请填写原因。" in alert_text(no_reason.text)
    assert state_of(app_db, case.id) == (State.ASSIGNED, case.version)


async def test_return_and_merge_by_case_number(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    first = new_case(app_db, app_world)
    duplicate = assign(app_db, app_world, new_case(app_db, app_world, "东王庄村污水（重复反映）"))
    open_session(app_db, client, "department")
    page = await client.get(f"/cases/{duplicate.id}")
    returned = await client.post(
        f"/cases/{duplicate.id}/actions", data=step_form(page.text, "return").fields() | {"reason": "不属本单位职责"}
    )
    assert returned.status_code == 303
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{duplicate.id}")
    form = step_form(page.text, "merge").fields() | {"reason": "重复反映"}

    unknown = await client.post(f"/cases/{duplicate.id}/actions", data=form | {"merge_into": "AJ1999-000001"})
    merged = await client.post(f"/cases/{duplicate.id}/actions", data=form | {"merge_into": first.number.lower()})

    assert unknown.status_code == 422
    assert "您的辖区内没有此编号的案件。" in alert_text(unknown.text)
    assert merged.status_code == 303
    page = await client.get(f"/cases/{duplicate.id}")
    assert parse(page.text).find("a", href=f"/cases/{first.id}") is not None
    assert state_of(app_db, duplicate.id)[0] is State.MERGED


# --- attachments, comments, deadlines, supervision --------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "status", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", 422, "仅接受以下文件"),
        ("photo.png", b"not really a png", 422, "文件内容与其扩展名表示的类型不符。"),
        ("empty.pdf", b"", 422, "文件为空。"),
        ("huge.txt", b"x" * (MAX_ATTACHMENT_BYTES + 1), 413, "文件超过 20 MB。"),
    ],
    ids=["type", "content", "empty", "size"],
)
async def test_a_bad_attachment_is_refused_at_the_form(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    filename: str,
    content: bytes,
    status: int,
    message: str,
) -> None:
    case = new_case(app_db, app_world)
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{case.id}")
    form = parse(page.text).find("form", action=f"/cases/{case.id}/attachments")
    assert form is not None

    response = await client.post(form.attrs["action"], data=form.fields(), files={"file": (filename, content)})

    assert response.status_code == status
    section = parse(response.text).find("details", id="attachment")
    assert section is not None and "open" in section.attrs
    assert message in alert_text(response.text)
    assert count(app_db, Attachment) == 0


async def test_unit_may_add_evidence_only_while_rectifying(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "department")
    page = await client.get(f"/cases/{case.id}")
    assert parse(page.text).find("form", action=f"/cases/{case.id}/attachments") is None
    csrf = await csrf_for(client)

    response = await client.post(
        f"/cases/{case.id}/attachments", data={"csrf_token": csrf}, files={"file": ("a.png", PNG, "image/png")}
    )

    assert response.status_code == 422
    assert "佐证材料须在整改期间上传。" in alert_text(response.text)


async def test_comment_and_deadline_extension(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{case.id}")
    comment = parse(page.text).find("form", action=f"/cases/{case.id}/comments")
    extension = parse(page.text).find("form", action=f"/cases/{case.id}/deadline")
    assert comment is not None and extension is not None
    later = (today() + timedelta(days=60)).isoformat()

    commented = await client.post(comment.attrs["action"], data=comment.fields() | {"text": "请尽快核实"})
    too_early = await client.post(
        extension.attrs["action"], data=extension.fields() | {"deadline": today().isoformat(), "reason": "汛期"}
    )
    extended = await client.post(
        extension.attrs["action"], data=extension.fields() | {"deadline": later, "reason": "汛期"}
    )

    assert commented.status_code == 303
    assert too_early.status_code == 422
    assert "新的办结时限须晚于当前时限。" in alert_text(too_early.text)
    assert extended.status_code == 303
    page = await client.get(f"/cases/{case.id}")
    deadline = parse(page.text).find("dd", data_field="deadline")
    assert deadline is not None and later in deadline.text
    kinds = [li.attrs["data-event"] for li in parse(page.text).find_all("li") if "data-event" in li.attrs]
    assert kinds[-2:] == ["commented", "deadline_extended"]


async def test_a_leader_issues_a_notice_that_downloads_as_docx(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "leader")
    page = await client.get(f"/cases/{case.id}")
    form = parse(page.text).find("form", action=f"/cases/{case.id}/supervise")
    assert form is not None

    issued = await client.post(form.attrs["action"], data=form.fields() | {"note": "限期 5 个工作日内报送进展"})

    assert issued.status_code == 303
    page = await client.get(f"/cases/{case.id}")
    link = parse(page.text).find("a", class_="notice-download")
    assert link is not None
    event = app_db.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.SUPERVISED)).one()
    assert link.attrs["href"] == f"/cases/{case.id}/notices/{event.id}.docx"
    notice = await client.get(link.attrs["href"])
    assert notice.status_code == 200
    assert notice.headers["content-type"] == DOCX
    number = event.data["notice"]
    assert f"filename*=UTF-8''{number}.docx" in notice.headers["content-disposition"]
    document = Document(io.BytesIO(notice.content))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert number in text and case.number in text and app_world.department.name in text
    assert app_world.bureau.name in text and "限期 5 个工作日内报送进展" in text
    assert (await client.get(f"/cases/{case.id}/notices/{event.id + 1000}.docx")).status_code == 404
    open_session(app_db, client, "department")
    assert (await client.get(link.attrs["href"])).status_code == 200, "the unit downloads the notice it received"


async def test_supervision_needs_a_leader(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{case.id}")
    csrf = await csrf_for(client)

    response = await client.post(f"/cases/{case.id}/supervise", data={"csrf_token": csrf})

    assert parse(page.text).find("form", action=f"/cases/{case.id}/supervise") is None
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in parse(response.text).text


async def test_a_leader_records_an_interview(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "leader")
    page = await client.get(f"/cases/{case.id}")
    form = parse(page.text).find("form", action=f"/cases/{case.id}/interviews")
    assert form is not None

    empty = await client.post(form.attrs["action"], data=form.fields() | {"note": " "})
    held = await client.post(form.attrs["action"], data=form.fields() | {"note": "约谈住建局分管领导"})

    assert empty.status_code == 422
    assert "请填写约谈情况。" in alert_text(empty.text)
    assert held.status_code == 303
    page = await client.get(f"/cases/{case.id}")
    line = parse(page.text).find("li", data_event="interviewed")
    assert line is not None and "约谈住建局分管领导" in line.text


# --- my tasks ----------------------------------------------------------------------------------------------------


async def test_my_tasks_of_an_enterprise_are_its_cases_under_rectification(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = new_case(
        app_db, app_world, "华能热电冒黑烟", region=app_world.village_a, enterprise_id=app_world.enterprise_a.id
    )
    assign(app_db, app_world, case)
    act(app_db, case, acting(app_db, app_world, "department"), Action.ACCEPT, seen_version=case.version, now=utcnow())
    app_db.commit()
    open_session(app_db, client, "enterprise_a")

    tasks = await client.get("/cases/mine")
    page = await client.get(f"/cases/{case.id}")
    form = parse(page.text).find("form", action=f"/cases/{case.id}/attachments")
    assert form is not None
    added = await client.post(form.attrs["action"], data=form.fields(), files={"file": ("整改后.png", PNG)})

    section = parse(tasks.text).find("section", id="evidence")
    assert section is not None and case.number in section.text
    assert offered_steps(page.text) == [], "the enterprise reports through the unit"
    assert added.status_code == 303


async def test_my_tasks_is_empty_when_nothing_waits(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "department")

    page = await client.get("/cases/mine")

    assert page.status_code == 200
    assert "暂无待办事项。" in parse(page.text).text


# --- registration ------------------------------------------------------------------------------------------------


async def test_the_hotline_registers_a_complaint(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "hotline")
    board = await client.get("/cases")
    form = parse(board.text).find("form", action="/cases", method="post")
    assert form is not None
    fields = form.fields()
    assert fields["source"] == "complaint"
    values = fields | {"title": "群众反映柳林镇某厂夜间异味", "region_id": str(app_world.town_b.id), "category": "air"}

    response = await client.post("/cases", data=values)

    assert response.status_code == 303
    reread(app_db)
    case = app_db.scalars(select(Case)).one()
    assert response.headers["location"] == f"/cases/{case.id}?done=registered"
    assert (case.source, case.category, case.region_id, case.state) == (
        CaseSource.COMPLAINT,
        Category.AIR,
        app_world.town_b.id,
        State.REGISTERED,
    )
    page = await client.get(response.headers["location"])
    assert "群众反映柳林镇某厂夜间异味" in page_title(page.text)


async def test_a_retired_region_is_not_offered_for_a_new_case(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    app_world.village_b.active = False
    app_db.commit()
    open_session(app_db, client, "analyst")
    form = parse((await client.get("/cases")).text).find("form", action="/cases", method="post")
    assert form is not None

    regions = {o.attrs["value"] for o in form.find("select", name="region_id").find_all("option")}  # type: ignore[union-attr]

    assert str(app_world.village_b.id) not in regions and str(app_world.village_a.id) in regions


async def test_registration_is_limited_to_the_users_area(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "branch_a")
    board = await client.get("/cases")
    form = parse(board.text).find("form", action="/cases", method="post")
    assert form is not None
    regions = {o.attrs["value"] for o in form.find("select", name="region_id").find_all("option")}  # type: ignore[union-attr]
    assert str(app_world.county_b.id) not in regions and str(app_world.town_a.id) in regions

    response = await client.post(
        "/cases", data=form.fields() | {"title": "越界", "region_id": str(app_world.town_b.id)}
    )
    untitled = await client.post("/cases", data=form.fields() | {"title": " "})

    assert response.status_code == 422
    assert "请选择本辖区内的行政区域。" in alert_text(response.text)
    assert untitled.status_code == 422 and "缺少标题。" in alert_text(untitled.text)
    assert count(app_db, Case) == 0
    open_session(app_db, client, "department")
    csrf = await csrf_for(client)
    response = await client.post("/cases", data=form.fields() | {"title": "x", "csrf_token": csrf})
    assert response.status_code == 403
    assert FORBIDDEN_TEXT in parse(response.text).text


async def test_forms_need_the_csrf_token(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    case = new_case(app_db, app_world)
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{case.id}")
    form = step_fields(page.text, "assign", unit_id=str(app_world.department.id))
    form["deadline"] = (today() + timedelta(days=5)).isoformat()
    del form["csrf_token"]

    response = await client.post(f"/cases/{case.id}/actions", data=form)
    api = await client.post(f"/api/v1/cases/{case.id}/actions", json={"action": "merge", "version": case.version})

    assert response.status_code == 403
    assert api.status_code == 403
    assert state_of(app_db, case.id) == (State.REGISTERED, case.version)


# --- batches -----------------------------------------------------------------------------------------------------


def broken_sheet() -> bytes:
    """The 交办 layout with one good row and one whose region and unit do not exist."""
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in COLUMNS])
    sheet.append(
        [1, "D1", "东王庄村生活污水直排入河。", "临河县柳林镇", "水", None, None, None, None, None, None, None]
    )
    sheet.append([2, "D2", "某地扬尘", "火星县", "大气", None, None, None, None, "不存在的局", None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BATCH_FORM = {
    "code": "ZY3-2026-01",
    "name": "中央第三生态环境保护督察组第一批交办问题",
    "source": "central_supervision",
    "document": "督察交办[2026]1号",
}


async def test_a_batch_with_a_broken_row_shows_every_problem_and_imports_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/cases/batches")
    form = parse(page.text).find("form", action="/cases/batches")
    assert form is not None

    response = await client.post(
        "/cases/batches", data=form.fields() | BATCH_FORM, files={"file": ("交办.xlsx", broken_sheet())}
    )

    assert response.status_code == 422
    table = parse(response.text).find("table", class_="row-errors")
    assert table is not None
    rows = [[td.text for td in tr.find_all("td")] for tr in table.find_all("tr") if tr.find("td")]
    assert ["3", "行政区域", "本辖区内没有名为“火星县”的行政区域。"] in rows
    assert ["3", "责任单位", "您的辖区内没有单位“不存在的局”。"] in rows
    assert "未导入任何数据" in alert_text(response.text)
    assert form_values(response.text)["code"] == BATCH_FORM["code"], "the form keeps what was entered"
    assert count(app_db, SupervisionBatch) == 0
    assert count(app_db, Case) == 0


def form_values(html: str) -> dict[str, str]:
    form = parse(html).find("form", action="/cases/batches")
    assert form is not None
    return form.fields()


async def test_a_good_batch_creates_its_cases(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    template = await client.get("/cases/batches/template.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).active.title == "交办问题"
    csrf = await csrf_for(client)

    response = await client.post(
        "/cases/batches",
        data=BATCH_FORM | {"csrf_token": csrf, "received_on": today().isoformat()},
        files={"file": ("交办.xlsx", example_workbook(today()))},
    )

    assert response.status_code == 303
    reread(app_db)
    batch = app_db.scalars(select(SupervisionBatch)).one()
    assert response.headers["location"] == f"/cases/batches/{batch.id}?imported=3"
    cases = app_db.scalars(select(Case).where(Case.batch_id == batch.id)).all()
    assert len(cases) == 3
    page = await client.get(response.headers["location"])
    assert "已导入 3 件案件。" in parse(page.text).text
    total = parse(page.text).find(data_figure="total")
    assert total is not None and total.find(class_="figure").text == "3"  # type: ignore[union-attr]
    listing = await client.get("/cases/batches")
    row = parse(listing.text).find("tr", data_batch=BATCH_FORM["code"])
    assert row is not None and "3 项，已完成 0" in row.text
    board = await client.get("/cases", params={"batch": str(batch.id)})
    assert tab_counts(board.text)[""] == 3


async def test_batches_are_for_the_bureau_and_branches(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "inspector")
    page = await client.get("/cases/batches")
    assert page.status_code == 200
    assert parse(page.text).find("form", action="/cases/batches") is None, "an inspector imports no batches"
    open_session(app_db, client, "department")
    assert (await client.get("/cases/batches")).status_code == 403


# --- ledgers -----------------------------------------------------------------------------------------------------


async def test_the_ledger_page_and_its_workbook(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    a = new_case(app_db, app_world, "湖滨街道油烟", region=app_world.town_a)
    b = assign(app_db, app_world, new_case(app_db, app_world))
    open_session(app_db, client, "analyst")

    page = await client.get("/cases/ledger", params={"region": "371800"})  # this year to today by default

    assert page.status_code == 200
    summary = parse(page.text).find("table", class_="ledger-summary")
    assert summary is not None
    figures = {
        tr.attrs["data-county"]: [td.text for td in tr.find_all("td")]
        for tr in summary.find_all("tr")
        if "data-county" in tr.attrs
    }
    assert figures["371802"][:5] == ["清源区", "1", "0", "0", "1"]
    assert figures["371821"][:5] == ["临河县", "1", "0", "0", "1"]
    assert figures["total"][:2] == ["2", "0"]
    assert parse(page.text).find("tr", data_case=str(a.id)) is not None
    link = parse(page.text).find("a", download="")
    assert link is not None
    workbook = await client.get(link.attrs["href"])
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["汇总", "清源区", "临河县"]
    county_b = [row for row in book["临河县"].iter_rows(min_row=3, values_only=True) if row[0]]
    assert [row[1] for row in county_b] == [b.number]
    assert book["汇总"]["C5"].value == 2


async def test_a_branch_ledger_is_its_county(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    new_case(app_db, app_world, "湖滨街道油烟", region=app_world.town_a)
    new_case(app_db, app_world)
    open_session(app_db, client, "branch_a")

    page = await client.get("/cases/ledger", params={"region": "371800"})  # the city is not the branch's to see

    summary = parse(page.text).find("table", class_="ledger-summary")
    assert summary is not None
    counties = [tr.attrs["data-county"] for tr in summary.find_all("tr") if "data-county" in tr.attrs]
    assert counties == ["371802", "total"]
    open_session(app_db, client, "hotline")
    assert (await client.get("/cases/ledger")).status_code == 403


# --- API ---------------------------------------------------------------------------------------------------------


async def test_api_lists_and_shows_cases_with_their_timeline(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    new_case(app_db, app_world, "其他", region=app_world.town_a, category=Category.AIR)
    open_session(app_db, client, "analyst")

    listed = await client.get("/api/v1/cases", params={"state": "assigned"})
    detail = await client.get(f"/api/v1/cases/{case.id}")

    assert [c["number"] for c in listed.json()] == [case.number]
    body = detail.json()
    assert (body["state"], body["lead_unit_id"], body["version"]) == ("assigned", app_world.department.id, case.version)
    assert [e["kind"] for e in body["timeline"]] == ["registered", "assigned"]
    assert body["timeline"][1]["data"]["unit_id"] == app_world.department.id
    assert body["actions"] == ["merge"]


async def test_api_step_answers_409_on_a_stale_version_and_422_on_an_illegal_one(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world))
    version = case.version
    open_session(app_db, client, "department")
    headers = {"X-CSRF-Token": await csrf_for(client)}
    url = f"/api/v1/cases/{case.id}/actions"

    stale = await client.post(url, json={"action": "accept", "version": version - 1}, headers=headers)
    forbidden = await client.post(url, json={"action": "merge", "version": version, "reason": "x"}, headers=headers)
    illegal = await client.post(url, json={"action": "report", "version": version}, headers=headers)
    accepted = await client.post(url, json={"action": "accept", "version": version}, headers=headers)
    again = await client.post(url, json={"action": "accept", "version": version}, headers=headers)

    assert stale.status_code == 409
    assert stale.json()["code"] == "concurrent_edit"
    assert forbidden.status_code == 403, "a supervisor's step: not the department's role (issue 13)"
    assert illegal.status_code == 422
    assert illegal.json()["code"] == "illegal_state"
    assert accepted.status_code == 200
    assert (accepted.json()["state"], accepted.json()["version"]) == ("rectifying", version + 1)
    assert again.status_code == 409, "the version the caller read is no longer current"
    assert state_of(app_db, case.id) == (State.RECTIFYING, version + 1)


async def test_api_assigns_with_unit_ids(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    case = new_case(app_db, app_world)
    open_session(app_db, client, "analyst")
    headers = {"X-CSRF-Token": await csrf_for(client)}
    body = {
        "action": "assign",
        "version": case.version,
        "unit_id": app_world.branch_b.id,
        "co_unit_ids": [app_world.department.id],
        "deadline": (today() + timedelta(days=10)).isoformat(),
    }

    unknown = await client.post(f"/api/v1/cases/{case.id}/actions", json=body | {"unit_id": 99999}, headers=headers)
    response = await client.post(f"/api/v1/cases/{case.id}/actions", json=body, headers=headers)

    assert (unknown.status_code, unknown.json()["code"]) == (422, "unit_unknown")
    assert response.status_code == 200
    assert (response.json()["lead_unit_id"], response.json()["co_unit_ids"]) == (
        app_world.branch_b.id,
        [app_world.department.id],
    )


async def test_region_filter_outside_the_area_finds_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    new_case(app_db, app_world)
    open_session(app_db, client, "branch_a")

    page = await client.get("/cases", params={"region": "371821"})
    api = await client.get("/api/v1/cases", params={"region": "371821"})

    assert board_numbers(page.text) == set()
    assert api.json() == []
    reread(app_db)
    assert app_db.scalar(select(Region.id).where(Region.code == "371821")) is not None


async def test_a_long_term_case_shows_its_yearly_targets(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = new_case(app_db, app_world, "清源河流域管网改造", long_term=True)
    year = today().year
    add_milestone(
        app_db, case, acting(app_db, app_world, "analyst"), year=year, target="完成 3 公里管网改造",
        due=today().replace(month=12, day=31), now=utcnow(),
    )  # fmt: skip
    app_db.commit()
    open_session(app_db, client, "analyst")

    page = await client.get(f"/cases/{case.id}")

    row = parse(page.text).find("tr", data_year=str(year))
    assert row is not None and "完成 3 公里管网改造" in row.text and "未开始" in row.text


async def test_yearly_targets_are_set_by_the_supervisor_and_reported_by_the_unit(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = assign(app_db, app_world, new_case(app_db, app_world, "清源河流域管网改造", long_term=True))
    year = today().year + 1
    open_session(app_db, client, "analyst")
    page = await client.get(f"/cases/{case.id}")
    form = parse(page.text).find("form", action=f"/cases/{case.id}/milestones")
    assert form is not None
    wrong_year = await client.post(
        form.attrs["action"],
        data=form.fields() | {"year": str(year), "target": "完成 5 公里", "due": f"{year - 1}-12-31"},
    )
    assert wrong_year.status_code == 422 and "完成期限须在该目标年度内。" in alert_text(wrong_year.text)
    added = await client.post(
        form.attrs["action"],
        data=form.fields() | {"year": str(year), "target": "完成 5 公里管网改造", "due": f"{year}-12-31"},
    )
    assert added.status_code == 303
    again = await client.post(
        form.attrs["action"], data=form.fields() | {"year": str(year), "target": "重复", "due": f"{year}-06-30"}
    )
    assert again.status_code == 422 and "该年度已有目标。" in alert_text(again.text)

    # the lead unit (a department) reports the target reached; the enterprise cannot
    open_session(app_db, client, "department")
    page = await client.get(f"/cases/{case.id}")
    assert parse(page.text).find("form", action=f"/cases/{case.id}/milestones") is None  # setting is the supervisor's
    done = parse(page.text).find("form", class_="milestone-done")
    assert done is not None
    reached = await client.post(done.attrs["action"], data=done.fields() | {"note": "已完工验收"})
    assert reached.status_code == 303
    page = await client.get(f"/cases/{case.id}")
    row = parse(page.text).find("tr", data_year=str(year))
    assert (
        row is not None and "已完工验收" in row.text and parse(page.text).find("form", class_="milestone-done") is None
    )


async def test_the_board_and_a_case_page_take_a_fixed_number_of_queries(
    app_settings: Settings, app_db: Session, app_world: World
) -> None:
    from ecoloop.app import create_app

    app = create_app(app_settings)
    statements: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))

    async def queries_of(path: str) -> int:
        statements.clear()
        assert (await http.get(path)).status_code == 200
        return len(statements)

    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            open_session(app_db, http, "analyst")
            first = assign(app_db, app_world, new_case(app_db, app_world))
            few = await queries_of("/cases")
            one_case = await queries_of(f"/cases/{first.id}")
            for n in range(6):
                assign(app_db, app_world, new_case(app_db, app_world, f"第 {n} 件"))
            add_attachment(
                app_db, first, acting(app_db, app_world, "analyst"), filename="a.png", content=PNG,
                storage=app_settings.case_attachments_root, now=utcnow(),
            )  # fmt: skip
            app_db.commit()
            many = await queries_of("/cases")
            same_case = await queries_of(f"/cases/{first.id}")
    finally:
        app.state.engine.dispose()

    assert many == few
    assert same_case == one_case
