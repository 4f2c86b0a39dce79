"""The targets page (`/quality/targets`): the city and its counties of one year, a target set, refused with the
reason in Chinese (what was written kept), cleared; who may; a region out of sight is not found."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from tests.factories import World
from tests.web.helpers import csrf_for, open_session, parse


async def test_targets_page_sets_refuses_in_chinese_and_clears(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/quality/targets?year=2026")
    assert page.status_code == 200
    assert {tr.attrs["data-region"] for tr in parse(page.text).find_all("tr") if "data-region" in tr.attrs} == {
        str(r.id) for r in (app_world.city, app_world.county_a, app_world.county_b)
    }
    csrf = await csrf_for(client)
    form = {"csrf_token": csrf, "region_id": str(app_world.county_a.id), "year": "2026"}
    refused = await client.post("/quality/targets", data=form | {"good_ratio": "101", "pm25": "35"})
    assert refused.status_code == 422 and "优良天数比例目标" in parse(refused.text).find("p", class_="alert").text
    kept = parse(refused.text).find("form", id=f"target-{app_world.county_a.id}").fields()
    assert (kept["good_ratio"], kept["pm25"], kept["heavy_days"]) == ("101", "35", "")  # what was written, again
    blank = await client.post("/quality/targets", data=form | {"good_ratio": "", "pm25": "35"})
    assert blank.status_code == 422
    saved = await client.post("/quality/targets", data=form | {"good_ratio": "82.5", "pm25": "33", "heavy_days": "2"})
    assert saved.status_code == 303
    shown = parse((await client.get("/quality/targets?year=2026")).text)
    fields = shown.find("form", id=f"target-{app_world.county_a.id}").fields()
    assert (fields["good_ratio"], fields["pm25"], fields["heavy_days"]) == ("82.5", "33", "2")
    cleared = await client.post(
        "/quality/targets/clear", data={k: form[k] for k in ("csrf_token", "region_id", "year")}
    )
    assert cleared.status_code == 303
    again = parse((await client.get("/quality/targets?year=2026")).text)
    assert again.find("form", id=f"target-{app_world.county_a.id}").fields()["good_ratio"] == ""
    open_session(app_db, client, "branch_a")
    assert (await client.get("/quality/targets")).status_code == 403
    open_session(app_db, client, "analyst")
    fresh = {"csrf_token": await csrf_for(client), "region_id": "999999", "good_ratio": "80", "pm25": "35"}
    foreign = await client.post("/quality/targets", data=form | fresh)
    assert foreign.status_code == 404
