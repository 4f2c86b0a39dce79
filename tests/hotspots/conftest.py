"""Shared fixtures of the hotspot-order tests: a station in county A with a neighbour, an enterprise to its east,
a registered yard to its north (the housing department's), a restaurant too far away, and the built-in alert
rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Alert, AlertRule, AlertRuleVersion
from ecoloop.alerts.rule_service import ensure_builtin_rules
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.analytics.sites import StoredReadings, fixed
from ecoloop.cases.service import Acting
from ecoloop.hotspots.enums import SourceKind
from ecoloop.hotspots.models import PollutionSource
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.readings.store import HotStore
from ecoloop.regions.enums import RegionLevel
from tests.factories import World

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in the bureau's time
LON, LAT = 117.0, 36.0


@dataclass
class Place:
    """The station, its neighbour, the registered sources and the alert rules."""

    station: Site
    neighbour: Site
    yard: PollutionSource
    restaurant: PollutionSource
    rules: dict[str, AlertRule]


def acting(db: Session, world: World, name: str) -> Acting:
    return Acting(world.users[name], world.principal(db, name))


def source(
    db: Session, world: World, name: str, kind: SourceKind, lon: float, lat: float, **fields: Any
) -> PollutionSource:
    row = PollutionSource(
        name=name,
        kind=kind,
        region_id=world.town_a.id,
        longitude=Decimal(str(lon)),
        latitude=Decimal(str(lat)),
        **fields,
    )
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def place(db: Session, world: World) -> Place:
    return build_place(db, world)


@pytest.fixture
def app_place(app_db: Session, app_world: World) -> Place:
    """The place committed to the web app's database."""
    built = build_place(app_db, app_world)
    app_db.commit()
    return built


def build_place(db: Session, world: World) -> Place:
    """The station, its neighbour, the enterprises' places and the registered sources, in `db`."""
    ensure_builtin_rules(db, NOW)
    station = add_site(
        db, code="AQ-HB", name="湖滨站", kind=SiteKind.AIR_STATION, region=world.town_a, level=RegionLevel.TOWN,
        longitude=LON, latitude=LAT,
    )  # fmt: skip
    neighbour = add_site(
        db, code="AQ-NB", name="邻站", kind=SiteKind.AIR_STATION, region=world.town_a, level=RegionLevel.TOWN,
        longitude=LON + 0.05, latitude=LAT,
    )  # fmt: skip
    world.enterprise_a.longitude, world.enterprise_a.latitude = Decimal("117.010000"), Decimal("36.000000")
    world.enterprise_b.longitude, world.enterprise_b.latitude = Decimal("117.300000"), Decimal("36.300000")
    add_site(db, code="SRC-HN", name="1号排口", kind=SiteKind.AIR_SOURCE, region=world.village_a,
             enterprise_id=world.enterprise_a.id)  # fmt: skip
    yard = source(db, world, "北郊料场", SourceKind.YARD, LON, LAT + 0.01, organisation_id=world.department.id)
    restaurant = source(db, world, "远处餐馆", SourceKind.RESTAURANT, LON, LAT + 0.03)
    db.flush()
    return Place(station, neighbour, yard, restaurant, {r.code: r for r in db.scalars(select(AlertRule))})


def hotspot_alert(db: Session, place: Place, kind: RuleKind = RuleKind.AIR_HOTSPOT, at: datetime = NOW) -> Alert:
    rule = next(r for r in place.rules.values() if r.kind is kind)
    version = db.scalar(select(AlertRuleVersion.id).where(AlertRuleVersion.rule_id == rule.id))
    assert version is not None
    count = len(db.scalars(select(Alert.id)).all())
    alert = Alert(
        number=f"YJ2026-{count + 1:06d}", rule_id=rule.id, rule_version_id=version, kind=kind,
        site_id=place.station.id, region_id=place.station.region_id, parameter="a34004", severity=Severity.MEDIUM,
        first_at=at, last_at=at, observed=Decimal(180), reference=Decimal(60), raised_at=at,
    )  # fmt: skip
    db.add(alert)
    db.flush()
    return alert


@pytest.fixture
def readings(tmp_path: Path) -> Iterator[StoredReadings]:
    """An empty readings store (SQLite hot store, no Parquet) read on an in-memory DuckDB."""
    store = HotStore(tmp_path / "hot.sqlite")
    con = ibis.duckdb.connect()
    try:
        yield StoredReadings(store, tmp_path / "readings", lambda: fixed(con))
    finally:
        con.disconnect()
        store.close()
