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
