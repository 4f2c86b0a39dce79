"""The device register as the HJ 212 receiver sees it: each data logger's MN, password, site and CRC mode, loaded
from the operational database and reloaded while the receiver runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceEntry:
    """What the receiver needs to know about a data logger."""

    mn: str
    password: str
    site_id: int
    crc_mode: str = "hj212"


class DeviceDirectory:
    """The device register as the receiver sees it, reloaded every `refresh` seconds (devices are added by the
    web UI or the CLI in other processes)."""

    def __init__(self, load: Callable[[], dict[str, DeviceEntry]], refresh: float = 30.0) -> None:
        self._load = load
        self._refresh = refresh
        self._devices = load()
        self._loaded = time.monotonic()

    def get(self, mn: str) -> DeviceEntry | None:
        """The device with `mn`, reloading the register when it is stale or the MN is unknown."""
        now = time.monotonic()
        device = self._devices.get(mn)
        if now - self._loaded > self._refresh or (device is None and now - self._loaded > 1.0):
            self._devices = self._load()
            self._loaded = now
            device = self._devices.get(mn)
        return device


def devices_from_db(database_url: str) -> Callable[[], dict[str, DeviceEntry]]:
    """A loader of the active devices from the operational database."""
    from sqlalchemy import select

    from ecoloop.db.engine import make_engine, make_session_factory
    from ecoloop.monitoring.models import Device

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)

    def load() -> dict[str, DeviceEntry]:
        with sessions() as session:
            rows = session.scalars(select(Device).where(Device.active.is_(True)))
            return {d.mn: DeviceEntry(d.mn, d.password, d.site_id, d.crc_mode.value) for d in rows}

    return load
