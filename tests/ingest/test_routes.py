"""POST /api/v1/observations: per-row errors, valid rows stored, scoping, archive."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.db.base import utcnow
from ecoloop.identity.service import create_api_token
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.readings.parquet import compact, readings
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.settings import Settings
from tests.factories import World


@pytest.fixture
def sites(app_db: Session, app_world: World) -> None:
    add_site(app_db, code="AQ-A", name="湖滨站", kind=SiteKind.AIR_STATION, region=app_world.town_a)
    add_site(app_db, code="AQ-B", name="柳林站", kind=SiteKind.AIR_STATION, region=app_world.town_b)
    add_site(
        app_db,
        code="SRC-A",
        name="华能排口",
        kind=SiteKind.AIR_SOURCE,
        region=app_world.village_a,
        enterprise_id=app_world.enterprise_a.id,
    )
    app_db.commit()


def token_for(app_db: Session, world: World, name: str) -> dict[str, str]:
    _token, raw = create_api_token(app_db, world.users[name], "uploader", utcnow())
    app_db.commit()
    return {"Authorization": f"Bearer {raw}"}


def row(site: str, hour: int, value: float | None = 35.0, **extra: object) -> dict[str, object]:
    return {
        "site": site,
        "parameter": "a34004",
        "interval": "hour",
        "time": f"2026-11-22T{hour:02d}:00:00+08:00",
        "value": value,
        "flag": "N",
        **extra,
    }


async def test_valid_rows_are_stored_and_bad_rows_reported(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: None, app_settings: Settings
) -> None:
    headers = token_for(app_db, app_world, "analyst")
    body = {
        "observations": [
            row("AQ-A", 8),
            {**row("AQ-A", 9), "time": "2026-11-22T09:00:00"},
            row("AQ-B", 8),
            row("NOPE", 8),
            {"site": "AQ-A"},
            row("AQ-A", 10, value=None),
        ]
    }
    response = await client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 200
    result = response.json()
    assert (result["received"], result["stored"], result["changed"]) == (6, 3, 3)
    assert [e["index"] for e in result["errors"]] == [1, 3, 4]
    assert "UTC offset" in result["errors"][0]["error"] and "unknown site" in result["errors"][1]["error"]
    again = await client.post("/api/v1/observations", json=body, headers=headers)
    assert again.json()["changed"] == 0  # a re-sent upload changes nothing
    store = HotStore(app_settings.data_dir / "ingest" / "hot.sqlite")
    assert store.hot_table().num_rows == 3
    assert store.packet_counts()[("stored", "row_errors")] == 2


async def test_scope_limits_the_sites_an_uploader_reaches(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: None
) -> None:
    headers = token_for(app_db, app_world, "enterprise_a")
    body = {"observations": [row("SRC-A", 8), row("AQ-A", 8)]}
    result = (await client.post("/api/v1/observations", json=body, headers=headers)).json()
    assert result["stored"] == 1 and result["errors"] == [{"index": 1, "error": "site: unknown site 'AQ-A'"}]


@pytest.mark.parametrize("user", ["branch_a", "department", "leader"])
async def test_roles_without_the_action_are_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: None, user: str
) -> None:
    headers = token_for(app_db, app_world, user)
    response = await client.post("/api/v1/observations", json={"observations": [row("AQ-A", 8)]}, headers=headers)
    assert response.status_code == 403


async def test_malformed_bodies(client: httpx.AsyncClient, app_db: Session, app_world: World, sites: None) -> None:
    headers = token_for(app_db, app_world, "admin")
    not_json = await client.post("/api/v1/observations", content=b"\xff\x00 nope", headers=headers)
    assert not_json.status_code == 400
    wrong_shape = await client.post("/api/v1/observations", json={"rows": []}, headers=headers)
    assert wrong_shape.status_code == 422
    anonymous = await client.post("/api/v1/observations", json={"observations": []})
    assert anonymous.status_code == 401


async def test_an_api_value_over_a_compacted_logger_value_is_a_conflict_and_the_call_is_audited(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: None, app_settings: Settings
) -> None:
    # Issue 13: the logger's value, already compacted into Parquet, stands; the API's other value is counted and
    # kept as a conflict at once (not only at the next compaction), its identical one is a duplicate.
    site = app_db.scalars(select(Site).where(Site.code == "SRC-A")).one()
    store = HotStore(app_settings.hot_store_path)
    at = datetime(2026, 11, 22, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    store.write([Reading(site.id, "a34004", Interval.HOUR, at, 35.0, "N")], now=at + timedelta(minutes=5))
    assert compact(store, app_settings.parquet_root) == 1
    headers = token_for(app_db, app_world, "enterprise_a")

    body = {"observations": [row("SRC-A", 8, value=12.0), row("SRC-A", 9, value=12.0)]}
    result = (await client.post("/api/v1/observations", json=body, headers=headers)).json()
    same = (await client.post("/api/v1/observations", json={"observations": [row("SRC-A", 8)]}, headers=headers)).json()

    assert (result["stored"], result["changed"], result["conflicts"]) == (2, 1, 1)
    assert (same["changed"], same["conflicts"]) == (0, 0)
    values = {r["time"]: (r["value"], r["source"]) for r in readings(store, app_settings.parquet_root).to_pylist()}
    assert values == {at: (35.0, "hj212"), at + timedelta(hours=1): (12.0, "api:enterprise_a")}
    (conflict,) = store.conflicts([site.id], at, at + timedelta(hours=1))
    assert (conflict.value, conflict.source, conflict.kept_value) == (12.0, "api:enterprise_a", 35.0)
    app_db.commit()
    records = app_db.scalars(select(AuditRecord).where(AuditRecord.action == "upload").order_by(AuditRecord.id)).all()
    assert [(r.actor_label, r.entity_type) for r in records] == [("enterprise_a", "observations")] * 2
    assert records[0].after is not None
    assert {k: records[0].after[k] for k in ("via", "rows", "stored", "conflicts", "refused")} == {
        "via": "api",
        "rows": 2,
        "stored": 1,
        "conflicts": 1,
        "refused": 0,
    }


@pytest.mark.parametrize(
    ("time", "code"),
    [
        ("0001-01-01T00:00:00+14:00", "time_out_of_range"),
        ("9999-12-31T00:00:00-14:00", "time_out_of_range"),
        ("9999-06-01T00:00:00+08:00", "time_ahead"),
        ("2099-01-01T00:00:00+08:00", "time_ahead"),
        ("1999-12-31T00:00:00+08:00", "time_before_floor"),
    ],
)
async def test_implausible_times_are_refused_and_the_valid_rows_beside_them_stored(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    sites: None,
    app_settings: Settings,
    time: str,
    code: str,
) -> None:
    headers = token_for(app_db, app_world, "analyst")
    body = {"observations": [row("AQ-A", 8), {**row("AQ-A", 9), "time": time}]}
    response = await client.post("/api/v1/observations", json=body, headers=headers)
    assert response.status_code == 200
    result = response.json()
    assert (result["stored"], [e["index"] for e in result["errors"]]) == (1, [1])
    assert code in result["errors"][0]["error"]
    store = HotStore(app_settings.data_dir / "ingest" / "hot.sqlite")
    assert [r["time"].year for r in store.hot_table().to_pylist()] == [2026]
    (archived,) = store.packet_rows().to_pylist()
    assert (archived["reason"], f"({code} 1)" in archived["detail"]) == ("row_errors", True)
    page = await client.get("/monitoring/sites", headers=headers)
    assert page.status_code == 200


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN", "Infinity"])
async def test_non_finite_values_are_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: None, app_settings: Settings, value: str
) -> None:
    headers = {**token_for(app_db, app_world, "analyst"), "Content-Type": "application/json"}
    body = '{"observations": [{"site": "AQ-A", "parameter": "a34004", "interval": "hour", '
    body += f'"time": "2026-11-22T08:00:00+08:00", "value": {value}}}]}}'
    response = await client.post("/api/v1/observations", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["stored"] == 0 and "value_not_finite" in response.json()["errors"][0]["error"]
    store = HotStore(app_settings.data_dir / "ingest" / "hot.sqlite")
    assert store.hot_table().num_rows == 0
    assert "(value_not_finite 1)" in store.packet_rows().to_pylist()[0]["detail"]
