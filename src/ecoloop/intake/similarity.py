"""How alike two complaints are (pure): Chinese text by its character pairs, places by their distance.

Chinese is written without spaces, so words are not split (a dictionary segmenter scored no better on reworded
complaints and costs half a second to load): a text is compared by the set of its adjacent character pairs
(bigrams) after folding width and case and dropping punctuation, with the cosine of the two sets. Text is a weak
signal for reworded reports of one event (0.2 to 0.5 on real pairs, 0 on unrelated ones), so place, category and
time decide first and text confirms (`rules.is_repeat`)."""

from __future__ import annotations

import math
import unicodedata

EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG), metres


def normalise(text: str) -> str:
    """The text folded (NFKC: full-width letters and digits to half-width), lower-cased, with punctuation, symbols
    and spaces removed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def bigrams(text: str) -> frozenset[str]:
    """The adjacent character pairs of the normalised text; a one-character text is its own pair."""
    plain = normalise(text)
    if len(plain) < 2:
        return frozenset({plain}) if plain else frozenset()
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def packed(pairs: frozenset[str]) -> str:
    """Bigrams as stored with a complaint (sorted, space-separated), so that a search reads instead of recomputes."""
    return " ".join(sorted(pairs))


def unpacked(text: str) -> frozenset[str]:
    return frozenset(text.split())


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    """|A ∩ B| / √(|A|·|B|): 1 for the same pairs, 0 for none in common or an empty text."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres (haversine), enough for the few hundred metres of a repeat."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """A latitude/longitude box containing the circle of `radius_m` around the point (for an indexed pre-filter):
    (lat_min, lat_max, lon_min, lon_max)."""
    angle = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angle)
    # The circle reaches furthest east and west at asin(sin δ / cos φ), a little more than δ / cos φ (by ~7 mm for
    # 10 km at 53.5° N): the smaller box left the edge of the circle outside it. Near a pole it spans every longitude.
    ratio = math.sin(angle) / max(math.cos(math.radians(lat)), 1e-12)
    dlon = 180.0 if ratio >= 1 else math.degrees(math.asin(ratio))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
