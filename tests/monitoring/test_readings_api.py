"""The readings API (`GET /api/v1/sites/{site_id}/readings`, issue 16): a site's stored readings, the value that
stands under each key, scoped like the site's pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.service import add_site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import open_session


async def test_a_sites_readings_with_the_value_that_stands(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    site = add_site(
        app_db, code="AQ-R", name="站", kind=SiteKind.AIR_STATION, region=app_world.county_a,
        station_level=StationLevel.COUNTY,
    )  # fmt: skip
    app_db.commit()
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    store = HotStore(app_settings.hot_store_path)
    store.write(
        [Reading(site.id, "a34004", Interval.HOUR, hour, 35.0), Reading(site.id, "a21004", Interval.HOUR, hour, 20.0)]
    )
    store.write(
        [Reading(site.id, "a34004", Interval.HOUR, hour, 99.0, "N", "upload:wang")]
    )  # refused: the first stands
    store.close()

    open_session(app_db, client, "branch_a")
    answer = await client.get(f"/api/v1/sites/{site.id}/readings?parameter=a34004")
    assert answer.status_code == 200, answer.text
    assert [(r["parameter"], r["unit"], r["value"], r["source"]) for r in answer.json()] == [
        ("a34004", "µg/m³", 35.0, "hj212")
    ]
    everything = (await client.get(f"/api/v1/sites/{site.id}/readings")).json()
    assert [(r["parameter"], r["unit"]) for r in everything] == [("a21004", "µg/m³"), ("a34004", "µg/m³")]
    assert (await client.get(f"/api/v1/sites/{site.id}/readings?from=2026-01-01&to=2026-12-31")).status_code == 422

    open_session(app_db, client, "branch_b")
    assert (await client.get(f"/api/v1/sites/{site.id}/readings")).status_code == 404
