"""Levels of the administrative region tree, and the datum coordinates are given in."""

from __future__ import annotations

from enum import StrEnum

from ecoloop.i18n import N_


class RegionLevel(StrEnum):
    """Level of an administrative division (GB/T 2260 and the statistical division codes)."""

    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def depth(self) -> int:
        """0 for the city, 3 for a village."""
        return list(RegionLevel).index(self)


_LABELS = {
    RegionLevel.CITY: N_("City"),
    RegionLevel.COUNTY: N_("County/district"),
    RegionLevel.TOWN: N_("Town/street"),
    RegionLevel.VILLAGE: N_("Village/community"),
}


class Datum(StrEnum):
    """The coordinate system coordinates are given in; ecoloop stores WGS-84 (`regions.datum` converts). GCJ-02 is
    the offset system of Chinese online maps (Amap, Tencent), BD-09 Baidu's further offset of it."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @property
    def label(self) -> str:
        return _DATUM_LABELS[self]


_DATUM_LABELS = {
    Datum.WGS84: N_("WGS-84 (GPS)"),
    Datum.GCJ02: N_("GCJ-02 (Amap, Tencent)"),
    Datum.BD09: N_("BD-09 (Baidu)"),
}
