"""Registering sites and devices."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import CrcMode, SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.regions.models import Region

MN_PATTERN = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")


class MonitoringError(ValueError):
    """A site or device that cannot be registered; `code` is stable."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


def add_site(
    session: Session, *, code: str, name: str, kind: SiteKind, region: Region, enterprise_id: int | None = None
) -> Site:
    """Add a monitoring site in `region`."""
    code = code.strip()
    if not code or session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise MonitoringError("site_code_taken")
    site = Site(code=code, name=name.strip(), kind=kind, region_id=region.id, enterprise_id=enterprise_id)
    session.add(site)
    session.flush()
    return site


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
    if not password or len(password) > 64:
        raise MonitoringError("bad_password")
    if session.scalar(select(Device.id).where(Device.mn == mn)) is not None:
        raise MonitoringError("mn_taken")
    if interval_minutes < 1:
        raise MonitoringError("bad_interval")
    device = Device(mn=mn, password=password, site_id=site.id, crc_mode=crc_mode, interval_minutes=interval_minutes)
    session.add(device)
    session.flush()
    return device


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
