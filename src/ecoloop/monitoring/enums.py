"""Kinds of monitoring site and data-logger settings."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class SiteKind(StrEnum):
    """What a monitoring site measures."""

    AIR_STATION = "air_station"
    WATER_STATION = "water_station"
    AIR_SOURCE = "air_source"
    WATER_SOURCE = "water_source"
    NOISE = "noise"
    VEHICLE_REMOTE_SENSING = "vehicle_remote_sensing"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    SiteKind.AIR_STATION: N_("Ambient air station"),
    SiteKind.WATER_STATION: N_("Automatic water quality station"),
    SiteKind.AIR_SOURCE: N_("Pollution source: flue gas outlet"),
    SiteKind.WATER_SOURCE: N_("Pollution source: wastewater outlet"),
    SiteKind.NOISE: N_("Noise monitoring point"),
    SiteKind.VEHICLE_REMOTE_SENSING: N_("Vehicle remote sensing point"),
}


class CrcMode(StrEnum):
    """Which CRC a data logger sends: the HJ 212 one, CRC-16/MODBUS low byte first (seen in real devices), or either."""

    HJ212 = "hj212"
    MODBUS_LE = "modbus_le"
    ANY = "any"

    @property
    def label(self) -> str:
        return _CRC_LABELS[self]


_CRC_LABELS = {
    CrcMode.HJ212: N_("HJ 212 CRC"),
    CrcMode.MODBUS_LE: N_("CRC-16/MODBUS, low byte first"),
    CrcMode.ANY: N_("Either CRC"),
}
