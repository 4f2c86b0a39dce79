"""The record a monitoring site must fit: station level and region, the fields of each kind, coordinates, water
target classes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecoloop.monitoring.enums import NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.rules import (
    MonitoringError,
    assessed_level,
    check_coordinates,
    check_site,
    check_station_region,
    water_target_of,
)
from ecoloop.regions.enums import RegionLevel
from ecoloop.standards.water import WaterGrade


@pytest.mark.parametrize(
    ("station", "assessed"),
    [
        (StationLevel.NATIONAL, RegionLevel.CITY),
        (StationLevel.PROVINCIAL, RegionLevel.CITY),
        (StationLevel.CITY, RegionLevel.CITY),
        (StationLevel.COUNTY, RegionLevel.COUNTY),
        (StationLevel.TOWN, RegionLevel.TOWN),
        (StationLevel.VILLAGE, RegionLevel.VILLAGE),
    ],
)
def test_the_assessed_level_follows_from_the_station_level(station: StationLevel, assessed: RegionLevel) -> None:
    assert assessed_level(station) is assessed


@pytest.mark.parametrize(
    ("station", "region", "fits"),
    [
        (StationLevel.NATIONAL, RegionLevel.CITY, True),
        (StationLevel.NATIONAL, RegionLevel.COUNTY, True),
        (StationLevel.CITY, RegionLevel.TOWN, False),
        (StationLevel.COUNTY, RegionLevel.COUNTY, True),
        (StationLevel.COUNTY, RegionLevel.CITY, False),
        (StationLevel.COUNTY, RegionLevel.TOWN, False),
        (StationLevel.TOWN, RegionLevel.TOWN, True),
        (StationLevel.TOWN, RegionLevel.COUNTY, False),
        (StationLevel.TOWN, RegionLevel.VILLAGE, False),
        (StationLevel.VILLAGE, RegionLevel.VILLAGE, True),
        (StationLevel.VILLAGE, RegionLevel.TOWN, False),
    ],
)
def test_a_station_sits_in_a_region_of_the_level_it_assesses(
    station: StationLevel, region: RegionLevel, fits: bool
) -> None:
    if fits:
        check_station_region(station, region)
    else:
        with pytest.raises(MonitoringError) as err:
            check_station_region(station, region)
        assert err.value.code == "station_region"


STATION = {"station_level": None, "region_level": RegionLevel.TOWN, "water_target": None, "noise_zone": None}


@pytest.mark.parametrize(
    ("kind", "fields", "code"),
    [
        (SiteKind.AIR_SOURCE, {"station_level": StationLevel.TOWN}, "station_level_not_station"),
        (SiteKind.VEHICLE_REMOTE_SENSING, {"station_level": StationLevel.CITY}, "station_level_not_station"),
        (SiteKind.AIR_STATION, {"station_level": StationLevel.COUNTY}, "station_region"),
        (SiteKind.AIR_STATION, {"water_target": WaterGrade.CLASS_III}, "water_target_not_water"),
        (SiteKind.WATER_STATION, {"water_target": WaterGrade.WORSE_THAN_V}, "water_target_invalid"),
        (SiteKind.AIR_STATION, {"noise_zone": NoiseZone.CLASS_1}, "noise_zone_not_noise"),
        (SiteKind.WATER_STATION, {"enterprise_id": 1}, "enterprise_not_source"),
    ],
)
def test_each_kind_takes_only_its_own_fields(kind: SiteKind, fields: dict[str, object], code: str) -> None:
    with pytest.raises(MonitoringError) as err:
        check_site(kind=kind, **{**STATION, "enterprise_id": None, **fields})  # type: ignore[arg-type]
    assert err.value.code == code


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (SiteKind.AIR_STATION, {"station_level": StationLevel.TOWN}),
        (SiteKind.WATER_STATION, {"station_level": StationLevel.TOWN, "water_target": WaterGrade.CLASS_II}),
        (SiteKind.NOISE, {"station_level": StationLevel.TOWN, "noise_zone": NoiseZone.CLASS_4A}),
        (SiteKind.WATER_SOURCE, {"enterprise_id": 7}),
        (SiteKind.AIR_SOURCE, {}),
    ],
)
def test_the_fields_of_each_kind_are_accepted(kind: SiteKind, fields: dict[str, object]) -> None:
    check_site(kind=kind, **{**STATION, "enterprise_id": None, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        ("113.9", None, "coordinates_incomplete"),
        (None, "35.3", "coordinates_incomplete"),
        ("181", "35", "coordinates_out_of_range"),
        ("113", "-90.5", "coordinates_out_of_range"),
        ("NaN", "35", "coordinates_out_of_range"),
        ("Infinity", "35", "coordinates_out_of_range"),
    ],
)
def test_bad_coordinates_are_refused(lon: str | None, lat: str | None, code: str) -> None:
    with pytest.raises(MonitoringError) as err:
        check_coordinates(None if lon is None else Decimal(lon), None if lat is None else Decimal(lat))
    assert err.value.code == code


def test_coordinates_that_fit_pass() -> None:
    check_coordinates(None, None)
    check_coordinates(Decimal("-180"), Decimal("90"))
    check_coordinates(Decimal("113.926812"), Decimal("35.303001"))


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("", None),
        ("  ", None),
        ("III", WaterGrade.CLASS_III),
        ("ii", WaterGrade.CLASS_II),
        ("\u2162", WaterGrade.CLASS_III),
        ("\u2162\u7c7b", WaterGrade.CLASS_III),
        ("IV\u7c7b", WaterGrade.CLASS_IV),
        ("5", WaterGrade.CLASS_V),
        ("1", WaterGrade.CLASS_I),
    ],
)
def test_water_targets_are_read_as_tables_write_them(text: str, grade: WaterGrade | None) -> None:
    assert water_target_of(text) == grade


@pytest.mark.parametrize("text", ["\u52a3V", "VI", "6", "0", "good"])
def test_anything_but_class_i_to_v_is_no_water_target(text: str) -> None:
    with pytest.raises(MonitoringError) as err:
        water_target_of(text)
    assert err.value.code == "water_target_invalid"
