"""Validation of official region codes, and whether a located point agrees with its stated region (pure)."""

from __future__ import annotations

from collections.abc import Container

from ecoloop.regions.enums import RegionLevel


class RegionCodeError(ValueError):
    """A region code that does not fit its level or its parent. `reason` says why, for pages to say it in the
    user's language: `digits` (the wrong length; `digits` is the length its level needs), `parent` (not under
    its parent, or a level that cannot sit there), `exists`, `leaf` (nothing sits below a village), `retired` (the
    parent is retired)."""

    def __init__(self, message: str, reason: str = "parent", digits: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.digits = digits


def check_region_code(code: str, level: RegionLevel, parent_code: str | None) -> None:
    """Check a code against the structure of its level.

    City and county use the 6-digit GB/T 2260 codes (city `PPCC00`, county `PPCCXX` under its city);
    towns/streets and villages use the 12-digit statistical division codes of the National Bureau of
    Statistics (统计用区划代码): county code + 3-digit town code + 3-digit village code, town codes
    ending in `000`.
    """
    expected_len = 6 if level in (RegionLevel.CITY, RegionLevel.COUNTY) else 12
    if len(code) != expected_len or not code.isdigit():
        raise RegionCodeError(f"a {level} code has {expected_len} digits, got {code!r}", "digits", expected_len)
    if level is RegionLevel.CITY:
        if parent_code is not None:
            raise RegionCodeError("a city is the root of the tree and has no parent")
        if code[4:] != "00" or code[2:4] == "00":
            raise RegionCodeError(f"a city code has the form PPCC00 with CC != 00, got {code!r}")
        return
    if parent_code is None:
        raise RegionCodeError(f"a {level} needs a parent region")
    if level is RegionLevel.COUNTY:
        if code[:4] != parent_code[:4] or code[4:] == "00":
            raise RegionCodeError(f"county code {code!r} does not belong to city {parent_code!r}")
    elif level is RegionLevel.TOWN:
        if code[:6] != parent_code or code[6:9] == "000" or code[9:] != "000":
            raise RegionCodeError(f"town code {code!r} does not belong to county {parent_code!r}")
    elif code[:9] != parent_code[:9] or code[9:] == "000":
        raise RegionCodeError(f"village code {code!r} does not belong to town {parent_code!r}")


def child_level(level: RegionLevel) -> RegionLevel | None:
    """The level directly below `level`, or None below a village."""
    levels = list(RegionLevel)
    index = levels.index(level)
    return levels[index + 1] if index + 1 < len(levels) else None


def location_disagrees(stated_path: str, located_path: str, bounded: Container[str]) -> bool:
    """Whether a point said to lie in the region at `stated_path` is elsewhere, given the deepest region whose
    boundary holds it (`located_path`) and the codes of the regions whose boundaries are known (`bounded`).

    A point located in the stated region's subtree agrees. A point located in one of its ancestors agrees too
    when no region from below that ancestor down to the stated one has a known boundary (a county known, its
    towns not: the point is somewhere in the county, perhaps in the stated town); had one a boundary holding the
    point, it would have been located there. Anywhere else disagrees.
    """
    if located_path.startswith(stated_path):
        return False
    if not stated_path.startswith(located_path):
        return True
    below = stated_path[len(located_path) :].split(".")[:-1]
    return any(code in bounded for code in below)
