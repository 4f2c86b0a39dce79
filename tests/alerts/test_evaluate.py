"""The rules applied to the engine's window (`ecoloop.alerts.evaluate`).

The evaluation functions check in floats, before calling a rule, whether it can fire at all. Each is compared
here with judging every value by the rule, as the functions did before those checks (`Reference`), on random
data crowded around every threshold (at it, one float step either side, a little either side), and each check
with its rule directly. Then what changed on purpose: a station with too few neighbours reporting gets no
hotspot evaluation (it is not judged), a negative water value is left out instead of failing the poll, and the
engine judges hotspots and area AQIs only for the stations and areas an arrival concerns.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ecoloop.alerts import config, device_rules, rules
from ecoloop.alerts import evaluate as ev
from ecoloop.alerts.engine import AlertEngine
from ecoloop.alerts.evaluate import Evaluation, RuleSpec, SiteInfo
from ecoloop.alerts.rules import Finding, RuleKind
from ecoloop.alerts.window import Window
from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.quality import Point, is_valid
from ecoloop.readings.vocabulary import Interval
from ecoloop.readings.vocabulary import Reading as StoredReading
from ecoloop.standards import aqi as aqi_standard
from ecoloop.standards.editions import edition_for
from ecoloop.standards.emission import LimitSpec, Reading, judge
from ecoloop.standards.water import WaterGrade

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, tzinfo=UTC)
H = timedelta(hours=1)
SO2, NOX, O2 = "a21026", "a21002", "a19001"
PM25, PM10, NO2, CO, O3 = "a34004", "a34002", "a21004", "a21005", "a05024"
NH3N, TP, DO, PH, CODMN = "w21003", "w21011", "w01009", "w01001", "w01019"
SO2_LIMIT = LimitSpec(
    pollutant=SO2, limit=Decimal(35), unit="mg/m3", averaging="hour", reference_o2=Decimal(6), source="x"
)
NOX_LIMIT = LimitSpec(pollutant=NOX, limit=Decimal("50.5"), unit="mg/m3", averaging="hour", source="x")
DUST_DAILY = LimitSpec(pollutant="a34013", limit=Decimal(10), unit="mg/m3", averaging="day", source="x")
LIMITS = [SO2_LIMIT, NOX_LIMIT, DUST_DAILY]
SOURCE = SiteInfo(1, SiteKind.AIR_SOURCE, 10, "371800.371802.")
STATION = SiteInfo(2, SiteKind.AIR_STATION, 10, "371800.371802.", lon=117.0, lat=36.6)
WATER = SiteInfo(3, SiteKind.WATER_STATION, 10, "371800.371802.", water_target=WaterGrade.CLASS_III)


def rule(kind: RuleKind, rule_id: int = 1, **parameters: Any) -> RuleSpec:
    thresholds = config.thresholds_from(kind, parameters)
    return RuleSpec(rule_id, rule_id, kind.value, kind, thresholds, config.options_from(kind, parameters), None)


def near(value: float, rng: random.Random) -> float:
    """`value`, one float step either side, a hair either side, a little either side, or anywhere near."""
    choice = rng.randrange(7)
    if choice == 0:
        return value
    if choice in (1, 2):
        return math.nextafter(value, math.inf if choice == 1 else -math.inf)
    if choice in (3, 4):
        return value * (1 + (1e-12 if choice == 3 else -1e-12))
    if choice == 5:
        return round(value * rng.choice([0.99, 0.999, 1.001, 1.01]), rng.choice([1, 2, 3]))
    return round(value * rng.uniform(0.3, 1.7), 2)


def put(window: Window, site: int, hour: float, values: Mapping[str, float | None], flag: str | None = "N") -> None:
    window.add(StoredReading(site, p, Interval.HOUR, T0 + hour * H, v, flag) for p, v in values.items())


# --- the functions as they were: every value converted and judged by the rule ---------------------------------


class Reference:
    """The evaluation functions before their float checks (the rule judges every value)."""

    @staticmethod
    def readings(window: Window, site: SiteInfo, parameter: str, start: datetime, end: datetime) -> list[Reading]:
        o2 = {when: value for when, value, _, _ in window.series(site.id, "hour", O2, start, end)}
        found = []
        for when, value, flag, _ in window.series(site.id, "hour", parameter, start, end):
            if value is not None:
                oxygen = o2.get(when)
                found.append(Reading(when, ev._decimal(value), None if oxygen is None else ev._decimal(oxygen), flag))
        return found

    @staticmethod
    def source_hour(
        rule: RuleSpec, site: SiteInfo, window: Window, time: datetime, limits: Sequence[LimitSpec], zone: tzinfo
    ) -> Evaluation | None:
        end, findings, judged = time + H, list[Finding](), False
        for spec in limits:
            if rule.kind is RuleKind.SOURCE_EXCEEDANCE:
                if spec.averaging != "hour":
                    continue
                hour = Reference.readings(window, site, spec.pollutant, time, end)
                judged |= bool(hour)
                assert isinstance(rule.thresholds, rules.SourceExceedanceThresholds)
                findings += rules.source_exceedances(site.id, hour, spec, rule.thresholds, zone=zone)
            else:
                assert isinstance(rule.thresholds, device_rules.HiddenExceedanceThresholds)
                span = Reference.readings(window, site, spec.pollutant, end - rule.thresholds.window, end)
                judged |= any(r.start == time for r in span)
                findings += ev._latest(device_rules.hidden_exceedances(site.id, span, spec, rule.thresholds), time)
        return ev._evaluation(rule, site, time, findings) if judged else None

    @staticmethod
    def sudden_rise(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
        assert isinstance(rule.thresholds, rules.SuddenRiseThresholds)
        t = rule.thresholds
        findings, judged = list[Finding](), False
        for parameter in rules.HotspotThresholds().parameters:
            series = [
                rules.HourValue(when, ev._decimal(value))
                for when, value, flag, _ in window.series(
                    site.id, "hour", parameter, time - t.interval * t.previous_hours, time + t.interval
                )
                if value is not None and is_valid(Point(when, value, flag))
            ]
            if series and series[-1].time == time:
                judged = True
                findings += ev._latest(rules.sudden_rises(site.id, parameter, series, t), time)
        return ev._evaluation(rule, site, time, findings) if judged else None

    @staticmethod
    def flat_line(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
        assert isinstance(rule.thresholds, device_rules.FlatLineThresholds)
        start = time - (rule.thresholds.min_points - 1) * site.interval
        findings, judged = list[Finding](), False
        for parameter in window.parameters(site.id, "hour"):
            points = [
                Point(when, value, flag)
                for when, value, flag, _ in window.series(site.id, "hour", parameter, start, time + site.interval)
            ]
            if points and points[-1].time == time:
                judged = True
                findings += ev._latest(device_rules.flat_lined(site.id, parameter, points, rule.thresholds), time)
        return ev._evaluation(rule, site, time, findings) if judged else None

    @staticmethod
    def identical(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
        assert isinstance(rule.thresholds, device_rules.IdenticalValuesThresholds)
        values = window.at(site.id, "hour", time)
        if not values:
            return None
        series = {p: [Point(time, value, flag)] for p, (value, flag) in values.items() if p != O2}
        return ev._evaluation(rule, site, time, device_rules.identical_values(site.id, series, rule.thresholds))

    @staticmethod
    def water(rule: RuleSpec, site: SiteInfo, window: Window, time: datetime) -> Evaluation | None:
        assert isinstance(rule.thresholds, rules.WaterTargetThresholds) and site.water_target is not None
        values = {
            ev.WATER_CODES[code]: value
            for code, (value, flag) in window.at(site.id, "hour", time).items()
            if code in ev.WATER_CODES and value is not None and is_valid(Point(time, value, flag))
        }
        if not values:
            return None
        sample = rules.WaterSample(time, {k: ev._decimal(v) for k, v in values.items()})
        return ev._evaluation(
            rule, site, time, rules.water_below_target(site.id, [sample], site.water_target, rule.thresholds)
        )

    @staticmethod
    def aqi_findings(rule: RuleSpec, values: Mapping[str, float], time: datetime, **subject: int) -> list[Finding]:
        assert isinstance(rule.thresholds, rules.AqiThresholds)
        aqi = ev.hourly_aqi(values, time)
        return rules.aqi_at_or_above([rules.AqiValue(time, aqi, **subject)], rule.thresholds)

    @staticmethod
    def hotspots(
        rule: RuleSpec,
        stations: Mapping[int, SiteInfo],
        near: Mapping[int, Sequence[int]],
        window: Window,
        time: datetime,
    ) -> list[Evaluation]:
        assert isinstance(rule.thresholds, rules.HotspotThresholds)
        t = rule.thresholds
        hour_values: dict[int, dict[str, Decimal]] = {}
        for site_id in near:
            values = window.at(site_id, "hour", time)
            if values:
                hour_values[site_id] = {
                    code: ev._decimal(value)
                    for code, (value, flag) in values.items()
                    if code in t.parameters and value is not None and is_valid(Point(time, value, flag))
                }
        evaluations = []
        for site_id in hour_values:
            site = stations[site_id]
            group = [site_id, *(n for n in near[site_id] if n in hour_values)]
            hours = [
                rules.StationHour(s, stations[s].lon or 0.0, stations[s].lat or 0.0, hour_values[s]) for s in group
            ]
            findings = [f for f in rules.air_hotspots(time, hours, t) if f.site_id == site_id]
            evaluations.append(ev._evaluation(rule, site, time, findings))
        return evaluations


# --- outlets ----------------------------------------------------------------------------------------------------


def test_surely_within_never_hides_an_exceedance() -> None:
    rng = random.Random(1)
    checked = 0
    for _ in range(20_000):
        spec = rng.choice([SO2_LIMIT, NOX_LIMIT])
        o2 = rng.choice([None, 6.0, 7.3, 9.0, 15.5, 20.99, 20.995, 21.0, round(rng.uniform(0, 21), 2)])
        factor = 1.0 if spec.reference_o2 is None or o2 is None or o2 >= 21 else (21 - o2) / 15
        value = near(float(spec.limit) * factor, rng)
        if ev._surely_within(value, o2, spec):
            checked += 1
            judgement = judge(ev._decimal(value), spec, None if o2 is None else ev._decimal(o2))
            assert not judgement.exceeded, (value, o2, spec.limit)
    assert checked > 1_000


@pytest.mark.parametrize(
    ("value", "o2", "exceeds"),
    [
        (35.0, 6.0, False),  # at the limit, at the reference O2: complies
        (math.nextafter(35.0, 40), 6.0, True),
        (32.666666666666664, 7.0, False),  # x 15/14 = 34.99999999999999…
        (32.66666666666667, 7.0, True),  # x 15/14 = 35.0000000000000036
        (1.75, 20.0, False),  # x 15/1 = 26.25
        (2.5, 20.995, True),  # O2 this close to 21 %: left to the rule (x 3000)
        (500.0, None, False),  # no O2: not judged
    ],
)
def test_source_hour_at_the_limit(value: float, o2: float | None, exceeds: bool) -> None:
    window = Window()
    put(window, SOURCE.id, 0, {SO2: value, O2: o2})
    evaluation = ev.source_hour(rule(RuleKind.SOURCE_EXCEEDANCE), SOURCE, window, T0, LIMITS, ZONE)
    assert evaluation is not None
    assert bool(evaluation.findings) is exceeds
    assert evaluation == Reference.source_hour(rule(RuleKind.SOURCE_EXCEEDANCE), SOURCE, window, T0, LIMITS, ZONE)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", [RuleKind.SOURCE_EXCEEDANCE, RuleKind.DEVICE_HIDDEN_EXCEEDANCE])
def test_outlet_hours_are_judged_as_the_rule_judges_every_value(kind: RuleKind, seed: int) -> None:
    rng = random.Random(seed)
    window = Window()
    specs = [rule(kind)]
    if kind is RuleKind.DEVICE_HIDDEN_EXCEEDANCE:
        specs += [rule(kind, flags="F,M,N", min_count=2), rule(kind, window=0.5)]
    for hour in range(60):
        o2 = rng.choice([6.0, 7.5, 9.0, None, 20.995])
        factor = 1.0 if o2 is None else (21 - o2) / 15
        values = {SO2: near(35 * factor, rng), NOX: near(50.5, rng), O2: o2}
        if rng.random() < 0.2:
            values[SO2] = rng.choice([None, -1.0])
        offset = 0.5 if rng.random() < 0.05 else 0  # now and then a value off the hour
        put(window, SOURCE.id, hour + offset, values, rng.choice(["N", "N", "N", None, "M", "F", "T", "n", "D"]))
        for spec in specs:
            expected = Reference.source_hour(spec, SOURCE, window, T0 + hour * H, LIMITS, ZONE)
            assert ev.source_hour(spec, SOURCE, window, T0 + hour * H, LIMITS, ZONE) == expected


# --- air stations -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "value", "rises"),
    [
        ((10.1, 10.2, 10.3), 60.2, True),  # the mean 10.2 + 50: a rise of exactly the jump
        ((10.1, 10.2, 10.3), 60.199999999999996, False),
        ((10.1, 10.2, 10.3), 60.20000000000001, True),
        ((10.1, None, 10.3), 200.0, False),  # a previous hour missing: not judged
    ],
)
def test_sudden_rise_at_the_jump(previous: tuple[float | None, ...], value: float, rises: bool) -> None:
    window = Window()
    for hour, v in enumerate((*previous, value)):
        if v is not None:
            put(window, STATION.id, hour, {PM25: v})
    spec = rule(RuleKind.AIR_SUDDEN_RISE)
    evaluation = ev.sudden_rise(spec, STATION, window, T0 + 3 * H)
    assert evaluation is not None and bool(evaluation.findings) is rises
    assert evaluation == Reference.sudden_rise(spec, STATION, window, T0 + 3 * H)


@pytest.mark.parametrize("seed", range(4))
def test_station_hours_are_judged_as_the_rules_judge_every_value(seed: int) -> None:
    rng = random.Random(seed)
    window = Window()
    specs = {
        "rise": [rule(RuleKind.AIR_SUDDEN_RISE), rule(RuleKind.AIR_SUDDEN_RISE, previous_hours=1, jump="0.5")],
        "flat": [rule(RuleKind.DEVICE_FLAT_LINE), rule(RuleKind.DEVICE_FLAT_LINE, min_points=2)],
        "identical": [rule(RuleKind.DEVICE_IDENTICAL_VALUES), rule(RuleKind.DEVICE_IDENTICAL_VALUES, min_parameters=2)],
    }
    level = 40.0
    for hour in range(80):
        if rng.random() < 0.1:
            continue  # an hour missing
        level = rng.choice([level, level, 20.0, 40.0, 80.0])
        rise = rng.choice([0.0, 0.0, 50.0, 0.5])
        values: dict[str, float | None] = {
            PM25: near(level + rise, rng),
            PM10: rng.choice([level, near(level + rise, rng), None]),
            O3: rng.choice([level, 1.0, 2.0]),
            NO2: rng.choice([level, 1.0, 0.0]),
            SO2: rng.choice([level, 1.0, 0.0]),
        }
        put(window, STATION.id, hour, values, rng.choice(["N", "N", "N", "N", "F", "T", None]))
        time = T0 + hour * H
        for spec in specs["rise"]:
            assert ev.sudden_rise(spec, STATION, window, time) == Reference.sudden_rise(spec, STATION, window, time)
        for spec in specs["flat"]:
            assert ev.flat_line(spec, STATION, window, time) == Reference.flat_line(spec, STATION, window, time)
        for spec in specs["identical"]:
            assert ev.identical(spec, STATION, window, time) == Reference.identical(spec, STATION, window, time)


def test_trailing_run_counts_valid_values_across_invalid_ones() -> None:
    window = Window()
    for hour, (value, flag) in enumerate([(5.0, "N"), (5.0, "N"), (7.0, "F"), (5.0, "N"), (5.0, None), (5.0, "N")]):
        put(window, STATION.id, hour, {SO2: value}, flag)
    samples = window.series(STATION.id, "hour", SO2, T0, T0 + 6 * H)
    assert ev._trailing_run(samples) == 5
    for min_points in range(1, 8):  # the span judged is min_points hours: the F value keeps runs short of it
        spec = rule(RuleKind.DEVICE_FLAT_LINE, min_points=min_points)
        evaluation = ev.flat_line(spec, STATION, window, T0 + 5 * H)
        assert evaluation is not None and len(evaluation.findings) == (min_points <= 3)
        assert evaluation == Reference.flat_line(spec, STATION, window, T0 + 5 * H)


@pytest.mark.parametrize("edition_day", [datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)])
@pytest.mark.parametrize("threshold", [1, 50, 51, 100, 150, 151, 200, 201, 300, 400, 500, 501])
def test_aqi_below_never_hides_an_aqi_at_the_threshold(edition_day: datetime, threshold: int) -> None:
    rng = random.Random(threshold)
    edition = edition_for(edition_day.date())
    bounds = ev._aqi_bounds(threshold, edition)
    pivots = [
        float(bp) + d
        for key in ev.AQI_CODES.values()
        for bp in aqi_standard.breakpoints(key, edition)
        for d in (-1, -0.5, 0, 0.5)
    ]
    checked = 0
    for _ in range(3_000):
        values = {}
        for code in rng.sample(list(ev.AQI_CODES), rng.randrange(1, 7)):
            pivot = (bounds or {}).get(code, 100.0) if rng.random() < 0.5 else rng.choice(pivots)
            values[code] = max(0.0, near(pivot, rng))
        if ev._aqi_below(values, threshold, edition_day):
            checked += 1
            aqi = ev.hourly_aqi(values, edition_day)
            assert aqi is None or aqi < threshold, (values, aqi)
    assert threshold <= 50 or checked > 300


@pytest.mark.parametrize("seed", range(3))
def test_station_and_area_aqi_are_judged_as_the_rule_judges(seed: int) -> None:
    rng = random.Random(seed)
    stations = [SiteInfo(10 + i, SiteKind.AIR_STATION, 10, "371800.", areas={"town": 100 + i % 2}) for i in range(6)]
    for threshold in (100, 150, 200):
        station_rule = rule(RuleKind.AQI_LEVEL, threshold=threshold)
        area_rule = rule(RuleKind.AQI_LEVEL, threshold=threshold, area_level="town")
        bounds = ev._aqi_bounds(threshold, "2026") or {}
        for hour in range(30):
            window, time = Window(), T0 + hour * H
            for station in stations:
                put(window, station.id, hour, {c: max(0.0, near(b, rng)) for c, b in bounds.items()})
            for station in stations:
                found = ev.station_aqi(station_rule, station, window, time)
                values = dict(ev._valid_aqi_values(window, station.id, time))
                assert found is not None
                assert list(found.findings) == Reference.aqi_findings(station_rule, values, time, site_id=station.id)
            by_area = {e.region_id: e for e in ev.area_aqi(area_rule, stations, window, time)}
            assert set(by_area) == {100, 101}
            for area, evaluation in by_area.items():
                members = [s for s in stations if s.areas == {"town": area}]
                means = {
                    code: sum(v) / len(v)
                    for code in bounds
                    if (v := [ev._valid_aqi_values(window, s.id, time)[code] for s in members])
                }
                assert list(evaluation.findings) == Reference.aqi_findings(area_rule, means, time, region_id=area)
                # an area judged from its own stations only, as the engine passes them
                assert ev.area_aqi(area_rule, members, window, time) == [evaluation]


# --- water ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", [WaterGrade.CLASS_II, WaterGrade.CLASS_III, WaterGrade.CLASS_V, WaterGrade.WORSE_THAN_V]
)
def test_water_is_judged_as_the_rule_judges_every_value(target: WaterGrade) -> None:
    rng = random.Random(target.rank)
    site = SiteInfo(3, SiteKind.WATER_STATION, 10, "371800.", water_target=target)
    spec = rule(RuleKind.WATER_BELOW_TARGET)
    limits = {
        DO: [7.5, 6, 5, 3, 2],
        CODMN: [2, 4, 6, 10, 15],
        NH3N: [0.15, 0.5, 1.0, 1.5, 2.0],
        TP: [0.02, 0.1, 0.2, 0.3, 0.4],
    }
    for hour in range(400):
        window = Window()
        values: dict[str, float | None] = {code: near(rng.choice(row), rng) for code, row in limits.items()}
        values[PH] = near(rng.choice([6.0, 9.0, 7.5]), rng)
        values["w21001"] = rng.choice([None, 3.0])  # TN: not assessed in rivers
        put(window, site.id, hour, {c: v for c, v in values.items() if rng.random() < 0.8})
        time = T0 + hour * H
        assert ev.water(spec, site, window, time) == Reference.water(spec, site, window, time)


def test_a_negative_water_value_is_left_out_instead_of_failing() -> None:
    window = Window()
    put(window, WATER.id, 0, {NH3N: -0.02, DO: 7.0})
    spec = rule(RuleKind.WATER_BELOW_TARGET)
    with pytest.raises(ValueError, match="negative"):
        Reference.water(spec, WATER, window, T0)
    evaluation = ev.water(spec, WATER, window, T0)
    assert evaluation is not None and evaluation.findings == ()
    put(window, WATER.id, 1, {NH3N: -0.02})
    assert ev.water(spec, WATER, window, T0 + H) is None  # nothing left to judge


# --- hotspots ---------------------------------------------------------------------------------------------------


def grid(size: int, spacing_km: float) -> dict[int, SiteInfo]:
    """Air stations on a square grid, `spacing_km` apart."""
    found = {}
    for i in range(size * size):
        lat = 36.6 + (i // size) * spacing_km / 111.195
        lon = 117.0 + (i % size) * spacing_km / (111.195 * math.cos(math.radians(lat)))
        found[100 + i] = SiteInfo(100 + i, SiteKind.AIR_STATION, 10, "371800.", lon=lon, lat=lat, areas={"town": 7})
    return found


def test_neighbours_are_the_stations_within_the_radius() -> None:
    rng = random.Random(3)
    stations = [
        SiteInfo(i, SiteKind.AIR_STATION, 10, "371800.", lon=117 + rng.uniform(0, 0.5), lat=36.6 + rng.uniform(0, 0.5))
        for i in range(150)
    ]
    stations += [
        SiteInfo(999, SiteKind.AIR_STATION, 10, "371800."),
        SiteInfo(998, SiteKind.WATER_STATION, 10, "371800."),
    ]
    for radius in (1.0, 5.0, 10.0, 30.0):
        found = ev.neighbours(stations, radius)
        placed = [s for s in stations if s.lat is not None and s.kind is SiteKind.AIR_STATION]
        assert set(found) == {s.id for s in placed}
        for a in placed:
            assert a.lon is not None and a.lat is not None
            expected = [
                b.id
                for b in placed
                if b.id != a.id and rules.distance_km(a.lon, a.lat, b.lon or 0.0, b.lat or 0.0) <= radius
            ]
            assert list(found[a.id]) == expected


@pytest.mark.parametrize("seed", range(6))
def test_hotspots_are_judged_as_the_rule_judges_stations_with_enough_neighbours(seed: int) -> None:
    rng = random.Random(seed)
    stations = grid(5, 3.0)
    spec = rule(RuleKind.AIR_HOTSPOT, radius_km=5.0, min_neighbours=rng.choice([1, 3, 4]))
    assert isinstance(spec.thresholds, rules.HotspotThresholds)
    near_ = ev.neighbours(list(stations.values()), 5.0)
    for hour in range(25):
        window, time = Window(), T0 + hour * H
        median = rng.choice([40.0, 13.3, 100.1])
        for site_id in stations:
            if rng.random() < 0.25:
                continue  # not reported yet
            base = rng.choice([median, median, median * 1.5, median + 20, median * 0.9])
            put(
                window,
                site_id,
                hour,
                {PM25: near(base, rng), NO2: near(median, rng), SO2: 3.0},
                rng.choice(["N"] * 9 + ["F"]),
            )
        found = {e.site_id: e for e in ev.hotspots(spec, stations, near_, window, time)}
        for expected in Reference.hotspots(spec, stations, near_, window, time):
            assert expected.site_id is not None
            own = window.valid_values(expected.site_id, "hour", time, spec.thresholds.parameters) or {}
            judged = any(
                sum(1 for n in near_[expected.site_id] if p in (window.valid_values(n, "hour", time, (p,)) or {}))
                >= spec.thresholds.min_neighbours
                for p in own
            )
            assert found.pop(expected.site_id, None) == (expected if judged else None)
            if not judged:
                assert expected.findings == ()  # the rule does not judge it either: it only cleared alerts
        assert found == {}


def test_a_station_without_enough_neighbours_reporting_is_not_judged() -> None:
    stations = grid(2, 3.0)  # four stations, each with three neighbours within 10 km
    spec = rule(RuleKind.AIR_HOTSPOT)
    near_ = ev.neighbours(list(stations.values()), 10.0)
    window = Window()
    put(window, 100, 0, {PM25: 200.0})
    put(window, 101, 0, {PM25: 40.0})
    assert ev.hotspots(spec, stations, near_, window, T0) == []  # an early poll: too few neighbours yet
    put(window, 102, 0, {PM25: 45.0})
    put(window, 103, 0, {PM25: 50.0, SO2: 5.0})
    by_site = {e.site_id: e for e in ev.hotspots(spec, stations, near_, window, T0)}
    assert set(by_site) == {100, 101, 102, 103}
    (finding,) = by_site[100].findings
    assert (finding.observed, finding.reference) == (Decimal(200), Decimal(45))
    assert [e.site_id for e in ev.hotspots(spec, stations, near_, window, T0, only={101, 102})] == [101, 102]


@pytest.mark.parametrize("seed", range(3))
def test_the_engine_judges_again_only_what_an_arrival_can_change(seed: int) -> None:
    """Hotspots of the arrived stations and their neighbours, AQIs of their areas: every other station's and
    area's judgement at that hour is the same after the arrival as before it."""
    rng = random.Random(seed)
    stations = grid(6, 4.0)
    for i, site_id in enumerate(stations):
        stations[site_id] = SiteInfo(
            site_id, SiteKind.AIR_STATION, 10, "371800.", lon=stations[site_id].lon, lat=stations[site_id].lat,
            areas={"town": 200 + i % 3},
        )  # fmt: skip
    engine = AlertEngine(None, None, ZONE)  # type: ignore[arg-type]  # judging only: no database, no store
    engine.sites = stations
    engine.rules = [rule(RuleKind.AIR_HOTSPOT), rule(RuleKind.AQI_LEVEL, 2, threshold=60, area_level="town")]
    engine.prepare()
    time = T0 + 5 * H
    pending = list(stations)
    rng.shuffle(pending)
    while pending:
        count = rng.randrange(1, 8)
        arrived, pending = pending[:count], pending[count:]
        before = judgements(engine, time)
        for site_id in arrived:
            put(engine.window, site_id, 5, {PM25: rng.choice([40.0, 41.0, 75.0, 30.0]), PM10: 70.0})
        group = engine._station_group_evaluations([stations[s] for s in arrived], time)
        after = judgements(engine, time)
        made = {(e.rule.id, e.site_id, e.region_id) for e in group}
        for key in set(before) | set(after):
            if key not in made:
                assert before.get(key) == after.get(key), key
        for e in group:
            assert after[(e.rule.id, e.site_id, e.region_id)] == e


def judgements(engine: AlertEngine, time: datetime) -> dict[tuple[int, int | None, int], Evaluation]:
    """Every hotspot and area AQI judgement at `time`, judging every station and area."""
    found: list[Evaluation] = []
    for spec in engine.rules:
        if spec.kind is RuleKind.AIR_HOTSPOT:
            found += ev.hotspots(spec, engine.sites, engine.near[spec.id], engine.window, time)
        else:
            found += ev.area_aqi(spec, list(engine.sites.values()), engine.window, time)
    return {(e.rule.id, e.site_id, e.region_id): e for e in found}


# --- noise -------------------------------------------------------------------------------------------------------

NOISE = SiteInfo(4, SiteKind.NOISE, 10, "371800.371802.", noise_zone=NoiseZone.CLASS_1)
LEQ, LMAX = "Leq", "LMx"


def test_a_noise_hour_is_judged_in_its_local_period_clean_or_not() -> None:
    """T0 + 15 h is 23:00 in UTC+8 (class 1 night limit 45), T0 + 2 h is 10:00 (day limit 55)."""
    spec = rule(RuleKind.NOISE_EXCEEDANCE)
    window = Window()
    put(window, NOISE.id, 15, {LEQ: 46.0, LMAX: 58.0})
    put(window, NOISE.id, 2, {LEQ: 54.0, LMAX: 90.0})  # the maximum is judged at night only
    night = ev.noise(spec, NOISE, window, T0 + 15 * H, ZONE)
    assert night is not None and [(f.parameter, f.observed, f.reference) for f in night.findings] == [
        (LEQ, Decimal("46.0"), Decimal(45))
    ]
    day = ev.noise(spec, NOISE, window, T0 + 2 * H, ZONE)
    assert day is not None and day.findings == ()  # clean: clears an open alert


def test_a_noise_hour_that_cannot_be_judged_gets_no_evaluation() -> None:
    spec = rule(RuleKind.NOISE_EXCEEDANCE)
    window = Window()
    put(window, NOISE.id, 15, {LEQ: 80.0})
    put(window, NOISE.id, 16, {LEQ: 80.0}, flag="M")  # maintenance: not valid
    put(window, NOISE.id, 2, {LMAX: 90.0})  # a day hour with the maximum only
    put(window, NOISE.id, 3, {"L10": 90.0})  # a quantity not judged
    unzoned = SiteInfo(5, SiteKind.NOISE, 10, "371800.")
    put(window, unzoned.id, 15, {LEQ: 80.0})
    assert ev.noise(spec, unzoned, window, T0 + 15 * H, ZONE) is None
    assert ev.noise(spec, STATION, window, T0 + 15 * H, ZONE) is None
    assert ev.noise(spec, NOISE, window, T0 + 16 * H, ZONE) is None
    assert ev.noise(spec, NOISE, window, T0 + 2 * H, ZONE) is None
    assert ev.noise(spec, NOISE, window, T0 + 3 * H, ZONE) is None
    assert ev.noise(spec, NOISE, window, T0 + 4 * H, ZONE) is None  # no data
    day_only = rule(RuleKind.NOISE_EXCEEDANCE, periods="day")
    assert ev.noise(day_only, NOISE, window, T0 + 15 * H, ZONE) is None  # a night hour: not judged, not clean
