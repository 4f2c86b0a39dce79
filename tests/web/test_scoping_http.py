"""Row scoping over HTTP: each role sees its own area in pages and the API, and hidden rows look absent."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import World
from tests.web.helpers import open_session, parse

FORBIDDEN = 403
ALL_ENTERPRISES = {"enterprise_a", "enterprise_a2", "enterprise_b"}
ALL_REGIONS = {"371800", "371802", "371821", "371802001000", "371821101000", "371802001001", "371821101201"}
COUNTY_A = {"371802", "371802001000", "371802001001"}
COUNTY_B = {"371821", "371821101000", "371821101201"}
ALL_ORGANISATIONS = {"bureau", "branch-371802", "branch-371821", "dept-housing"}

# user → enterprises they see, or 403 when their role may not view enterprises
ENTERPRISES: dict[str, set[str] | int] = {
    "admin": ALL_ENTERPRISES,
    "leader": ALL_ENTERPRISES,
    "analyst": ALL_ENTERPRISES,
    "inspector": ALL_ENTERPRISES,
    "hotline": FORBIDDEN,
    "branch_a": {"enterprise_a", "enterprise_a2"},
    "branch_b": {"enterprise_b"},
    "department": FORBIDDEN,
    "enterprise_a": {"enterprise_a"},
}

USERNAMES = sorted(ENTERPRISES)

# user → codes of the regions they see, or 403
REGIONS: dict[str, set[str] | int] = {
    "admin": ALL_REGIONS,
    "leader": ALL_REGIONS,
    "analyst": ALL_REGIONS,
    "inspector": ALL_REGIONS,
    "hotline": ALL_REGIONS,
    "branch_a": COUNTY_A,
    "branch_b": COUNTY_B,
    "department": ALL_REGIONS,
    "enterprise_a": FORBIDDEN,
}

# user → codes of the organisations they see, or 403
ORGANISATIONS: dict[str, set[str] | int] = {
    "admin": ALL_ORGANISATIONS,
    "leader": ALL_ORGANISATIONS,
    "analyst": ALL_ORGANISATIONS,
    "inspector": ALL_ORGANISATIONS,
    "hotline": FORBIDDEN,
    "branch_a": {"branch-371802"},
    "branch_b": {"branch-371821"},
    "department": {"dept-housing"},
    "enterprise_a": FORBIDDEN,
}

# user → may read the audit log
AUDIT = {
    "admin": True,
    "leader": True,
    "analyst": False,
    "inspector": False,
    "hotline": False,
    "branch_a": False,
    "branch_b": False,
    "department": False,
    "enterprise_a": False,
}


def enterprise_names(world: World, ids: set[int]) -> set[str]:
    by_id = {getattr(world, name).id: name for name in ALL_ENTERPRISES}
    return {by_id[i] for i in ids}


def linked_enterprise_ids(html: str) -> set[int]:
    """Ids of the enterprises the list page links to."""
    table = parse(html).find("table", class_="list")
    assert table is not None
    hrefs = [a.attrs["href"] for a in table.find_all("a")]
    return {int(h.removeprefix("/enterprises/")) for h in hrefs if h.startswith("/enterprises/")}


def missing_id(world: World) -> int:
    """An id no row has."""
    return max(e.id for e in (world.enterprise_a, world.enterprise_a2, world.enterprise_b)) + 1000


@pytest.fixture
async def branch_a(client: httpx.AsyncClient, app_db: Session, app_world: World) -> httpx.AsyncClient:
    """The client, signed in as the county A branch."""
    open_session(app_db, client, "branch_a")
    return client


# --- detail: outside the scope is "not found", exactly like a missing row ---------------------------------------


@pytest.mark.parametrize("path", ["/enterprises/{}", "/api/v1/enterprises/{}"])
async def test_enterprise_of_another_county_is_not_found_like_a_missing_one(
    branch_a: httpx.AsyncClient, app_world: World, path: str
) -> None:
    own = await branch_a.get(path.format(app_world.enterprise_a.id))
    hidden = await branch_a.get(path.format(app_world.enterprise_b.id))
    missing = await branch_a.get(path.format(missing_id(app_world)))

    assert own.status_code == 200
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.content == missing.content
    assert app_world.enterprise_b.name not in hidden.text


@pytest.mark.parametrize("kind", ["county", "village", "organisation", "user"])
async def test_other_rows_of_another_county_are_not_found_like_missing_ones(
    branch_a: httpx.AsyncClient, app_world: World, kind: str
) -> None:
    path, hidden, missing = {
        "county": ("/api/v1/regions/{}", app_world.county_b.code, "371899"),
        "village": ("/api/v1/regions/{}", app_world.village_b.code, "371899101201"),
        "organisation": ("/api/v1/organisations/{}", app_world.branch_b.id, 9999),
        "user": ("/api/v1/users/{}", app_world.users["branch_b"].id, 9999),
    }[kind]

    hidden_response = await branch_a.get(path.format(hidden))
    missing_response = await branch_a.get(path.format(missing))

    assert (hidden_response.status_code, missing_response.status_code) == (404, 404)
    assert hidden_response.content == missing_response.content


# --- lists ------------------------------------------------------------------------------------------------------


async def test_branch_lists_never_contain_the_other_county(branch_a: httpx.AsyncClient, app_world: World) -> None:
    enterprises = (await branch_a.get("/api/v1/enterprises")).json()
    regions = (await branch_a.get("/api/v1/regions")).json()
    organisations = (await branch_a.get("/api/v1/organisations")).json()
    users = (await branch_a.get("/api/v1/users")).json()
    page = await branch_a.get("/enterprises")

    assert enterprise_names(app_world, {e["id"] for e in enterprises}) == {"enterprise_a", "enterprise_a2"}
    assert {r["code"] for r in regions} == COUNTY_A
    assert not [r for r in regions if r["path"].startswith("371800.371821.")]
    assert [o["code"] for o in organisations] == ["branch-371802"]
    assert [u["username"] for u in users] == ["branch_a"]
    assert enterprise_names(app_world, linked_enterprise_ids(page.text)) == {"enterprise_a", "enterprise_a2"}
    assert app_world.enterprise_b.name not in parse(page.text).text


@pytest.mark.parametrize("query", [{"parent": "371821"}, {"parent": "371800"}, {"level": "county"}])
async def test_branch_cannot_list_around_its_scope(
    branch_a: httpx.AsyncClient, app_world: World, query: dict[str, str]
) -> None:
    regions = (await branch_a.get("/api/v1/regions", params=query)).json()

    assert {r["code"] for r in regions} <= COUNTY_A


@pytest.mark.parametrize(("username", "expected"), sorted(ENTERPRISES.items()), ids=sorted(ENTERPRISES))
async def test_enterprises_by_role(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, expected: set[str] | int
) -> None:
    open_session(app_db, client, username)

    api = await client.get("/api/v1/enterprises")
    page = await client.get("/enterprises")

    if expected == FORBIDDEN:
        assert (api.status_code, page.status_code) == (403, 403)
        assert api.json() == {"detail": "您的角色无权执行此操作。"}
        return
    assert (api.status_code, page.status_code) == (200, 200)
    assert enterprise_names(app_world, {e["id"] for e in api.json()}) == expected
    assert enterprise_names(app_world, linked_enterprise_ids(page.text)) == expected


@pytest.mark.parametrize(("username", "expected"), sorted(REGIONS.items()), ids=sorted(REGIONS))
async def test_regions_by_role(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, expected: set[str] | int
) -> None:
    open_session(app_db, client, username)

    response = await client.get("/api/v1/regions")

    if expected == FORBIDDEN:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {r["code"] for r in response.json()} == expected


@pytest.mark.parametrize(
    ("username", "expected"),
    [pytest.param(user, expected, id=user) for user, expected in sorted(ORGANISATIONS.items())],
)
async def test_organisations_by_role(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, expected: set[str] | int
) -> None:
    open_session(app_db, client, username)

    response = await client.get("/api/v1/organisations")

    if expected == FORBIDDEN:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {o["code"] for o in response.json()} == expected


@pytest.mark.parametrize("username", USERNAMES)
async def test_users_are_listed_only_to_the_administrator(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)

    response = await client.get("/api/v1/users")

    assert response.status_code == 200
    expected = set(app_world.users) if username == "admin" else {username}
    assert {u["username"] for u in response.json()} == expected
    assert all("password_hash" not in u for u in response.json())


async def test_enterprise_user_sees_only_its_own_enterprise(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "enterprise_a")

    listed = (await client.get("/api/v1/enterprises")).json()

    assert [e["id"] for e in listed] == [app_world.enterprise_a.id]
    assert (await client.get(f"/api/v1/enterprises/{app_world.enterprise_a.id}")).status_code == 200
    for path in ("/api/v1/enterprises/{}", "/enterprises/{}"):
        assert (await client.get(path.format(app_world.enterprise_a2.id))).status_code == 404, path


async def test_department_sees_only_its_own_organisation_and_no_enterprises(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "department")

    organisations = (await client.get("/api/v1/organisations")).json()
    enterprises = await client.get("/api/v1/enterprises")

    assert [o["id"] for o in organisations] == [app_world.department.id]
    assert (await client.get(f"/api/v1/organisations/{app_world.bureau.id}")).status_code == 404
    assert enterprises.status_code == 403


@pytest.mark.parametrize(("username", "may"), sorted(AUDIT.items()), ids=sorted(AUDIT))
async def test_audit_api_by_role(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, may: bool
) -> None:
    open_session(app_db, client, username)

    response = await client.get("/api/v1/audit")

    assert response.status_code == (200 if may else 403)
    if may:
        assert response.json(), "the test city's creation is on record"
