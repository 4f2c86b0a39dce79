"""Applying configured rules to the engine's recent data (pure: no database, no clock).

Each function judges one rule for one subject (a site, or an area for an area AQI) at one data time and returns
an `Evaluation`: the findings, possibly none. A clean evaluation matters as much as a finding — it is what clears
an open alert — so a function returns None only when it could not judge (no data for that time, a kind that does
not apply to the site). The judgements themselves are the functions of `ecoloop.alerts.rules`.

Most data is clean, and the rules judge in `Decimal` (exact, as the standards round), so before calling a rule
some functions run a cheap check in floats that can only say "this cannot fire" (`_surely_within`, `_may_rise`,
`_trailing_run`, `_aqi_below`, `_may_stand_out`): each is conservative by a margin far above the rounding error
of floats, and when it cannot rule a finding out the rule judges as before. The findings are therefore the
rules' own, and tests/alerts/test_evaluate.py checks each check against its rule.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Final

from ecoloop.alerts import device_rules, rules
from ecoloop.alerts.config import Thresholds
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.rules import Finding, RuleKind
from ecoloop.alerts.window import Sample, Window
from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.quality import Point
from ecoloop.standards import aqi as aqi_standard
from ecoloop.standards import water as water_standard
from ecoloop.standards.editions import Edition, edition_for
from ecoloop.standards.emission import LimitSpec, Reading
from ecoloop.standards.water import WaterGrade

HOUR: Final = "hour"
DAY: Final = "day"
O2: Final = "a19001"  # HJ 212-2017 Appendix B: oxygen content of flue gas, %
# HJ 212-2017 Appendix B codes of the six AQI pollutants (CO in mg/m³, the others in µg/m³) → HJ 633 1-hour keys.
AQI_CODES: Final = {
    "a21026": "SO2_1h",
    "a21004": "NO2_1h",
    "a21005": "CO_1h",
    "a05024": "O3_1h",
    "a34002": "PM10_1h",
    "a34004": "PM2_5_1h",
}
# HJ 212-2017 Appendix B water codes → GB 3838-2002 Table 1 indicators as `ecoloop.standards.water` names them.
WATER_CODES: Final = {
    "w01001": "pH",
    "w01009": "DO",
    "w01019": "CODMn",
    "w01018": "COD",
    "w01017": "BOD5",
    "w21003": "NH3_N",
    "w21011": "TP",
    "w21001": "TN",
}
AIR_STATION_KINDS: Final = frozenset({SiteKind.AIR_STATION})
SOURCE_KINDS: Final = frozenset({SiteKind.AIR_SOURCE, SiteKind.WATER_SOURCE})
RISE_PARAMETERS: Final = rules.HotspotThresholds().parameters  # judged for sudden rises: the hotspot pollutants
# The float checks call "cannot fire" only when clear of the rule's threshold by this relative margin; floats
# carry about 1e-16 relative error per operation, and the values reach `Decimal` through their shortest repr.
_MARGIN: Final = 1e-9


@dataclass(frozen=True)
class SiteInfo:
    """What the engine knows of a site: kind, place, owner, the interval its data comes at, its water target, its
    acoustic function zone."""

    id: int
    kind: SiteKind
    region_id: int
    region_path: str
    enterprise_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    water_target: WaterGrade | None = None
    interval: timedelta = timedelta(hours=1)
    areas: Mapping[str, int] | None = None  # region level ("town", "county") → the region containing the site
    noise_zone: NoiseZone | None = None


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine applies it: the current version's thresholds and options."""

    id: int
    version_id: int
    code: str
    kind: RuleKind
    thresholds: Thresholds
    options: Mapping[str, Any]
    region_path: str | None  # applies to sites in this region's subtree; None: everywhere
    escalation: Escalation = Escalation.MANUAL
    case_deadline_days: int = 7
    reopen_within: timedelta = timedelta(hours=24)

    def covers(self, site: SiteInfo) -> bool:
        return self.region_path is None or site.region_path.startswith(self.region_path)


@dataclass(frozen=True)
class Evaluation:
    """One rule judged for one subject at one data time; `findings` empty when the data was clean."""

    rule: RuleSpec
    site_id: int | None
    region_id: int
    time: datetime
    findings: tuple[Finding, ...]


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _evaluation(rule: RuleSpec, site: SiteInfo, time: datetime, findings: Sequence[Finding]) -> Evaluation:
    return Evaluation(rule, site.id, site.region_id, time, tuple(findings))


def _latest(findings: Sequence[Finding], time: datetime) -> list[Finding]:
    """The findings about `time` itself (rules given a look-back also report earlier times)."""
    return [f for f in findings if f.time == time]


def _emission_readings(window: Window, site: SiteInfo, parameter: str, start: datetime, end: datetime) -> list[Reading]:
    o2 = {when: value for when, value, _, _ in window.series(site.id, HOUR, O2, start, end)}
    found = []
    for when, value, flag, _ in window.series(site.id, HOUR, parameter, start, end):
        if value is None:
            continue
        oxygen = o2.get(when)
        found.append(Reading(when, _decimal(value), None if oxygen is None else _decimal(oxygen), flag))
    return found


def _o2(window: Window, site: SiteInfo, time: datetime) -> float | None:
    found = window.samples_at(site.id, HOUR, time).get(O2)
    return None if found is None else found[1]


def _with_o2(window: Window, site: SiteInfo, samples: Sequence[Sample]) -> list[Reading]:
    """Samples (with values) as emission readings, each with the O2 of its hour."""
    found = []
    for when, value, flag, _ in samples:
        assert value is not None
        oxygen = _o2(window, site, when)
        found.append(Reading(when, _decimal(value), None if oxygen is None else _decimal(oxygen), flag))
    return found


def _surely_within(value: float, o2: float | None, spec: LimitSpec) -> bool:
    """True when the value certainly does not exceed `spec` as `standards.emission.judge_series` judges it: the
    float estimate of the value at the reference O2 (GB 13223-2011 §5.2, formula (1)) is below the limit by
    `_MARGIN`. False when it may exceed, and when the O2 is missing, out of range or so close to 21 % that the
    conversion magnifies rounding errors: the rule judges those."""
    estimate = value
    if spec.reference_o2 is not None:
        if o2 is None or not 0 <= o2 <= 20.99:
            return False
        estimate = value * (21 - float(spec.reference_o2)) / (21 - o2)
    return estimate <= float(spec.limit) * (1 - _MARGIN)


def source_hour(
    rule: RuleSpec, site: SiteInfo, window: Window, time: datetime, limits: Sequence[LimitSpec], zone: tzinfo
) -> Evaluation | None:
    """An outlet's hour against its hourly permit limits (and, for the flag rule, any limit)."""
    if site.kind not in SOURCE_KINDS or not limits:
        return None
    end = time + timedelta(hours=1)
    now = window.samples_at(site.id, HOUR, time)
    oxygen = now[O2][1] if O2 in now else None
    findings: list[Finding] = []
    judged = False
    for spec in limits:
        if rule.kind is RuleKind.SOURCE_EXCEEDANCE:
            if spec.averaging != "hour":
                continue
            hour = [s for s in window.series(site.id, HOUR, spec.pollutant, time, end) if s[1] is not None]
            judged |= bool(hour)
            if all(
                value is not None and _surely_within(value, oxygen if when == time else _o2(window, site, when), spec)
                for when, value, _, _ in hour
            ):
                continue  # nothing above the limit (also when nothing arrived)
            assert isinstance(rule.thresholds, rules.SourceExceedanceThresholds)
            findings += rules.source_exceedances(
                site.id, _with_o2(window, site, hour), spec, rule.thresholds, zone=zone
            )
        else:
            assert isinstance(rule.thresholds, device_rules.HiddenExceedanceThresholds)
            t = rule.thresholds
            start = end - t.window
            judged |= start <= time and spec.pollutant in now and now[spec.pollutant][1] is not None
            # The rule counts only readings carrying one of its flags, so the others cannot change its findings;
            # unless N (or no flag) is one of them, those are among the window's unusually flagged samples.
            span = (
                window.series(site.id, HOUR, spec.pollutant, start, end)
                if t.flags & {"", "N"}
                else window.flagged(site.id, HOUR, spec.pollutant, start, end)
            )
            flagged = [s for s in span if s[1] is not None and (s[2] or "").upper() in t.flags]
            if flagged:
                findings += _latest(
                    device_rules.hidden_exceedances(site.id, _with_o2(window, site, flagged), spec, t), time
                )
    return _evaluation(rule, site, time, findings) if judged else None


def source_day(
    rule: RuleSpec, site: SiteInfo, window: Window, day_start: datetime, limits: Sequence[LimitSpec], zone: tzinfo
) -> Evaluation | None:
    """An outlet's natural day (starting at local midnight `day_start`) against its daily permit limits."""
    daily = [spec for spec in limits if spec.averaging == "day"]
    if site.kind not in SOURCE_KINDS or not daily:
        return None
    assert isinstance(rule.thresholds, rules.SourceExceedanceThresholds)
    end = day_start + timedelta(days=1)
    findings: list[Finding] = []
    judged = False
    for spec in daily:
        hours = _emission_readings(window, site, spec.pollutant, day_start, end)
        judged |= bool(hours)
        findings += rules.source_exceedances(site.id, hours, spec, rule.thresholds, zone=zone)
    return _evaluation(rule, site, day_start, findings) if judged else None


def _may_rise(samples: Sequence[Sample], time: datetime, before: Sequence[datetime], jump: float) -> bool:
    """False when the value at `time` (the last of the valid `samples`) certainly does not rise by `jump` over the
    mean of the values at the times `before` as `rules.sudden_rises` judges it: one of them is missing, or the
    float rise is short of the jump by `_MARGIN`."""
    by_time = {when: value for when, value, _, _ in samples}
    previous = [by_time.get(moment) for moment in before]
    value = by_time[time]
    if value is None or None in previous:
        return False
    known = [v for v in previous if v is not None]
    margin = _MARGIN * (1 + abs(value) + max(map(abs, known)) + abs(jump))
    return value - sum(known) / len(known) >= jump - margin


def sudden_rise(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A station's hour against its own previous hours, for each hotspot pollutant it measures."""
    if site.kind not in AIR_STATION_KINDS:
        return None
    assert isinstance(rule.thresholds, rules.SuddenRiseThresholds)
    t = rule.thresholds
    start = time - t.interval * t.previous_hours
    before = [time - i * t.interval for i in range(1, t.previous_hours + 1)]
    jump = float(t.jump)
    findings: list[Finding] = []
    judged = False
    for parameter in RISE_PARAMETERS:
        samples = [s for s in window.series(site.id, HOUR, parameter, start, time + t.interval) if s[3]]
        if samples and samples[-1][0] == time:
            judged = True
            if _may_rise(samples, time, before, jump):
                series = [rules.HourValue(when, _decimal(value)) for when, value, _, _ in samples if value is not None]
                findings += _latest(rules.sudden_rises(site.id, parameter, series, t), time)
    return _evaluation(rule, site, time, findings) if judged else None


def _trailing_run(samples: Sequence[Sample]) -> int:
    """How many valid values at the end of `samples` equal the last one, if the last sample is valid (else 0):
    the run of identical values ending at the last sample's time, as `quality.flat_lines` forms runs (of valid
    values, skipping the others)."""
    _, last, _, valid = samples[-1]
    if not valid:
        return 0
    run = 0
    for _, value, _, valid in reversed(samples):
        if not valid:
            continue
        if value != last:
            break
        run += 1
    return run


def flat_line(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A run of identical valid values ending at `time`, in any parameter of the site's hourly data."""
    assert isinstance(rule.thresholds, device_rules.FlatLineThresholds)
    start = time - (rule.thresholds.min_points - 1) * site.interval
    findings: list[Finding] = []
    judged = False
    for parameter in window.parameters(site.id, HOUR):
        samples = window.series(site.id, HOUR, parameter, start, time + site.interval)
        if samples and samples[-1][0] == time:
            judged = True
            if _trailing_run(samples) >= rule.thresholds.min_points:  # else no run ends at `time`
                points = [Point(when, value, flag) for when, value, flag, _ in samples]
                findings += _latest(device_rules.flat_lined(site.id, parameter, points, rule.thresholds), time)
    return _evaluation(rule, site, time, findings) if judged else None


def identical(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """Equal values across pollutants at `time`."""
    assert isinstance(rule.thresholds, device_rules.IdenticalValuesThresholds)
    samples = window.samples_at(site.id, HOUR, time)
    if not samples:
        return None
    values = [value for p, (_, value, _, valid) in samples.items() if p != O2 and valid and value]
    if len(set(values)) == len(values):
        return _evaluation(rule, site, time, [])  # no value shared by two parameters (and at least 2 must share)
    series = {p: [Point(time, value, flag)] for p, (_, value, flag, _) in samples.items() if p != O2}
    return _evaluation(rule, site, time, device_rules.identical_values(site.id, series, rule.thresholds))


def _meets_target(values: Mapping[str, float], target: WaterGrade) -> bool:
    """True when every assessed indicator (环办[2011]22号 §1(1)) meets the target class's river limit by
    `_MARGIN` (GB 3838-2002 Table 1: at most the limit, DO at least it, pH within 6-9): the single-factor class
    is then no worse than the target, so `rules.water_below_target` finds nothing."""
    if target is WaterGrade.WORSE_THAN_V:
        return True  # nothing is worse
    for name, value in values.items():
        if name not in water_standard.ASSESSED:
            continue
        if name == "pH":
            low, high = water_standard.PH_RANGE
            if not float(low) + _MARGIN <= value <= float(high) - _MARGIN:
                return False
            continue
        row = water_standard.limits_for(name)
        limit = float(row.limits[target.rank - 1])
        slack = _MARGIN * (1 + limit)
        if (value < limit + slack) if row.at_least else (value > limit - slack):
            return False
    return True


def water(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A water station's sample at `time` against its target class. A negative (or not finite) concentration
    is left out like an invalid one: GB 3838 classes none, and `standards.water` refuses it."""
    if site.kind is not SiteKind.WATER_STATION or site.water_target is None:
        return None
    assert isinstance(rule.thresholds, rules.WaterTargetThresholds)
    values = {
        WATER_CODES[code]: value
        for code, (_, value, _, valid) in window.samples_at(site.id, HOUR, time).items()
        if code in WATER_CODES and valid and value is not None and math.isfinite(value) and value >= 0
    }
    if not values:
        return None
    if _meets_target(values, site.water_target):
        return _evaluation(rule, site, time, [])
    sample = rules.WaterSample(time, {k: _decimal(v) for k, v in values.items()})
    findings = rules.water_below_target(site.id, [sample], site.water_target, rule.thresholds)
    return _evaluation(rule, site, time, findings)


def noise(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime, zone: tzinfo) -> Evaluation | None:
    """A noise point's hour against the limit of its acoustic function zone for the hour's period, by its local
    time in `zone` (GB 3096-2008 Table 1, §5.4). A point without a zone is not judged, nor an hour of a period the
    rule leaves out or without a valid value of a quantity judged in it."""
    if site.kind is not SiteKind.NOISE or site.noise_zone is None:
        return None
    assert isinstance(rule.thresholds, rules.NoiseThresholds)
    t = rule.thresholds
    judged = t.judged(t.period_of(time, zone))
    values = {
        code: _decimal(value)
        for code, (_, value, _, valid) in window.samples_at(site.id, HOUR, time).items()
        if code in judged and valid and value is not None and math.isfinite(value)
    }
    if not values:
        return None
    hour = rules.NoiseHour(time, values)
    return _evaluation(rule, site, time, rules.noise_exceedances(site.id, site.noise_zone.value, [hour], t, zone=zone))


@functools.cache
def _aqi_bounds(threshold: int, edition: Edition) -> dict[str, float] | None:
    """Per HJ 212 code, a 1-hour value up to which the pollutant's IAQI stays below `threshold`: 1 below the
    breakpoint of the highest IAQI level under the threshold (HJ 633 Table 1). None when no level is below it.

    An IAQI is the ceiling of a linear interpolation between breakpoints, so a concentration at or below the
    breakpoint of level L has an IAQI of at most L (HJ 633-2012 §5.1 formula (1); an SO2 1-hour value above 800
    is beyond every such breakpoint); the 2026 edition first rounds µg/m³ to integers and CO to 0.1 mg/m³, which
    moves a value by at most 0.5, less than the bound's 1."""
    below = [i for i, level in enumerate(aqi_standard.IAQI_LEVELS) if level < threshold]
    if not below:
        return None
    bounds = {}
    for code, key in AQI_CODES.items():
        breakpoints = aqi_standard.breakpoints(key, edition)
        bounds[code] = float(breakpoints[min(below[-1], len(breakpoints) - 1)]) - 1
    return bounds


def _aqi_below(values: Mapping[str, float], threshold: int, time: datetime) -> bool:
    """True when the hourly AQI of `values` (HJ 212 code → 1-hour value) is certainly below `threshold` (or not
    published): every IAQI is (`_aqi_bounds`), and the AQI is their maximum (HJ 633-2012 §5.2)."""
    bounds = _aqi_bounds(threshold, edition_for(time.date()))
    return bounds is not None and all(value <= bounds[code] for code, value in values.items() if code in bounds)


def hourly_aqi(values: Mapping[str, float], time: datetime) -> int | None:
    """The hourly AQI (HJ 633-2012/-2026 §5.2, the edition in force on the day) of 1-hour values by HJ 212 code."""
    result = aqi_standard.hourly_aqi(
        {AQI_CODES[code]: _decimal(value) for code, value in values.items() if code in AQI_CODES},
        edition_for(time.date()),
    )
    return result.aqi


_AQI_PARAMETERS: Final = tuple(AQI_CODES)


def _valid_aqi_values(window: Window, site_id: int, time: datetime) -> Mapping[str, float]:
    return window.valid_values(site_id, HOUR, time, _AQI_PARAMETERS) or {}


def station_aqi(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A station's hourly AQI against the rule's level."""
    if site.kind not in AIR_STATION_KINDS or rule.options.get("area_level"):
        return None
    values = _valid_aqi_values(window, site.id, time)
    if not values:
        return None
    assert isinstance(rule.thresholds, rules.AqiThresholds)
    if _aqi_below(values, rule.thresholds.threshold, time):
        return _evaluation(rule, site, time, [])
    aqi = hourly_aqi(values, time)
    findings = rules.aqi_at_or_above([rules.AqiValue(time, aqi, site_id=site.id)], rule.thresholds)
    return _evaluation(rule, site, time, findings)


def area_aqi(rule: RuleSpec, stations: Sequence[SiteInfo], window: Window, time: datetime) -> list[Evaluation]:
    """Each area's hourly AQI from the mean of its stations' 1-hour values (as `analytics.air` forms area values)
    against the rule's level; areas are the rule's `area_level` (town or county). Pass all the stations of the
    areas to judge (the engine passes those of the areas whose stations' data arrived)."""
    level = rule.options.get("area_level")
    if not level:
        return []
    assert isinstance(rule.thresholds, rules.AqiThresholds)
    sums: dict[int, dict[str, list[float]]] = {}
    judged = [
        (site, area)
        for site in stations
        if (area := (site.areas or {}).get(level)) is not None and site.kind in AIR_STATION_KINDS and rule.covers(site)
    ]
    station_values = window.valid_values_of([site.id for site, _ in judged], HOUR, time, _AQI_PARAMETERS)
    for site, area in judged:
        values = station_values[site.id]
        if not values:
            continue
        by_code = sums.setdefault(area, {})
        for code, value in values.items():
            found = by_code.get(code)
            if found is None:
                by_code[code] = [value]
            else:
                found.append(value)
    evaluations = []
    for area, by_code in sorted(sums.items()):
        means = {code: sum(v) / len(v) for code, v in by_code.items()}
        findings = []
        if not _aqi_below(means, rule.thresholds.threshold, time):
            aqi = hourly_aqi(means, time)
            findings = rules.aqi_at_or_above([rules.AqiValue(time, aqi, region_id=area)], rule.thresholds)
        evaluations.append(Evaluation(rule, None, area, time, tuple(findings)))
    return evaluations


def neighbours(stations: Sequence[SiteInfo], radius_km: float) -> dict[int, tuple[int, ...]]:
    """Each air station's neighbours within `radius_km` (computed once per rule version, not every hour), in the
    order of `stations`. Only pairs within the radius in latitude are measured: a great-circle distance is at
    least the radius times the latitude difference in radians (with a margin above the floats' error)."""
    placed = [s for s in stations if s.kind in AIR_STATION_KINDS and s.lon is not None and s.lat is not None]
    order = {s.id: i for i, s in enumerate(placed)}
    by_lat = sorted(placed, key=lambda s: s.lat or 0.0)
    band = math.degrees(radius_km / rules.EARTH_RADIUS_KM) * (1 + 1e-6) + 1e-9
    found: dict[int, list[int]] = {s.id: [] for s in placed}
    for i, a in enumerate(by_lat):
        assert a.lon is not None and a.lat is not None
        for b in by_lat[i + 1 :]:
            assert b.lon is not None and b.lat is not None
            if b.lat - a.lat > band:
                break
            if rules.distance_km(a.lon, a.lat, b.lon, b.lat) <= radius_km:
                found[a.id].append(b.id)
                found[b.id].append(a.id)
    return {site: tuple(sorted(ids, key=order.__getitem__)) for site, ids in found.items()}


def area_neighbours(stations: Sequence[SiteInfo], level: str) -> dict[int, tuple[int, ...]]:
    """Each air station's neighbours as the other stations of its town or county (`level`), in the order of
    `stations`: a hotspot rule judged against the area rather than a radius."""
    placed = [s for s in stations if s.kind in AIR_STATION_KINDS and (s.areas or {}).get(level) is not None]
    members: dict[int, list[int]] = {}
    for s in placed:
        members.setdefault((s.areas or {})[level], []).append(s.id)
    return {s.id: tuple(i for i in members[(s.areas or {})[level]] if i != s.id) for s in placed}


def _may_stand_out(value: float, others: Sequence[float], t: rules.HotspotThresholds) -> bool:
    """False when `value` is certainly not a hotspot against its neighbours' values `others` by the test of
    `rules.air_hotspots` (value >= median x ratio and value - median >= min_difference): in floats, short of
    either by `_MARGIN`."""
    ordered = sorted(others)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    ratio, difference = float(t.ratio), float(t.min_difference)
    margin = _MARGIN * (1 + abs(value) + abs(median) * abs(ratio) + abs(difference))
    return value >= median * ratio - margin and value - median >= difference - margin


def hotspots(
    rule: RuleSpec,
    stations: Mapping[int, SiteInfo],
    near: Mapping[int, Sequence[int]],
    window: Window,
    time: datetime,
    only: Collection[int] | None = None,
) -> list[Evaluation]:
    """Covered air stations with data at `time` (every one, or those in `only`) against the median of their
    neighbours' values then. A station is judged when at least `min_neighbours` of its neighbours have a value
    of a parameter it has a value of; otherwise it gets no evaluation, so that a poll early in the hour, before
    the neighbours' data arrived, does not clear its alert (`rules.air_hotspots`: "not judged")."""
    assert isinstance(rule.thresholds, rules.HotspotThresholds)
    t = rule.thresholds
    if rule.options.get("area_level"):  # `near` holds the station's area: no radius among them
        t = dataclasses.replace(t, radius_km=math.inf)
    subjects = list(near) if only is None else [s for s in near if s in only]
    needed = set(subjects)
    for subject in subjects:
        needed.update(near[subject])
    hour_values = window.valid_values_of(needed, HOUR, time, t.parameters)  # None: no data then
    # Per parameter the stations with a value of it, and the lowest value, which is at most any neighbours'
    # median: a value that cannot stand out against it cannot stand out against its neighbours either.
    reporting: dict[str, set[int]] = {}
    lowest: dict[str, float] = {}
    for station, values in hour_values.items():
        for code, value in (values or {}).items():
            reporting.setdefault(code, set()).add(station)
            if value < lowest.get(code, math.inf):
                lowest[code] = value
    evaluations = []
    for site_id in subjects:
        own = hour_values[site_id]
        site = stations[site_id]
        if own is None or not rule.covers(site):
            continue
        judged = possible = False
        for parameter, value in own.items():
            may = _may_stand_out(value, (lowest[parameter],), t)
            if may:
                others = [v[parameter] for n in near[site_id] if parameter in (v := hour_values[n] or {})]
                if len(others) >= t.min_neighbours:
                    judged = True
                    possible = possible or _may_stand_out(value, others, t)
            elif not judged:
                judged = len(reporting[parameter].intersection(near[site_id])) >= t.min_neighbours
        if not judged:
            continue
        findings: list[Finding] = []
        if possible:
            hours = [
                rules.StationHour(
                    s,
                    stations[s].lon or 0.0,
                    stations[s].lat or 0.0,
                    {code: _decimal(v) for code, v in (hour_values[s] or {}).items()},
                )
                for s in [site_id, *(n for n in near[site_id] if hour_values[n] is not None)]
            ]
            findings = [f for f in rules.air_hotspots(time, hours, t) if f.site_id == site_id]
        evaluations.append(_evaluation(rule, site, time, findings))
    return evaluations


def silence(
    rule: RuleSpec, site: SiteInfo, last_seen: datetime | None, now: datetime, never_seen_since: datetime
) -> Evaluation:
    """A site's data logger against its reporting interval. A finding is timed when the logger became silent
    (last seen + the allowed intervals; `never_seen_since` for one never seen), so later sweeps of the same
    silence change nothing; a clean evaluation is timed `now`."""
    assert isinstance(rule.thresholds, device_rules.SilenceThresholds)
    findings = device_rules.silent_device(site.id, last_seen, now, site.interval, rule.thresholds)
    if not findings:
        return _evaluation(rule, site, now, findings)
    since = never_seen_since if last_seen is None else last_seen + site.interval * rule.thresholds.missed
    return _evaluation(rule, site, since, findings)
