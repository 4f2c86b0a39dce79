"""Device checks among the alert rules (pure, issue 7): a data logger gone silent, values flat-lined, the same
value sent for several pollutants, and flags that hide exceedances. Each maps its thresholds and the data to
`rules.Finding`s; no database, clock or settings (callers pass `now`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from ecoloop.alerts.rules import DetailValue, Finding, RuleKind, Severity
from ecoloop.monitoring.quality import Point, flat_lines, is_silent, is_valid
from ecoloop.readings.parameters import PARAMETERS, Medium
from ecoloop.standards.emission import (
    EXCLUDED_FLAGS,
    LimitSpec,
    NotJudged,
    Reading,
    compare,
    value_for_limit,
)


@dataclass(frozen=True)
class SilenceThresholds:
    """When a data logger counts as silent."""

    missed: int = 3
    """Reporting intervals without data; 3 is `ecoloop.monitoring.quality.is_silent`'s default (ecoloop)."""
    severity: Severity = Severity.MEDIUM


def silent_device(
    site_id: int,
    last_seen: datetime | None,
    now: datetime,
    interval: timedelta,
    thresholds: SilenceThresholds,
    device_id: int | None = None,
) -> list[Finding]:
    """A finding when nothing arrived for more than `missed` reporting intervals (`is_silent`; at exactly that
    many intervals the device is not yet silent)."""
    if not is_silent(last_seen, now, interval, thresholds.missed):
        return []
    second = timedelta(seconds=1)
    detail: dict[str, DetailValue] = {
        "device_id": device_id,
        "last_seen": None if last_seen is None else last_seen.isoformat(),
        "interval_s": interval // second,
        "missed": thresholds.missed,
    }
    return [
        Finding(
            kind=RuleKind.DEVICE_SILENT,
            site_id=site_id,
            parameter=None,
            time=now,
            observed=None if last_seen is None else Decimal((now - last_seen) // second),
            reference=Decimal(interval * thresholds.missed // second),
            severity=thresholds.severity,
            detail=detail,
        )
    ]


@dataclass(frozen=True)
class FlatLineThresholds:
    """When a series counts as flat-lined (a stuck analyser or copied data)."""

    min_points: int = 6
    """Consecutive identical valid values; 6 is `ecoloop.monitoring.quality.flat_lines`' default (ecoloop)."""
    severity: Severity = Severity.LOW


def flat_lined(site_id: int, parameter: str, points: Sequence[Point], thresholds: FlatLineThresholds) -> list[Finding]:
    """One finding per run of at least `min_points` identical valid values (`flat_lines`), timed at its last value."""
    valid = [p for p in points if is_valid(p)]
    findings = []
    for issue in flat_lines(parameter, points, thresholds.min_points):
        run = [p for p in valid if issue.start <= p.time <= issue.end]
        detail: dict[str, DetailValue] = {"value": str(run[0].value), "start": issue.start.isoformat()}
        findings.append(
            Finding(
                kind=RuleKind.DEVICE_FLAT_LINE,
                site_id=site_id,
                parameter=parameter,
                time=issue.end,
                observed=Decimal(len(run)),
                reference=Decimal(thresholds.min_points),
                severity=thresholds.severity,
                detail=detail,
            )
        )
    return findings


@dataclass(frozen=True)
class IdenticalValuesThresholds:
    """When equal values across different pollutants at one time look copied rather than measured."""

    min_parameters: int = 3
    """Different parameters sharing one non-zero valid value at the same time (ecoloop)."""
    severity: Severity = Severity.LOW

    def __post_init__(self) -> None:
        if self.min_parameters < 2:
            raise ValueError("identical values need at least 2 parameters")


# The statistics HJ 212 uploads carry besides a pollutant's main value (Rtd or Avg), as stored: `a34013-Min`, …
# (HJ 212-2017 Table 4; `ecoloop.ingest.convert`).
STATISTICS: Final = frozenset({"Zs", "Min", "Max", "Cou", "ZsMin", "ZsMax", "DayData", "NightData"})


def pollutant_statistic(parameter: str) -> tuple[str, str]:
    """A stored parameter as its pollutant code and statistic: `a34013-Max` is ("a34013", "Max"), the main value
    `a34013` is ("a34013", "") (HJ 212-2017 Table 4)."""
    code, _, suffix = parameter.rpartition("-")
    return (code, suffix) if code and suffix in STATISTICS else (parameter, "")


# The noise quantities (HJ 212-2017 Table B.3: Leq, L10, L50, LMx …) are statistics of one sound level, not
# pollutants: in steady noise several of them are equal at 0.1 dB, which says nothing about the logger.
NOISE_QUANTITIES: Final = frozenset(code for code, p in PARAMETERS.items() if p.medium is Medium.NOISE)


def identical_values(
    site_id: int, series: Mapping[str, Sequence[Point]], thresholds: IdenticalValuesThresholds
) -> list[Finding]:
    """Times at which at least `min_parameters` different pollutants carry the same non-zero valid value in the
    same statistic. A pollutant's own average, minimum and maximum of an hour are often equal (a steady hour, or
    values rounded alike) and are not compared with each other (issue 13), nor are the noise quantities, which
    are statistics of one sound level (`NOISE_QUANTITIES`)."""
    at: dict[tuple[datetime, str], dict[float, set[str]]] = {}
    for parameter, points in series.items():
        code, statistic = pollutant_statistic(parameter)
        if code in NOISE_QUANTITIES:
            continue
        for p in points:
            if is_valid(p) and p.value is not None and p.value != 0:
                at.setdefault((p.time, statistic), {}).setdefault(p.value, set()).add(parameter)
    findings = []
    for time, statistic in sorted(at):
        for value, parameters in sorted(at[time, statistic].items()):
            if len(parameters) < thresholds.min_parameters:
                continue
            names = tuple(sorted(parameters))
            detail: dict[str, DetailValue] = {"value": str(value), "parameters": names}
            findings.append(
                Finding(
                    kind=RuleKind.DEVICE_IDENTICAL_VALUES,
                    site_id=site_id,
                    parameter=names[0],
                    time=time,
                    observed=Decimal(len(names)),
                    reference=Decimal(thresholds.min_parameters),
                    severity=thresholds.severity,
                    detail=detail,
                )
            )
    return findings


@dataclass(frozen=True)
class HiddenExceedanceThresholds:
    """When values above the limit carried with an excluding flag repeat often enough to suggest hiding."""

    min_count: int = 3
    """Such values within `window`, counting the current one (ecoloop)."""
    window: timedelta = timedelta(hours=24)
    """Trailing window (t - window, t] (ecoloop)."""
    flags: frozenset[str] = EXCLUDED_FLAGS
    """Flags that keep a value out of judgement: F, M, S, D, C, B (HJ 212-2017 Table 8; MEE Announcement 2022
    No. 21, mapping as in `ecoloop.standards.emission`)."""
    severity: Severity = Severity.HIGH

    def __post_init__(self) -> None:
        if self.min_count < 1 or self.window <= timedelta(0):
            raise ValueError("need a positive count and window")


def hidden_exceedances(
    site_id: int, readings: Iterable[Reading], spec: LimitSpec, thresholds: HiddenExceedanceThresholds
) -> list[Finding]:
    """Flagged readings whose (reference-O2 converted) value is above the limit, once `min_count` fall in the window.

    Each hour is compared with `spec.limit` whatever the averaging (a daily limit is then a screening level,
    ecoloop's choice). Readings that cannot be converted (O2 missing or out of range) are left out.
    """
    hidden: list[tuple[Reading, Decimal]] = []
    for r in sorted(readings, key=lambda reading: reading.start):
        if (r.flag or "").upper() not in thresholds.flags:
            continue
        used = value_for_limit(r.value, spec, r.o2)
        if not isinstance(used, NotJudged) and compare(used, spec.limit).exceeded:
            hidden.append((r, used))
    findings = []
    for i, (r, used) in enumerate(hidden):
        count = sum(1 for earlier, _ in hidden[: i + 1] if earlier.start > r.start - thresholds.window)
        if count < thresholds.min_count:
            continue
        detail: dict[str, DetailValue] = {
            "flag": r.flag,
            "count": count,
            "min_count": thresholds.min_count,
            "window_h": str(Decimal(thresholds.window // timedelta(seconds=1)) / 3600),
            "unit": spec.unit,
        }
        findings.append(
            Finding(
                kind=RuleKind.DEVICE_HIDDEN_EXCEEDANCE,
                site_id=site_id,
                parameter=spec.pollutant,
                time=r.start,
                observed=used,
                reference=spec.limit,
                severity=thresholds.severity,
                detail=detail,
            )
        )
    return findings
