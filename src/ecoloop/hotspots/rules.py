"""Hotspot orders (高值热点消除指令) as values (pure): where the suspects lie from the station, the order's clock,
the effect of the action on the station's values, and when an order escalates (督办 → 约谈).

Sources of the practice (research memo of issue 20, §5): MEE's 千里眼计划 grids and their monthly bulletins (a grid
warned 3 times in a row, or 6 times within a year, leads to 约谈); the local practice of "30 分钟响应 / 2 小时到场 /
24 小时反馈" for micro-station alarms [unverified: no national deadline was found]; a suspect radius of about 2 km
(half a 3 km grid) [inference]; the effect as the change of the station's mean against the change at its
neighbours (difference in differences) [unverified: no published method was found]. Every number here is a default
that the settings or the dispatcher change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ecoloop.alerts.rules import distance_km
from ecoloop.i18n import N_

TENTH = Decimal("0.1")


# --- where a suspect lies -------------------------------------------------------------------------------------------


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The initial great-circle bearing from point 1 to point 2 in degrees clockwise from north, 0 ≤ θ < 360.

    θ = atan2(sin Δλ · cos φ2, cos φ1 · sin φ2 - sin φ1 · cos φ2 · cos Δλ) (the forward azimuth on a sphere, e.g.
    E. Williams, Aviation Formulary, "Course between points"); the distance is the haversine formula of
    `alerts.rules.distance_km` (R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68 (2), 1984)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_lambda = math.radians(lon2 - lon1)
    y = math.sin(d_lambda) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lambda)
    return math.degrees(math.atan2(y, x)) % 360.0


class Direction(StrEnum):
    """The eight compass points, each the 45° sector centred on it (北 is 337.5° to 22.5°)."""

    N = "n"
    NE = "ne"
    E = "e"
    SE = "se"
    S = "s"
    SW = "sw"
    W = "w"
    NW = "nw"

    @property
    def label(self) -> str:
        return DIRECTION_LABELS[self]


DIRECTION_LABELS = {
    Direction.N: N_("north"),
    Direction.NE: N_("northeast"),
    Direction.E: N_("east"),
    Direction.SE: N_("southeast"),
    Direction.S: N_("south"),
    Direction.SW: N_("southwest"),
    Direction.W: N_("west"),
    Direction.NW: N_("northwest"),
}
_POINTS = list(Direction)


def compass(bearing: float) -> Direction:
    """The compass point of a bearing in degrees (sectors of 45° centred on the points)."""
    return _POINTS[int(((bearing % 360.0) + 22.5) // 45.0) % 8]


def angle_between(a: float, b: float) -> float:
    """The smaller angle between two bearings in degrees, 0 ≤ angle ≤ 180."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


@dataclass(frozen=True)
class Candidate:
    """A place that may cause the hotspot: an enterprise or a registered source, by a key unique in the search
    (e.g. "enterprise:12", "source:5")."""

    key: str
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Suspect:
    """A candidate within the radius: its distance (km), the bearing from the station to it, and whether it lies
    upwind (None when the wind direction is not known)."""

    candidate: Candidate
    distance_km: float
    bearing: float
    direction: Direction
    upwind: bool | None


UPWIND_HALF_ANGLE = 45.0  # a source within ±45° of where the wind comes from is upwind (ecoloop's choice)


def suspects(
    lon: float,
    lat: float,
    candidates: Sequence[Candidate],
    radius_km: float,
    wind_from: float | None = None,
    upwind_half_angle: float = UPWIND_HALF_ANGLE,
) -> list[Suspect]:
    """The candidates within `radius_km` of the station at (lon, lat), nearest first; with the wind direction
    (meteorological: where the wind comes from, HJ 212 a01008) the upwind ones come first, each group nearest first.
    A source upwind of the station is where its air comes from [unverified design, memo §5]."""
    found = []
    for c in candidates:
        distance = distance_km(lon, lat, c.lon, c.lat)
        if distance > radius_km:
            continue
        bearing = bearing_deg(lon, lat, c.lon, c.lat)
        upwind = None if wind_from is None else angle_between(bearing, wind_from) <= upwind_half_angle
        found.append(Suspect(c, distance, bearing, compass(bearing), upwind))
    return sorted(found, key=lambda s: (s.upwind is False, s.distance_km, s.candidate.name, s.candidate.key))


# --- the clock ------------------------------------------------------------------------------------------------------


class Stage(StrEnum):
    """The three time limits of an order: respond (签收), be on site (到场), reply (反馈)."""

    RESPOND = "respond"
    ON_SITE = "on_site"
    REPLY = "reply"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.RESPOND: N_("Respond by"),
    Stage.ON_SITE: N_("On site by"),
    Stage.REPLY: N_("Reply by"),
}


@dataclass(frozen=True)
class TimeLimits:
    """How long the lead unit has from dispatch: "30 分钟响应 / 2 小时到场 / 24 小时反馈" (local practice for
    micro-station alarms, memo §5 [unverified]; settings change the defaults, the dispatcher each order's)."""

    respond: timedelta = timedelta(minutes=30)
    on_site: timedelta = timedelta(hours=2)
    reply: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.respond <= self.on_site <= self.reply:
            raise ValueError("the limits must be positive and respond ≤ on site ≤ reply")


@dataclass(frozen=True)
class Clock:
    """An order's due times and when each step was done (None: not yet)."""

    dispatched_at: datetime
    respond_due: datetime
    on_site_due: datetime
    reply_due: datetime
    responded_at: datetime | None = None
    on_site_at: datetime | None = None
    replied_at: datetime | None = None

    def due(self, stage: Stage) -> datetime:
        return {Stage.RESPOND: self.respond_due, Stage.ON_SITE: self.on_site_due, Stage.REPLY: self.reply_due}[stage]

    def done(self, stage: Stage) -> datetime | None:
        return {Stage.RESPOND: self.responded_at, Stage.ON_SITE: self.on_site_at, Stage.REPLY: self.replied_at}[stage]


def due_times(dispatched_at: datetime, limits: TimeLimits) -> Clock:
    """The clock of an order dispatched at `dispatched_at` (every limit counts from dispatch, in clock time: a
    hotspot does not wait for a working day)."""
    return Clock(
        dispatched_at,
        dispatched_at + limits.respond,
        dispatched_at + limits.on_site,
        dispatched_at + limits.reply,
    )


def missed(clock: Clock, now: datetime) -> list[Stage]:
    """The stages whose time limit passed before the step was done (or, not done, before `now`)."""
    out = []
    for stage in Stage:
        done = clock.done(stage)
        if (done if done is not None else now) > clock.due(stage):
            out.append(stage)
    return out


def next_due(clock: Clock) -> tuple[Stage, datetime] | None:
    """The first stage not done yet, with its due time; None when the order is replied."""
    for stage in Stage:
        if clock.done(stage) is None:
            return stage, clock.due(stage)
    return None


def minutes_between(start: datetime, end: datetime | None) -> int | None:
    """Whole minutes from `start` to `end` (the response time when `end` is the response), rounded down."""
    if end is None:
        return None
    return int((end - start).total_seconds() // 60)


# --- the effect on the station -------------------------------------------------------------------------------------


def mean(values: Sequence[Decimal]) -> Decimal | None:
    """The arithmetic mean, None without values."""
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, ROUND_HALF_UP)


def _percent(before: Decimal, after: Decimal) -> Decimal | None:
    return None if before == 0 else _tenth((after - before) / before * 100)


@dataclass(frozen=True)
class Effect:
    """The station's mean over the N hours before the alert and after the reply, and the change (Δµg/m³, Δ%);
    the same of the neighbouring stations pooled, and the station's change net of theirs (difference in
    differences: Δ - Δneighbours, Δ% - Δ%neighbours). Negative is better. Means and changes to 0.1."""

    before: Decimal
    after: Decimal
    delta: Decimal
    delta_pct: Decimal | None
    neighbours_before: Decimal | None = None
    neighbours_after: Decimal | None = None
    neighbours_delta: Decimal | None = None
    neighbours_delta_pct: Decimal | None = None
    net_delta: Decimal | None = None
    net_delta_pct: Decimal | None = None


def effect(
    before: Sequence[Decimal],
    after: Sequence[Decimal],
    neighbours_before: Sequence[Decimal] = (),
    neighbours_after: Sequence[Decimal] = (),
    min_values: int = 1,
) -> Effect | None:
    """The effect of an order on its station [unverified method, memo §5]: None when either window of the station
    has fewer than `min_values` values; the neighbours' part only when both of their windows have that many."""
    if len(before) < max(min_values, 1) or len(after) < max(min_values, 1):
        return None
    b, a = mean(before), mean(after)
    assert b is not None and a is not None
    delta, pct = _tenth(a - b), _percent(b, a)
    if len(neighbours_before) < max(min_values, 1) or len(neighbours_after) < max(min_values, 1):
        return Effect(_tenth(b), _tenth(a), delta, pct)
    nb, na = mean(neighbours_before), mean(neighbours_after)
    assert nb is not None and na is not None
    n_delta, n_pct = _tenth(na - nb), _percent(nb, na)
    return Effect(
        _tenth(b),
        _tenth(a),
        delta,
        pct,
        _tenth(nb),
        _tenth(na),
        n_delta,
        n_pct,
        _tenth((a - b) - (na - nb)),
        None if pct is None or n_pct is None else pct - n_pct,
    )


# --- escalation -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationPolicy:
    """When an order escalates: the first missed time limit marks it overdue and issues a 督办; a second missed
    limit, or the station's `repeat_count`-th order within `repeat_days`, proposes a 约谈 (after MEE's grid
    bulletins: 3 warnings in a row lead to 约谈, memo §5; the days are ecoloop's reading [unverified])."""

    interview_after_missed: int = 2
    repeat_days: int = 30
    repeat_count: int = 3


class Step(StrEnum):
    """An escalation step of an order."""

    MARK_OVERDUE = "mark_overdue"
    SUPERVISE = "supervise"
    PROPOSE_INTERVIEW = "propose_interview"


@dataclass(frozen=True)
class EscalationFacts:
    """What escalation knows of an order: whether it is still open (not replied), its missed limits, what was
    done already, and how many orders its station had within the policy's days (this one included)."""

    waiting: bool
    missed: int
    overdue: bool
    supervised: bool
    interview_proposed: bool
    repeats: int


def escalation_steps(facts: EscalationFacts, policy: EscalationPolicy) -> list[Step]:
    """The steps due now, in order; each is taken once per order."""
    steps: list[Step] = []
    if facts.waiting and facts.missed >= 1:
        if not facts.overdue:
            steps.append(Step.MARK_OVERDUE)
        if not facts.supervised:
            steps.append(Step.SUPERVISE)
    repeated = facts.repeats >= policy.repeat_count
    late = facts.waiting and facts.missed >= policy.interview_after_missed
    if not facts.interview_proposed and (late or repeated):
        steps.append(Step.PROPOSE_INTERVIEW)
    return steps
