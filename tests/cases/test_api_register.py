"""Cases by API (issue 18 part 7): `POST /api/v1/cases` registers a case with the registration form's checks, as
the API token's user, and answers the case as `GET /api/v1/cases/{id}` does."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.models import Case, CaseEvent
from ecoloop.db.base import utcnow
from ecoloop.identity.service import create_api_token
from tests.factories import World


def bearer(db: Session, world: World, username: str) -> dict[str, str]:
    _token, raw = create_api_token(db, world.users[username], "machine", utcnow())
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


def body(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "title": "东王庄村生活污水直排入河",
        "source": "inspection",
        "category": "water",
        "region_id": world.village_a.id,
        "description": "排口位于桥下",
        "enterprise_id": world.enterprise_a.id,
        "deadline": "2027-01-15",
        "external_ref": "XJ-001",
        **changes,
    }


async def test_a_case_registered_by_api_is_answered_as_the_api_shows_it(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    headers = bearer(app_db, app_world, "analyst")

    created = await client.post("/api/v1/cases", json=body(app_world), headers=headers)

    assert created.status_code == 201
    shown = await client.get(f"/api/v1/cases/{created.json()['id']}", headers=headers)
    assert created.json() == shown.json()
    case = app_db.scalars(select(Case).where(Case.id == created.json()["id"])).one()
    assert (case.title, case.region_id, case.enterprise_id, case.external_ref) == (
        "东王庄村生活污水直排入河",
        app_world.village_a.id,
        app_world.enterprise_a.id,
        "XJ-001",
    )
    assert case.registered_by_id == app_world.users["analyst"].id
    assert [e["kind"] for e in created.json()["timeline"]] == ["registered"]
    assert app_db.scalars(select(CaseEvent.actor_user_id).where(CaseEvent.case_id == case.id)).all() == [
        app_world.users["analyst"].id
    ]


async def test_a_role_that_does_not_register_cases_is_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    headers = bearer(app_db, app_world, "department")

    response = await client.post("/api/v1/cases", json=body(app_world), headers=headers)

    assert response.status_code == 403
    assert app_db.scalar(select(Case.id)) is None


async def test_the_registration_checks_answer_422_with_their_reason_code(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    headers = bearer(app_db, app_world, "branch_a")
    refused = {
        "region_unknown": body(app_world, region_id=app_world.village_b.id),  # the other county
        "enterprise_unknown": body(app_world, enterprise_id=app_world.enterprise_b.id),
        "title_missing": body(app_world, title="   "),
    }

    answers = {code: await client.post("/api/v1/cases", json=sent, headers=headers) for code, sent in refused.items()}

    for code, response in answers.items():
        assert (response.status_code, response.json()["code"]) == (422, code)
        assert response.json()["detail"]
    assert app_db.scalar(select(Case.id)) is None


async def test_a_malformed_case_is_refused_before_the_service(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    headers = bearer(app_db, app_world, "analyst")

    unknown_field = await client.post("/api/v1/cases", json=body(app_world, state="closed"), headers=headers)
    bad_source = await client.post("/api/v1/cases", json=body(app_world, source="rumour"), headers=headers)

    assert (unknown_field.status_code, bad_source.status_code) == (422, 422)
    assert app_db.scalar(select(Case.id)) is None


async def test_without_a_token_nothing_is_registered(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    response = await client.post("/api/v1/cases", json=body(app_world))

    assert response.status_code == 401
    assert app_db.scalar(select(Case.id)) is None
