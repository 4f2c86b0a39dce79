"""Levels of the administrative region tree."""

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
