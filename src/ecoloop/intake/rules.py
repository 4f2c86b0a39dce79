"""The intake rules (pure): the settings, the time limits of a complaint, whether a new complaint repeats an open
case, the priority repeats raise, and what the citizen's rating does.

Time limits: the defaults follow the 信访工作条例 (2022): a petition office decides how to dispose of a matter
within 15 days of receiving it (第二十二条), an organ concludes a matter within 60 days of accepting it, extendable
once by at most 30 days with its head's approval and the reason told to the petitioner. The regulation counts
"日"; the bureau chooses per limit whether its days are working days (the default here, as the bureau asked) or
calendar days (then a period ending on a day off ends on the next working day, Civil Code Art. 203). Working days
are counted on the bureau's calendar (`cases.workdays`): public holidays off, make-up weekend days on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from ecoloop.cases.enums import Severity
from ecoloop.cases.workdays import WorkCalendar
from ecoloop.intake.enums import Satisfaction, Status


class Unit(StrEnum):
    """How a time limit counts its days."""

    WORKING = "working"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class Limit:
    """One time limit: so many days of a unit."""

    days: int
    unit: Unit = Unit.WORKING


@dataclass(frozen=True)
class Config:
    """The intake settings (stored as JSON, versioned by the day they apply from)."""

    accept: Limit = Limit(15)  # decide acceptance (信访工作条例 第二十二条)
    conclude: Limit = Limit(60)  # conclude after acceptance
    extension: Limit = Limit(30)  # one extension at most
    repeat_radius_m: int = 500  # a repeat is reported within this distance …
    repeat_days: int = 30  # … within this many days of the case's first complaint …
    repeat_similarity: float = 0.3  # … with texts at least this alike (bigram cosine), or
    repeat_near_m: int = 100  # … this close whatever the words
    high_after: int = 3  # a case reported this many times is urgent …
    critical_after: int = 10  # … and this many times critical
    reply_rating_days: int = 15  # days the citizen has to rate a reply; unrated, it concludes
    reward_max: int = field(default=100_000)  # the largest reward, yuan


class ConfigError(ValueError):
    """A setting out of its range; `code` is stable."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check(parameters: dict[str, Any]) -> Config:
    """The settings from their JSON, every value within its range (ConfigError otherwise)."""
    base = asdict(Config())
    merged = {**base, **{k: v for k, v in parameters.items() if k in base}}
    try:
        limits = {
            key: Limit(int(merged[key]["days"]), Unit(merged[key]["unit"]))
            for key in ("accept", "conclude", "extension")
        }
        config = Config(
            **limits,
            repeat_radius_m=int(merged["repeat_radius_m"]),
            repeat_days=int(merged["repeat_days"]),
            repeat_similarity=float(merged["repeat_similarity"]),
            repeat_near_m=int(merged["repeat_near_m"]),
            high_after=int(merged["high_after"]),
            critical_after=int(merged["critical_after"]),
            reply_rating_days=int(merged["reply_rating_days"]),
            reward_max=int(merged["reward_max"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError("invalid") from exc
    if not all(1 <= limit.days <= 365 for limit in limits.values()):
        raise ConfigError("limit_days")
    if not (10 <= config.repeat_radius_m <= 10_000 and 0 <= config.repeat_near_m <= config.repeat_radius_m):
        raise ConfigError("repeat_distance")
    if not (1 <= config.repeat_days <= 365 and 0.0 <= config.repeat_similarity <= 1.0):
        raise ConfigError("repeat_window")
    if not (2 <= config.high_after <= config.critical_after <= 1000):
        raise ConfigError("repeat_priority")
    if not (1 <= config.reply_rating_days <= 90 and 0 <= config.reward_max <= 10_000_000):
        raise ConfigError("reply_or_reward")
    return config


def as_json(config: Config) -> dict[str, Any]:
    return asdict(config)


@dataclass(frozen=True)
class Due:
    """A deadline, and whether it is provisional: it runs into a year whose holidays nobody entered yet, counted
    Monday to Friday until the bureau enters them."""

    day: date
    provisional: bool


def due(calendar: WorkCalendar, start: date, limit: Limit) -> Due:
    """The last day of `limit` counted from `start` (not counted, Civil Code Art. 201)."""
    lenient = WorkCalendar(calendar.overrides, assume_weekdays=True)
    count = lenient.add_workdays if limit.unit is Unit.WORKING else lenient.add_days
    day = count(start, limit.days)
    years = range(start.year, day.year + 1)
    return Due(day, provisional=not all(calendar.knows(year) for year in years))


@dataclass(frozen=True)
class Candidate:
    """An open case that an earlier complaint opened, as the repeat search sees it."""

    case_id: int
    distance_m: float | None  # None when either has no point (then the same town and address decide)
    same_address: bool
    similarity: float


def is_repeat(candidate: Candidate, config: Config) -> bool:
    """Whether a new complaint (same category, within the window: the search's filters) reports the candidate's
    problem again: close enough, and either very close or worded alike; without points, the same address."""
    if candidate.distance_m is None:
        return candidate.same_address
    if candidate.distance_m > config.repeat_radius_m:
        return False
    return candidate.distance_m <= config.repeat_near_m or candidate.similarity >= config.repeat_similarity


def best_repeat(candidates: list[Candidate], config: Config) -> Candidate | None:
    """The repeated case: the closest, then the most alike, of those that qualify."""
    qualifying = [c for c in candidates if is_repeat(c, config)]
    if not qualifying:
        return None
    return min(qualifying, key=lambda c: (c.distance_m if c.distance_m is not None else 0.0, -c.similarity, c.case_id))


def priority(reports: int, config: Config, current: Severity) -> Severity:
    """A case's urgency after `reports` complaints about it: raised, never lowered."""
    order = list(Severity)
    wanted = current
    if reports >= config.critical_after:
        wanted = Severity.CRITICAL
    elif reports >= config.high_after:
        wanted = Severity.HIGH
    return max(current, wanted, key=order.index)


def after_rating(rating: Satisfaction) -> Status:
    """Where a replied complaint goes when the citizen rates the reply: not satisfied sends it back for review
    (复查), otherwise it concludes."""
    return Status.REVIEW if rating is Satisfaction.NOT_SATISFIED else Status.CLOSED
