"""Importing region boundaries (issue 15): a GeoJSON FeatureCollection, one feature per region, imported whole
or not at all, with every problem named by the feature's place in `features` and its region code.

A feature names its region by the property `code`, else `adcode` (the DataV and Amap files), else `区划代码`; a
nine-digit town code stands for the twelve-digit one ending in 000. Its geometry is a Polygon or MultiPolygon in
WGS-84, longitude first. A boundary that reaches outside the boundary of the region above it by more than
`OUTSIDE_TOLERANCE` of its area is refused (a town given the wrong county's code, not the slivers where two
sources draw a shared edge a little differently); so is a new boundary that leaves a stored one below it outside.
Boundaries are stored with coordinates rounded to 6 decimals (about 0.1 m), and every site is placed again.
"""

from __future__ import annotations

import json
import math
import reprlib
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.i18n import N_, gettext
from ecoloop.regions.locate import geometry_of
from ecoloop.regions.models import Region
from ecoloop.regions.service import relocate

MAX_BOUNDARIES_BYTES = 20 * 1024 * 1024
# The properties that may carry a feature's region code, in the order they are looked for.
CODE_PROPERTIES = ("code", "adcode", "\u533a\u5212\u4ee3\u7801")  # the last one is 区划代码
OUTSIDE_TOLERANCE = 0.01
DECIMALS = 6
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")

MESSAGES = {
    "too_large": N_("The file is larger than %(value)s MB."),
    "not_json": N_("The file is not GeoJSON (JSON text in UTF-8): %(value)s"),
    "not_collection": N_("The file is not a GeoJSON FeatureCollection (an object with a list of features)."),
    "no_features": N_("The file has no features."),
    "not_feature": N_("Not a GeoJSON Feature (an object with geometry and properties)."),
    "no_code": N_("The feature has no region code: give it one of the properties %(value)s."),
    "bad_code": N_("%(value)s is not a region code (6 or 12 digits)."),
    "unknown_region": N_("There is no region with the code %(value)s in your area."),
    "duplicate": N_("The region is given twice: feature %(value)s gives it already."),
    "geometry_type": N_("The geometry is %(value)s; a boundary is a Polygon or a MultiPolygon."),
    "coordinates": N_("The coordinates are not rings of [longitude, latitude] positions: %(value)s"),
    "out_of_range": N_(
        "The position %(value)s is not longitude (-180 to 180) and latitude (-90 to 90) in WGS-84 degrees."
    ),
    "invalid": N_("The geometry is not valid: %(value)s"),
    "outside_parent": N_("%(value)s of this area lies outside the boundary of the region above it."),
    "child_outside": N_("The stored boundary of the region %(value)s below this one would lie outside it."),
}


@dataclass(frozen=True)
class BoundaryProblem:
    """Why a feature (by its index in `features`; None for the file as a whole) cannot be imported."""

    index: int | None
    code: str
    reason: str
    value: str = ""

    @property
    def message(self) -> str:
        """The problem in the current language."""
        return gettext(MESSAGES[self.reason]) % {"value": self.value}

    def describe(self) -> str:
        """Where and what, in the current language, with the reason (for the CLI)."""
        where = f"features[{self.index}] {self.code}".strip() if self.index is not None else ""
        text = f"{self.message} [{self.reason}]"
        return f"{where}: {text}" if where else text


@dataclass
class BoundaryReport:
    """What an import did: the problems (nothing stored when there is one), the boundaries added, replaced and
    left as they were, and how many sites' located region changed."""

    problems: list[BoundaryProblem] = field(default_factory=list)
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    relocated: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Feature:
    index: int
    code: str
    geometry: BaseGeometry
    text: str


def import_boundaries(session: Session, principal: Principal, data: bytes) -> BoundaryReport:
    """Store the boundaries of a GeoJSON FeatureCollection for the regions of the principal's area, all or none,
    then place every located record again. The caller rolls back when the report has problems."""
    report = BoundaryReport()
    if len(data) > MAX_BOUNDARIES_BYTES:
        report.problems.append(BoundaryProblem(None, "", "too_large", str(MAX_BOUNDARIES_BYTES // (1024 * 1024))))
        return report
    features = _read_features(data, report.problems)
    regions = _regions_of(session, principal, features, report.problems)
    if report.problems:
        return report
    report.problems.extend(_containment_problems(session, features, regions))
    if report.problems:
        return report
    for feature in features:
        region = regions[feature.code]
        if region.boundary == feature.text:
            report.unchanged += 1
            continue
        if region.boundary is None:
            report.added += 1
        else:
            report.replaced += 1
        region.boundary = feature.text
    session.flush()
    report.relocated = relocate(session)
    return report


def _read_features(data: bytes, problems: list[BoundaryProblem]) -> list[_Feature]:
    """The features of the file with a code and a sound geometry; the problems of the others."""
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        problems.append(BoundaryProblem(None, "", "not_json", str(exc)[:200]))
        return []
    items = document.get("features") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" or not isinstance(items, list):
        problems.append(BoundaryProblem(None, "", "not_collection"))
        return []
    if not items:
        problems.append(BoundaryProblem(None, "", "no_features"))
    features: list[_Feature] = []
    first_of: dict[str, int] = {}
    for index, item in enumerate(items):
        feature = _read_feature(index, item, problems)
        if feature is None:
            continue
        if feature.code in first_of:
            problems.append(BoundaryProblem(index, feature.code, "duplicate", str(first_of[feature.code])))
            continue
        first_of[feature.code] = index
        features.append(feature)
    return features


def _read_feature(index: int, item: Any, problems: list[BoundaryProblem]) -> _Feature | None:
    if not isinstance(item, dict) or not isinstance(item.get("geometry"), dict):
        problems.append(BoundaryProblem(index, "", "not_feature"))
        return None
    properties = item.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    given = next((properties[key] for key in CODE_PROPERTIES if properties.get(key) not in (None, "")), None)
    if given is None or isinstance(given, bool | float):
        value = ", ".join(CODE_PROPERTIES) if given is None else str(given)
        problems.append(BoundaryProblem(index, "", "no_code" if given is None else "bad_code", value))
        return None
    code = str(given).strip()
    code = code + "000" if len(code) == 9 and code.isdigit() else code
    if not code.isdigit() or len(code) not in (6, 12):
        problems.append(BoundaryProblem(index, code[:24], "bad_code", code[:24]))
        return None
    geometry = item["geometry"]
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        shown = kind[:40] if isinstance(kind, str) else _QUOTE.repr(kind)
        problems.append(BoundaryProblem(index, code, "geometry_type", shown))
        return None
    try:
        polygons = [geometry.get("coordinates")] if kind == "Polygon" else _list(geometry.get("coordinates"))
        rounded = [_polygon(p) for p in polygons]
    except _BadPosition as exc:
        problems.append(BoundaryProblem(index, code, exc.reason, exc.detail))
        return None
    normal = {"type": kind, "coordinates": rounded[0] if kind == "Polygon" else rounded}
    shaped = shape(normal)
    if shaped.is_empty or not shaped.is_valid:
        problems.append(BoundaryProblem(index, code, "invalid", explain_validity(shaped) or "empty"))
        return None
    return _Feature(index, code, shaped, json.dumps(normal, separators=(",", ":")))


class _BadPosition(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in JSON")


# What a message quotes of a malformed part of the file: a few levels and items, never the whole of it.
_QUOTE = reprlib.Repr()
_QUOTE.maxlevel, _QUOTE.maxlist, _QUOTE.maxstring, _QUOTE.maxother = 3, 4, 40, 40


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _BadPosition("coordinates", _QUOTE.repr(value))
    return value


def _polygon(rings: Any) -> list[list[list[float]]]:
    """A polygon's rings with each position checked and rounded: [[lon, lat], …], at least 4 positions each."""
    out = []
    for ring in _list(rings):
        positions = [_position(p) for p in _list(ring)]
        if len(positions) < 4:
            raise _BadPosition("coordinates", _QUOTE.repr(ring))
        out.append(positions)
    return out


def _position(position: Any) -> list[float]:
    valid = (
        isinstance(position, list)
        and len(position) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
    )
    if not valid:
        raise _BadPosition("coordinates", _QUOTE.repr(position))
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise _BadPosition("out_of_range", f"[{position[0]}, {position[1]}]")
    return [round(lon, DECIMALS), round(lat, DECIMALS)]


def _regions_of(
    session: Session, principal: Principal, features: list[_Feature], problems: list[BoundaryProblem]
) -> dict[str, Region]:
    """The regions the features name, among those of the principal's area."""
    codes = [f.code for f in features]
    stmt = scoped(select(Region).where(Region.code.in_(codes)), principal, Region)
    found = {r.code: r for r in session.scalars(stmt)} if codes else {}
    problems.extend(BoundaryProblem(f.index, f.code, "unknown_region", f.code) for f in features if f.code not in found)
    return found


def _containment_problems(
    session: Session, features: list[_Feature], regions: dict[str, Region]
) -> list[BoundaryProblem]:
    """The features that reach outside their parent's boundary (given in the file or stored), and those that would
    leave a stored boundary below them outside."""
    new = {regions[f.code].id: f.geometry for f in features}
    ids = list(new)
    parent_ids = {r.parent_id for r in regions.values() if r.parent_id is not None}
    stmt = select(Region).where(Region.boundary.is_not(None), or_(Region.id.in_(parent_ids), Region.parent_id.in_(ids)))
    stored = {r.id: r for r in session.scalars(stmt) if r.id not in new}
    shapes = {**{i: geometry_of(r.boundary) for i, r in stored.items() if r.boundary}, **new}
    problems = []
    for feature in features:
        region = regions[feature.code]
        parent = shapes.get(region.parent_id) if region.parent_id is not None else None
        share = _share_outside(feature.geometry, parent) if parent is not None else 0.0
        if share > OUTSIDE_TOLERANCE:
            problems.append(BoundaryProblem(feature.index, feature.code, "outside_parent", f"{share:.1%}"))
        for child in (r for r in stored.values() if r.parent_id == region.id):
            if _share_outside(shapes[child.id], feature.geometry) > OUTSIDE_TOLERANCE:
                problems.append(BoundaryProblem(feature.index, feature.code, "child_outside", child.code))
    return problems


def _share_outside(inner: BaseGeometry, outer: BaseGeometry) -> float:
    """The share of `inner`'s area outside `outer`."""
    area = inner.area
    if area == 0:
        return 0.0
    try:
        return float(shapely.difference(inner, outer).area / area)
    except shapely.errors.GEOSException:  # a stored boundary GEOS cannot work with: nothing to compare with
        return 0.0
