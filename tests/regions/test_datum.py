"""GCJ-02 and BD-09 back to WGS-84: published pairs, round trips, the identity outside China."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecoloop.regions import datum
from ecoloop.regions.enums import Datum

# Published WGS-84 → GCJ-02 pairs of googollee/eviltransform, python/test.py ("shanghai", "shenzhen", "beijing"),
# as (wgs lon, wgs lat, gcj lon, gcj lat).
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]
# wandergis/coordtransform, README.md: wgs84ToGcj02 and gcj02ToBd09 of (116.404, 39.915).
COORDTRANSFORM_GCJ = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_BD = (116.41036949371029, 39.92133699351021)
# Its gcj02ToWgs84(116.404, 39.915): the one-step inverse, a few tenths of a metre off.
COORDTRANSFORM_ONE_STEP = (116.39775550083061, 39.91359571849836)

# Points across the box of China: Xinxiang, Beijing, Shanghai, Shenzhen, Urumqi, Harbin, Lhasa, Sanya.
POINTS = [
    (113.9268, 35.3030),
    (116.404, 39.915),
    (121.4737, 31.2304),
    (114.0579, 22.5431),
    (87.6168, 43.8256),
    (126.6425, 45.7560),
    (91.1409, 29.6456),
    (109.5119, 18.2528),
]


@pytest.mark.parametrize(("wgs_lon", "wgs_lat", "gcj_lon", "gcj_lat"), EVILTRANSFORM)
def test_the_forward_formula_gives_the_published_pairs(
    wgs_lon: float, wgs_lat: float, gcj_lon: float, gcj_lat: float
) -> None:
    lon, lat = datum.wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert lon == pytest.approx(gcj_lon, abs=1e-9)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)


@pytest.mark.parametrize(("wgs_lon", "wgs_lat", "gcj_lon", "gcj_lat"), EVILTRANSFORM)
def test_the_published_gcj02_points_invert_to_their_wgs84_points(
    wgs_lon: float, wgs_lat: float, gcj_lon: float, gcj_lat: float
) -> None:
    lon, lat = datum.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert lon == pytest.approx(wgs_lon, abs=1e-8)
    assert lat == pytest.approx(wgs_lat, abs=1e-8)


def test_the_published_bd09_pair_and_its_inverse() -> None:
    assert datum.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(COORDTRANSFORM_GCJ, abs=1e-9)
    assert datum.gcj02_to_bd09(116.404, 39.915) == pytest.approx(COORDTRANSFORM_BD, abs=1e-9)
    assert datum.bd09_to_gcj02(*COORDTRANSFORM_BD) == pytest.approx((116.404, 39.915), abs=1e-8)


def test_the_inverse_is_exact_where_the_one_step_approximation_is_not() -> None:
    # The published one-step value at (116.404, 39.915) is 5e-7 degrees off; the iteration lands on the point.
    exact = datum.gcj02_to_wgs84(116.404, 39.915)
    assert exact == pytest.approx(COORDTRANSFORM_ONE_STEP, abs=1e-6)
    assert datum.wgs84_to_gcj02(*exact) == pytest.approx((116.404, 39.915), abs=1e-8)
    # In the north-east the one-step inverse misses by 3e-5 degrees (about 2 m), the iteration by nothing.
    gcj = (129.37, 53.61)
    shifted = datum.wgs84_to_gcj02(*gcj)
    one_step = (2 * gcj[0] - shifted[0], 2 * gcj[1] - shifted[1])
    missed = datum.wgs84_to_gcj02(*one_step)
    assert max(abs(missed[0] - gcj[0]), abs(missed[1] - gcj[1])) > 2e-5
    assert datum.wgs84_to_gcj02(*datum.gcj02_to_wgs84(*gcj)) == pytest.approx(gcj, abs=1e-8)


@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_round_trips_through_gcj02_and_bd09_stay_within_a_millionth_of_a_degree(lon: float, lat: float) -> None:
    gcj = datum.wgs84_to_gcj02(lon, lat)
    assert gcj != (lon, lat)  # inside China the offset applies (tens to hundreds of metres)
    back = datum.gcj02_to_wgs84(*gcj)
    assert abs(back[0] - lon) < 1e-6
    assert abs(back[1] - lat) < 1e-6
    bd = datum.wgs84_to_bd09(lon, lat)
    back = datum.bd09_to_wgs84(*bd)
    assert abs(back[0] - lon) < 1e-6
    assert abs(back[1] - lat) < 1e-6


@pytest.mark.parametrize(("lon", "lat"), [(2.3522, 48.8566), (-74.006, 40.7128), (139.6917, 35.6895), (151.2, -33.9)])
def test_outside_china_gcj02_is_the_identity(lon: float, lat: float) -> None:
    assert datum.out_of_china(lon, lat)
    assert datum.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert datum.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_to_wgs84_converts_and_rounds_to_six_decimals() -> None:
    assert datum.to_wgs84(Decimal("113.92681249"), Decimal("35.30300051"), Datum.WGS84) == (
        Decimal("113.926812"),
        Decimal("35.303001"),
    )
    gcj_lon, gcj_lat = COORDTRANSFORM_GCJ
    assert datum.to_wgs84(gcj_lon, gcj_lat, Datum.GCJ02) == (Decimal("116.404000"), Decimal("39.915000"))
    bd_lon, bd_lat = datum.wgs84_to_bd09(116.404, 39.915)
    assert datum.to_wgs84(bd_lon, bd_lat, Datum.BD09) == (Decimal("116.404000"), Decimal("39.915000"))
