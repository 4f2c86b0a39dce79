"""Alert rule evaluators at and around their thresholds, with hand-worked numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from ecoloop.alerts import rules
from ecoloop.alerts.device_rules import (
    FlatLineThresholds,
    HiddenExceedanceThresholds,
    IdenticalValuesThresholds,
    SilenceThresholds,
    flat_lined,
    hidden_exceedances,
    identical_values,
    pollutant_statistic,
    silent_device,
)
from ecoloop.alerts.rules import (
    NO2,
    PM2_5,
    AqiThresholds,
    AqiValue,
    Finding,
    HotspotThresholds,
    HourValue,
    NoiseThresholds,
    RuleKind,
    Severity,
    SourceExceedanceThresholds,
    StationHour,
    SuddenRiseThresholds,
    WaterSample,
    WaterTargetThresholds,
    air_hotspots,
    aqi_at_or_above,
    distance_km,
    noise_exceedances,
    source_exceedances,
    sudden_rises,
    water_below_target,
)
from ecoloop.demo.simulator.profiles import Profile, SimDevice, Uploads
from ecoloop.ingest.convert import readings_of
from ecoloop.ingest.hj212 import parse
from ecoloop.monitoring.quality import Point
from ecoloop.standards.emission import LimitSpec, Reading
from ecoloop.standards.water import WaterGrade

D = Decimal
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 22, tzinfo=CST)
H = timedelta(hours=1)
SITE = 7

# Limits shaped like real ones; the numbers are fixtures, not quotations of a standard.
SO2_HOURLY = LimitSpec(
    pollutant="a21026", limit=D(100), unit="mg/m3", averaging="hour", reference_o2=D(6), source="fixture"
)
COD_DAILY = LimitSpec(pollutant="w01018", limit=D(50), unit="mg/L", averaging="day", source="fixture")
NOX_HOURLY = LimitSpec(pollutant="a21002", limit=D(100), unit="mg/m3", averaging="hour", source="fixture")


# --- 1. source exceedance ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "o2", "expected", "severity"),
    [
        ("80", "9", None, None),  # 80 x 15/12 = 100: at the limit complies
        ("80.008", "9", "100.01", Severity.MEDIUM),  # 80.008 x 15/12 = 100.01: just above
        ("50", "9", None, None),  # 50 x 15/12 = 62.5
        ("159.2", "9", "199", Severity.MEDIUM),  # 199: multiple 0.99
        ("160", "9", "200", Severity.HIGH),  # 200: multiple 1.00, twice the limit
        ("100", "6", None, None),  # at reference O2 nothing changes; 100 = limit
        ("100", "3", None, None),  # 100 x 15/18 = 83.33: low O2 lowers the value
    ],
)
def test_source_exceedance_hourly_with_o2_conversion(
    value: str, o2: str, expected: str | None, severity: Severity | None
) -> None:
    readings = [Reading(T0, D(value), D(o2))]
    found = source_exceedances(SITE, readings, SO2_HOURLY, SourceExceedanceThresholds(), zone=CST)
    if expected is None:
        assert found == []
        return
    (finding,) = found
    assert finding.kind is RuleKind.SOURCE_EXCEEDANCE
    assert (finding.site_id, finding.parameter, finding.time) == (SITE, "a21026", T0)
    assert (finding.observed, finding.reference, finding.severity) == (D(expected), D(100), severity)
    assert finding.detail["averaging"] == "hour"


def test_source_exceedance_multiple_in_detail() -> None:
    """62.5 converted against a 60 limit: (62.5 - 60) / 60 = 0.0417 → 0.04."""
    spec = LimitSpec(pollutant="a21026", limit=D(60), unit="mg/m3", averaging="hour", reference_o2=D(6), source="x")
    (finding,) = source_exceedances(SITE, [Reading(T0, D(50), D(9))], spec, SourceExceedanceThresholds(), zone=CST)
    assert finding.observed == D("62.5")
    assert finding.detail["multiple"] == "0.04"


def test_source_exceedance_one_finding_per_exceeding_hour_and_none_for_flagged() -> None:
    readings = [
        Reading(T0, D(101), D(6)),
        Reading(T0 + H, D(99), D(6)),
        Reading(T0 + 2 * H, D(500), D(6), "M"),  # maintenance: not judged
        Reading(T0 + 3 * H, D(500), D(6), "D"),  # fault: not judged
        Reading(T0 + 4 * H, D(120), D(6), "N"),
        Reading(T0 + 5 * H, D(500), None),  # O2 missing: not judged
    ]
    found = source_exceedances(SITE, readings, SO2_HOURLY, SourceExceedanceThresholds(), zone=CST)
    assert [(f.time, f.observed) for f in found] == [(T0, D(101)), (T0 + 4 * H, D(120))]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ([D(50)] * 20, None),  # mean 50 = limit
        ([D(50)] * 20 + [D(51)], "50.04761904761904761904761905"),  # 1051 / 21
        ([D(60)] * 19, None),  # 19 valid hours: no daily mean (HJ 76-2017 Appendix B)
        ([D(60)] * 20, "60"),
    ],
)
def test_source_exceedance_daily(hours: list[Decimal], expected: str | None) -> None:
    readings = [Reading(T0 + i * H, v) for i, v in enumerate(hours)]
    found = source_exceedances(SITE, readings, COD_DAILY, SourceExceedanceThresholds(), zone=CST)
    if expected is None:
        assert found == []
        return
    (finding,) = found
    assert (finding.time, finding.observed, finding.detail["averaging"]) == (T0, D(expected), "day")


def test_source_exceedance_daily_min_valid_hours_is_a_threshold() -> None:
    readings = [Reading(T0 + i * H, D(60)) for i in range(18)]
    thresholds = SourceExceedanceThresholds(min_valid_hours=18)
    assert len(source_exceedances(SITE, readings, COD_DAILY, thresholds, zone=CST)) == 1


# --- 2. air hotspot ------------------------------------------------------------------------------------------------

LON, LAT = 116.40, 39.90


def station(site_id: int, north_km: float, **values: str) -> StationHour:
    """A station `north_km` north of the reference point (1° of latitude ≈ 111.195 km)."""
    return StationHour(site_id, LON, LAT + north_km / 111.195, {k: D(v) for k, v in values.items()})


def test_distance_km_one_degree_of_latitude() -> None:
    """2πR/360 with R = 6371.0088 km: 111.195 km."""
    assert distance_km(116.0, 39.0, 116.0, 40.0) == pytest.approx(111.195, abs=0.001)
    assert distance_km(116.0, 39.0, 116.0, 39.0) == 0


def hotspot_with(value: str, neighbours: tuple[str, ...], far: str | None = None) -> list[tuple[int, Decimal]]:
    stations = [station(1, 0, a34004=value)]
    stations += [station(10 + i, 2 + i, a34004=v) for i, v in enumerate(neighbours)]
    if far is not None:
        stations.append(station(99, 25, a34004=far))  # 25 km away: not a neighbour within 10 km
    found = air_hotspots(T0, stations, HotspotThresholds())
    return [(f.site_id or 0, f.reference or D(0)) for f in found]


@pytest.mark.parametrize(
    ("value", "neighbours", "hit"),
    [
        # median 50: ratio 1.5 → 75, difference 20 → 70; the ratio binds
        ("74.99", ("40", "50", "60"), False),
        ("75", ("40", "50", "60"), True),
        ("80", ("40", "50", "60"), True),
        # median 10: ratio → 15, difference → 30; the difference binds
        ("29.9", ("10", "10", "10"), False),
        ("30", ("10", "10", "10"), True),
        # even count: median of 40, 50, 60, 70 is 55 → 82.5
        ("82.4", ("40", "50", "60", "70"), False),
        ("82.5", ("40", "50", "60", "70"), True),
    ],
)
def test_air_hotspot_threshold(value: str, neighbours: tuple[str, ...], hit: bool) -> None:
    found = hotspot_with(value, neighbours)
    median = sorted(D(v) for v in neighbours)
    expected = (median[1] if len(median) == 3 else (median[1] + median[2]) / 2) if hit else None
    assert found == ([(1, expected)] if hit else [])


def test_air_hotspot_needs_min_neighbours_within_radius() -> None:
    """Two neighbours within 10 km and one 25 km away: fewer than 3, so no judgement however high the value."""
    assert hotspot_with("500", ("40", "50"), far="45") == []
    assert hotspot_with("500", ("40", "50", "60"), far="45") == [(1, D(50))]
    stations = [station(1, 0, a34004="500"), station(2, 2, a34004="40"), station(3, 3, a34004="50")]
    found = air_hotspots(T0, stations, HotspotThresholds(min_neighbours=2))
    assert [(f.site_id, f.reference, f.detail["neighbours"]) for f in found] == [(1, D(45), 2)]


def test_air_hotspot_neighbours_need_a_value_of_the_parameter() -> None:
    stations = [station(1, 0, a34004="200", a21004="200"), station(2, 1, a34004="40", a21004="40")]
    stations += [station(3, 2, a34004="40"), station(4, 3, a34004="40", a21004="40")]
    found = air_hotspots(T0, stations, HotspotThresholds())
    assert [(f.site_id, f.parameter) for f in found] == [(1, PM2_5)]
    found = air_hotspots(T0, stations, HotspotThresholds(min_neighbours=2))
    assert [(f.site_id, f.parameter) for f in found] == [(1, PM2_5), (1, NO2)]


def rise_series(*values: str | None) -> list[HourValue]:
    return [HourValue(T0 + i * H, D(v)) for i, v in enumerate(values) if v is not None]


@pytest.mark.parametrize(
    ("value", "hit"),
    [("79.99", False), ("80", True), ("90", True)],  # previous 20, 30, 40: mean 30, jump 50 → 80
)
def test_sudden_rise_threshold(value: str, hit: bool) -> None:
    found = sudden_rises(SITE, PM2_5, rise_series("20", "30", "40", value), SuddenRiseThresholds())
    assert [(f.time, f.observed, f.reference) for f in found] == ([(T0 + 3 * H, D(value), D(30))] if hit else [])


def test_sudden_rise_needs_every_previous_hour() -> None:
    assert sudden_rises(SITE, PM2_5, rise_series("20", None, "40", "200"), SuddenRiseThresholds()) == []
    found = sudden_rises(SITE, PM2_5, rise_series("20", None, "40", "200"), SuddenRiseThresholds(previous_hours=1))
    assert [(f.time, f.reference) for f in found] == [(T0 + 3 * H, D(40))]


# --- 3. water below target -----------------------------------------------------------------------------------------


def water(target: WaterGrade, **values: str) -> list[tuple[str | None, Decimal | None, Decimal | None, Severity]]:
    sample = WaterSample(T0, {k: D(v) for k, v in values.items()})
    found = water_below_target(SITE, [sample], target, WaterTargetThresholds())
    return [(f.parameter, f.observed, f.reference, f.severity) for f in found]


@pytest.mark.parametrize(
    ("nh3_n", "expected"),
    [
        ("0.99", []),  # class III
        ("1.0", []),  # at the class III limit: class III meets the target
        ("1.01", [("NH3_N", D("1.01"), D("1.0"), Severity.MEDIUM)]),  # class IV
        ("2.5", [("NH3_N", D("2.5"), D("1.0"), Severity.HIGH)]),  # 劣V
    ],
)
def test_water_below_target_threshold(nh3_n: str, expected: list[object]) -> None:
    assert water(WaterGrade.CLASS_III, NH3_N=nh3_n, DO="6") == expected


def test_water_worse_than_v_is_below_target_v() -> None:
    assert water(WaterGrade.CLASS_V, NH3_N="2.0") == []  # class V meets a class V target
    assert water(WaterGrade.CLASS_V, NH3_N="2.01") == [("NH3_N", D("2.01"), D("2.0"), Severity.HIGH)]
    sample = WaterSample(T0, {"NH3_N": D("2.01")})
    (finding,) = water_below_target(SITE, [sample], WaterGrade.CLASS_V, WaterTargetThresholds())
    assert (finding.detail["grade"], finding.detail["target"]) == ("劣V", "V")
    assert water(WaterGrade.WORSE_THAN_V, NH3_N="9") == []


def test_water_names_the_worst_indicator() -> None:
    """NH3_N 1.2 is class IV, TP 0.35 class V: the finding names TP against its class III limit 0.2."""
    sample = WaterSample(T0, {"NH3_N": D("1.2"), "TP": D("0.35")})
    (finding,) = water_below_target(SITE, [sample], WaterGrade.CLASS_III, WaterTargetThresholds())
    assert (finding.parameter, finding.observed, finding.reference) == ("TP", D("0.35"), D("0.2"))
    assert finding.detail["indicators"] == ("NH3_N", "TP")


def test_water_do_and_ph() -> None:
    assert water(WaterGrade.CLASS_III, DO="5") == []  # DO at least 5: class III
    assert water(WaterGrade.CLASS_III, DO="4.9") == [("DO", D("4.9"), D("5"), Severity.MEDIUM)]
    assert water(WaterGrade.CLASS_III, pH="9.5") == [("pH", D("9.5"), None, Severity.HIGH)]


def test_water_classes_below_and_unjudged_samples() -> None:
    two_below = WaterTargetThresholds(classes_below=2)
    iv = WaterSample(T0, {"NH3_N": D("1.2")})
    v = WaterSample(T0 + H, {"NH3_N": D("1.8")})
    found = water_below_target(SITE, [iv, v], WaterGrade.CLASS_III, two_below)
    assert [f.time for f in found] == [T0 + H]
    unjudged = [WaterSample(T0, {}), WaterSample(T0, {"TN": D("9"), "NH3_N": None})]
    assert water_below_target(SITE, unjudged, WaterGrade.CLASS_III, WaterTargetThresholds()) == []


# --- 4. device checks ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("silent_for", "expected"),
    [
        (timedelta(minutes=29, seconds=59), None),
        (timedelta(minutes=30), None),  # exactly 3 intervals: not yet silent (is_silent is strict)
        (timedelta(minutes=30, seconds=1), D(1801)),
        (timedelta(hours=5), D(18000)),
    ],
)
def test_silent_device(silent_for: timedelta, expected: Decimal | None) -> None:
    now = T0 + 10 * H
    found = silent_device(SITE, now - silent_for, now, timedelta(minutes=10), SilenceThresholds(), device_id=3)
    if expected is None:
        assert found == []
        return
    (finding,) = found
    assert (finding.kind, finding.time, finding.observed, finding.reference) == (
        RuleKind.DEVICE_SILENT,
        now,
        expected,
        D(1800),
    )
    assert (finding.parameter, finding.detail["device_id"], finding.detail["interval_s"]) == (None, 3, 600)


def test_silent_device_never_seen() -> None:
    (finding,) = silent_device(SITE, None, T0, H, SilenceThresholds())
    assert (finding.observed, finding.reference, finding.detail["last_seen"]) == (None, D(10800), None)


def points(values: list[float | None], flags: list[str | None] | None = None) -> list[Point]:
    flags = flags or [None] * len(values)
    return [Point(T0 + i * H, v, f) for i, (v, f) in enumerate(zip(values, flags, strict=True))]


@pytest.mark.parametrize(("run", "hit"), [(5, False), (6, True), (7, True)])
def test_flat_line_threshold(run: int, hit: bool) -> None:
    series = points([30.0, *([12.0] * run), 31.0])
    found = flat_lined(SITE, PM2_5, series, FlatLineThresholds())
    expected = [(T0 + run * H, D(run), D(6), "12.0", (T0 + H).isoformat())] if hit else []
    assert [(f.time, f.observed, f.reference, f.detail["value"], f.detail["start"]) for f in found] == expected


def test_flat_line_ignores_flagged_points() -> None:
    """Six equal values, one of them under maintenance: five valid ones, no finding."""
    series = points([12.0] * 6, [None, None, "M", None, None, None])
    assert flat_lined(SITE, PM2_5, series, FlatLineThresholds()) == []


def identical(**values: tuple[float | None, str | None]) -> list[tuple[datetime, Decimal, tuple[str, ...]]]:
    series = {name: [Point(T0, value, flag)] for name, (value, flag) in values.items()}
    found = identical_values(SITE, series, IdenticalValuesThresholds())
    result = []
    for f in found:
        names = f.detail["parameters"]
        assert isinstance(names, tuple)
        assert f.observed is not None
        result.append((f.time, f.observed, names))
    return result


def test_identical_values_threshold() -> None:
    assert identical(a21026=(5.0, None), a21004=(5.0, None), a34004=(6.0, None)) == []
    three = identical(a21026=(5.0, None), a21004=(5.0, None), a34004=(5.0, None))
    assert three == [(T0, D(3), ("a21004", "a21026", "a34004"))]
    four = identical(a21026=(5.0, None), a21004=(5.0, None), a34004=(5.0, None), a34002=(5.0, "N"))
    assert four == [(T0, D(4), ("a21004", "a21026", "a34002", "a34004"))]


def test_identical_values_skip_zero_and_flagged() -> None:
    assert identical(a21026=(0.0, None), a21004=(0.0, None), a34004=(0.0, None)) == []
    assert identical(a21026=(5.0, None), a21004=(5.0, None), a34004=(5.0, "C")) == []


def test_identical_values_compare_pollutants_not_a_pollutants_own_statistics() -> None:
    """An hourly upload carries Avg, Min, Max (and the converted values) of each pollutant: a steady hour makes
    them equal, which is no sign of copied values; equal values of three pollutants in one statistic are."""
    steady = {f"a21026{s}": (5.0, None) for s in ("", "-Min", "-Max", "-Zs", "-ZsMin", "-ZsMax")}
    assert identical(**steady) == []
    assert identical(**steady, a34013=(5.0, None), **{"a34013-Max": (5.0, None)}) == []
    found = identical(
        **{"a21026-Max": (7.0, None), "a21002-Max": (7.0, None), "a34013-Max": (7.0, None)}, a21002=(7.0, None)
    )
    assert found == [(T0, D(3), ("a21002-Max", "a21026-Max", "a34013-Max"))]


def test_identical_values_do_not_compare_the_statistics_of_one_sound_level() -> None:
    """A noise station's hour in steady noise: L10, L50 and Leq all 52.0 dB(A) (HJ 212-2017 Appendix C's own
    example has L5 = L10); they are statistics of one sound level, not three pollutants."""
    steady = {"L5": (52.3, None), "L10": (52.0, None), "L50": (52.0, None), "Leq": (52.0, None), "LMx": (58.2, None)}
    assert identical(**steady) == []
    assert identical(**steady, a21026=(52.0, None), a21004=(52.0, None), a34004=(52.0, None)) == [
        (T0, D(3), ("a21004", "a21026", "a34004"))
    ]


@pytest.mark.parametrize(
    "device",
    [
        SimDevice("MN-W", "123456", Profile.WATER_OUTLET, industry="2614"),
        SimDevice("MN-G", "123456", Profile.GAS_OUTLET, industry="4411"),
    ],
)
def test_the_demo_simulators_hourly_uploads_raise_no_identical_values(device: SimDevice) -> None:
    """A day of the demo simulator's hourly uploads (CN=2061), encoded, parsed and stored as the receiver does:
    its once-an-hour water analysers send Min = Avg = Max, which alerted every water outlet (issue 13 point 9)."""
    start = datetime(2026, 11, 22)  # noqa: DTZ001  # the simulated logger's local clock
    hourly = (frame for due, _, frame in Uploads(device, start, seed=0) if due.cn == "2061")
    for frame in islice(hourly, 24):
        readings = readings_of(parse(frame), SITE, ZoneInfo("Asia/Shanghai"))
        series = {r.parameter: [Point(r.time, r.value, r.flag)] for r in readings}
        assert identical_values(SITE, series, IdenticalValuesThresholds()) == []


@pytest.mark.parametrize(
    ("parameter", "split"),
    [
        ("a34013", ("a34013", "")),
        ("a34013-Max", ("a34013", "Max")),
        ("a21026-ZsMin", ("a21026", "ZsMin")),
        ("a21026-Zs", ("a21026", "Zs")),
        ("PM2.5-24h", ("PM2.5-24h", "")),
        ("-Max", ("-Max", "")),
    ],
)
def test_pollutant_statistic(parameter: str, split: tuple[str, str]) -> None:
    assert pollutant_statistic(parameter) == split


def test_identical_values_compare_within_one_time() -> None:
    series = {"a21026": points([5.0, 7.0]), "a21004": points([7.0, 5.0]), "a34004": points([5.0, 9.0])}
    assert identical_values(SITE, series, IdenticalValuesThresholds()) == []


def flagged(*hours: tuple[int, str, str | None]) -> list[Reading]:
    return [Reading(T0 + hour * H, D(value), None, flag) for hour, value, flag in hours]


@pytest.mark.parametrize(
    ("readings", "times"),
    [
        (flagged((0, "150", "M"), (5, "150", "S")), []),  # two: below the count
        (flagged((0, "150", "M"), (5, "150", "S"), (10, "150", "D")), [10]),  # three within 24 h
        (flagged((0, "150", "M"), (5, "150", "S"), (10, "150", "D"), (11, "150", "C")), [10, 11]),
        (flagged((0, "150", "M"), (12, "150", "M"), (24, "150", "M")), []),  # window (0, 24]: hour 0 is outside
        (flagged((0, "150", "M"), (12, "150", "M"), (23, "150", "M")), [23]),
        (flagged((0, "100", "M"), (5, "150", "M"), (10, "150", "M")), []),  # 100 = limit: not an exceedance
        (flagged((0, "150", "N"), (5, "150", None), (10, "150", "M")), []),  # unflagged ones are judged, not hidden
        (flagged((0, "150", "m"), (5, "150", "s"), (10, "150", "d")), [10]),  # flags case-insensitive
    ],
)
def test_hidden_exceedances(readings: list[Reading], times: list[int]) -> None:
    found = hidden_exceedances(SITE, readings, NOX_HOURLY, HiddenExceedanceThresholds())
    assert [f.time for f in found] == [T0 + t * H for t in times]
    assert all(f.reference == D(100) and f.severity is Severity.HIGH for f in found)


def test_hidden_exceedances_convert_to_reference_o2() -> None:
    """SO2 at 6 % reference O2, measured at 9 %: 80 → 100 (at the limit), 80.8 → 101 (above)."""
    at_limit = [Reading(T0 + i * H, D(80), D(9), "M") for i in range(3)]
    assert hidden_exceedances(SITE, at_limit, SO2_HOURLY, HiddenExceedanceThresholds()) == []
    above = [Reading(T0 + i * H, D("80.8"), D(9), "M") for i in range(3)]
    (finding,) = hidden_exceedances(SITE, above, SO2_HOURLY, HiddenExceedanceThresholds())
    assert (finding.observed, finding.detail["count"], finding.detail["window_h"]) == (D(101), 3, "24")
    no_o2 = [Reading(T0 + i * H, D(500), None, "M") for i in range(3)]
    assert hidden_exceedances(SITE, no_o2, SO2_HOURLY, HiddenExceedanceThresholds()) == []


# --- 5. AQI level ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aqi", "expected"),
    [
        (199, None),
        (200, (4, "moderately_polluted", Severity.MEDIUM)),
        (201, (5, "heavily_polluted", Severity.MEDIUM)),
        (300, (5, "heavily_polluted", Severity.MEDIUM)),
        (301, (6, "severely_polluted", Severity.HIGH)),
        (None, None),
    ],
)
def test_aqi_at_or_above(aqi: int | None, expected: tuple[int, str, Severity] | None) -> None:
    found = aqi_at_or_above([AqiValue(T0, aqi, region_id=12)], AqiThresholds())
    if expected is None:
        assert found == []
        return
    (finding,) = found
    assert aqi is not None
    assert (finding.site_id, finding.region_id, finding.observed, finding.reference) == (None, 12, D(aqi), D(200))
    assert (finding.detail["level"], finding.detail["category"], finding.severity) == expected
    assert finding.detail["scope"] == "region"


def test_aqi_threshold_is_configurable_and_station_scoped() -> None:
    values = [AqiValue(T0, 150, site_id=SITE), AqiValue(T0 + H, 149, site_id=SITE)]
    found = aqi_at_or_above(values, AqiThresholds(threshold=150))
    assert [(f.site_id, f.time, f.detail["scope"]) for f in found] == [(SITE, T0, "site")]


def test_aqi_value_belongs_to_one_subject() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        AqiValue(T0, 250, site_id=1, region_id=2)
    with pytest.raises(ValueError, match="exactly one"):
        AqiValue(T0, 250)


def test_finding_time_must_be_aware() -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the naive time under test
    with pytest.raises(ValueError, match="timezone-aware"):
        aqi_at_or_above([AqiValue(naive, 250, site_id=1)], AqiThresholds())
    assert aqi_at_or_above([AqiValue(naive.replace(tzinfo=UTC), 250, site_id=1)], AqiThresholds())


# --- noise above its acoustic function zone's limit (GB 3096-2008 Table 1, §5.4) ----------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local_hour(hour: int) -> datetime:
    """The hour starting at `hour`:00 on 2026-12-06 in Asia/Shanghai, as the engine passes it (UTC)."""
    return datetime(2026, 12, 6, hour, tzinfo=SHANGHAI).astimezone(UTC)


def _noise(hour: int, zone: str = "1", thresholds: NoiseThresholds | None = None, **values: str) -> list[Finding]:
    data = rules.NoiseHour(_local_hour(hour), {code: Decimal(v) for code, v in values.items()})
    return noise_exceedances(7, zone, [data], thresholds or NoiseThresholds(), zone=SHANGHAI)


@pytest.mark.parametrize(
    ("zone", "hour", "leq", "limit", "fires"),
    [
        # Table 1, class 1: 55 by day, 45 by night; the hour is local (UTC+8).
        ("1", 23, "46", 45, True),
        ("1", 23, "44", 45, False),
        ("1", 23, "45", 45, False),  # at the limit: complies
        ("1", 23, "45.1", 45, True),
        ("1", 10, "54", 55, False),  # the day limit is 55
        ("1", 10, "56", 55, True),
        ("1", 5, "46", 45, True),  # 05:00-06:00 is still night
        ("1", 6, "46", 55, False),  # 06:00 begins the day
        ("1", 21, "50", 55, False),  # 21:00-22:00 is the last day hour
        ("1", 22, "50", 45, True),  # 22:00 begins the night
        ("0", 23, "40.1", 40, True),
        ("2", 12, "60.1", 60, True),
        ("3", 2, "55.1", 55, True),
        ("4a", 23, "55.1", 55, True),
        ("4b", 23, "55.1", 60, False),  # 4b's night limit is 60
        ("4b", 23, "60.1", 60, True),
    ],
)
def test_an_hourly_leq_above_its_zones_limit_for_the_period(
    zone: str, hour: int, leq: str, limit: int, fires: bool
) -> None:
    found = _noise(hour, zone, Leq=leq)
    assert bool(found) is fires
    if fires:
        (f,) = found
        assert f.kind is RuleKind.NOISE_EXCEEDANCE and f.parameter == "Leq" and f.site_id == 7
        assert f.observed == Decimal(leq) and f.reference == Decimal(limit) and f.time == _local_hour(hour)
        period = "day" if 6 <= hour < 22 else "night"
        assert f.detail["zone"] == zone and f.detail["period"] == period
        assert Decimal(str(f.detail["excess"])) == Decimal(leq) - limit  # ΔL in dB, at 0.1 dB
        assert f.severity is Severity.MEDIUM


def test_the_night_maximum_against_the_night_limit_plus_15() -> None:
    """Class 2: night limit 50, so a maximum of 65 complies and 65.1 exceeds; by day the maximum is not judged."""
    assert _noise(23, "2", LMx="65") == []
    (f,) = _noise(23, "2", LMx="65.1", Leq="48")
    assert (f.parameter, f.observed, f.reference, f.detail["excess"]) == ("LMx", Decimal("65.1"), Decimal(65), "0.1")
    assert _noise(10, "2", LMx="90") == []
    only_leq = NoiseThresholds(quantities=("Leq",))
    assert _noise(23, "2", only_leq, LMx="90") == []


def test_margin_periods_hours_and_severity_of_a_noise_rule() -> None:
    assert _noise(23, thresholds=NoiseThresholds(margin=Decimal(3)), Leq="48") == []  # 3 above 45: not more than 3
    assert _noise(23, thresholds=NoiseThresholds(margin=Decimal(3)), Leq="48.1")
    assert _noise(23, thresholds=NoiseThresholds(periods=("day",)), Leq="60") == []
    assert _noise(10, thresholds=NoiseThresholds(periods=("night",)), Leq="60") == []
    # a county that starts the night at 21:00: 21:00-22:00 is judged against the night limit
    assert _noise(21, thresholds=NoiseThresholds(night_start=21), Leq="50")
    assert _noise(6, thresholds=NoiseThresholds(day_start=7), Leq="50")
    (severe,) = _noise(23, Leq="55")  # 10 dB above 45
    assert severe.severity is Severity.HIGH
    (serious,) = _noise(23, Leq="54.9")
    assert serious.severity is Severity.MEDIUM


@pytest.mark.parametrize(
    "bad",
    [
        {"margin": Decimal(-1)},
        {"periods": ()},
        {"periods": ("evening",)},
        {"quantities": ("L10",)},
        {"day_start": 22, "night_start": 6},
        {"night_start": 24},
    ],
)
def test_noise_thresholds_that_cannot_be_applied_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        NoiseThresholds(**bad)  # type: ignore[arg-type]
