"""Water results of the browser tests' demo city: the demo's history holds no water data, so every water section
gets a kept month for this month and the two before, classed by the engine (`results.water.section_row`) from
monthly means that differ per section and month — only where no month was kept already (the water page's own test
computes its months from simulated hours)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.db.engine import make_engine
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.results import store
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.results.water_queries import months_back, target_of
from tests.e2e.air_results import settings_of
from tests.e2e.conftest import Demo
from tests.factories import plant_results

NH3_N = (0.12, 0.3, 0.6, 0.9, 1.3, 1.8)  # mg/L: classes I to V


@pytest.fixture(scope="package")
def water_results(demo_city: Demo) -> list[dict[str, Any]]:
    """The kept water months of the latest month with any (planted as above where none was kept)."""
    settings = settings_of(demo_city)
    root = settings.results_root
    today = datetime.now(settings.tz).date()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            sections = list(
                session.execute(
                    select(Site.id, Site.water_target).where(Site.kind == SiteKind.WATER_STATION).order_by(Site.code)
                )
            )
    finally:
        engine.dispose()
    months = months_back(today, 3)
    kept: list[dict[str, Any]] = []
    for year in sorted({m.year for m in months}):
        found = store.read_partition(root, WATER_MONTH, WATER_MONTH.key(months[0].replace(year=year)))
        kept += found.to_pylist() if found is not None else []
    for j, month in enumerate(months):
        if any(r["month"] == month for r in kept):
            continue
        rows = [
            section_row(site_id, month, {"NH3_N": (NH3_N[(i + j) % len(NH3_N)], 700), "DO": (7.2, 700)}, target_of(t))
            for i, (site_id, t) in enumerate(sections)
        ]
        plant_results(root, WATER_MONTH, rows)
        kept += rows
    latest = max(r["month"] for r in kept)
    return [r for r in kept if r["month"] == latest]
