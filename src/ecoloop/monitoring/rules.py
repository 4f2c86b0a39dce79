"""What a monitoring site's record must fit (pure): its station level against its region, the fields each kind of
site takes, its coordinates, and its water target class."""

from __future__ import annotations

from decimal import Decimal

from ecoloop.i18n import N_
from ecoloop.monitoring.enums import NoiseZone, SiteKind, StationLevel
from ecoloop.regions.enums import RegionLevel
from ecoloop.standards.water import WaterGrade


class MonitoringError(ValueError):
    """A site or device that cannot be registered or changed; `code` is stable (pages and imports say it in
    words)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


# What each refusal says (message ids): the pages and the site and logger imports say it in the user's language.
ERROR_TEXT = {
    "site_code_missing": N_("The site code is missing (at most 64 characters)."),
    "site_code_taken": N_("A site with this code is already registered."),
    "site_name_missing": N_("The site name is missing (at most 200 characters)."),
    "region_retired": N_("The region has been retired."),
    "station_region": N_(
        "The station level does not fit the region: a county station sits in a county, a town station in a town, "
        "a village station in a village, a national, provincial or city station in the city or a county/district."
    ),
    "station_level_not_station": N_("Only monitoring stations (air, water, noise) have a station level."),
    "water_target_not_water": N_("Only water quality stations have a water quality target."),
    "water_target_invalid": N_("The water quality target is a GB 3838 class from I to V."),
    "noise_zone_not_noise": N_("Only noise monitoring points have an acoustic zone."),
    "enterprise_not_source": N_("Only pollution source outlets belong to an enterprise."),
    "enterprise_unknown": N_("No enterprise with this credit code in your area."),
    "coordinates_incomplete": N_("Give both longitude and latitude, or neither."),
    "coordinates_out_of_range": N_("The coordinates are out of range."),
    "number_invalid": N_("A number cannot be read."),
    "choice_invalid": N_("A choice is not one of those offered."),
    "bad_mn": N_("An MN has 1 to 64 letters, digits, '_' or '-'."),
    "mn_taken": N_("A data logger with this MN is already registered."),
    "bad_password": N_("The access password has 1 to 64 characters."),
    "bad_interval": N_("The reporting interval is 1 to 1440 minutes."),
    "site_retired": N_("The site has been retired; reactivate it first."),
}


# Kinds of site that are stations of a monitoring network (they have a control level); source outlets belong to an
# enterprise instead.
STATION_KINDS = frozenset({SiteKind.AIR_STATION, SiteKind.WATER_STATION, SiteKind.NOISE})
SOURCE_KINDS = frozenset({SiteKind.AIR_SOURCE, SiteKind.WATER_SOURCE})
# The GB 3838-2002 §3 classes a water station may be set to meet (劣V is a result, never a target).
WATER_TARGETS = (
    WaterGrade.CLASS_I,
    WaterGrade.CLASS_II,
    WaterGrade.CLASS_III,
    WaterGrade.CLASS_IV,
    WaterGrade.CLASS_V,
)

_ASSESSED = {
    StationLevel.NATIONAL: RegionLevel.CITY,
    StationLevel.PROVINCIAL: RegionLevel.CITY,
    StationLevel.CITY: RegionLevel.CITY,
    StationLevel.COUNTY: RegionLevel.COUNTY,
    StationLevel.TOWN: RegionLevel.TOWN,
    StationLevel.VILLAGE: RegionLevel.VILLAGE,
}
# Roman numerals U+2160..U+2164, Arabic digits, and the suffix 类 ("class"), as tables write target classes.
_ROMAN = {chr(0x2160 + i): grade.value for i, grade in enumerate(WATER_TARGETS)}
_DIGITS = {str(i + 1): grade.value for i, grade in enumerate(WATER_TARGETS)}
_CLASS_SUFFIX = "\u7c7b"


def assessed_level(station_level: StationLevel) -> RegionLevel:
    """The area a station's values are assessed for: national, provincial and city control stations count for the
    city (城市站), a county control station for its county, town and village stations for their town or village."""
    return _ASSESSED[station_level]


def check_station_region(station_level: StationLevel, region_level: RegionLevel) -> None:
    """A station sits in the region it assesses: a county station in a county, a town station in a town, a village
    station in a village; a station that counts for the city sits in the city or one of its counties/districts."""
    assessed = assessed_level(station_level)
    fits = region_level in (RegionLevel.CITY, RegionLevel.COUNTY) if assessed is RegionLevel.CITY else None
    if fits is None:
        fits = region_level is assessed
    if not fits:
        raise MonitoringError("station_region", f"a {station_level} station cannot sit in a {region_level} region")


def check_coordinates(longitude: Decimal | None, latitude: Decimal | None) -> None:
    """Both coordinates or neither, within the ranges of longitude and latitude."""
    if (longitude is None) != (latitude is None):
        raise MonitoringError("coordinates_incomplete")
    if longitude is None or latitude is None:
        return
    if not (longitude.is_finite() and latitude.is_finite()):
        raise MonitoringError("coordinates_out_of_range")
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise MonitoringError("coordinates_out_of_range", f"({longitude}, {latitude}) is no point on Earth")


def check_site(
    *,
    kind: SiteKind,
    station_level: StationLevel | None,
    region_level: RegionLevel,
    water_target: WaterGrade | None,
    noise_zone: NoiseZone | None,
    enterprise_id: int | None,
) -> None:
    """The fields a kind of site takes: a control level for stations only (and then a region that fits it), a
    water target class (I to V) for water stations only, an acoustic zone for noise points only, an enterprise for
    source outlets only."""
    if station_level is not None:
        if kind not in STATION_KINDS:
            raise MonitoringError("station_level_not_station")
        check_station_region(station_level, region_level)
    if water_target is not None:
        if kind is not SiteKind.WATER_STATION:
            raise MonitoringError("water_target_not_water")
        if water_target not in WATER_TARGETS:
            raise MonitoringError("water_target_invalid")
    if noise_zone is not None and kind is not SiteKind.NOISE:
        raise MonitoringError("noise_zone_not_noise")
    if enterprise_id is not None and kind not in SOURCE_KINDS:
        raise MonitoringError("enterprise_not_source")


def water_target_of(text: str) -> WaterGrade | None:
    """A water target class as written in forms and tables ("III", the Roman numeral
    U+2162, "3", with or without the suffix 类); None when blank. Raises
    `MonitoringError("water_target_invalid")` for anything else, 劣V included."""
    text = text.strip().removesuffix(_CLASS_SUFFIX).strip().upper()
    if not text:
        return None
    value = _ROMAN.get(text) or _DIGITS.get(text) or text
    if value not in {grade.value for grade in WATER_TARGETS}:
        raise MonitoringError("water_target_invalid", f"{text!r} is no GB 3838 class I to V")
    return WaterGrade(value)
