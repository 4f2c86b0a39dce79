"""The supervisor's steps over HTTP (issue 13 point 7): only the roles docs/access.md grants `supervise_cases`
(administrator, leader, analyst, branch) take them; the hotline, inspectors, departments and enterprises are
refused with 403 and the case is unchanged, on the pages and the API alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import Case, Milestone
from ecoloop.cases.service import Acting, act, register_case
from ecoloop.cases.workflow import TRANSITIONS, Action, Party, State, supervisor_step
from ecoloop.db.base import utcnow
from tests.factories import World
from tests.web.helpers import csrf_for, open_session, reread

SUPERVISORS = ("admin", "leader", "analyst", "branch_a")
OTHERS = ("hotline", "inspector", "department", "enterprise_a")


def acting(db: Session, world: World, who: str) -> Acting:
    return Acting(world.users[who], world.principal(db, who))


def case_in(db: Session, world: World, state: State, *, long_term: bool = False, title: str = "湖滨街道异味") -> Case:
    """A case of county A about enterprise A, assigned to the department (which every test role can see, each
    by its own rule) and walked by the analyst and the department to `state`; committed."""
    now = utcnow()
    set_actor(db, Actor(label="test"))
    case = register_case(
        db,
        acting(db, world, "analyst"),
        source=CaseSource.COMPLAINT,
        category=Category.AIR,
        title=title,
        region=world.village_a,
        enterprise_id=world.enterprise_a.id,
        now=now,
        long_term=long_term,
    )
    walk = {
        State.ASSIGNED: [("analyst", Action.ASSIGN)],
        State.REPORTED: [("analyst", Action.ASSIGN), ("department", Action.ACCEPT), ("department", Action.REPORT)],
        State.VERIFYING: [
            ("analyst", Action.ASSIGN),
            ("department", Action.ACCEPT),
            ("department", Action.REPORT),
            ("analyst", Action.START_VERIFICATION),
        ],
        State.CLOSED: [
            ("analyst", Action.ASSIGN),
            ("department", Action.ACCEPT),
            ("department", Action.REPORT),
            ("analyst", Action.START_VERIFICATION),
            ("analyst", Action.PASS),
        ],
    }.get(state, [])
    for who, step in walk:
        act(db, case, acting(db, world, who), step, seen_version=case.version, now=now, unit=world.department,
            deadline=now.date() + timedelta(days=30))  # fmt: skip
    if state is State.REGISTERED:  # still visible to the department: it helps with the case
        from ecoloop.cases.models import CaseUnit

        case.co_units.append(CaseUnit(organisation_id=world.department.id))
    db.commit()
    assert case.state is state
    return case


@dataclass(frozen=True)
class Step:
    """A supervisor's step: the state it starts from, the form's path and fields, and how to tell it was taken."""

    start: State
    path: str
    form: Callable[[Case, World], dict[str, Any]]
    taken: Callable[[Case, dict[str, Any]], bool]
    long_term: bool = False


def _action(action: Action, **extra: Any) -> Callable[[Case, World], dict[str, Any]]:
    return lambda case, world: {"action": action.value, "version": str(case.version), **extra}


def _assign(case: Case, world: World) -> dict[str, Any]:
    later = (date.today() + timedelta(days=20)).isoformat()  # noqa: DTZ011  # a local day, as the form sends it
    unit = world.branch_a  # a unit every supervisor of county A may assign to
    return {"action": "assign", "version": str(case.version), "unit_id": str(unit.id), "deadline": later}


def _state(state: State) -> Callable[[Case, dict[str, Any]], bool]:
    return lambda case, form: case.state is state


def _milestone_years(case: Case) -> list[int]:
    db = object_session(case)
    assert db is not None
    return list(db.scalars(select(Milestone.year).where(Milestone.case_id == case.id)))


STEPS: dict[str, Step] = {
    "assign": Step(State.REGISTERED, "actions", _assign, _state(State.ASSIGNED)),
    "start_verification": Step(State.REPORTED, "actions", _action(Action.START_VERIFICATION), _state(State.VERIFYING)),
    "pass": Step(State.VERIFYING, "actions", _action(Action.PASS), _state(State.CLOSED)),
    "fail": Step(State.VERIFYING, "actions", _action(Action.FAIL, reason="整改不到位"), _state(State.RECTIFYING)),
    "reopen": Step(State.CLOSED, "actions", _action(Action.REOPEN, reason="问题反弹"), _state(State.RECTIFYING)),
    "merge": Step(State.REGISTERED, "actions", _action(Action.MERGE, reason="重复"), _state(State.MERGED)),
    "extend": Step(
        State.ASSIGNED,
        "deadline",
        lambda case, world: {
            "version": str(case.version),
            "deadline": (case.deadline + timedelta(days=10)).isoformat(),  # type: ignore[operator]
            "reason": "汛期施工受限",
        },
        lambda case, form: case.deadline == date.fromisoformat(form["deadline"]),
    ),
    "milestone": Step(
        State.ASSIGNED,
        "milestones",
        lambda case, world: {"year": "2030", "target": "完成截污纳管", "due": "2030-12-31"},
        lambda case, form: _milestone_years(case) == [2030],
        long_term=True,
    ),
}


def test_every_supervisor_step_of_the_workflow_is_tested() -> None:
    workflow = {t.action.value for t in TRANSITIONS if supervisor_step(t.action)}
    assert workflow == {name for name, step in STEPS.items() if step.path == "actions"}
    assert {t.action for t in TRANSITIONS if t.parties == frozenset({Party.SUPERVISOR})} == {
        Action(a) for a in workflow
    }


@pytest.mark.parametrize("supervisor", SUPERVISORS)
@pytest.mark.parametrize("name", list(STEPS))
async def test_only_supervisors_take_the_supervisor_steps(
    client: httpx.AsyncClient, app_db: Session, app_world: World, name: str, supervisor: str
) -> None:
    step = STEPS[name]
    case = case_in(app_db, app_world, step.start, long_term=step.long_term)
    before = (case.state, case.version, case.deadline)
    form = step.form(case, app_world)
    if name == "merge":
        form["merge_into"] = case_in(app_db, app_world, State.REGISTERED, title="重复件").number

    for role in OTHERS:
        open_session(app_db, client, role)
        csrf = await csrf_for(client)
        refused = await client.post(f"/cases/{case.id}/{step.path}", data={**form, "csrf_token": csrf})
        assert refused.status_code == 403, (role, name, refused.status_code)
        assert "您的角色无权执行此操作。" in refused.text, (role, name)
        reread(app_db)
        again = app_db.get(Case, case.id)
        assert again is not None and (again.state, again.version, again.deadline) == before, role

    open_session(app_db, client, supervisor)
    csrf = await csrf_for(client)
    taken = await client.post(f"/cases/{case.id}/{step.path}", data={**form, "csrf_token": csrf})
    assert taken.status_code == 303, (supervisor, name, taken.text[-2000:])
    reread(app_db)
    after = app_db.get(Case, case.id)
    assert after is not None and step.taken(after, form)


@pytest.mark.parametrize("role", OTHERS)
async def test_the_api_refuses_a_supervisor_step_to_other_roles(
    client: httpx.AsyncClient, app_db: Session, app_world: World, role: str
) -> None:
    case = case_in(app_db, app_world, State.VERIFYING)
    url, body = f"/api/v1/cases/{case.id}/actions", {"action": "pass", "version": case.version}
    open_session(app_db, client, role)

    refused = await client.post(url, json=body, headers={"X-CSRF-Token": await csrf_for(client)})

    assert refused.status_code == 403
    assert refused.json()["detail"] == "您的角色无权执行此操作。"
    reread(app_db)
    assert app_db.get(Case, case.id).state is State.VERIFYING  # type: ignore[union-attr]
    open_session(app_db, client, "branch_a")
    taken = await client.post(url, json=body, headers={"X-CSRF-Token": await csrf_for(client)})
    assert taken.status_code == 200 and taken.json()["state"] == "closed"


async def test_the_hotline_still_registers_follows_and_comments(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    case = case_in(app_db, app_world, State.REGISTERED)
    open_session(app_db, client, "hotline")
    csrf = await csrf_for(client)

    page = await client.get(f"/cases/{case.id}")
    commented = await client.post(f"/cases/{case.id}/comments", data={"csrf_token": csrf, "text": "来电人再次反映"})

    assert page.status_code == 200 and 'value="assign"' not in page.text
    assert commented.status_code == 303
