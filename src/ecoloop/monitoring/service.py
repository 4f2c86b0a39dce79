"""Registering sites and devices."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import CrcMode, NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.queries import ENTERPRISES
from ecoloop.monitoring.rules import MonitoringError, assessed_level, check_coordinates, check_site
from ecoloop.regions.datum import to_wgs84
from ecoloop.regions.enums import Datum, RegionLevel
from ecoloop.regions.models import Region
from ecoloop.standards.water import WaterGrade

__all__ = ["MonitoringError"]  # raised here, defined with the rules it names

MN_PATTERN = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
MAX_CODE = 64
MAX_NAME = 200


def add_site(
    session: Session,
    *,
    code: str,
    name: str,
    kind: SiteKind,
    region: Region,
    enterprise_id: int | None = None,
    station_level: StationLevel | None = None,
    level: RegionLevel | None = None,
    longitude: Decimal | float | None = None,
    latitude: Decimal | float | None = None,
    datum: Datum = Datum.WGS84,
    water_target: WaterGrade | None = None,
    noise_zone: NoiseZone | None = None,
) -> Site:
    """Add a monitoring site in `region`. Coordinates given in `datum` are stored as WGS-84; the assessed `level`
    follows from `station_level` when it is given (`level` alone is for stations without a control level)."""
    site = Site(kind=kind, region_id=region.id, level=level, active=True)
    _apply(
        session,
        site,
        code=code,
        name=name,
        kind=kind,
        region=region,
        enterprise_id=enterprise_id,
        station_level=station_level,
        position=_position(longitude, latitude, datum),
        water_target=water_target,
        noise_zone=noise_zone,
    )
    session.add(site)
    session.flush()
    return site


def update_site(
    session: Session,
    site: Site,
    *,
    code: str,
    name: str,
    kind: SiteKind,
    region: Region,
    enterprise_id: int | None,
    station_level: StationLevel | None,
    longitude: Decimal | float | None,
    latitude: Decimal | float | None,
    datum: Datum = Datum.WGS84,
    water_target: WaterGrade | None,
    noise_zone: NoiseZone | None,
) -> Site:
    """Change a site's record, every field given (None clears it), checked as `add_site` checks a new one. Its
    stored readings stay with it (they are keyed by the site, not its code)."""
    _apply(
        session,
        site,
        code=code,
        name=name,
        kind=kind,
        region=region,
        enterprise_id=enterprise_id,
        station_level=station_level,
        position=_position(longitude, latitude, datum),
        water_target=water_target,
        noise_zone=noise_zone,
    )
    session.flush()
    return site


def retire_site(session: Session, site: Site) -> list[Device]:
    """Retire a site (it leaves the assessments and alert rules) and with it its active data loggers, whose
    packets are no longer accepted; returns the loggers retired. Its records and readings stay."""
    retired = list(session.scalars(select(Device).where(Device.site_id == site.id, Device.active.is_(True))))
    for device in retired:
        device.active = False
    site.active = False
    session.flush()
    return retired


def reactivate_site(session: Session, site: Site) -> None:
    """Bring a retired site back; its loggers stay retired until each is reactivated."""
    site.active = True
    session.flush()


def _position(
    longitude: Decimal | float | None, latitude: Decimal | float | None, datum: Datum
) -> tuple[Decimal | None, Decimal | None]:
    """The WGS-84 position of coordinates given in `datum`, checked before and after the conversion."""
    lon = None if longitude is None else Decimal(str(longitude))
    lat = None if latitude is None else Decimal(str(latitude))
    check_coordinates(lon, lat)
    if lon is None or lat is None:
        return None, None
    converted = to_wgs84(lon, lat, datum)
    check_coordinates(*converted)
    return converted


def _apply(
    session: Session,
    site: Site,
    *,
    code: str,
    name: str,
    kind: SiteKind,
    region: Region,
    enterprise_id: int | None,
    station_level: StationLevel | None,
    position: tuple[Decimal | None, Decimal | None],
    water_target: WaterGrade | None,
    noise_zone: NoiseZone | None,
) -> None:
    code, name = code.strip(), name.strip()
    if not code or len(code) > MAX_CODE:
        raise MonitoringError("site_code_missing")
    taken = session.scalar(select(Site.id).where(Site.code == code))
    if taken is not None and taken != site.id:
        raise MonitoringError("site_code_taken")
    if not name or len(name) > MAX_NAME:
        raise MonitoringError("site_name_missing")
    if not region.active:
        raise MonitoringError("region_retired")
    check_site(
        kind=kind,
        station_level=station_level,
        region_level=region.level,
        water_target=water_target,
        noise_zone=noise_zone,
        enterprise_id=enterprise_id,
    )
    if (
        enterprise_id is not None
        and session.scalar(select(ENTERPRISES.c.id).where(ENTERPRISES.c.id == enterprise_id)) is None
    ):
        raise MonitoringError("enterprise_unknown")
    site.code, site.name, site.kind = code, name, kind
    site.region_id = region.id
    site.enterprise_id = enterprise_id
    if station_level is not None:
        site.level = assessed_level(station_level)
    elif site.station_level is not None:
        site.level = None  # it followed from the level now cleared
    site.station_level = station_level
    site.longitude, site.latitude = position
    site.water_target = None if water_target is None else water_target.value
    site.noise_zone = noise_zone


def add_device(
    session: Session,
    *,
    mn: str,
    password: str,
    site: Site,
    crc_mode: CrcMode = CrcMode.HJ212,
    interval_minutes: int = 60,
) -> Device:
    """Register a data logger by MN for `site`; the MN is what identifies every packet it sends."""
    if not MN_PATTERN.match(mn):
        raise MonitoringError("bad_mn", f"an MN has 1-64 letters, digits, '_' or '-', got {mn!r}")
    _check_password(password)
    if session.scalar(select(Device.id).where(Device.mn == mn)) is not None:
        raise MonitoringError("mn_taken")
    _check_interval(interval_minutes)
    if not site.active:
        raise MonitoringError("site_retired")
    device = Device(mn=mn, password=password, site_id=site.id, crc_mode=crc_mode, interval_minutes=interval_minutes)
    session.add(device)
    session.flush()
    return device


def update_device(session: Session, device: Device, *, site: Site, crc_mode: CrcMode, interval_minutes: int) -> Device:
    """Change a data logger's settings, or move it to another site (its later packets feed that site; what it sent
    before stays with the old one). Not its MN, which identifies it, nor its password (`set_device_password`)."""
    _check_interval(interval_minutes)
    if site.id != device.site_id and not site.active:
        raise MonitoringError("site_retired")
    device.site_id = site.id
    device.crc_mode = crc_mode
    device.interval_minutes = interval_minutes
    session.flush()
    session.refresh(device, ["site"])
    return device


def set_device_password(session: Session, device: Device, password: str) -> None:
    """Set the access password (PW) the logger sends; it is kept as given because HJ 212 needs it in clear, and the
    audit trail records only that it changed."""
    _check_password(password)
    device.password = password
    session.flush()


def retire_device(session: Session, device: Device) -> None:
    """Retire a data logger: the receiver no longer accepts its packets; its record and readings stay."""
    device.active = False
    session.flush()


def reactivate_device(session: Session, device: Device) -> None:
    """Bring a retired data logger back; its site must be active."""
    if not device.site.active:
        raise MonitoringError("site_retired")
    device.active = True
    session.flush()


def _check_password(password: str) -> None:
    if not password or len(password) > 64:
        raise MonitoringError("bad_password")


def _check_interval(minutes: int) -> None:
    if not 1 <= minutes <= 1440:
        raise MonitoringError("bad_interval")


def site_by_name(session: Session, name: str) -> Site | None:
    """The site called `name`, if exactly one has that name."""
    sites = list(session.scalars(select(Site).where(Site.name == name.strip())).all())
    return sites[0] if len(sites) == 1 else None


def device_by_mn(session: Session, mn: str) -> Device | None:
    """The device registered with `mn`, if any."""
    return session.scalars(select(Device).where(Device.mn == mn)).first()


def record_last_seen(session: Session, last_seen: Mapping[str, datetime]) -> int:
    """Move each device's `last_seen_at` forward to the given time (by MN); returns how many moved."""
    moved = 0
    for device in session.scalars(select(Device).where(Device.mn.in_(list(last_seen)))):
        seen = last_seen[device.mn]
        current = device.last_seen_at
        if current is not None and current.tzinfo is None:  # SQLite hands back naive UTC
            current = current.replace(tzinfo=UTC)
        if current is None or seen > current:
            device.last_seen_at = seen
            moved += 1
    session.flush()
    return moved
