"""The level a daily-AQI series meets, under the 2024 default and the 2017 preset (series worked by hand)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ecoloop.episodes.enums import WarningLevel
from ecoloop.episodes.triggers import (
    PRESET_2017,
    PRESET_2024,
    TriggerSet,
    TriggerTextError,
    Words,
    as_text,
    longest_run_hours,
    parse_text,
    proposed_level,
)

D0 = date(2026, 12, 10)


def series(*aqi: int | None) -> list[tuple[date, int | None]]:
    return [(D0 + timedelta(days=i), v) for i, v in enumerate(aqi)]


@pytest.mark.parametrize(
    ("values", "above", "hours"),
    [
        ((180, 210, 160, 120), 150, 72),  # 180, 210, 160: three days
        ((180, 210, 160, 120), 200, 24),
        ((210, None, 220), 200, 24),  # a missing day breaks the run
        ((100, 120), 150, 0),
    ],
)
def test_longest_run(values: tuple[int | None, ...], above: int, hours: int) -> None:
    assert longest_run_hours(series(*values), above) == hours


def test_a_gap_in_the_days_breaks_the_run() -> None:
    gapped = [(D0, 210), (D0 + timedelta(days=2), 220)]
    assert longest_run_hours(gapped, 200) == 24


@pytest.mark.parametrize(
    ("values", "level_2024", "level_2017"),
    [
        # >150 for 2 days: 2024 yellow (>150 48 h); 2017 nothing (needs >200 for 48 h).
        ((160, 170, 140), WarningLevel.YELLOW, None),
        # >200 one day and >150 three days in a row: 2024 orange (>150 72 h); 2017 nothing.
        ((180, 210, 160, 120), WarningLevel.ORANGE, None),
        # >200 two days: 2024 orange (>200 48 h); 2017 yellow (>200 48 h).
        ((210, 230, 140), WarningLevel.ORANGE, WarningLevel.YELLOW),
        # >200 four days, >300 one day: 2024 red (>200 72 h and >300 24 h); 2017 orange (red needs >300 48 h).
        ((220, 250, 310, 230), WarningLevel.RED, WarningLevel.ORANGE),
        # >200 three days without >300: 2024 orange (red needs both); 2017 yellow (orange needs >300 too).
        ((220, 250, 260), WarningLevel.ORANGE, WarningLevel.YELLOW),
        # one day of 500: 2017 red (a forecast of 500); 2024 yellow (>200 24 h).
        ((500,), WarningLevel.YELLOW, WarningLevel.RED),
        ((120, 140, 150), None, None),  # 150 is not above 150
    ],
)
def test_proposed_level(
    values: tuple[int, ...], level_2024: WarningLevel | None, level_2017: WarningLevel | None
) -> None:
    for preset, expected in ((PRESET_2024, level_2024), (PRESET_2017, level_2017)):
        rule = proposed_level(series(*values), preset)
        assert (rule.level if rule else None) == expected


@pytest.mark.parametrize("preset", [PRESET_2024, PRESET_2017])
def test_rules_survive_text_and_json(preset: TriggerSet) -> None:
    assert parse_text(as_text(preset)) == preset
    assert TriggerSet.from_json(preset.to_json()) == preset


def test_the_default_as_text() -> None:
    assert as_text(PRESET_2024).splitlines() == [
        "yellow: AQI>200 24h OR AQI>150 48h",
        "orange: AQI>200 48h OR AQI>150 72h",
        "red: AQI>200 72h AND AQI>300 24h",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("yellow: AQI>200 24h\nblue: AQI>200 24h", 2),
        ("red: AQI>200 72h AND AQI>300 24h OR AQI>450 24h", 1),
        ("orange: AQI>600 24h", 1),
        ("orange: AQI>200 0h", 1),
        ("orange: PM2.5>200 24h", 1),
    ],
)
def test_unreadable_lines_are_refused_with_their_number(text: str, line: int) -> None:
    with pytest.raises(TriggerTextError) as caught:
        parse_text(text)
    assert caught.value.line == line


def test_rules_in_the_users_words() -> None:
    words = Words(
        {WarningLevel.YELLOW: "黄色预警", WarningLevel.ORANGE: "橙色预警", WarningLevel.RED: "红色预警"}, "且", "或"
    )
    text = as_text(PRESET_2024, words)
    assert text.splitlines()[2] == "红色预警: AQI>200 72h 且 AQI>300 24h"
    assert parse_text(text, words) == PRESET_2024
    mixed = "黄色预警：AQI>200 24h or AQI>150 48h\norange: AQI>200 48h 或 AQI>150 72h\n" + text.splitlines()[2]
    assert parse_text(mixed, words) == PRESET_2024
    with pytest.raises(TriggerTextError):
        parse_text("红色预警: AQI>200 72h 且 AQI>300 24h 或 AQI>450 24h", words)
