"""The draws as published (一公开): without sign-in, the public fields of a draw — unit, period, seed source, value
and seed, algorithm, pool sizes, the enterprises drawn with their checking unit — and nothing private."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from ecoloop.draws import service
from tests.draws.conftest import announcement, build_enforcement, draw_through, pools
from tests.factories import World
from tests.web.helpers import parse


async def test_a_drawn_result_is_published_without_private_fields(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    found = build_enforcement(app_db, app_world)
    for e in found.enterprises:
        e.contact_name, e.contact_phone = "王经理", "13912345678"
    p = found.principal(app_db, "analyst")
    target = found.enterprises[0]
    officer = found.officers["bu0"]
    service.declare_conflict(
        app_db, p, user_id=officer.id, enterprise_id=target.id, reason="秘密的利害关系", start=target.created_at.date()
    )
    pool, officers = pools(app_db, p, app_world.county_a, count=4)
    draw = draw_through(app_db, p, announcement([pool], [officers], app_world.county_a))
    app_db.commit()

    listed = await client.get("/public/draws")
    assert listed.status_code == 200
    assert parse(listed.text).find("tr", data_draw=draw.number) is not None
    page = await client.get(f"/public/draws/{draw.number}")
    assert page.status_code == 200
    doc = parse(page.text)
    text = doc.text
    assert draw.seed in text and "3412.56" in text and "上证指数" in text and "ecoloop-draw-1" in text
    assert doc.find("a", href="/public/draw-algorithm") is not None
    drawn = {a.enterprise_id for a in draw.assignments if a.on_site}
    for e in found.enterprises:
        assert (e.credit_code in text) == (e.id in drawn)
    assert doc.find("dd", data_field="unit").text == app_world.users["analyst"].organisation.name  # type: ignore[union-attr]
    sizes = [row.attrs["data-pool-size"] for row in doc.find_all("tr") if "data-pool-size" in row.attrs]
    assert sizes == [str(s.size) for s in draw.snapshots] == ["10", "13"]
    # Nothing private: officers, their certificates, contacts, conflicts, avoidance details.
    for user in found.officers.values():
        assert user.display_name not in text and user.username not in text
    assert "3718000000" not in text  # certificate numbers
    assert "13912345678" not in text and "王经理" not in text
    assert "秘密的利害关系" not in text and "回避" not in text
    algorithm = await client.get("/public/draw-algorithm")
    assert algorithm.status_code == 200 and "HMAC-SHA256" in algorithm.text
    assert (await client.get("/public/draws/SJ19990001")).status_code == 404


async def test_an_announced_draw_is_published_before_its_result(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    from tests.draws.conftest import NOW, ZONE

    found = build_enforcement(app_db, app_world)
    p = found.principal(app_db, "analyst")
    pool, officers = pools(app_db, p, app_world.county_a, count=4)
    draw = service.announce(app_db, p, announcement([pool], [officers], app_world.county_a), now=NOW, zone=ZONE)
    app_db.commit()
    page = parse((await client.get(f"/public/draws/{draw.number}")).text)
    assert draw.announcement_hash in page.text and "尚未公布" in page.text
    assert page.find("table", class_="drawn") is None
    public = await client.get("/public")
    assert public.status_code in (200, 404)
