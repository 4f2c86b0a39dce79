"""Coordinates of Chinese online maps back to WGS-84 (pure).

ecoloop stores WGS-84 (what GPS receivers and the region boundaries use). Coordinates copied from Chinese online
maps are offset: Amap (高德) and Tencent give GCJ-02 (国测局坐标, "Mars coordinates"), Baidu gives BD-09, a further
offset of GCJ-02. Neither offset is a published standard. The GCJ-02 algorithm is a state secret; what every open
implementation uses (and this module) is a formula reverse-engineered from the leaked 2009 Android map code, widely
republished (e.g. googollee/eviltransform, wandergis/coordtransform): a polynomial-and-sine shift on the Krasovsky
1940 ellipsoid, applied only inside a rough bounding box of China. It reproduces the maps to well under a metre in
practice, but it is nobody's specification. BD-09 from GCJ-02 is the formula Baidu's own JavaScript used
(x_pi = π·3000/180), also known only from circulated code.

Both forward directions are closed formulas; their inverses are not. The one-step inverse that most snippets use
(subtract the shift computed at the offset point) is off by up to 3e-5 degrees (a few metres, in the north-east),
so `gcj02_to_wgs84` and `bd09_to_gcj02` solve the forward formula by fixed-point iteration to 1e-9 degrees (about
0.1 mm): far inside the six decimals (about 0.1 m) a site's coordinates are stored with.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal

from ecoloop.regions.enums import Datum

# The Krasovsky 1940 ellipsoid that the GCJ-02 formula works on: semi-major axis (m) and first eccentricity squared.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
# Baidu's constant: π·3000/180.
X_PI = math.pi * 3000.0 / 180.0
# The inverse iterations stop when the forward formula lands within this many degrees of the given point.
TOLERANCE = 1e-9
MAX_ITERATIONS = 30
STORED = Decimal("0.000001")

_Forward = Callable[[float, float], tuple[float, float]]


def out_of_china(lon: float, lat: float) -> bool:
    """Whether a point lies outside the rough box of China where GCJ-02 shifts coordinates (those outside are
    left as they are by the maps, and by the formula as circulated)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 position of a WGS-84 point (the reverse-engineered formula; identity outside China's box)."""
    if out_of_china(lon, lat):
        return lon, lat
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """The BD-09 position of a GCJ-02 point (Baidu's formula, applied everywhere as circulated)."""
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: float, lat: float) -> tuple[float, float]:
    """Baidu's circulated one-step inverse, the start of the iteration."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def _invert(forward: _Forward, lon: float, lat: float, start: tuple[float, float]) -> tuple[float, float]:
    """The point that `forward` maps to (lon, lat), by fixed-point iteration from `start`: each step moves the guess
    by how far its image misses. The shifts change by far less than a degree per degree, so it converges fast."""
    x, y = start
    for _ in range(MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = lon - fx, lat - fy
        if abs(dx) < TOLERANCE and abs(dy) < TOLERANCE:
            break
        x, y = x + dx, y + dy
    return x, y


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 position is (lon, lat), to 1e-9 degrees (identity outside China's box)."""
    if out_of_china(lon, lat):
        return lon, lat
    shifted = wgs84_to_gcj02(lon, lat)
    start = (2 * lon - shifted[0], 2 * lat - shifted[1])  # the usual one-step inverse
    return _invert(wgs84_to_gcj02, lon, lat, start)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 point whose BD-09 position is (lon, lat), to 1e-9 degrees."""
    return _invert(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """The BD-09 position of a WGS-84 point."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The WGS-84 point whose BD-09 position is (lon, lat)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float | Decimal, lat: float | Decimal, datum: Datum) -> tuple[Decimal, Decimal]:
    """A point given in `datum` as WGS-84 longitude and latitude, rounded to the six decimals ecoloop stores."""
    x, y = float(lon), float(lat)
    if datum is Datum.GCJ02:
        x, y = gcj02_to_wgs84(x, y)
    elif datum is Datum.BD09:
        x, y = bd09_to_wgs84(x, y)
    return _stored(x), _stored(y)


def _stored(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(STORED, rounding=ROUND_HALF_EVEN)
