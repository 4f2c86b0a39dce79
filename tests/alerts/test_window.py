"""The alert engine's window of recent data: lookups by time and span, replacement, validity, flagged samples,
the kept valid values, forgetting old data, and agreement with a plain reference on random data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecoloop.alerts.window import Sample, Window, sample, unusual
from ecoloop.monitoring.quality import Point, is_valid
from ecoloop.readings.vocabulary import Interval, Reading

T0 = datetime(2026, 11, 20, tzinfo=UTC)
H = timedelta(hours=1)
SO2, O2, PM25 = "a21026", "a19001", "a34004"
PARAMETERS = [SO2, O2, PM25]


def reading(site: int, parameter: str, hour: float, value: float | None, flag: str | None = "N") -> Reading:
    return Reading(site, parameter, Interval.HOUR, T0 + hour * H, value, flag)


def test_series_is_the_span_oldest_first_whatever_the_order_of_arrival() -> None:
    window = Window()
    window.add([reading(1, SO2, h, float(h)) for h in (3, 0, 5, 1, 4, 2)])
    found = window.series(1, "hour", SO2, T0 + H, T0 + 4 * H)
    assert [(when, value) for when, value, _, _ in found] == [(T0 + h * H, float(h)) for h in (1, 2, 3)]
    assert window.series(1, "hour", SO2, T0 + 6 * H, T0 + 9 * H) == []
    assert window.series(2, "hour", SO2, T0, T0 + 9 * H) == []
    assert window.series(1, "day", SO2, T0, T0 + 9 * H) == []


def test_a_later_reading_replaces_the_earlier_everywhere() -> None:
    window = Window()
    window.add([reading(1, SO2, 0, 10.0, "F"), reading(1, O2, 0, 6.0)])
    window.add([reading(1, SO2, 0, 12.0, "N")])
    (found,) = window.series(1, "hour", SO2, T0, T0 + H)
    assert found == (T0, 12.0, "N", True)
    assert window.at(1, "hour", T0) == {SO2: (12.0, "N"), O2: (6.0, "N")}
    assert window.flagged(1, "hour", SO2, T0, T0 + H) == []  # no longer flagged


def test_times_in_other_zones_are_the_same_instants() -> None:
    window = Window()
    shanghai = T0.astimezone(ZoneInfo("Asia/Shanghai"))
    window.add([Reading(1, SO2, Interval.HOUR, shanghai, 1.0, "N")])
    assert window.at(1, "hour", T0) == {SO2: (1.0, "N")}
    ((when, *_),) = window.series(1, "hour", SO2, shanghai, shanghai + H)
    assert when == T0 and when.tzinfo is UTC


@pytest.mark.parametrize("flag", [None, "N", "n", "F", "f", "M", "S", "D", "C", "T", "B", "X", ""])
@pytest.mark.parametrize("value", [None, 0.0, 12.5])
def test_sample_validity_is_the_quality_rule(flag: str | None, value: float | None) -> None:
    assert sample(T0, value, flag)[3] is is_valid(Point(T0, value, flag))


def test_flagged_returns_the_unusually_flagged_samples_of_the_span() -> None:
    window = Window()
    flags = ["N", "F", None, "M", "n", "D", "N"]
    window.add([reading(1, SO2, h, 50.0 + h, flag) for h, flag in enumerate(flags)])
    found = window.flagged(1, "hour", SO2, T0 + 2 * H, T0 + 7 * H)
    assert [(when, flag) for when, _, flag, _ in found] == [(T0 + 3 * H, "M"), (T0 + 5 * H, "D")]
    assert [f for f in flags if unusual(f)] == ["F", "M", "D"]


def test_valid_values_are_kept_until_the_site_s_data_changes() -> None:
    window = Window()
    codes = (PM25, SO2)
    assert window.valid_values(1, "hour", T0, codes) is None  # no data
    window.add([reading(1, PM25, 0, 40.0), reading(1, SO2, 0, 9.0, "D"), reading(1, O2, 0, 20.0)])
    first = window.valid_values(1, "hour", T0, codes)
    assert first == {PM25: 40.0}  # SO2 flagged invalid; O2 not asked for
    assert window.valid_values(1, "hour", T0, codes) is first
    window.add([reading(1, SO2, 0, 9.0, "N")])
    assert window.valid_values(1, "hour", T0, codes) == {PM25: 40.0, SO2: 9.0}
    window.add([reading(1, PM25, 0, None)])
    assert window.valid_values(1, "hour", T0, codes) == {SO2: 9.0}
    assert window.valid_values(1, "hour", T0 + H, codes) is None


def test_prune_forgets_at_once_what_is_older_than_keep() -> None:
    window = Window(keep=timedelta(hours=10))
    window.add([reading(1, SO2, h, float(h), "F" if h % 2 else "N") for h in range(12)])
    window.prune()  # newest 11:00, cutoff 01:00: hour 0 is gone (from every lookup)
    assert [s[1] for s in window.series(1, "hour", SO2, T0 - H, T0 + 3 * H)] == [1.0, 2.0]
    assert window.at(1, "hour", T0) == {}
    assert window.samples_at(1, "hour", T0) == {}
    assert window.valid_values(1, "hour", T0, (SO2,)) is None
    assert [s[1] for s in window.flagged(1, "hour", SO2, T0 - H, T0 + 4 * H)] == [1.0, 3.0]
    window.add([reading(1, SO2, 30, 30.0)])
    window.prune()  # cutoff 20:00
    assert window.parameters(1, "hour") == [SO2]
    assert [s[1] for s in window.series(1, "hour", SO2, T0, T0 + 31 * H)] == [30.0]
    window.add([reading(1, O2, 5, 6.0)])  # late data of a forgotten hour: seen until the next prune, alone
    assert [s[1] for s in window.series(1, "hour", O2, T0, T0 + 31 * H)] == [6.0]
    assert window.at(1, "hour", T0 + 5 * H) == {O2: (6.0, "N")}  # SO2 at 05:00 stays forgotten
    assert [s[1] for s in window.series(1, "hour", SO2, T0, T0 + 31 * H)] == [30.0]
    assert window.parameters(1, "hour") == [O2, SO2]
    window.prune()
    assert window.series(1, "hour", O2, T0, T0 + 31 * H) == []
    assert window.parameters(1, "hour") == [SO2]


def test_last_received() -> None:
    window = Window()
    later = T0 + 2 * H
    window.add([reading(1, SO2, 0, 1.0)], received_at=later)
    window.seen(1, T0 + H)  # earlier: kept as it was
    window.seen(2, T0)
    assert window.last_received == {1: later, 2: T0}


class Reference:
    """The window as a plain list of readings, pruned exactly at every prune: what the engine must see."""

    def __init__(self, keep: timedelta) -> None:
        self.keep = keep
        self.values: dict[tuple[int, str, str, int], tuple[float | None, str | None]] = {}
        self.newest = datetime(1970, 1, 1, tzinfo=UTC)

    def add(self, readings: list[Reading]) -> None:
        for r in readings:
            self.values[(r.site_id, r.interval.value, r.parameter, int(r.time.timestamp()))] = (r.value, r.flag)
            self.newest = max(self.newest, r.time)

    def prune(self) -> None:
        cutoff = int((self.newest - self.keep).timestamp())
        self.values = {k: v for k, v in self.values.items() if k[3] >= cutoff}

    def series(self, site: int, interval: str, parameter: str, start: datetime, end: datetime) -> list[Sample]:
        lo, hi = int(start.timestamp()), int(end.timestamp())
        return [
            sample(datetime.fromtimestamp(k[3], UTC), *v)
            for k, v in sorted(self.values.items())
            if k[:3] == (site, interval, parameter) and lo <= k[3] < hi
        ]

    def parameters(self, site: int, interval: str) -> list[str]:
        return sorted({k[2] for k in self.values if k[:2] == (site, interval)})

    def at(self, site: int, interval: str, time: datetime) -> dict[str, tuple[float | None, str | None]]:
        ts = int(time.timestamp())
        return {k[2]: v for k, v in self.values.items() if (k[0], k[1], k[3]) == (site, interval, ts)}


@pytest.mark.parametrize("seed", range(5))
def test_the_window_agrees_with_a_plain_reference(seed: int) -> None:
    rng = random.Random(seed)
    keep = timedelta(hours=6)
    window, reference = Window(keep), Reference(keep)
    for step in range(160):
        hour = step // 4 + rng.choice([0, 0, 0, -1, -3, -9, 0.5])  # mostly in order; some late, some off the hour
        batch = [
            Reading(
                rng.randrange(3),
                rng.choice(PARAMETERS),
                rng.choice([Interval.HOUR, Interval.HOUR, Interval.DAY]),
                T0 + hour * H,
                rng.choice([None, float(rng.randrange(5))]),
                rng.choice(["N", "N", None, "F", "D", "n"]),
            )
            for _ in range(rng.randrange(1, 8))
        ]
        window.add(batch)
        reference.add(batch)
        if rng.random() < 0.7:  # the engine adds, judges, then prunes; sometimes it adds twice
            compare(window, reference, rng, step)
            window.prune()
            reference.prune()
        compare(window, reference, rng, step)


def compare(window: Window, reference: Reference, rng: random.Random, step: int) -> None:
    for _ in range(5):
        site, interval, parameter = rng.randrange(3), rng.choice(["hour", "day"]), rng.choice(PARAMETERS)
        start = T0 + (step // 4 - rng.randrange(12)) * H
        end = start + rng.randrange(1, 12) * H
        expected = reference.series(site, interval, parameter, start, end)
        assert window.series(site, interval, parameter, start, end) == expected
        assert window.flagged(site, interval, parameter, start, end) == [s for s in expected if unusual(s[2])]
        assert window.at(site, interval, start) == reference.at(site, interval, start)
        assert window.parameters(site, interval) == reference.parameters(site, interval)
