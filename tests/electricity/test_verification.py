"""A warning's check in the app on simulated readings: a compliant enterprise, one producing above its allowance,
one whose treatment stops while production runs, and a silent meter; flags kept once per warning, meter and kind,
and raised as alerts of the electricity rule with the curve."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.alerts.findings import describe
from ecoloop.alerts.models import Alert
from ecoloop.alerts.rules import RuleKind
from ecoloop.electricity import service
from ecoloop.electricity.enums import FlagKind
from ecoloop.electricity.models import ElectricityFlag
from ecoloop.electricity.rules import Parameters
from ecoloop.electricity.verification import check_warning
from ecoloop.i18n import use_locale
from tests.electricity.conftest import NOW, WARNING_END, WARNING_START, ZONE, Plant, allowance
from tests.factories import World

PARAMS = Parameters(weeks=3)


def feed(
    db: Session, plant: Plant, stretches: dict[str, list[tuple[object, object, float | None]]], until: object = NOW
) -> None:
    service.store_simulated(
        db,
        list(plant.meters.values()),
        start=WARNING_START - timedelta(days=7 * PARAMS.weeks),
        days=7 * PARAMS.weeks + 3,
        zone=ZONE,
        stretches={plant.meters[key].id: value for key, value in stretches.items()},  # type: ignore[misc]
        until=until,  # type: ignore[arg-type]
        seed=3,
    )


def test_the_check_flags_the_planted_enterprises_only(db: Session, world: World, plant: Plant) -> None:
    w = (WARNING_START, WARNING_END)
    late = (WARNING_START + timedelta(hours=10), WARNING_START + timedelta(hours=13))
    feed(
        db,
        plant,
        {
            # a: stopped as asked, the residual load, its treatment down with it (no offence: production stopped)
            "a-p": [(*w, 0.15)],
            "a-t": [(*w, 0.4)],
            # a2: limited to 50 %, produces at its normal load (no stretch) — over the allowance
            # b: limited to 70 %, runs at 65 %; its treatment off for three hours; its production meter silent later
            "b-p": [(*w, 0.65), (WARNING_START + timedelta(hours=30), WARNING_START + timedelta(hours=34), None)],
            "b-t": [(*w, 0.8), (*late, 0.05)],
        },
    )
    allowances = [
        allowance(world.enterprise_a, 0.0),
        allowance(world.enterprise_a2, 0.5),
        allowance(world.enterprise_b, 0.7),
    ]
    checked = check_warning(db, [plant.period], allowances, [], now=NOW, zone=ZONE, params=PARAMS)
    found = {(f.meter.number, f.kind) for f in checked.flags}
    assert found == {
        ("DB-a2-P", FlagKind.OVER_ALLOWANCE),
        ("DB-b-T", FlagKind.TREATMENT_OFF),
        ("DB-b-P", FlagKind.MISSING_DATA),
    }
    assert checked.raised == 3
    over = next(f for f in checked.flags if f.kind is FlagKind.OVER_ALLOWANCE)
    alert = db.get_one(Alert, over.alert_id)
    assert alert.kind is RuleKind.ELECTRICITY
    assert alert.enterprise_id == world.enterprise_a2.id
    with use_locale("zh_CN"):
        sentence = describe(alert.kind, alert.detail["findings"][0], where="清源区", zone=ZONE)
    assert sentence.startswith("2026-11-2") and "未按要求落实停限产" in sentence
    assert "清源市东湖水泥有限公司，电表 DB-a2-P（a2-窑）" in sentence
    curve = alert.detail["curve"]
    assert len(curve["load"]) == len(curve["allowed"]) == 48 * 4
    assert curve["start"] == WARNING_START.isoformat()

    again = check_warning(db, [plant.period], allowances, [], now=NOW, zone=ZONE, params=PARAMS)
    assert again.raised == 0
    assert db.scalar(select(func.count()).select_from(ElectricityFlag)) == 3
    assert db.scalar(select(func.count()).select_from(Alert).where(Alert.kind == RuleKind.ELECTRICITY)) == 3


def test_slots_not_due_yet_are_not_judged(db: Session, world: World, plant: Plant) -> None:
    early = WARNING_START + timedelta(hours=2, minutes=10)
    # a live feed: readings up to `early`, the last ones not in yet; the slots of the last half hour and the hours
    # after `early` are not judged (not missing data), and the stopped line at its residual is not flagged
    feed(db, plant, {"a-p": [(WARNING_START, WARNING_END, 0.15)]}, until=early - timedelta(minutes=20))
    checked = check_warning(
        db, [plant.period], [allowance(world.enterprise_a, 0.0)], [], now=early, zone=ZONE, params=PARAMS
    )
    assert checked.flags == []
