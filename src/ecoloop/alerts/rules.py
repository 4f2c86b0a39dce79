"""Alert rule evaluators (pure): each rule kind maps its thresholds and the relevant data to `Finding`s.

Kinds (issue 7): source exceedance of a permit limit, air hotspot against the neighbours' median and sudden
rise against the station's own previous hours, water station below its target class, device checks (silent,
flat-lined, identical values across pollutants, flags that hide exceedances) and AQI at or above a level; a noise
point above its acoustic function zone's limit (issue 15).
Where a rule rests on a standard, the judgement is the `ecoloop.standards` function that cites it; the
thresholds that decide when something is worth an alert are ecoloop's own unless a docstring says otherwise.
No database, clock or settings: callers pass `now`, the data and the thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from datetime import time as dt_time
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Final, Literal

from ecoloop.i18n import N_
from ecoloop.standards import aqi as aqi_standard
from ecoloop.standards import noise as noise_standard
from ecoloop.standards.emission import (
    MIN_VALID_HOURS_PER_DAY,
    LimitSpec,
    Reading,
    judge_series,
)
from ecoloop.standards.water import ASSESSED, PH_RANGE, Waterbody, WaterGrade, classify, limits_for

# Means and medians use this context whatever the caller's decimal context is (as ecoloop.standards.emission).
_CTX: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)

# Mean Earth radius (IUGG), for great-circle distances between stations.
EARTH_RADIUS_KM: Final = 6371.0088

# HJ 212 codes of the hotspot pollutants: PM2.5, PM10, O3, NO2.
PM2_5, PM10, O3, NO2 = "a34004", "a34002", "a05024", "a21004"
# HJ 212-2017 Table B.3 codes of the noise quantities judged: the hour's equivalent sound level and its maximum.
LEQ, LMAX = "Leq", "LMx"

DetailValue = str | int | bool | tuple[str, ...] | None


class RuleKind(StrEnum):
    """The built-in rule kinds."""

    SOURCE_EXCEEDANCE = "source_exceedance"
    AIR_HOTSPOT = "air_hotspot"
    AIR_SUDDEN_RISE = "air_sudden_rise"
    WATER_BELOW_TARGET = "water_below_target"
    DEVICE_SILENT = "device_silent"
    DEVICE_FLAT_LINE = "device_flat_line"
    DEVICE_IDENTICAL_VALUES = "device_identical_values"
    DEVICE_HIDDEN_EXCEEDANCE = "device_hidden_exceedance"
    AQI_LEVEL = "aqi_level"
    NOISE_EXCEEDANCE = "noise_exceedance"
    PARTNER = "partner"  # a partner platform's warning (issue 18): judged there, not by a rule here
    ELECTRICITY = "electricity"  # a warning's electricity check (issue 20): judged by `electricity`, not the engine

    @property
    def label(self) -> str:
        """The kind's name, a message id: the alert pages, the rule editor and the audit log name it so."""
        return KIND_LABELS[self]


KIND_LABELS = {
    RuleKind.SOURCE_EXCEEDANCE: N_("Source above its limit"),
    RuleKind.AIR_HOTSPOT: N_("Air hotspot"),
    RuleKind.AIR_SUDDEN_RISE: N_("Sudden rise"),
    RuleKind.WATER_BELOW_TARGET: N_("Water below its target class"),
    RuleKind.DEVICE_SILENT: N_("Data logger silent"),
    RuleKind.DEVICE_FLAT_LINE: N_("Flat-lined values"),
    RuleKind.DEVICE_IDENTICAL_VALUES: N_("Identical values across pollutants"),
    RuleKind.DEVICE_HIDDEN_EXCEEDANCE: N_("Flags hiding exceedances"),
    RuleKind.AQI_LEVEL: N_("AQI level"),
    RuleKind.NOISE_EXCEEDANCE: N_("Noise above its zone's limit"),
    RuleKind.PARTNER: N_("Warning from a partner platform"),
    RuleKind.ELECTRICITY: N_("Electricity check during a warning"),
}
# The kinds whose alerts are raised by their own capability, never evaluated by the engine: a partner platform's
# warnings (`intake.events`) and the electricity checks during a heavy-pollution warning (`electricity.service`).
EXTERNAL_KINDS = frozenset({RuleKind.PARTNER, RuleKind.ELECTRICITY})


class Severity(StrEnum):
    """How urgent a finding is; the levels each kind assigns are ecoloop's choice."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        """The severity's name, a message id: the alert pages, the rule editor and the audit log name it so."""
        return SEVERITY_LABELS[self]


SEVERITY_LABELS = {
    Severity.LOW: N_("Minor"),
    Severity.MEDIUM: N_("Serious"),
    Severity.HIGH: N_("Severe"),
}


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One rule hit: where, what, when, the observed value against its reference, and a machine-readable detail.

    `observed` / `reference` per kind: source exceedance and hidden exceedance, the value compared (reference-O2
    converted) / the limit; hotspot, the value / the neighbours' median; sudden rise, the value / the mean of
    the previous hours; water, the worst indicator's value / its target-class limit (None for pH); silent,
    seconds since the last data / seconds allowed; flat line, the run length / the minimum run; identical
    values, the number of pollutants sharing the value / the minimum; AQI, the AQI / the threshold; noise, the
    hour's level / its zone's limit for the period (for the maximum at night, that limit + 15 dB).
    `site_id` is None and `region_id` set for an area's AQI.
    """

    kind: RuleKind
    site_id: int | None
    parameter: str | None
    time: datetime
    observed: Decimal | None
    reference: Decimal | None
    severity: Severity
    detail: Mapping[str, DetailValue] = field(default_factory=dict, hash=False)
    region_id: int | None = None

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("finding time must be timezone-aware")


def _median(values: Sequence[Decimal]) -> Decimal:
    """Median: the middle value, or the mean of the two middle values of an even count."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return _CTX.divide(_CTX.add(ordered[middle - 1], ordered[middle]), Decimal(2))


def _mean(values: Sequence[Decimal]) -> Decimal:
    total = Decimal(0)
    for value in values:
        total = _CTX.add(total, value)
    return _CTX.divide(total, Decimal(len(values)))


# --- 1. source exceedance ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceExceedanceThresholds:
    """When an outlet's hourly or daily value above its permit limit becomes which finding."""

    high_multiple: Decimal = Decimal(1)
    """Times over the limit ((C - L) / L) from which the finding is high: 1 means at least twice the limit (ecoloop)."""
    min_valid_hours: int = MIN_VALID_HOURS_PER_DAY
    """Valid hours a day needs for a daily mean: 20 for flue gas (HJ 76-2017 Appendix B); water callers may differ."""
    severity: Severity = Severity.MEDIUM
    """Severity below `high_multiple` (ecoloop)."""


def source_exceedances(
    site_id: int,
    readings: Iterable[Reading],
    spec: LimitSpec,
    thresholds: SourceExceedanceThresholds,
    *,
    zone: tzinfo,
) -> list[Finding]:
    """One finding per hour (hourly limit) or natural day (daily limit) strictly above the limit.

    The judgement is `judge_series` (reference-O2 conversion, GB 13223-2011 §5.2; hourly alarm, HJ 76-2017
    Appendix B; a value at the limit complies, GB/T 8170-2008 §4.3). Hours flagged invalid are not judged
    (MEE Announcement 2022 No. 21); `hidden_exceedances` reports the ones that would have exceeded.
    """
    findings = []
    for e in judge_series(readings, spec, zone=zone, min_valid_hours=thresholds.min_valid_hours):
        severity = Severity.HIGH if e.multiple >= thresholds.high_multiple else thresholds.severity
        detail: dict[str, DetailValue] = {
            "averaging": e.averaging,
            "multiple": str(e.multiple),
            "unit": spec.unit,
            "source": spec.source,
            "reference_o2": None if spec.reference_o2 is None else str(spec.reference_o2),
        }
        findings.append(
            Finding(
                kind=RuleKind.SOURCE_EXCEEDANCE,
                site_id=site_id,
                parameter=spec.pollutant,
                time=e.start,
                observed=e.value,
                reference=e.limit,
                severity=severity,
                detail=detail,
            )
        )
    return findings


# --- 2. air hotspot and sudden rise ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotThresholds:
    """When a station's hourly value stands out from its neighbours' (高值热点); all values are ecoloop's choice."""

    radius_km: float = 10.0
    """Neighbours are the other stations within this great-circle distance (ecoloop)."""
    min_neighbours: int = 3
    """Fewer neighbours with a value than this: no judgement (ecoloop)."""
    ratio: Decimal = Decimal("1.5")
    """Above when value >= median x ratio … (ecoloop)."""
    min_difference: Decimal = Decimal(20)
    """… and value - median >= this many µg/m³, so clean hours do not trigger on small numbers (ecoloop)."""
    parameters: tuple[str, ...] = (PM2_5, PM10, O3, NO2)
    """HJ 212 codes judged: PM2.5, PM10, O3, NO2 (issue 7)."""
    severity: Severity = Severity.MEDIUM

    def __post_init__(self) -> None:
        if self.radius_km <= 0 or self.min_neighbours < 1 or self.ratio <= 0:
            raise ValueError("radius, neighbour count and ratio must be positive")


@dataclass(frozen=True)
class StationHour:
    """One station's position and its valid hourly values (HJ 212 code → µg/m³) for one hour."""

    site_id: int
    lon: float
    lat: float
    values: Mapping[str, Decimal] = field(hash=False)


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km by the haversine formula on a sphere of the mean Earth radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def air_hotspots(hour: datetime, stations: Sequence[StationHour], thresholds: HotspotThresholds) -> list[Finding]:
    """Stations whose value is at least `ratio` times and `min_difference` above their neighbours' median.

    Only stations with a value of the parameter count as neighbours; leave flagged-invalid values out of
    `values`. With fewer than `min_neighbours` the station is not judged.
    """
    findings = []
    for parameter in thresholds.parameters:
        reporting = [s for s in stations if parameter in s.values]
        for station in reporting:
            neighbours = [
                other.values[parameter]
                for other in reporting
                if other.site_id != station.site_id
                and distance_km(station.lon, station.lat, other.lon, other.lat) <= thresholds.radius_km
            ]
            if len(neighbours) < thresholds.min_neighbours:
                continue
            median = _median(neighbours)
            value = station.values[parameter]
            if value >= _CTX.multiply(median, thresholds.ratio) and value - median >= thresholds.min_difference:
                detail: dict[str, DetailValue] = {
                    "neighbours": len(neighbours),
                    "radius_km": str(thresholds.radius_km),
                    "difference": str(value - median),
                }
                findings.append(
                    Finding(
                        kind=RuleKind.AIR_HOTSPOT,
                        site_id=station.site_id,
                        parameter=parameter,
                        time=hour,
                        observed=value,
                        reference=median,
                        severity=thresholds.severity,
                        detail=detail,
                    )
                )
    return findings


@dataclass(frozen=True)
class SuddenRiseThresholds:
    """When an hourly value rises sharply above the station's own previous hours; ecoloop's choice."""

    previous_hours: int = 3
    """The rise is measured against the mean of this many previous hours, all of which must be present (ecoloop)."""
    jump: Decimal = Decimal(50)
    """Finding when value - that mean >= this many µg/m³ (ecoloop)."""
    interval: timedelta = timedelta(hours=1)
    severity: Severity = Severity.MEDIUM

    def __post_init__(self) -> None:
        if self.previous_hours < 1 or self.interval <= timedelta(0):
            raise ValueError("need at least one previous hour and a positive interval")


@dataclass(frozen=True)
class HourValue:
    """One valid hourly value of one parameter at one station."""

    time: datetime
    value: Decimal


def sudden_rises(
    site_id: int, parameter: str, series: Iterable[HourValue], thresholds: SuddenRiseThresholds
) -> list[Finding]:
    """Hours whose value is at least `jump` above the mean of the station's previous `previous_hours` hours."""
    by_time: dict[datetime, Decimal] = {}
    for point in series:
        if point.time in by_time:
            raise ValueError(f"duplicate value at {point.time.isoformat()}")
        by_time[point.time] = point.value
    findings = []
    for time, value in sorted(by_time.items()):
        before = [by_time.get(time - i * thresholds.interval) for i in range(1, thresholds.previous_hours + 1)]
        previous = [v for v in before if v is not None]
        if len(previous) < thresholds.previous_hours:
            continue
        mean = _mean(previous)
        if value - mean >= thresholds.jump:
            detail: dict[str, DetailValue] = {"previous_hours": thresholds.previous_hours, "rise": str(value - mean)}
            findings.append(
                Finding(
                    kind=RuleKind.AIR_SUDDEN_RISE,
                    site_id=site_id,
                    parameter=parameter,
                    time=time,
                    observed=value,
                    reference=mean,
                    severity=thresholds.severity,
                    detail=detail,
                )
            )
    return findings


# --- 3. water station below its target class -----------------------------------------------------------------------


@dataclass(frozen=True)
class WaterTargetThresholds:
    """When a sample's class is far enough below the station's target class (水质目标)."""

    classes_below: int = 1
    """Finding when the judged class is at least this many classes worse than the target; 1 = any (ecoloop)."""
    severity: Severity = Severity.MEDIUM
    """Severity unless the sample is 劣V, which is high (ecoloop)."""

    def __post_init__(self) -> None:
        if self.classes_below < 1:
            raise ValueError("classes_below must be at least 1")


@dataclass(frozen=True)
class WaterSample:
    """One sample (or period mean) of a water station, indicator → value as in `ecoloop.standards.water`."""

    time: datetime
    values: Mapping[str, float | Decimal | None] = field(hash=False)


def _target_limit(indicator: str, target: WaterGrade, waterbody: Waterbody) -> Decimal | None:
    """The target class's limit of an indicator (GB 3838-2002 Table 1); None for pH, whose range is 6-9."""
    if indicator == "pH":
        return None
    return limits_for(indicator, waterbody).limits[target.rank - 1]


def water_below_target(
    site_id: int,
    samples: Iterable[WaterSample],
    target: WaterGrade,
    thresholds: WaterTargetThresholds,
    waterbody: Waterbody = "river",
) -> list[Finding]:
    """Samples whose single-factor class is worse than the target class (环办[2011]22号 §2; 劣V is worse than V).

    The finding names the worst indicator (Table 1 order among equals) with its value and target-class limit.
    Samples without any assessed indicator are not judged.
    """
    findings = []
    for sample in samples:
        if not any(sample.values.get(key) is not None for key in ASSESSED):
            continue
        result = classify(sample.values, waterbody)
        if result.grade.rank - target.rank < thresholds.classes_below:
            continue
        offending = [key for key, grade in result.factor_grades.items() if grade.rank > target.rank]
        worst = max(offending, key=lambda key: (result.factor_grades[key].rank, -ASSESSED.index(key)))
        severity = Severity.HIGH if result.grade is WaterGrade.WORSE_THAN_V else thresholds.severity
        detail: dict[str, DetailValue] = {
            "grade": result.grade.value,
            "target": target.value,
            "indicators": tuple(offending),
            "waterbody": waterbody,
        }
        if worst == "pH":
            detail["range"] = f"{PH_RANGE[0]}-{PH_RANGE[1]}"
        findings.append(
            Finding(
                kind=RuleKind.WATER_BELOW_TARGET,
                site_id=site_id,
                parameter=worst,
                time=sample.time,
                observed=result.values[worst],
                reference=_target_limit(worst, target, waterbody),
                severity=severity,
                detail=detail,
            )
        )
    return findings


# --- 5. AQI level ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AqiThresholds:
    """When an AQI (computed by `ecoloop.standards.aqi`) is high enough for an alert."""

    threshold: int = 200
    """AQI at or above which a finding is made; 200, the top of level IV (HJ 633-2012 Table 2), is ecoloop's choice."""
    severity: Severity = Severity.MEDIUM
    """Severity below level VI; level VI (AQI > 300, 严重污染, HJ 633-2012 Table 2) is high (ecoloop)."""


@dataclass(frozen=True)
class AqiValue:
    """An hourly or daily AQI of a station (`site_id`) or an area (`region_id`); exactly one is set."""

    time: datetime
    aqi: int | None
    site_id: int | None = None
    region_id: int | None = None
    period: Literal["hour", "day"] = "hour"

    def __post_init__(self) -> None:
        if (self.site_id is None) == (self.region_id is None):
            raise ValueError("an AQI value belongs to exactly one of a site and a region")


def aqi_at_or_above(values: Iterable[AqiValue], thresholds: AqiThresholds) -> list[Finding]:
    """One finding per AQI at or above the threshold; an AQI that was not published (None) is not judged."""
    findings = []
    for v in values:
        if v.aqi is None or v.aqi < thresholds.threshold:
            continue
        level = aqi_standard.level_of(v.aqi)
        category = aqi_standard.LEVELS[level - 1][1]
        detail: dict[str, DetailValue] = {
            "level": level,
            "category": category.name.lower(),
            "period": v.period,
            "scope": "site" if v.site_id is not None else "region",
        }
        findings.append(
            Finding(
                kind=RuleKind.AQI_LEVEL,
                site_id=v.site_id,
                region_id=v.region_id,
                parameter="AQI",
                time=v.time,
                observed=Decimal(v.aqi),
                reference=Decimal(thresholds.threshold),
                severity=Severity.HIGH if level == len(aqi_standard.LEVELS) else thresholds.severity,
                detail=detail,
            )
        )
    return findings


# --- 6. noise above its acoustic function zone's limit ---------------------------------------------------------------


@dataclass(frozen=True)
class NoiseThresholds:
    """When a noise point's hourly level above its zone's GB 3096-2008 limit becomes a finding."""

    margin: Decimal = Decimal(0)
    """Finding when the level is more than this many dB above the limit; 0: any exceedance (GB 3096-2008 §5.1)."""
    periods: tuple[str, ...] = (noise_standard.NoisePeriod.DAY.value, noise_standard.NoisePeriod.NIGHT.value)
    """The periods judged: day, night or both."""
    quantities: tuple[str, ...] = (LEQ, LMAX)
    """HJ 212 codes judged: `Leq` against the period's limit (GB 3096-2008 Table 1); `LMx`, the hour's maximum, at
    night against the night limit + 15 dB (§5.4, read as applying to the hour's maximum: ecoloop)."""
    day_start: int = noise_standard.DAY_START.hour
    """The local hour day begins: 6 (GB 3096-2008 §3); a county government may set another (a rule for its county)."""
    night_start: int = noise_standard.NIGHT_START.hour
    """The local hour night begins: 22 (GB 3096-2008 §3); as `day_start`."""
    high_excess: Decimal = Decimal(10)
    """dB above the limit from which a finding is severe (ecoloop)."""
    severity: Severity = Severity.MEDIUM
    """Severity below `high_excess` (ecoloop)."""

    def __post_init__(self) -> None:
        if self.margin < 0 or self.high_excess < 0:
            raise ValueError("margin and high_excess must not be negative")
        if not self.periods or not set(self.periods) <= set(noise_standard.NoisePeriod):
            raise ValueError("periods must be day, night or both")
        if not self.quantities or not set(self.quantities) <= {LEQ, LMAX}:
            raise ValueError(f"quantities must be {LEQ}, {LMAX} or both")
        if not 0 <= self.day_start < self.night_start <= 23:
            raise ValueError("day_start and night_start must be hours 0-23, day_start before night_start")

    def period_of(self, time: datetime, zone: tzinfo) -> noise_standard.NoisePeriod:
        """The period of the hour starting at `time`, by its local time in `zone` (GB 3096-2008 §3)."""
        return noise_standard.period_of(
            time.astimezone(zone), day_start=dt_time(self.day_start), night_start=dt_time(self.night_start)
        )

    def judged(self, period: noise_standard.NoisePeriod) -> tuple[str, ...]:
        """The quantities judged in `period`: none outside `periods`; the maximum only at night."""
        if period.value not in self.periods:
            return ()
        return tuple(q for q in self.quantities if q == LEQ or period is noise_standard.NoisePeriod.NIGHT)


@dataclass(frozen=True)
class NoiseHour:
    """One noise point's valid hourly values (HJ 212 code → dB(A)) for the hour starting at `time`."""

    time: datetime
    values: Mapping[str, Decimal] = field(hash=False)


def noise_exceedances(
    site_id: int, noise_zone: str, hours: Iterable[NoiseHour], thresholds: NoiseThresholds, *, zone: tzinfo
) -> list[Finding]:
    """One finding per hour and quantity above the limit of the point's acoustic function zone (`noise_zone`:
    "0", "1", "2", "3", "4a", "4b") for the hour's period, by its local time in `zone`: the hourly Leq against
    GB 3096-2008 Table 1, the hourly maximum at night against the night limit + 15 dB (§5.4). A level equal to
    the limit complies; levels are judged at 0.1 dB (`ecoloop.standards.noise`)."""
    findings = []
    for hour in hours:
        period = thresholds.period_of(hour.time, zone)
        for code in thresholds.judged(period):
            value = hour.values.get(code)
            if value is None:
                continue
            if code == LEQ:
                judged = noise_standard.judge_leq(value, noise_zone, period)
            else:
                judged = noise_standard.judge_night_max(value, noise_zone)
            if judged.excess <= thresholds.margin:
                continue
            severity = Severity.HIGH if judged.excess >= thresholds.high_excess else thresholds.severity
            detail: dict[str, DetailValue] = {
                "zone": noise_zone,
                "period": period.value,
                "excess": str(judged.excess),
            }
            findings.append(
                Finding(
                    kind=RuleKind.NOISE_EXCEEDANCE,
                    site_id=site_id,
                    parameter=code,
                    time=hour.time,
                    observed=judged.value,
                    reference=judged.limit,
                    severity=severity,
                    detail=detail,
                )
            )
    return findings
