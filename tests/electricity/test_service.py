"""Meters and readings: the meter's mapping refused when it does not fit, readings checked row by row and stored
once per meter and time, the parameters by version, and the whole check run from an issued warning and the
control list (`run_checks`, the scheduler's job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.electricity import service
from ecoloop.electricity.enums import FlagKind, MeterInterval, MeterTarget, ReadingOrigin
from ecoloop.electricity.models import MeterReading, RefusedReading
from ecoloop.electricity.rules import Grid, Parameters
from ecoloop.electricity.service import MeterError, RawReading
from ecoloop.electricity.verification import _series
from ecoloop.enterprises.enums import PerformanceGrade
from tests.electricity.conftest import NOW, WARNING_END, WARNING_START, ZONE, Plant, issue_warning, list_enterprise
from tests.factories import World


@pytest.mark.parametrize(
    ("key", "target", "code"),
    [
        ("a-t", MeterTarget.PRODUCTION, "line_kind"),  # a production meter on a treatment facility
        ("a-p", MeterTarget.ENTERPRISE, "line_for_enterprise"),
        ("b-p", MeterTarget.PRODUCTION, "line"),  # another enterprise's line
    ],
)
def test_a_meter_that_does_not_fit_its_line_is_refused(
    db: Session, world: World, plant: Plant, key: str, target: MeterTarget, code: str
) -> None:
    with pytest.raises(MeterError) as caught:
        service.save_meter(
            db, number="X-1", enterprise_id=world.enterprise_a.id, target=target, line_id=plant.lines[key].id
        )
    assert caught.value.code == code


def test_a_meter_number_is_unique(db: Session, world: World, plant: Plant) -> None:
    with pytest.raises(MeterError) as caught:
        service.save_meter(db, number="DB-a-P", enterprise_id=world.enterprise_a.id, target=MeterTarget.ENTERPRISE)
    assert caught.value.code == "number_taken"


def store(db: Session, world: World, rows: list[RawReading], now: datetime = NOW) -> service.ImportResult:
    meters = service.meters_by_number(db, world.principal(db, "analyst"))
    return service.store_readings(db, rows, meters, origin=ReadingOrigin.API, username="analyst", now=now, zone=ZONE)


def test_readings_are_checked_row_by_row_and_stored_once(db: Session, world: World, plant: Plant) -> None:
    hourly = service.save_meter(
        db,
        number="DB-H",
        enterprise_id=plant.meters["a-p"].enterprise_id,
        target=MeterTarget.ENTERPRISE,
        interval=MeterInterval.HOUR,
    )
    result = store(
        db,
        world,
        [
            RawReading(2, "DB-a-P", "2026-11-20 08:00", "12.5"),  # local time
            RawReading(3, "DB-a-P", "2026-11-20T00:15:00+00:00", 13),
            RawReading(4, "DB-a-P", "2026-11-20 08:00", "14"),  # the same slot again: the later stands
            RawReading(5, "DB-none", "2026-11-20 08:00", "1"),
            RawReading(6, "DB-a-P", "2026-11-20 08:07", "1"),
            RawReading(7, "DB-H", "2026-11-20 08:15", "1"),  # an hourly meter's reading must start on the hour
            RawReading(8, "DB-a-P", "yesterday", "1"),
            RawReading(9, "DB-a-P", "2026-11-20 08:30", "-1"),
            RawReading(10, "DB-a-P", "2026-11-20 08:45", "NaN"),
            RawReading(11, "DB-a-P", "2027-11-20 08:45", "1"),  # after the clock
            RawReading(12, "", "2026-11-20 08:45", "1"),
            RawReading(13, "DB-H", "2026-11-20 09:00", "40"),
        ],
    )
    assert (result.record.rows, result.record.stored, result.record.refused) == (12, 3, 8)
    assert result.refused_by_reason == {
        "meter_unknown": 1,
        "time_not_aligned": 2,
        "time_invalid": 1,
        "value_out_of_range": 1,
        "value_invalid": 1,
        "time_out_of_range": 1,
        "meter_missing": 1,
    }
    kept = db.scalars(select(RefusedReading).order_by(RefusedReading.row)).all()
    assert [(r.row, r.reason, r.meter, r.time) for r in kept][:2] == [
        (5, "meter_unknown", "DB-none", "2026-11-20 08:00"),
        (6, "time_not_aligned", "DB-a-P", "2026-11-20 08:07"),
    ]
    stored = db.scalar(select(MeterReading.kwh).where(MeterReading.at == datetime(2026, 11, 20, 0, tzinfo=UTC)))
    assert stored == 14.0
    assert hourly.id in set(db.scalars(select(MeterReading.meter_id)))

    again = store(db, world, [RawReading(2, "DB-a-P", "2026-11-20 08:00", "15")])
    assert again.record.stored == 1
    assert db.scalar(select(func.count()).select_from(MeterReading)) == 3
    assert db.scalar(select(MeterReading.kwh).where(MeterReading.at == datetime(2026, 11, 20, 0, tzinfo=UTC))) == 15.0


def test_parameters_are_kept_by_version(db: Session, world: World) -> None:
    assert service.parameters(db) == Parameters()
    service.save_parameters(db, Parameters(residual=0.2), username="analyst", now=NOW)
    service.save_parameters(db, Parameters(residual=0.3, k=2.5), username="analyst", now=NOW + timedelta(minutes=1))
    assert service.parameters(db) == Parameters(residual=0.3, k=2.5)
    assert Parameters(weeks=0, residual=1.5).problems() == ["weeks", "min_samples", "residual"]


def test_run_checks_reads_the_issued_warning_and_the_control_list(db: Session, world: World, plant: Plant) -> None:
    warning = issue_warning(db, world, WARNING_START, WARNING_END)
    for enterprise in (world.enterprise_a, world.enterprise_a2):
        list_enterprise(db, enterprise)
    service.save_parameters(db, Parameters(weeks=3), username="analyst", now=NOW - timedelta(days=30))
    plant_meters = [plant.meters[k] for k in ("a-p", "a-t", "a2-p", "a2-t", "b-p", "b-t")]
    service.store_simulated(
        db,
        plant_meters,
        start=WARNING_START - timedelta(days=21),
        days=24,
        zone=ZONE,
        # a stops as a D-grade cement plant must at orange; a2 runs on; b is not on the list (nothing asked of it)
        stretches={plant.meters["a-p"].id: [(WARNING_START, WARNING_END, 0.15)]},
        until=NOW,
        seed=5,
    )
    (checked,) = service.run_checks(db, NOW, ZONE)
    assert checked.warning_id == warning.id
    assert checked.meters == 4
    assert {(f.meter.number, f.kind) for f in checked.flags} == {("DB-a2-P", FlagKind.OVER_ALLOWANCE)}
    assert service.run_checks(db, NOW + timedelta(days=3), ZONE) == []  # two days after the end: no longer checked


def test_the_demo_feed_plants_its_violators(db: Session, world: World, plant: Plant) -> None:
    warning = issue_warning(db, world, WARNING_START, WARNING_END)
    list_enterprise(db, world.enterprise_a)
    list_enterprise(db, world.enterprise_a2)
    list_enterprise(db, world.enterprise_b, PerformanceGrade.B)
    service.save_parameters(db, Parameters(weeks=3), username="analyst", now=NOW - timedelta(days=30))
    stored = service.feed_demo(
        db,
        now=NOW,
        zone=ZONE,
        warning_id=warning.id,
        weeks=3,
        over={world.enterprise_a2.id},
        treatment_off={world.enterprise_b.id},
    )
    assert stored > 6 * 21 * 96
    (checked,) = service.run_checks(db, NOW, ZONE)
    assert {(f.meter.number, f.kind) for f in checked.flags} == {
        ("DB-a2-P", FlagKind.OVER_ALLOWANCE),
        ("DB-b-T", FlagKind.TREATMENT_OFF),
    }


def test_readings_are_laid_on_the_grid_an_hourly_one_over_its_four_slots(
    db: Session, world: World, plant: Plant
) -> None:
    hourly = service.save_meter(
        db,
        number="DB-H",
        enterprise_id=world.enterprise_b.id,
        target=MeterTarget.ENTERPRISE,
        interval=MeterInterval.HOUR,
    )
    store(
        db,
        world,
        [RawReading(2, "DB-H", "2026-11-20 01:00", "40"), RawReading(3, "DB-a-P", "2026-11-20 00:15", "7")],
    )
    grid = Grid(datetime(2026, 11, 20, tzinfo=ZONE), days=1)
    series = _series(db, [plant.meters["a-p"], hourly], grid)
    assert series[0, 1] == 7.0
    assert series[1, 4:8].tolist() == [10.0, 10.0, 10.0, 10.0]
    assert int(np.isnan(series).sum()) == 2 * 96 - 5


def test_a_reading_with_nul_characters_is_refused_and_kept_without_them(
    db: Session, world: World, plant: Plant
) -> None:
    principal = world.principal(db, "analyst")
    assert service.meters_by_number(db, principal, ["DB-a-P\x00"]) == {}
    result = store(db, world, [RawReading(2, "DB-a-P\x00", "2026-11-20\x00 08:00", "1\x00")])
    assert result.refused_by_reason == {"meter_unknown": 1}
    kept = db.scalars(select(RefusedReading)).one()
    assert (kept.meter, kept.time, kept.value) == ("DB-a-P", "2026-11-20 08:00", "1")
