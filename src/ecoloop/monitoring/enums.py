"""Kinds of monitoring site and data-logger settings."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_

# The datum of coordinates belongs to regions (regions/datum.py converts them); monitoring names it too.
from ecoloop.regions.enums import Datum

__all__ = ["CrcMode", "Datum", "NoiseZone", "SiteKind", "StationLevel"]


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


class StationLevel(StrEnum):
    """Who runs and assesses a station (控制级别): the national network (国控), the province, the city, the county, or a
    town's or village's own station. The area a station's values count for follows from it (`assessed_level`)."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    StationLevel.NATIONAL: N_("National control station"),
    StationLevel.PROVINCIAL: N_("Provincial control station"),
    StationLevel.CITY: N_("City control station"),
    StationLevel.COUNTY: N_("County control station"),
    StationLevel.TOWN: N_("Town station"),
    StationLevel.VILLAGE: N_("Village station"),
}


class NoiseZone(StrEnum):
    """The acoustic environment function zone of a noise point (声环境功能区, GB 3096-2008 clause 4): class 0
    (recovery and care), 1 (residential, education), 2 (mixed), 3 (industrial), 4a (beside trunk roads and inland
    waterways) and 4b (beside railway trunk lines)."""

    CLASS_0 = "0"
    CLASS_1 = "1"
    CLASS_2 = "2"
    CLASS_3 = "3"
    CLASS_4A = "4a"
    CLASS_4B = "4b"

    @property
    def label(self) -> str:
        return _ZONE_LABELS[self]


_ZONE_LABELS = {
    NoiseZone.CLASS_0: N_("Class 0 acoustic zone"),
    NoiseZone.CLASS_1: N_("Class 1 acoustic zone"),
    NoiseZone.CLASS_2: N_("Class 2 acoustic zone"),
    NoiseZone.CLASS_3: N_("Class 3 acoustic zone"),
    NoiseZone.CLASS_4A: N_("Class 4a acoustic zone"),
    NoiseZone.CLASS_4B: N_("Class 4b acoustic zone"),
}
