"""The regions page: boundaries imported by upload (all or none, the administrator only, within their area, the
body bounded before it is read), regions renamed, retired and brought back, and each region's history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from ecoloop.identity.enums import Role
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.regions.queries import list_regions
from ecoloop.web.limits import BodyKind, body_kind
from tests.conftest import make_settings
from tests.factories import COUNTY_A_BOX, COUNTY_B_BOX, TOWN_A_BOX, World, add_user, box, geojson, give_boundaries
from tests.web.helpers import Element, csrf_for, form_for, open_client, open_session, parse, reread

FORBIDDEN_TEXT = "您的角色无权执行此操作。"
GOOD = geojson(("371802", box(*COUNTY_A_BOX)), ("371802001000", box(*TOWN_A_BOX)), ("371821", box(*COUNTY_B_BOX)))


async def upload(client: httpx.AsyncClient, data: bytes, name: str = "边界.geojson") -> httpx.Response:
    page = await client.get("/admin/regions")
    form = form_for(page.text, "/admin/regions/boundaries").fields()
    return await client.post("/admin/regions/boundaries", data=form, files={"file": (name, data)})


async def post_form(client: httpx.AsyncClient, parent: str, action: str, **values: str) -> httpx.Response:
    page = await client.get("/admin/regions", params={"parent": parent})
    form = form_for(page.text, action).fields()
    form.update(values)
    return await client.post(action, data=form)


def table_rows(html: str, class_: str) -> list[Element]:
    table = parse(html).find("table", class_=class_)
    assert table is not None, f"no table.{class_}"
    return table.find_all("tr")[1:]


async def test_an_uploaded_file_stores_the_boundaries_and_places_the_sites(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    station = add_site(app_db, code="AQ", name="湖滨站", kind=SiteKind.AIR_STATION, region=app_world.town_b)
    station.longitude, station.latitude = Decimal("114.05"), Decimal("35.05")
    app_db.commit()
    open_session(app_db, client, "admin")

    response = await upload(client, GOOD)

    assert response.status_code == 200
    notice = parse(response.text).find("p", class_="notice")
    assert notice is not None and "新增 3 个" in notice.text and "1 个监测点位" in notice.text
    reread(app_db)
    assert app_db.get(Site, station.id).located_region_id == app_world.town_a.id  # type: ignore[union-attr]
    county = table_rows((await client.get("/admin/regions", params={"parent": "371800"})).text, "regions")
    assert [(r.attrs["data-code"], r.find("td", class_="boundary").text) for r in county] == [  # type: ignore[union-attr]
        ("371802", "已有"),
        ("371821", "已有"),
    ]


async def test_a_bad_file_lists_every_problem_and_stores_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    data = geojson(("371802", box(*COUNTY_A_BOX)), ("371802", box(*COUNTY_A_BOX)), ("999999", box(*COUNTY_B_BOX)))

    response = await upload(client, data)

    assert response.status_code == 422
    rows = table_rows(response.text, "boundary-problems")
    assert [(r.attrs["data-reason"], r.find_all("td")[0].text) for r in rows] == [
        ("duplicate", "features[1]"),
        ("unknown_region", "features[2]"),
    ]
    assert "您的辖区内没有代码为 999999 的区划。" in rows[1].text
    reread(app_db)
    assert app_db.get(type(app_world.county_a), app_world.county_a.id).boundary is None  # type: ignore[union-attr]


@pytest.mark.parametrize("username", ["leader", "analyst", "hotline", "inspector"])
async def test_only_the_administrator_and_the_branches_keep_regions(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)
    csrf = await csrf_for(client)

    page = await client.get("/admin/regions")
    posted = await client.post("/admin/regions/boundaries", data={"csrf_token": csrf}, files={"file": ("b", GOOD)})
    renamed = await client.post(f"/admin/regions/{app_world.town_a.id}/name", data={"csrf_token": csrf, "name": "x"})
    retired = await client.post(f"/admin/regions/{app_world.village_a.id}/retire", data={"csrf_token": csrf})

    assert page.status_code == posted.status_code == renamed.status_code == retired.status_code == 403
    assert FORBIDDEN_TEXT in parse(posted.text).text
    reread(app_db)
    assert app_db.get(type(app_world.county_a), app_world.county_a.id).boundary is None  # type: ignore[union-attr]


@pytest.mark.parametrize("username", ["admin_a", "branch_a"])
async def test_an_administrator_of_a_county_and_a_branch_reach_only_their_regions(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    add_user(app_db, "admin_a", Role.ADMIN, app_world.branch_a)
    app_db.commit()
    open_session(app_db, client, username)
    csrf = await csrf_for(client)

    response = await upload(client, GOOD)
    other = await client.get("/admin/regions", params={"parent": "371821"})
    rename = await client.post(f"/admin/regions/{app_world.town_b.id}/name", data={"csrf_token": csrf, "name": "x"})

    assert response.status_code == 422
    assert [r.attrs["data-reason"] for r in table_rows(response.text, "boundary-problems")] == ["unknown_region"]
    assert other.status_code == rename.status_code == 404


def test_the_upload_takes_an_upload_sized_body() -> None:
    assert body_kind("/admin/regions/boundaries") is BodyKind.UPLOAD


async def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(
    app_settings: object, app_db: Session, app_world: World, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, request_max_upload_mb=1)
    async with open_client(settings) as client:
        open_session(app_db, client, "admin")
        page = await client.get("/admin/regions")
        form = form_for(page.text, "/admin/regions/boundaries").fields()
        padded = GOOD[:-2] + b" " * (1024 * 1024) + GOOD[-2:]

        response = await client.post("/admin/regions/boundaries", data=form, files={"file": ("b.geojson", padded)})

    assert response.status_code == 413
    reread(app_db)
    assert app_db.get(type(app_world.county_a), app_world.county_a.id).boundary is None  # type: ignore[union-attr]


async def test_a_region_is_renamed_retired_and_brought_back_with_its_history(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    village = f"/admin/regions/{app_world.village_a.id}"

    renamed = await post_form(client, "371802001001", f"{village}/name", name=" 花园社区 ")
    retired = await post_form(client, "371802001001", f"{village}/retire")
    page = await client.get("/admin/regions", params={"parent": "371802001000"})
    listed = table_rows(page.text, "regions")

    assert renamed.status_code == retired.status_code == 303
    assert [(r.attrs["data-code"], r.attrs["data-active"], "已撤销" in r.text) for r in listed] == [
        ("371802001001", "false", True)
    ]
    assert "花园社区" in listed[0].text
    own = await client.get("/admin/regions", params={"parent": "371802001001"})
    history = [r.text for r in table_rows(own.text, "history")]
    assert len(history) == 3  # created, renamed, retired; newest first
    assert "启用 是 → 否" in history[0]
    assert "花园社区居委会 → 花园社区" in history[1]
    assert parse(own.text).find("form", action=f"{village}/retire") is not None
    reread(app_db)
    offered = list_regions(app_db, app_world.principal(app_db, "admin"), active_only=True)
    assert app_world.village_a.id not in {r.id for r in offered}

    restored = await post_form(client, "371802001001", f"{village}/retire")  # the form now brings it back
    assert restored.status_code == 303
    reread(app_db)
    assert app_db.get(type(app_world.village_a), app_world.village_a.id).active  # type: ignore[union-attr]


async def test_a_region_with_active_regions_or_sites_in_it_is_not_retired(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    add_site(app_db, code="AQ-B", name="柳林站", kind=SiteKind.AIR_STATION, region=app_world.village_b)
    app_db.commit()
    open_session(app_db, client, "admin")

    town = await post_form(client, "371821101000", f"/admin/regions/{app_world.town_b.id}/retire")
    village = await post_form(client, "371821101201", f"/admin/regions/{app_world.village_b.id}/retire")

    assert town.status_code == village.status_code == 409
    assert "该区划下有 1 个在用下级区划" in parse(town.text).find(role="alert").text  # type: ignore[union-attr]
    assert "登记有 1 个在用监测点位" in parse(village.text).find(role="alert").text  # type: ignore[union-attr]
    reread(app_db)
    assert app_db.get(type(app_world.village_b), app_world.village_b.id).active  # type: ignore[union-attr]


async def test_nothing_is_added_under_and_nothing_brought_back_below_a_retired_region(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    app_world.village_a.active = False
    app_world.town_a.active = False
    app_db.commit()
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)

    added = await client.post(
        "/admin/regions", data={"parent": "371802001000", "code": "371802001002", "name": "新村", "csrf_token": csrf}
    )
    restored = await client.post(
        f"/admin/regions/{app_world.village_a.id}/retire", data={"csrf_token": csrf, "restore": "true"}
    )
    page = await client.get("/admin/regions", params={"parent": "371802001000"})

    assert added.status_code == 422
    assert restored.status_code == 409
    assert "上级区划已撤销" in parse(restored.text).find(role="alert").text  # type: ignore[union-attr]
    assert form_for_missing(page.text, "/admin/regions")


def form_for_missing(html: str, action: str) -> bool:
    return parse(html).find("form", action=action) is None


async def test_a_blank_name_is_refused(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "admin")

    response = await post_form(client, "371802", f"/admin/regions/{app_world.county_a.id}/name", name="   ")

    assert response.status_code == 422
    reread(app_db)
    assert app_db.get(type(app_world.county_a), app_world.county_a.id).name == "清源区"  # type: ignore[union-attr]


async def test_the_api_says_whether_a_region_is_retired(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    app_world.village_b.active = False
    app_db.commit()
    open_session(app_db, client, "analyst")

    regions = {r["code"]: r["active"] for r in (await client.get("/api/v1/regions")).json()}

    assert regions["371821101201"] is False and regions["371821101000"] is True


async def test_a_replaced_boundary_is_in_the_regions_history(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    assert (await upload(client, geojson(("371821", box(*COUNTY_B_BOX))))).status_code == 200
    assert (await upload(client, geojson(("371821", box(114.2, 35.0, 114.3, 35.2))))).status_code == 200

    page = await client.get("/admin/regions", params={"parent": "371821"})

    history = [r.text for r in table_rows(page.text, "history")]
    assert "边界 （已隐藏） → （已隐藏）" in history[0] and "边界 — → （已隐藏）" in history[1]
    assert parse(page.text).find("dd", class_="boundary").text == "已有"  # type: ignore[union-attr]


async def test_a_file_with_very_many_problems_shows_the_first_thousand(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    data = geojson(*[(f"{n:06d}", box(*COUNTY_A_BOX)) for n in range(100_000, 101_200)])

    response = await upload(client, data)

    assert response.status_code == 422
    assert len(table_rows(response.text, "boundary-problems")) == 1000
    assert "共 1200 个问题，仅显示前 1000 个。" in parse(response.text).text


async def test_retiring_a_region_with_a_boundary_places_its_sites_again(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    give_boundaries(app_db, app_world)
    station = add_site(app_db, code="AQ", name="湖滨站", kind=SiteKind.AIR_STATION, region=app_world.county_a)
    station.longitude, station.latitude = Decimal("114.05"), Decimal("35.05")
    station.located_region_id = app_world.town_a.id
    app_world.village_a.active = False
    app_db.commit()
    open_session(app_db, client, "admin")

    retired = await post_form(client, "371802001000", f"/admin/regions/{app_world.town_a.id}/retire")
    reread(app_db)
    after_retiring = app_db.get(Site, station.id).located_region_id  # type: ignore[union-attr]
    restored = await post_form(client, "371802001000", f"/admin/regions/{app_world.town_a.id}/retire")
    reread(app_db)

    assert retired.status_code == restored.status_code == 303
    assert after_retiring == app_world.county_a.id
    assert app_db.get(Site, station.id).located_region_id == app_world.town_a.id  # type: ignore[union-attr]


async def test_a_region_with_an_active_organisation_is_not_retired(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    app_world.village_b.active = False
    app_world.town_b.active = False
    app_db.commit()
    open_session(app_db, client, "admin")

    county = await post_form(client, "371821", f"/admin/regions/{app_world.county_b.id}/retire")

    assert county.status_code == 409
    assert "该区划下有 1 个在用单位" in parse(county.text).find(role="alert").text  # type: ignore[union-attr]


async def test_a_branch_keeps_its_county_s_towns_but_not_its_county(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    town = await client.post(f"/admin/regions/{app_world.town_a.id}/name", data={"csrf_token": csrf, "name": "湖滨"})
    county = await client.post(f"/admin/regions/{app_world.county_a.id}/name", data={"csrf_token": csrf, "name": "x"})
    other = await client.post(f"/admin/regions/{app_world.town_b.id}/name", data={"csrf_token": csrf, "name": "x"})
    assert (town.status_code, county.status_code, other.status_code) == (303, 403, 404)
    reread(app_db)
    assert app_db.get(type(app_world.county_a), app_world.county_a.id).name == "清源区"  # type: ignore[union-attr]
