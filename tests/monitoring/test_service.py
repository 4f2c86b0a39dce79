"""Sites and devices: registration rules and who sees them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import REDACTED
from ecoloop.monitoring.enums import CrcMode, SiteKind
from ecoloop.monitoring.queries import list_devices, list_sites
from ecoloop.monitoring.service import MonitoringError, add_device, add_site, site_by_name
from tests.factories import World


@pytest.fixture
def sites(db: Session, world: World) -> dict[str, object]:
    station_a = add_site(db, code="AQ-A", name="湖滨站", kind=SiteKind.AIR_STATION, region=world.town_a)
    outlet_b = add_site(
        db,
        code="SRC-B",
        name="鑫源化工排口",
        kind=SiteKind.AIR_SOURCE,
        region=world.village_b,
        enterprise_id=world.enterprise_b.id,
    )
    outlet_a = add_site(
        db,
        code="SRC-A",
        name="华能热电排口",
        kind=SiteKind.AIR_SOURCE,
        region=world.village_a,
        enterprise_id=world.enterprise_a.id,
    )
    add_device(db, mn="MN-AQ-A", password="123456", site=station_a)
    add_device(db, mn="MN-SRC-B", password="654321", site=outlet_b, crc_mode=CrcMode.MODBUS_LE, interval_minutes=1)
    add_device(db, mn="MN-SRC-A", password="111111", site=outlet_a)
    return {"station_a": station_a, "outlet_b": outlet_b, "outlet_a": outlet_a}


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("admin", {"AQ-A", "SRC-A", "SRC-B"}),
        ("analyst", {"AQ-A", "SRC-A", "SRC-B"}),
        ("branch_a", {"AQ-A", "SRC-A"}),
        ("branch_b", {"SRC-B"}),
        ("enterprise_a", {"SRC-A"}),
        ("department", set()),
    ],
)
def test_sites_and_devices_are_scoped(db: Session, world: World, sites: dict, user: str, expected: set[str]) -> None:  # type: ignore[type-arg]
    principal = world.principal(db, user)
    assert {s.code for s in list_sites(db, principal)} == expected
    assert {d.site.code for d in list_devices(db, principal)} == expected


def test_registration_rules(db: Session, world: World, sites: dict) -> None:  # type: ignore[type-arg]
    station = sites["station_a"]
    for kwargs, code in (
        ({"mn": "MN-AQ-A", "password": "x"}, "mn_taken"),
        ({"mn": "bad mn", "password": "x"}, "bad_mn"),
        ({"mn": "MN-NEW", "password": ""}, "bad_password"),
        ({"mn": "MN-NEW", "password": "x", "interval_minutes": 0}, "bad_interval"),
    ):
        with pytest.raises(MonitoringError) as err:
            add_device(db, site=station, **kwargs)  # type: ignore[arg-type]
        assert err.value.code == code
    with pytest.raises(MonitoringError):
        add_site(db, code="AQ-A", name="dup", kind=SiteKind.AIR_STATION, region=world.town_a)
    assert site_by_name(db, "湖滨站") is station
    assert site_by_name(db, "nowhere") is None


def test_device_password_is_redacted_in_the_audit_trail(db: Session, world: World, sites: dict) -> None:  # type: ignore[type-arg]
    db.flush()
    records = db.scalars(select(AuditRecord).where(AuditRecord.entity_type == "devices")).all()
    assert records and all(r.after is not None and r.after["password"] == REDACTED for r in records)


def test_device_crc_modes_match_the_codec() -> None:
    """The register's CRC setting is handed to the receiver as the codec's mode name."""
    from typing import get_args

    from ecoloop.ingest.hj212.codec import CrcMode as CodecCrcMode

    assert {m.value for m in CrcMode} == set(get_args(CodecCrcMode))


def test_a_site_gets_its_level_coordinates_target_and_zone(db: Session, world: World) -> None:
    from decimal import Decimal

    from ecoloop.monitoring.enums import NoiseZone, StationLevel
    from ecoloop.regions import datum
    from ecoloop.regions.enums import Datum, RegionLevel
    from ecoloop.standards.water import WaterGrade

    town = add_site(
        db,
        code="AQ-T",
        name="湖滨乡镇站",
        kind=SiteKind.AIR_STATION,
        region=world.town_a,
        station_level=StationLevel.TOWN,
        longitude=Decimal("113.926812"),
        latitude=Decimal("35.303001"),
    )
    assert (town.station_level, town.level) == (StationLevel.TOWN, RegionLevel.TOWN)
    assert (town.longitude, town.latitude) == (Decimal("113.926812"), Decimal("35.303001"))
    national = add_site(
        db,
        code="AQ-N",
        name="国控站",
        kind=SiteKind.AIR_STATION,
        region=world.county_a,
        station_level=StationLevel.NATIONAL,
    )
    assert national.level is RegionLevel.CITY
    gcj = datum.wgs84_to_gcj02(113.9268, 35.303)
    water = add_site(
        db,
        code="W-1",
        name="卫河水站",
        kind=SiteKind.WATER_STATION,
        region=world.county_a,
        station_level=StationLevel.COUNTY,
        longitude=gcj[0],
        latitude=gcj[1],
        datum=Datum.GCJ02,
        water_target=WaterGrade.CLASS_III,
    )
    db.expire_all()
    assert (water.longitude, water.latitude) == (Decimal("113.926800"), Decimal("35.303000"))
    assert water.water_target == "III"
    assert WaterGrade(water.water_target) is WaterGrade.CLASS_III  # as the alert engine reads it
    noise = add_site(
        db, code="N-1", name="噪声点", kind=SiteKind.NOISE, region=world.town_a, noise_zone=NoiseZone.CLASS_4A
    )
    assert noise.noise_zone is NoiseZone.CLASS_4A


def _site_fields(site: object, **changes: object) -> dict[str, object]:
    fields = {
        name: getattr(site, name)
        for name in ("code", "name", "kind", "enterprise_id", "station_level", "longitude", "latitude", "noise_zone")
    }
    fields["region"] = site.region  # type: ignore[attr-defined]
    fields["water_target"] = None
    return {**fields, **changes}


def test_site_changes_are_checked_and_recorded(db: Session, world: World, sites: dict) -> None:  # type: ignore[type-arg]
    from decimal import Decimal

    from ecoloop.monitoring.enums import StationLevel
    from ecoloop.monitoring.service import update_site
    from ecoloop.regions.enums import RegionLevel

    station = sites["station_a"]
    for changes, code in (
        ({"code": "SRC-A"}, "site_code_taken"),
        ({"code": "  "}, "site_code_missing"),
        ({"name": ""}, "site_name_missing"),
        ({"station_level": StationLevel.COUNTY}, "station_region"),
        ({"enterprise_id": world.enterprise_a.id}, "enterprise_not_source"),
        ({"longitude": Decimal("113.9")}, "coordinates_incomplete"),
        ({"longitude": Decimal("200"), "latitude": Decimal("35")}, "coordinates_out_of_range"),
    ):
        with pytest.raises(MonitoringError) as err:
            update_site(db, station, **_site_fields(station, **changes))  # type: ignore[arg-type]
        assert err.value.code == code, changes
    with pytest.raises(MonitoringError) as err:
        update_site(db, sites["outlet_a"], **_site_fields(sites["outlet_a"], enterprise_id=999_999))  # type: ignore[arg-type]
    assert err.value.code == "enterprise_unknown"
    world.town_a.active = False
    with pytest.raises(MonitoringError) as err:
        update_site(db, station, **_site_fields(station))  # type: ignore[arg-type]
    assert err.value.code == "region_retired"
    world.town_a.active = True

    update_site(
        db,
        station,
        **_site_fields(station, code="AQ-A1", name="湖滨新站", station_level=StationLevel.TOWN),  # type: ignore[arg-type]
    )
    db.flush()
    assert (station.code, station.level) == ("AQ-A1", RegionLevel.TOWN)
    update_site(db, station, **_site_fields(station, station_level=None))  # type: ignore[arg-type]
    assert (station.station_level, station.level) == (None, None)  # the assessed level went with it
    record = db.scalars(
        select(AuditRecord)
        .where(AuditRecord.entity_type == "sites", AuditRecord.action == "update")
        .order_by(AuditRecord.id)
    ).first()
    assert record.before is not None and record.after is not None
    assert (record.before["name"], record.after["name"]) == ("湖滨站", "湖滨新站")


def test_retiring_a_site_retires_its_loggers(db: Session, world: World, sites: dict) -> None:  # type: ignore[type-arg]
    from ecoloop.monitoring.service import (
        device_by_mn,
        reactivate_device,
        reactivate_site,
        retire_site,
        update_device,
    )

    station = sites["station_a"]
    retired = retire_site(db, station)
    assert [d.mn for d in retired] == ["MN-AQ-A"]
    device = device_by_mn(db, "MN-AQ-A")
    assert device is not None and not device.active and not station.active
    # No logger is added to, moved to or brought back on a retired site.
    with pytest.raises(MonitoringError) as err:
        add_device(db, mn="MN-NEW", password="x", site=station)
    assert err.value.code == "site_retired"
    mover = device_by_mn(db, "MN-SRC-A")
    assert mover is not None
    with pytest.raises(MonitoringError) as err:
        update_device(db, mover, site=station, crc_mode=mover.crc_mode, interval_minutes=60)
    assert err.value.code == "site_retired"
    with pytest.raises(MonitoringError) as err:
        reactivate_device(db, device)
    assert err.value.code == "site_retired"
    # Bringing the site back leaves its loggers retired until each is brought back.
    reactivate_site(db, station)
    assert station.active and not device.active
    reactivate_device(db, device)
    assert device.active


def test_a_logger_moves_changes_settings_and_password(db: Session, world: World, sites: dict) -> None:  # type: ignore[type-arg]
    from ecoloop.monitoring.service import device_by_mn, retire_device, set_device_password, update_device

    device = device_by_mn(db, "MN-AQ-A")
    assert device is not None
    for minutes in (0, 1441):
        with pytest.raises(MonitoringError) as err:
            update_device(db, device, site=sites["outlet_a"], crc_mode=CrcMode.ANY, interval_minutes=minutes)
        assert err.value.code == "bad_interval"
    update_device(db, device, site=sites["outlet_a"], crc_mode=CrcMode.ANY, interval_minutes=5)
    assert (device.site.code, device.crc_mode, device.interval_minutes) == ("SRC-A", CrcMode.ANY, 5)
    for bad in ("", "x" * 65):
        with pytest.raises(MonitoringError) as err:
            set_device_password(db, device, bad)
        assert err.value.code == "bad_password"
    set_device_password(db, device, "new-secret")
    retire_device(db, device)
    db.flush()
    assert device.password == "new-secret" and not device.active
    updates = db.scalars(
        select(AuditRecord).where(AuditRecord.entity_type == "devices", AuditRecord.action == "update")
    ).all()
    assert updates
    assert all("new-secret" not in str(r.before) + str(r.after) for r in updates)
    assert any(r.after is not None and r.after.get("password") == REDACTED for r in updates)
