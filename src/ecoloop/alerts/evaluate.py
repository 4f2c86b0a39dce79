"""Applying configured rules to the engine's recent data (pure: no database, no clock).

Each function judges one rule for one subject (a site, or an area for an area AQI) at one data time and returns
an `Evaluation`: the findings, possibly none. A clean evaluation matters as much as a finding — it is what clears
an open alert — so a function returns None only when it could not judge (no data for that time, a kind that does
not apply to the site). The judgements themselves are the functions of `ecoloop.alerts.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Final

from ecoloop.alerts import rules
from ecoloop.alerts.config import Thresholds
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.rules import Finding, RuleKind
from ecoloop.alerts.window import Window
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.quality import Point, is_valid
from ecoloop.standards import aqi as aqi_standard
from ecoloop.standards.editions import edition_for
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


@dataclass(frozen=True)
class SiteInfo:
    """What the engine knows of a site: kind, place, owner, the interval its data comes at, its water target."""

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
    o2 = {s.time: s.value for s in window.series(site.id, HOUR, O2, start, end)}
    found = []
    for s in window.series(site.id, HOUR, parameter, start, end):
        if s.value is None:
            continue
        oxygen = o2.get(s.time)
        found.append(Reading(s.time, _decimal(s.value), None if oxygen is None else _decimal(oxygen), s.flag))
    return found


def source_hour(
    rule: RuleSpec, site: SiteInfo, window: Window, time: datetime, limits: Sequence[LimitSpec], zone: tzinfo
) -> Evaluation | None:
    """An outlet's hour against its hourly permit limits (and, for the flag rule, any limit)."""
    if site.kind not in SOURCE_KINDS or not limits:
        return None
    end = time + timedelta(hours=1)
    findings: list[Finding] = []
    judged = False
    for spec in limits:
        if rule.kind is RuleKind.SOURCE_EXCEEDANCE:
            if spec.averaging != "hour":
                continue
            hour = _emission_readings(window, site, spec.pollutant, time, end)
            judged |= bool(hour)
            assert isinstance(rule.thresholds, rules.SourceExceedanceThresholds)
            findings += rules.source_exceedances(site.id, hour, spec, rule.thresholds, zone=zone)
        else:
            assert isinstance(rule.thresholds, rules.HiddenExceedanceThresholds)
            span = _emission_readings(window, site, spec.pollutant, end - rule.thresholds.window, end)
            judged |= any(r.start == time for r in span)
            findings += _latest(rules.hidden_exceedances(site.id, span, spec, rule.thresholds), time)
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


def sudden_rise(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A station's hour against its own previous hours, for each hotspot pollutant it measures."""
    if site.kind not in AIR_STATION_KINDS:
        return None
    assert isinstance(rule.thresholds, rules.SuddenRiseThresholds)
    t = rule.thresholds
    start = time - t.interval * t.previous_hours
    findings: list[Finding] = []
    judged = False
    for parameter in rules.HotspotThresholds().parameters:
        series = [
            rules.HourValue(s.time, _decimal(s.value))
            for s in window.series(site.id, HOUR, parameter, start, time + t.interval)
            if s.value is not None and is_valid(Point(s.time, s.value, s.flag))
        ]
        if series and series[-1].time == time:
            judged = True
            findings += _latest(rules.sudden_rises(site.id, parameter, series, t), time)
    return _evaluation(rule, site, time, findings) if judged else None


def flat_line(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A run of identical valid values ending at `time`, in any parameter of the site's hourly data."""
    assert isinstance(rule.thresholds, rules.FlatLineThresholds)
    start = time - (rule.thresholds.min_points - 1) * site.interval
    findings: list[Finding] = []
    judged = False
    for parameter in window.parameters(site.id, HOUR):
        points = [
            Point(s.time, s.value, s.flag) for s in window.series(site.id, HOUR, parameter, start, time + site.interval)
        ]
        if points and points[-1].time == time:
            judged = True
            findings += _latest(rules.flat_lined(site.id, parameter, points, rule.thresholds), time)
    return _evaluation(rule, site, time, findings) if judged else None


def identical(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """Equal values across pollutants at `time`."""
    assert isinstance(rule.thresholds, rules.IdenticalValuesThresholds)
    values = window.at(site.id, HOUR, time)
    if not values:
        return None
    series = {p: [Point(time, value, flag)] for p, (value, flag) in values.items() if p != O2}
    return _evaluation(rule, site, time, rules.identical_values(site.id, series, rule.thresholds))


def water(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A water station's sample at `time` against its target class."""
    if site.kind is not SiteKind.WATER_STATION or site.water_target is None:
        return None
    assert isinstance(rule.thresholds, rules.WaterTargetThresholds)
    values = {
        WATER_CODES[code]: value
        for code, (value, flag) in window.at(site.id, HOUR, time).items()
        if code in WATER_CODES and value is not None and is_valid(Point(time, value, flag))
    }
    if not values:
        return None
    sample = rules.WaterSample(time, {k: _decimal(v) for k, v in values.items()})
    findings = rules.water_below_target(site.id, [sample], site.water_target, rule.thresholds)
    return _evaluation(rule, site, time, findings)


def hourly_aqi(values: Mapping[str, float], time: datetime) -> int | None:
    """The hourly AQI (HJ 633-2012/-2026 §5.2, the edition in force on the day) of 1-hour values by HJ 212 code."""
    result = aqi_standard.hourly_aqi(
        {AQI_CODES[code]: _decimal(value) for code, value in values.items() if code in AQI_CODES},
        edition_for(time.date()),
    )
    return result.aqi


def _valid_aqi_values(window: Window, site_id: int, time: datetime) -> dict[str, float]:
    return {
        code: value
        for code, (value, flag) in window.at(site_id, HOUR, time).items()
        if code in AQI_CODES and value is not None and is_valid(Point(time, value, flag))
    }


def station_aqi(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
    """A station's hourly AQI against the rule's level."""
    if site.kind not in AIR_STATION_KINDS or rule.options.get("area_level"):
        return None
    values = _valid_aqi_values(window, site.id, time)
    if not values:
        return None
    assert isinstance(rule.thresholds, rules.AqiThresholds)
    aqi = hourly_aqi(values, time)
    findings = rules.aqi_at_or_above([rules.AqiValue(time, aqi, site_id=site.id)], rule.thresholds)
    return _evaluation(rule, site, time, findings)


def area_aqi(rule: RuleSpec, stations: Sequence[SiteInfo], window: Window, time: datetime) -> list[Evaluation]:
    """Each area's hourly AQI from the mean of its stations' 1-hour values (as `analytics.air` forms area values)
    against the rule's level; areas are the rule's `area_level` (town or county)."""
    level = rule.options.get("area_level")
    if not level:
        return []
    assert isinstance(rule.thresholds, rules.AqiThresholds)
    sums: dict[int, dict[str, list[float]]] = {}
    for site in stations:
        area = (site.areas or {}).get(level)
        if area is None or site.kind not in AIR_STATION_KINDS or not rule.covers(site):
            continue
        for code, value in _valid_aqi_values(window, site.id, time).items():
            sums.setdefault(area, {}).setdefault(code, []).append(value)
    evaluations = []
    for area, by_code in sorted(sums.items()):
        aqi = hourly_aqi({code: sum(v) / len(v) for code, v in by_code.items()}, time)
        findings = rules.aqi_at_or_above([rules.AqiValue(time, aqi, region_id=area)], rule.thresholds)
        evaluations.append(Evaluation(rule, None, area, time, tuple(findings)))
    return evaluations


def neighbours(stations: Sequence[SiteInfo], radius_km: float) -> dict[int, tuple[int, ...]]:
    """Each air station's neighbours within `radius_km` (computed once per rule version, not every hour)."""
    placed = [s for s in stations if s.kind in AIR_STATION_KINDS and s.lon is not None and s.lat is not None]
    found: dict[int, list[int]] = {s.id: [] for s in placed}
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            assert a.lon is not None and a.lat is not None and b.lon is not None and b.lat is not None
            if rules.distance_km(a.lon, a.lat, b.lon, b.lat) <= radius_km:
                found[a.id].append(b.id)
                found[b.id].append(a.id)
    return {site: tuple(ids) for site, ids in found.items()}


def hotspots(
    rule: RuleSpec,
    stations: Mapping[int, SiteInfo],
    near: Mapping[int, Sequence[int]],
    window: Window,
    time: datetime,
) -> list[Evaluation]:
    """Every covered air station with data at `time` against the median of its neighbours' values then."""
    assert isinstance(rule.thresholds, rules.HotspotThresholds)
    t = rule.thresholds
    hour_values: dict[int, dict[str, Decimal]] = {}
    for site_id in near:
        values = window.at(site_id, HOUR, time)
        if values:
            hour_values[site_id] = {
                code: _decimal(value)
                for code, (value, flag) in values.items()
                if code in t.parameters and value is not None and is_valid(Point(time, value, flag))
            }
    evaluations = []
    for site_id in hour_values:
        site = stations[site_id]
        if not rule.covers(site):
            continue
        group = [site_id, *(n for n in near[site_id] if n in hour_values)]
        assert site.lon is not None and site.lat is not None
        hours = [rules.StationHour(s, stations[s].lon or 0.0, stations[s].lat or 0.0, hour_values[s]) for s in group]
        findings = [f for f in rules.air_hotspots(time, hours, t) if f.site_id == site_id]
        evaluations.append(_evaluation(rule, site, time, findings))
    return evaluations


def silence(
    rule: RuleSpec, site: SiteInfo, last_seen: datetime | None, now: datetime, never_seen_since: datetime
) -> Evaluation:
    """A site's data logger against its reporting interval. A finding is timed when the logger became silent
    (last seen + the allowed intervals; `never_seen_since` for one never seen), so later sweeps of the same
    silence change nothing; a clean evaluation is timed `now`."""
    assert isinstance(rule.thresholds, rules.SilenceThresholds)
    findings = rules.silent_device(site.id, last_seen, now, site.interval, rule.thresholds)
    if not findings:
        return _evaluation(rule, site, now, findings)
    since = never_seen_since if last_seen is None else last_seen + site.interval * rule.thresholds.missed
    return _evaluation(rule, site, since, findings)
