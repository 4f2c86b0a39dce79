"""The pure rules of hotspot orders, with values worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ecoloop.hotspots.rules import (
    Candidate,
    Clock,
    Direction,
    Effect,
    EscalationFacts,
    EscalationPolicy,
    Stage,
    Step,
    TimeLimits,
    angle_between,
    bearing_deg,
    compass,
    due_times,
    effect,
    escalation_steps,
    mean,
    minutes_between,
    missed,
    next_due,
    suspects,
)

LON, LAT = 117.0, 36.0
D = Decimal


# --- distance and bearing -------------------------------------------------------------------------------------------

# 0.01° of latitude is R·0.01·π/180 = 6371.0088 × 1.745329e-4 = 1.11195 km; 0.01° of longitude at 36° N is that
# times cos 36° = 0.809017: 0.89958 km. Due east the initial bearing is 90° less atan(sin φ (1 − cos Δλ) / sin Δλ)
# = 90° − 0.00294°.
NORTH = Candidate("source:1", "North yard", LON, LAT + 0.01)
EAST = Candidate("enterprise:2", "East works", LON + 0.01, LAT)
FAR = Candidate("source:3", "Far site", LON, LAT + 0.03)  # 3.336 km


@pytest.mark.parametrize(
    ("target", "bearing"),
    [
        ((LON, LAT + 0.01), 0.0),
        ((LON + 0.01, LAT), 89.99706),
        ((LON, LAT - 0.01), 180.0),
        ((LON - 0.01, LAT), 270.00294),
    ],
)
def test_bearing_is_clockwise_from_north(target: tuple[float, float], bearing: float) -> None:
    assert bearing_deg(LON, LAT, *target) == pytest.approx(bearing, abs=1e-4)


@pytest.mark.parametrize(
    ("bearing", "point"),
    [
        (0.0, Direction.N),
        (22.4, Direction.N),
        (22.5, Direction.NE),
        (67.4, Direction.NE),
        (90.0, Direction.E),
        (135.0, Direction.SE),
        (200.0, Direction.S),
        (202.5, Direction.SW),
        (270.0, Direction.W),
        (337.4, Direction.NW),
        (337.5, Direction.N),
        (359.9, Direction.N),
    ],
)
def test_compass_sectors_are_centred_on_the_points(bearing: float, point: Direction) -> None:
    assert compass(bearing) is point


@pytest.mark.parametrize(("a", "b", "angle"), [(350.0, 10.0, 20.0), (90.0, 270.0, 180.0), (10.0, 10.0, 0.0)])
def test_angle_between_bearings_is_the_smaller_one(a: float, b: float, angle: float) -> None:
    assert angle_between(a, b) == pytest.approx(angle)


def test_suspects_within_the_radius_nearest_first() -> None:
    found = suspects(LON, LAT, [NORTH, FAR, EAST], radius_km=2.0)
    assert [s.candidate.key for s in found] == ["enterprise:2", "source:1"]
    assert found[0].distance_km == pytest.approx(0.89958, abs=1e-4)
    assert found[1].distance_km == pytest.approx(1.11195, abs=1e-4)
    assert [s.direction for s in found] == [Direction.E, Direction.N]
    assert [s.upwind for s in found] == [None, None]


def test_with_the_wind_the_upwind_suspects_come_first() -> None:
    # A north wind comes from 0°: the yard to the north is upwind, the works to the east (90° off) is not.
    found = suspects(LON, LAT, [NORTH, FAR, EAST], radius_km=2.0, wind_from=0.0)
    assert [(s.candidate.key, s.upwind) for s in found] == [("source:1", True), ("enterprise:2", False)]
    # 350°: the yard is 10° off, still upwind; at 300° it is 60° off and the nearest comes first again.
    assert suspects(LON, LAT, [EAST, NORTH], 2.0, wind_from=350.0)[0].candidate.key == "source:1"
    assert [s.candidate.key for s in suspects(LON, LAT, [NORTH, EAST], 2.0, wind_from=300.0)] == [
        "enterprise:2",
        "source:1",
    ]


# --- the clock ------------------------------------------------------------------------------------------------------

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_due_times_count_from_dispatch() -> None:
    clock = due_times(AT, TimeLimits())
    assert (clock.respond_due, clock.on_site_due, clock.reply_due) == (
        datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
        datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
        datetime(2026, 12, 8, 8, 0, tzinfo=UTC),
    )


def test_limits_must_be_in_order() -> None:
    with pytest.raises(ValueError, match="respond"):
        TimeLimits(respond=timedelta(hours=3), on_site=timedelta(hours=2))


def test_missed_limits_and_the_next_due() -> None:
    clock = due_times(AT, TimeLimits())
    assert missed(clock, AT + timedelta(minutes=30)) == []
    assert missed(clock, AT + timedelta(minutes=31)) == [Stage.RESPOND]
    late = Clock(**{**clock.__dict__, "responded_at": AT + timedelta(minutes=40)})
    assert missed(late, AT + timedelta(hours=1)) == [Stage.RESPOND]
    assert next_due(late) == (Stage.ON_SITE, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    on_time = Clock(**{**clock.__dict__, "responded_at": AT + timedelta(minutes=10)})
    assert missed(on_time, AT + timedelta(hours=3)) == [Stage.ON_SITE]
    done = Clock(
        **{
            **clock.__dict__,
            "responded_at": AT + timedelta(minutes=10),
            "on_site_at": AT + timedelta(hours=1),
            "replied_at": AT + timedelta(hours=5),
        }
    )
    assert missed(done, AT + timedelta(days=3)) == []
    assert next_due(done) is None
    assert minutes_between(AT, AT + timedelta(minutes=40, seconds=59)) == 40
    assert minutes_between(AT, None) is None


# --- the effect -----------------------------------------------------------------------------------------------------


def test_effect_against_the_neighbours() -> None:
    # Station 100 → 70 µg/m³ (−30, −30 %); neighbours 50 → 45 (−5, −10 %); net −25 µg/m³, −20 points.
    found = effect([D(80), D(100), D(120)], [D(60), D(70), D(80)], [D(50), D(50)], [D(45), D(45)])
    station = (D("100.0"), D("70.0"), D("-30.0"), D("-30.0"))
    around = (D("50.0"), D("45.0"), D("-5.0"), D("-10.0"))
    assert found == Effect(*station, *around, D("-25.0"), D("-20.0"))


def test_effect_without_neighbours_or_values() -> None:
    # 3 values: (55 + 60 + 62) / 3 = 59.0; 1 value 47: −12.0 µg/m³, −20.338… % → −20.3 %.
    assert effect([D(55), D(60), D(62)], [D(47)]) == Effect(D("59.0"), D("47.0"), D("-12.0"), D("-20.3"))
    assert effect([D(50)], []) is None
    assert effect([D(50)], [D(40)], min_values=2) is None
    assert effect([D(0)], [D(10)]) == Effect(D("0.0"), D("10.0"), D("10.0"), None)
    assert mean([]) is None


# --- escalation -----------------------------------------------------------------------------------------------------

POLICY = EscalationPolicy()


@pytest.mark.parametrize(
    ("facts", "steps"),
    [
        (EscalationFacts(True, 0, False, False, False, 1), []),
        (EscalationFacts(True, 1, False, False, False, 1), [Step.MARK_OVERDUE, Step.SUPERVISE]),
        (EscalationFacts(True, 1, True, True, False, 1), []),
        (EscalationFacts(True, 2, True, True, False, 1), [Step.PROPOSE_INTERVIEW]),
        (EscalationFacts(True, 2, False, False, False, 1), [Step.MARK_OVERDUE, Step.SUPERVISE, Step.PROPOSE_INTERVIEW]),
        (EscalationFacts(True, 3, True, True, True, 1), []),
        # replied: the clock stopped, late or not
        (EscalationFacts(False, 2, False, False, False, 1), []),
        # the station's third order within the days: 约谈 whatever the clock says
        (EscalationFacts(True, 0, False, False, False, 3), [Step.PROPOSE_INTERVIEW]),
        (EscalationFacts(False, 0, False, False, False, 4), [Step.PROPOSE_INTERVIEW]),
        (EscalationFacts(True, 0, False, False, False, 2), []),
    ],
)
def test_escalation_steps(facts: EscalationFacts, steps: list[Step]) -> None:
    assert escalation_steps(facts, POLICY) == steps
