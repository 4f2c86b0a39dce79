"""How alike two complaints are: Chinese texts by their character pairs (the research memo's pairs, §5), places by
their great-circle distance, and the box that pre-filters the places. Values worked by hand in the comments."""

from __future__ import annotations

import math

import pytest

from ecoloop.intake import similarity
from ecoloop.intake.similarity import EARTH_RADIUS_M, bigrams, cosine

# (text, reworded text, |A|, |B|, |A ∩ B|): cosine = |A ∩ B| / √(|A|·|B|).
REWORDED = [
    # 清源化工厂晚上偷排废水河水发黑发臭: 17 characters, 16 pairs; the other 19 characters, 18 pairs; shared:
    # 清源 源化 化工 工厂 偷排 废水 水河 河水 = 8. 8 / √(16·18) = 8 / √288 = 0.4714.
    ("清源化工厂晚上偷排废水，河水发黑发臭", "清源化工厂夜里偷偷排放废水，河水又黑又臭", 16, 18, 8, 0.4714),
    # shared: 东湖 湖路 烧烤 油烟 = 4; 4 / √(17·16) = 4 / √272 = 0.2425.
    ("东湖路烧烤摊油烟太大，熏得窗户都不能开", "东湖路的烧烤店油烟扰民，晚上没法开窗", 17, 16, 4, 0.2425),
    # shared: 工地 施工 还在 在打 打桩 = 5; 5 / √(19·14) = 5 / √266 = 0.3066.
    ("建筑工地夜间施工噪音扰民，凌晨两点还在打桩", "工地晚上施工太吵了，半夜还在打桩", 19, 14, 5, 0.3066),
    # the short one's 8 pairs all in the longer one's 13: 8 / √104 = 0.7845.
    ("红星砖厂烟囱冒黑烟", "红星砖厂烟囱冒黑烟，呛得人咳嗽", 8, 13, 8, 0.7845),
]
UNRELATED = [
    ("清源化工厂晚上偷排废水，河水发黑发臭", "东湖路烧烤摊油烟太大，熏得窗户都不能开"),
    ("某小区垃圾站臭气熏天，垃圾长期不清运", "某工厂烟囱冒黑烟，空气有刺鼻气味"),
]


@pytest.mark.parametrize(("a", "b", "size_a", "size_b", "shared", "expected"), REWORDED)
def test_reworded_reports_of_one_event_score_above_a_fifth(
    a: str, b: str, size_a: int, size_b: int, shared: int, expected: float
) -> None:
    pairs_a, pairs_b = bigrams(a), bigrams(b)
    assert (len(pairs_a), len(pairs_b), len(pairs_a & pairs_b)) == (size_a, size_b, shared)
    assert cosine(pairs_a, pairs_b) == pytest.approx(expected, abs=5e-5)
    assert cosine(pairs_a, pairs_b) > 0.2
    assert cosine(pairs_b, pairs_a) == cosine(pairs_a, pairs_b)


@pytest.mark.parametrize(("a", "b"), UNRELATED)
def test_unrelated_reports_score_nothing(a: str, b: str) -> None:
    assert cosine(bigrams(a), bigrams(b)) == 0.0


def test_normalising_folds_width_and_case_and_drops_punctuation() -> None:
    assert similarity.normalise("ＰＭ２．５超标！ A-B ｃ") == "pm25超标abc"
    assert bigrams("黑烟！") == {"黑烟"}
    assert bigrams("烟") == {"烟"}  # a one-character text is its own pair
    assert bigrams("，。！") == frozenset()
    assert cosine(bigrams(""), bigrams("黑烟")) == 0.0
    assert cosine(bigrams("黑烟"), bigrams("黑烟")) == 1.0


def test_bigrams_are_stored_and_read_back() -> None:
    pairs = bigrams("红星砖厂烟囱冒黑烟")
    assert similarity.packed(pairs) == "冒黑 厂烟 囱冒 星砖 烟囱 砖厂 红星 黑烟"  # sorted by code point
    assert similarity.unpacked(similarity.packed(pairs)) == pairs
    assert similarity.unpacked("") == frozenset()


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        # One degree along a meridian on the mean sphere: 6,371,008.8 × π / 180 = 111,195.08 m.
        ((0.0, 0.0), (1.0, 0.0), 111_195.08),
        ((0.0, 0.0), (0.0, 1.0), 111_195.08),  # one degree along the equator: the same
        ((0.0, 0.0), (90.0, 0.0), 10_007_557.22),  # equator to pole: 6,371,008.8 × π / 2
        ((39.9, 116.4), (39.901, 116.4), 111.20),  # 0.001° of latitude anywhere: 111.195 m
        # 0.001° of longitude at 60°: ≈ 111.195 × cos 60° = 55.60 m.
        ((60.0, 10.0), (60.0, 10.001), 55.60),
        ((39.9, 116.4), (39.9, 116.4), 0.0),
    ],
)
def test_distances_of_known_points_within_a_metre(
    a: tuple[float, float], b: tuple[float, float], metres: float
) -> None:
    assert similarity.distance_m(*a, *b) == pytest.approx(metres, abs=1.0)
    assert similarity.distance_m(*b, *a) == pytest.approx(metres, abs=1.0)


def _point_at(lat: float, lon: float, metres: float, bearing: float) -> tuple[float, float]:
    """The point `metres` away on the sphere in the direction `bearing` (degrees from north)."""
    phi, lam, delta, theta = math.radians(lat), math.radians(lon), metres / EARTH_RADIUS_M, math.radians(bearing)
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lam2)


@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [
        (39.9, 116.4, 500.0),  # Beijing, the default repeat radius
        (53.5, 122.3, 10_000.0),  # Mohe, China's northernmost city, the largest radius allowed
        (18.2, 109.5, 10_000.0),  # Sanya
        (-33.9, 151.2, 100.0),
        (89.95, 0.0, 10_000.0),  # a circle around the pole: every longitude
    ],
)
def test_the_box_contains_the_circle(lat: float, lon: float, radius: float) -> None:
    lat_min, lat_max, lon_min, lon_max = similarity.box(lat, lon, radius)
    for step in range(36_000):  # every 0.01° of bearing: the widest points are found to well under a millimetre
        y, x = _point_at(lat, lon, radius, step / 100)
        assert similarity.distance_m(lat, lon, y, x) == pytest.approx(radius, abs=1e-3)
        if lon_max - lon_min < 360:
            x = (x - lon_min) % 360 + lon_min  # the same meridian, written within the box's range
        # Within rounding (1e-9° is 0.1 mm); the box missed the widest points by up to 1.1e-7° (7 mm) at Mohe.
        assert lat_min - 1e-9 <= y <= lat_max + 1e-9
        assert lon_min - 1e-9 <= x <= lon_max + 1e-9, (step / 100, x - lon_max)
    # And not much more: the box's height is the circle's.
    assert (lat_max - lat_min) == pytest.approx(2 * math.degrees(radius / EARTH_RADIUS_M))
