"""Data-quality checks on monitoring data (pure): transmission completeness, silence, flags, and suspicious values.

These rules mark data for review; they do not delete anything. Each takes values and returns findings, so the
same rules serve the scheduler, the alerts and the per-site pages.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from statistics import median
from typing import TYPE_CHECKING

from ecoloop.i18n import N_

if TYPE_CHECKING:
    from ecoloop.readings.vocabulary import Conflict

# Device flags that mark a value as not valid monitoring data (HJ 212-2017 Table 8 / §6.6: F stopped,
# M maintenance, S manual input, D fault, C calibration, T over range, B transmission fault); N is normal.
INVALID_FLAGS = frozenset({"F", "M", "S", "D", "C", "T", "B"})

# Plausible upper bounds per HJ 212 code (µg/m³; CO mg/m³), beyond which a value is implausible for an ambient
# station. Chosen above the top of the HJ 633 tables and documented here, not taken from a standard.
PLAUSIBLE_MAX: dict[str, float] = {
    "a34004": 1500.0,  # PM2.5
    "a34002": 3000.0,  # PM10 (dust storms reach a few thousand)
    "a21026": 5000.0,  # SO2
    "a21004": 3000.0,  # NO2
    "a21005": 150.0,  # CO
    "a05024": 1500.0,  # O3
}


# Largest plausible change between consecutive hourly values per HJ 212 code (µg/m³; CO mg/m³); a larger change
# is reported as a jump. Chosen well above the hour-to-hour changes of ordinary episodes, not taken from a
# standard; values between consecutive minute or real-time data have no such table.
HOURLY_MAX_STEP: dict[str, float] = {
    "a34004": 400.0,  # PM2.5
    "a34002": 600.0,  # PM10
    "a21026": 300.0,  # SO2
    "a21004": 200.0,  # NO2
    "a21005": 5.0,  # CO
    "a05024": 250.0,  # O3
}


class IssueKind(StrEnum):
    """What a data-quality check found."""

    NEGATIVE = "negative"
    OUT_OF_RANGE = "out_of_range"
    FLAT_LINE = "flat_line"
    SPIKE = "spike"
    JUMP = "jump"
    PM25_ABOVE_PM10 = "pm25_above_pm10"
    FLAGGED = "flagged"
    CONFLICT = "conflict"

    @property
    def label(self) -> str:
        """The issue's name, a message id: the quality pages name it so."""
        return ISSUE_LABELS[self]


ISSUE_LABELS = {
    IssueKind.NEGATIVE: N_("Negative value"),
    IssueKind.OUT_OF_RANGE: N_("Implausible value"),
    IssueKind.FLAT_LINE: N_("Flat line"),
    IssueKind.SPIKE: N_("Spike"),
    IssueKind.JUMP: N_("Jump"),
    IssueKind.PM25_ABOVE_PM10: N_("PM2.5 above PM10"),
    IssueKind.FLAGGED: N_("Flagged invalid"),
    IssueKind.CONFLICT: N_("Conflicting value"),
}


@dataclass(frozen=True)
class Point:
    """One value of a series."""

    time: datetime
    value: float | None
    flag: str | None = None


@dataclass(frozen=True)
class Issue:
    """A finding on a parameter over [start, end]: `detail` in brief, and the `figures` it names (value,
    limit, count …) for pages to say it in the user's language; a conflicting value (`IssueKind.CONFLICT`) carries
    the value that was not stored and the one kept."""

    kind: IssueKind
    parameter: str
    start: datetime
    end: datetime
    detail: str
    figures: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    conflict: Conflict | None = None


def is_valid(point: Point) -> bool:
    """A value that counts as valid monitoring data: present and not flagged invalid by the device."""
    return point.value is not None and (point.flag or "N").upper() not in INVALID_FLAGS


@dataclass(frozen=True)
class Completeness:
    """Transmission rate, validity rate and their product (传输率, 有效率, 传输有效率), in percent to 2 decimals.

    transmission = received / expected; validity = valid / received; effective = transmission x validity
    (the assessment of automatic monitoring data of key pollution sources, 环境保护部 2009; [S])."""

    expected: int
    received: int
    valid: int
    transmission: Decimal
    validity: Decimal
    effective: Decimal


def _percent(numerator: int, denominator: int) -> Decimal:
    if denominator == 0:
        return Decimal(0)
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def completeness(points: Sequence[Point], start: datetime, end: datetime, interval: timedelta) -> Completeness:
    """Completeness of a device's series over [start, end) at its reporting interval (one value expected per
    interval; duplicates of a time count once)."""
    if interval <= timedelta(0) or end <= start:
        raise ValueError("need a positive interval and end after start")
    expected = int((end - start) / interval)
    inside = {p.time: p for p in points if start <= p.time < end}
    return rates(expected, len(inside), sum(1 for p in inside.values() if is_valid(p)))


def rates(expected: int, received: int, valid: int) -> Completeness:
    """Transmission, validity and effective rates from the counts of one series (see `Completeness`); values
    received beyond the expected count (off-schedule times) do not raise transmission above 100 %."""
    transmission = _percent(min(received, expected), expected)
    validity = _percent(valid, received)
    effective = (transmission * validity / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return Completeness(expected, received, valid, transmission, validity, effective)


def pooled(parts: Sequence[Completeness]) -> Completeness:
    """The completeness of several series taken together (a site's parameters): expected, received and valid
    counts summed, each series' received capped at its expected count, and the rates computed again, so each
    series weighs by its expected count."""
    expected = sum(c.expected for c in parts)
    received = sum(min(c.received, c.expected) for c in parts)
    valid = sum(min(c.valid, c.received, c.expected) for c in parts)
    return rates(expected, received, valid)


def is_silent(last_seen: datetime | None, now: datetime, interval: timedelta, missed: int = 3) -> bool:
    """A device is silent (offline) when nothing arrived for `missed` reporting intervals."""
    return last_seen is None or now - last_seen > interval * missed


def value_issues(parameter: str, points: Sequence[Point]) -> list[Issue]:
    """Negative values, values above the plausible maximum, and values flagged invalid."""
    issues = []
    top = PLAUSIBLE_MAX.get(parameter)
    for p in points:
        if p.value is not None and p.value < 0:
            issues.append(Issue(IssueKind.NEGATIVE, parameter, p.time, p.time, f"{p.value}", {"value": f"{p.value}"}))
        elif p.value is not None and top is not None and p.value > top:
            figures = {"value": f"{p.value}", "top": f"{top}"}
            issues.append(Issue(IssueKind.OUT_OF_RANGE, parameter, p.time, p.time, f"{p.value} > {top}", figures))
        if (p.flag or "N").upper() in INVALID_FLAGS:
            figures = {"flag": f"{p.flag}"}
            issues.append(Issue(IssueKind.FLAGGED, parameter, p.time, p.time, f"flag {p.flag}", figures))
    return issues


def flat_lines(parameter: str, points: Sequence[Point], min_points: int = 6) -> list[Issue]:
    """Runs of at least `min_points` consecutive identical valid values (a stuck analyser or copied data)."""
    issues: list[Issue] = []
    run: list[Point] = []
    for p in sorted((p for p in points if is_valid(p)), key=lambda q: q.time):
        if run and p.value == run[-1].value:
            run.append(p)
            continue
        if len(run) >= min_points:
            issues.append(_run_issue(parameter, run))
        run = [p]
    if len(run) >= min_points:
        issues.append(_run_issue(parameter, run))
    return issues


def _run_issue(parameter: str, run: list[Point]) -> Issue:
    figures = {"count": str(len(run)), "value": f"{run[0].value}"}
    return Issue(IssueKind.FLAT_LINE, parameter, run[0].time, run[-1].time, f"{len(run)} x {run[0].value}", figures)


def spikes(
    parameter: str, points: Sequence[Point], window: int = 3, factor: float = 4.0, floor: float = 20.0
) -> list[Issue]:
    """Values more than `factor` times the median of their `window` neighbours on each side and at least `floor`
    above it (an isolated spike, not an episode)."""
    valid = sorted((p for p in points if is_valid(p)), key=lambda q: q.time)
    issues = []
    for i, p in enumerate(valid):
        neighbours = [q.value for q in valid[max(0, i - window) : i] + valid[i + 1 : i + 1 + window]]
        if len(neighbours) < 2 or p.value is None:
            continue
        level = median(v for v in neighbours if v is not None)
        if p.value > factor * max(level, 1e-9) and p.value - level >= floor:
            figures = {"value": f"{p.value}", "median": f"{level}"}
            issues.append(Issue(IssueKind.SPIKE, parameter, p.time, p.time, f"{p.value} vs median {level}", figures))
    return issues


def jumps(parameter: str, points: Sequence[Point], max_step: float) -> list[Issue]:
    """Changes between consecutive valid values larger than `max_step` (physically impossible in one interval)."""
    valid = sorted((p for p in points if is_valid(p)), key=lambda q: q.time)
    issues = []
    for before, after in itertools.pairwise(valid):
        if before.value is not None and after.value is not None and abs(after.value - before.value) > max_step:
            detail = f"{before.value} -> {after.value}"
            figures = {"before": f"{before.value}", "after": f"{after.value}"}
            issues.append(Issue(IssueKind.JUMP, parameter, before.time, after.time, detail, figures))
    return issues


def pm25_above_pm10(pm25: Sequence[Point], pm10: Sequence[Point], tolerance: float = 0.0) -> list[Issue]:
    """Times where PM2.5 exceeds PM10 by more than `tolerance` (PM2.5 is a fraction of PM10, so this cannot be
    true of correct measurements at the same station and time)."""
    coarse = {p.time: p for p in pm10 if is_valid(p)}
    issues = []
    for p in pm25:
        other = coarse.get(p.time)
        if other is None or not is_valid(p) or p.value is None or other.value is None:
            continue
        if p.value > other.value + tolerance:
            detail = f"PM2.5 {p.value} > PM10 {other.value}"
            figures = {"pm25": f"{p.value}", "pm10": f"{other.value}"}
            issues.append(Issue(IssueKind.PM25_ABOVE_PM10, "a34004", p.time, p.time, detail, figures))
    return issues
