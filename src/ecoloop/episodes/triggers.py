"""Which warning level a daily-AQI series meets (pure): the trigger rules (预警启动条件) as data, one or more rules
per level, each a set of conditions "daily AQI above N for at least H hours" combined with AND or OR; a level is
met when any of its rules is. The analyst decides; the level is only proposed.

Sources (docs/episodes.md, "Triggers"):
- default: 环大气 [2024] 6 号 《关于进一步优化重污染天气应对机制的指导意见》 (2024-01-23): yellow when the
  forecast daily AQI > 200 or daily AQI > 150 lasts 48 hours or more; orange when daily AQI > 200 lasts 48 hours or
  daily AQI > 150 lasts 72 hours; red when daily AQI > 200 lasts 72 hours and daily AQI > 300 lasts 24 hours. The
  yellow rule's "> 200" is read as "for at least 24 hours" [unverified reading of the text].
- preset: the 2017 work plan (环大气 [2017] 86 号 and the ministry's slides of 2017-09-20): yellow > 200 for 48 hours;
  orange > 200 for 72 hours and > 300 on some day; red > 200 for 96 hours and > 300 for 48 hours, or a forecast of
  500 (read as "AQI above 499 for 24 hours"). Its blue level (> 200 for one day) is not a level of ecoloop.

A series is one AQI per calendar day, observed days then forecast days; a run of N consecutive days above a
threshold lasts 24 N hours (the guidance's "daily AQI over any 24 consecutive hours" is approximated by calendar
days [unverified approximation]). A missing day breaks a run."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Final

from ecoloop.episodes.enums import WarningLevel
from ecoloop.i18n import N_

HOURS_PER_DAY: Final = 24


class Combine(StrEnum):
    """How a rule's conditions combine: all of them (AND) or any of them (OR)."""

    ALL = "and"
    ANY = "or"


@dataclass(frozen=True, slots=True)
class Condition:
    """Daily AQI above `above` (strictly) for at least `hours` hours in a row."""

    above: int
    hours: int

    def met_by(self, series: Sequence[tuple[date, int | None]]) -> bool:
        return longest_run_hours(series, self.above) >= self.hours


@dataclass(frozen=True, slots=True)
class LevelRule:
    """One way to meet a level: its conditions combined with AND or OR."""

    level: WarningLevel
    combine: Combine
    conditions: tuple[Condition, ...]

    def met_by(self, series: Sequence[tuple[date, int | None]]) -> bool:
        results = (c.met_by(series) for c in self.conditions)
        return all(results) if self.combine is Combine.ALL else any(results)


@dataclass(frozen=True, slots=True)
class TriggerSet:
    """The trigger rules of every level, and the source they follow."""

    rules: tuple[LevelRule, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "rules": [
                {
                    "level": r.level.value,
                    "combine": r.combine.value,
                    "conditions": [{"above": c.above, "hours": c.hours} for c in r.conditions],
                }
                for r in self.rules
            ]
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TriggerSet:
        return cls(
            tuple(
                LevelRule(
                    WarningLevel(r["level"]),
                    Combine(r["combine"]),
                    tuple(Condition(int(c["above"]), int(c["hours"])) for c in r["conditions"]),
                )
                for r in data["rules"]
            )
        )


def _rule(level: WarningLevel, combine: Combine, *conditions: tuple[int, int]) -> LevelRule:
    # One condition reads the same with AND and OR: OR, as the text of a single condition parses.
    combine = combine if len(conditions) > 1 else Combine.ANY
    return LevelRule(level, combine, tuple(Condition(above, hours) for above, hours in conditions))


YELLOW, ORANGE, RED = WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED
# 环大气 [2024] 6 号 (the default).
PRESET_2024: Final = TriggerSet(
    (
        _rule(YELLOW, Combine.ANY, (200, 24), (150, 48)),
        _rule(ORANGE, Combine.ANY, (200, 48), (150, 72)),
        _rule(RED, Combine.ALL, (200, 72), (300, 24)),
    )
)
# 环大气 [2017] 86 号 work plan (a preset).
PRESET_2017: Final = TriggerSet(
    (
        _rule(YELLOW, Combine.ALL, (200, 48)),
        _rule(ORANGE, Combine.ALL, (200, 72), (300, 24)),
        _rule(RED, Combine.ALL, (200, 96), (300, 48)),
        _rule(RED, Combine.ALL, (499, 24)),
    )
)
PRESETS: Final = {"2024": PRESET_2024, "2017": PRESET_2017}
PRESET_LABELS: Final = {
    "2024": N_("Guidance of 2024 (default)"),
    "2017": N_("Work plan of 2017"),
}


def longest_run_hours(series: Sequence[tuple[date, int | None]], above: int) -> int:
    """The longest run of consecutive days whose AQI is above `above`, in hours (24 per day)."""
    best = run = 0
    previous: date | None = None
    for day, aqi in sorted(series, key=lambda pair: pair[0]):
        consecutive = previous is not None and day == previous + timedelta(days=1)
        above_now = aqi is not None and aqi > above
        run = (run + 1 if consecutive else 1) if above_now else 0
        best = max(best, run)
        previous = day
    return best * HOURS_PER_DAY


def proposed_level(series: Sequence[tuple[date, int | None]], triggers: TriggerSet) -> LevelRule | None:
    """The rule of the strictest level the series meets (the first such rule as written), or None."""
    met = [rule for rule in triggers.rules if rule.met_by(series)]
    if not met:
        return None
    top = max(rule.level.rank for rule in met)
    return next(rule for rule in met if rule.level.rank == top)


# --- the rules as text (the settings page) -------------------------------------------------------------------------

_CONDITION: Final = re.compile(r"^\s*AQI\s*>\s*(\d{1,3})\s*(\d{1,3})\s*h\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Words:
    """The words of the rules' text: each level's name and the two joiners (the settings page writes them in the
    user's language; the English ones are always read too)."""

    levels: Mapping[WarningLevel, str]
    all: str = "AND"
    any: str = "OR"


ENGLISH: Final = Words({level: level.value for level in WarningLevel})


class TriggerTextError(ValueError):
    """A line of the rules' text that cannot be read (`line` counts from 1)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def as_text(triggers: TriggerSet, words: Words = ENGLISH) -> str:
    """The rules one per line, e.g. `yellow: AQI>200 24h OR AQI>150 48h`."""
    lines = []
    for rule in triggers.rules:
        joiner = f" {words.all} " if rule.combine is Combine.ALL else f" {words.any} "
        conditions = joiner.join(f"AQI>{c.above} {c.hours}h" for c in rule.conditions)
        lines.append(f"{words.levels[rule.level]}: {conditions}")
    return "\n".join(lines)


def parse_text(text: str, words: Words = ENGLISH) -> TriggerSet:
    """The rules written one per line as `as_text` writes them (in `words` or in English; blank lines skipped); a
    line mixing AND and OR, a threshold above 500 or a duration of 0 or above 240 hours is refused with its
    number."""
    names = {name.casefold(): level for level, name in words.levels.items()}
    names.update({name.casefold(): level for level, name in ENGLISH.levels.items()})
    all_words = {words.all.casefold(), ENGLISH.all.casefold()}
    any_words = {words.any.casefold(), ENGLISH.any.casefold()}
    joiner = re.compile(
        r"\s+(" + "|".join(re.escape(w) for w in sorted(all_words | any_words, key=len, reverse=True)) + r")\s+",
        re.IGNORECASE,
    )
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        head, colon, body = line.replace("\uff1a", ":").partition(":")
        level = names.get(head.strip().casefold())
        if not colon or level is None:
            raise TriggerTextError(number)
        parts = joiner.split(body.strip())
        conditions, used = parts[0::2], {p.casefold() for p in parts[1::2]}
        if used & all_words and used & any_words:
            raise TriggerTextError(number)
        found = []
        for part in conditions:
            cond = _CONDITION.match(part)
            if cond is None:
                raise TriggerTextError(number)
            above, hours = int(cond.group(1)), int(cond.group(2))
            if above > 500 or not 0 < hours <= 240:
                raise TriggerTextError(number)
            found.append(Condition(above, hours))
        combine = Combine.ALL if used & all_words else Combine.ANY
        rules.append(LevelRule(level, combine, tuple(found)))
    if not rules:
        raise TriggerTextError(1)
    return TriggerSet(tuple(rules))
