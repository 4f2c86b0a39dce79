"""Generate the demo city's geography once: region boundaries and the monitoring network's places (issue 15).

Writes `src/ecoloop/demo/boundaries.geojson` (one feature per region, `properties.code`, WGS-84, coordinates
rounded to 5 decimals) and the stations of `src/ecoloop/demo/city.json` (`sites`: coordinates, station levels,
water targets, noise zones, the Beijing station each air station replays). Both files are committed; run again
only to change the fictional geography:

    uv run --frozen python scripts/demo_geography.py

The city 清源市 is invented: its county seats are `ecoloop.demo.enterprises.COUNTY_CENTRES` (the North China
plain, about 117.1E 36.7N), towns sit on a ring around their seat, villages around their town. Town cells are
the Voronoi cells of the town centres clipped to the city's outline; a county is the union of its towns, the
city the outline; a village is the Voronoi cell of its centre within its town.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from shapely import MultiPoint, Point, Polygon, unary_union, voronoi_polygons
from shapely.geometry import mapping, shape
from shapely.ops import nearest_points

from ecoloop.demo.enterprises import COUNTY_CENTRES, URBAN

DEMO = Path(__file__).resolve().parents[1] / "src" / "ecoloop" / "demo"
SEED = "qingyuan-geography"
DIGITS = 5

# Air stations of the Beijing data as the city's 国控 (urban districts, assessed for the city) and 县控 stations.
NATIONAL = {"aotizhongxin", "dongsi", "wanshouxigong", "changping", "nongzhanguan", "guanyuan", "tiantan"}
# The demo's planted hotspot: this town station replays its source x2.5 in PM2.5 and PM10 every hour (a station
# downwind of a works), so the hotspot rule fires within the first hour of `make demo`.
HOTSPOT_TOWN = "371802101000"
HOTSPOT_BOOST = 2.5
# Village micro-stations: two in each of the first five towns of this county.
VILLAGE_COUNTY = "371821"
# Water automatic stations: (town code, river, name, target class, behaviour).
WATER = (
    ("371823101000", "清河", "清河清水镇上游断面", "II", "clean"),
    ("371802101000", "清河", "清河仁和断面", "II", "episodes"),
    ("371804101000", "清河", "清河孙集出境断面", "II", "episodes"),
    ("371881101000", "沙河", "沙河太平入境断面", "III", "chronic"),
    ("371803101000", "沙河", "沙河沙河镇断面", "III", "episodes"),
    ("371882101000", "沙河", "沙河龙泉出境断面", "III", "episodes"),
)
# Noise stations: (town code, name, GB 3096 zone class, behaviour).
NOISE = (
    ("371802001000", "湖滨花园居住区噪声点", "1", "loud"),
    ("371802002000", "西城商住混合区噪声点", "2", "night"),
    ("371803001000", "城关商业区噪声点", "2", "quiet"),
    ("371804001000", "人民路交通干线噪声点", "4a", "road"),
    ("371803101000", "沙河工业园区噪声点", "3", "quiet"),
    ("371804005000", "文昌学校区噪声点", "1", "quiet"),
)


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join([SEED, *map(str, parts)]))


def _round(geometry: Any) -> dict[str, Any]:
    """GeoJSON geometry with coordinates rounded to DIGITS decimals."""

    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, DIGITS)
        return [walk(v) for v in value]

    geo = mapping(geometry)
    return {"type": geo["type"], "coordinates": walk(geo["coordinates"])}


def _town_centres(city: dict[str, Any]) -> dict[str, Point]:
    centres = {}
    for county in city["counties"]:
        lon, lat = COUNTY_CENTRES[county["code"]]
        urban = county["code"] in URBAN
        radius = 0.04 if urban else 0.16
        towns = county["towns"]
        for i, town in enumerate(towns):
            rng = _rng("town", town["code"])
            if i == 0:
                dx, dy = rng.uniform(-0.004, 0.004), rng.uniform(-0.004, 0.004)
            else:
                angle = 2 * math.pi * (i - 1) / (len(towns) - 1) + rng.uniform(-0.25, 0.25)
                r = radius * rng.uniform(0.85, 1.15)
                dx, dy = r * math.cos(angle) / math.cos(math.radians(lat)), r * math.sin(angle)
            centres[town["code"]] = Point(lon + dx, lat + dy)
    return centres


def _cells(points: dict[str, Point], within: Polygon) -> dict[str, Polygon]:
    """The Voronoi cell of each point, clipped to `within`."""
    codes = list(points)
    polygons = voronoi_polygons(MultiPoint([points[c] for c in codes]), extend_to=within.buffer(1))
    cells = {}
    for polygon in polygons.geoms:
        code = next(c for c in codes if polygon.contains(points[c]))
        cells[code] = polygon.intersection(within)
    return cells


def _village_centres(town: dict[str, Any], centre: Point, cell: Polygon) -> dict[str, Point]:
    out: dict[str, Point] = {}
    size = min(math.sqrt(cell.area), 0.08)
    for i, village in enumerate(town["villages"]):
        rng = _rng("village", village["code"])
        for _ in range(200):
            angle = 2 * math.pi * i / len(town["villages"]) + rng.uniform(-0.4, 0.4)
            r = size * rng.uniform(0.15, 0.35)
            point = Point(centre.x + r * math.cos(angle), centre.y + r * math.sin(angle))
            if cell.buffer(-size * 0.05).contains(point) and all(point.distance(p) > size * 0.12 for p in out.values()):
                out[village["code"]] = point
                break
        else:
            raise SystemExit(f"no place for village {village['code']}")
    return out


def _circumcentre(a: Point, b: Point, c: Point) -> Point:
    """The point as far from a, b and c: where their three Voronoi cells meet."""
    d = 2 * (a.x * (b.y - c.y) + b.x * (c.y - a.y) + c.x * (a.y - b.y))
    x = ((a.x**2 + a.y**2) * (b.y - c.y) + (b.x**2 + b.y**2) * (c.y - a.y) + (c.x**2 + c.y**2) * (a.y - b.y)) / d
    y = ((a.x**2 + a.y**2) * (c.x - b.x) + (b.x**2 + b.y**2) * (a.x - c.x) + (c.x**2 + c.y**2) * (b.x - a.x)) / d
    return Point(x, y)


def _password(rng: random.Random) -> str:
    return f"{rng.randint(100000, 999999)}"


def _inside(point: Point, cell: Polygon, margin: float = 0.002) -> Point:
    """`point`, or the nearest point well inside `cell`."""
    if cell.buffer(-margin).contains(point):
        return point
    return cell.buffer(-margin).representative_point()


def _xy(point: Point) -> dict[str, float]:
    return {"lon": round(point.x, DIGITS), "lat": round(point.y, DIGITS)}


def main() -> None:
    fixture_path = DEMO / "city.json"
    data = json.loads(fixture_path.read_text(encoding="utf-8"))
    city = data["city"]
    towns = {t["code"]: t for c in city["counties"] for t in c["towns"]}
    centres = _town_centres(city)
    outline = MultiPoint(list(centres.values())).convex_hull.buffer(0.07, quad_segs=3).simplify(0.005)
    town_cells = _cells(centres, outline)
    village_centres: dict[str, Point] = {}
    village_cells: dict[str, Polygon] = {}
    for code, town in towns.items():
        points = _village_centres(town, centres[code], town_cells[code])
        village_centres.update(points)
        village_cells.update(_cells(points, town_cells[code]))

    features = [{"type": "Feature", "properties": {"code": city["code"]}, "geometry": _round(outline)}]
    for county in city["counties"]:
        union = unary_union([town_cells[t["code"]] for t in county["towns"]]).simplify(0.0005)
        features.append({"type": "Feature", "properties": {"code": county["code"]}, "geometry": _round(union)})
    for code in towns:
        features.append(
            {"type": "Feature", "properties": {"code": code}, "geometry": _round(town_cells[code].simplify(0.0005))}
        )
    for code, cell in village_cells.items():
        features.append({"type": "Feature", "properties": {"code": code}, "geometry": _round(cell.simplify(0.0005))})
    geojson = {"type": "FeatureCollection", "features": features}
    text = json.dumps(geojson, ensure_ascii=False, separators=(",", ":"))
    (DEMO / "boundaries.geojson").write_text(text.replace('{"type":"Feature"', '\n{"type":"Feature"') + "\n")
    shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in features}

    sites = [s for s in data["sites"] if s["kind"] not in ("air_station", "water_station", "noise")]
    air = [s for s in data["sites"] if s["kind"] == "air_station" and s["code"].startswith("bj-")]
    stations: list[dict[str, Any]] = []
    placed: list[Point] = []
    by_county: dict[str, list[str]] = {}
    for site in air:
        county = site["region"]
        station = site["data_station"].lower()
        by_county.setdefault(county, []).append(site["data_station"])
        rng = _rng("station", site["code"])
        seat = Point(*COUNTY_CENTRES[county])
        if county not in URBAN:  # between the seat and its town stations (see below), within 10 km of them
            towns_of = next(c for c in city["counties"] if c["code"] == county)["towns"]
            meet = _circumcentre(*(centres[t["code"]] for t in towns_of[:3]))
            seat = Point(seat.x + 0.45 * (meet.x - seat.x), seat.y + 0.45 * (meet.y - seat.y))
        for _ in range(200):
            point = Point(seat.x + rng.uniform(-0.02, 0.02), seat.y + rng.uniform(-0.015, 0.015))
            if shapes[county].buffer(-0.002).contains(point) and all(point.distance(p) > 0.006 for p in placed):
                break
        placed.append(point)
        national = station in NATIONAL
        stations.append(
            {
                **{k: v for k, v in site.items() if k not in ("level", "station_level", "lon", "lat", "device")},
                "level": "city" if national else "county",
                "station_level": "national" if national else "county",
                **_xy(point),
                "device": site["device"],
            }
        )
    mn = 0x100
    for county in city["counties"]:
        sources = by_county[county["code"]]
        town_codes = [t["code"] for t in county["towns"]]
        if county["code"] not in URBAN:
            chosen = town_codes[:3]
        elif HOTSPOT_TOWN in town_codes:
            chosen = [*town_codes[1:3], HOTSPOT_TOWN]
        else:
            chosen = town_codes[1:4]
        for i, code in enumerate(chosen):
            rng = _rng("town-station", code)
            point = _inside(centres[code], shapes[code])
            if county["code"] not in URBAN:
                # Rural towns are large: the three stations (the seat's town and its next two) stand near where
                # the three towns meet, so that each has neighbours within 10 km (the hotspot rule's radius).
                target = _circumcentre(*(centres[c] for c in chosen))
                point = nearest_points(shapes[code].buffer(-0.006), target)[0]
            replay: dict[str, Any] = {"station": sources[i % len(sources)], "factor": round(rng.uniform(0.85, 1.1), 2)}
            if code == HOTSPOT_TOWN:
                replay = {"station": sources[0], "factor": 1.0, "boost": HOTSPOT_BOOST}
            stations.append(
                {
                    "code": f"air-{code}",
                    "name": f"{towns[code]['name']}空气自动站",
                    "kind": "air_station",
                    "level": "town",
                    "station_level": "town",
                    "region": code,
                    **_xy(point),
                    "replay": replay,
                    "device": {"mn": f"371822EC{mn:016X}", "password": _password(rng)},
                }
            )
            mn += 1
    mn = 0x200
    county = next(c for c in city["counties"] if c["code"] == VILLAGE_COUNTY)
    for town in county["towns"][:5]:
        for village in town["villages"][:2]:
            rng = _rng("village-station", village["code"])
            point = _inside(village_centres[village["code"]], shapes[village["code"]], 0.001)
            stations.append(
                {
                    "code": f"air-{village['code']}",
                    "name": f"{town['name']}{village['name'].removesuffix('村委会')}村微型站",
                    "kind": "air_station",
                    "level": "village",
                    "station_level": "village",
                    "region": village["code"],
                    **_xy(point),
                    "replay": {"station": by_county[VILLAGE_COUNTY][0], "factor": round(rng.uniform(0.85, 1.15), 2)},
                    "device": {"mn": f"371822EC{mn:016X}", "password": _password(rng)},
                }
            )
            mn += 1
    for i, (code, river, name, target, behaviour) in enumerate(WATER, start=1):
        rng = _rng("water", code)
        offset = Point(centres[code].x + 0.012, centres[code].y - 0.009)
        stations.append(
            {
                "code": f"wq-{code}",
                "name": name,
                "kind": "water_station",
                "region": code,
                **_xy(_inside(offset, shapes[code])),
                "river": river,
                "water_target": target,
                "behaviour": behaviour,
                "device": {"mn": f"371821EC{i:016X}", "password": _password(rng)},
            }
        )
    for i, (code, name, zone, behaviour) in enumerate(NOISE, start=1):
        rng = _rng("noise", code, i)
        offset = Point(centres[code].x - 0.006, centres[code].y + 0.005)
        stations.append(
            {
                "code": f"noise-{code}",
                "name": name,
                "kind": "noise",
                "region": code,
                **_xy(_inside(offset, shapes[code])),
                "noise_zone": zone,
                "behaviour": behaviour,
                "device": {"mn": f"371823EC{i:016X}", "password": _password(rng)},
            }
        )
    for station in stations:
        if not shapes[station["region"]].contains(Point(station["lon"], station["lat"])):
            raise SystemExit(f"{station['code']} lies outside its region {station['region']}")
    data["sites"] = stations + sites
    fixture_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(features)} boundaries, {len(stations)} stations")


if __name__ == "__main__":
    main()
