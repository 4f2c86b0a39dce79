"""Air-quality targets per region and year: setting, replacing, clearing, validation, who may, who sees them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.results import targets
from tests.factories import World


def test_set_replace_and_clear(db: Session, world: World) -> None:
    analyst = world.principal(db, "analyst")
    target = targets.set_target(db, analyst, world.county_a, 2026, Decimal("80.5"), Decimal(33))
    assert (target.good_ratio_target, target.pm25_target, target.heavy_days_target) == (Decimal("80.5"), 33, None)
    again = targets.set_target(db, analyst, world.county_a, 2026, Decimal(82), Decimal(32), 3)
    assert again.id == target.id and again.heavy_days_target == 3
    assert set(targets.targets_of(db, analyst, 2026)) == {world.county_a.id}
    assert targets.targets_of(db, analyst, 2025) == {}
    assert targets.clear_target(db, analyst, world.county_a, 2026)
    assert not targets.clear_target(db, analyst, world.county_a, 2026)
    assert targets.targets_of(db, analyst, 2026) == {}


@pytest.mark.parametrize(
    ("year", "ratio", "pm25", "heavy", "code"),
    [
        (1999, "80", "35", None, "year"),
        (2026, "100.1", "35", None, "good_ratio"),
        (2026, "-1", "35", None, "good_ratio"),
        (2026, "80.55", "35", None, "good_ratio"),
        (2026, "80", "35.5", None, "pm25"),
        (2026, "80", "0", None, "pm25"),
        (2026, "80", "501", None, "pm25"),
        (2026, "80", "35", -1, "heavy_days"),
        (2026, "80", "35", 367, "heavy_days"),
    ],
)
def test_refused_targets(
    db: Session, world: World, year: int, ratio: str, pm25: str, heavy: int | None, code: str
) -> None:
    with pytest.raises(targets.TargetError) as refused:
        targets.set_target(db, world.principal(db, "admin"), world.county_b, year, Decimal(ratio), Decimal(pm25), heavy)
    assert refused.value.code == code


def test_a_village_has_no_targets_and_a_branch_sets_none(db: Session, world: World) -> None:
    with pytest.raises(targets.TargetError, match="level"):
        targets.set_target(db, world.principal(db, "admin"), world.village_a, 2026, Decimal(80), Decimal(35))
    with pytest.raises(ForbiddenError):
        targets.set_target(db, world.principal(db, "branch_a"), world.county_a, 2026, Decimal(80), Decimal(35))


def test_targets_are_seen_within_the_area_and_published_for_counties(db: Session, world: World) -> None:
    admin = world.principal(db, "admin")
    for county in (world.county_a, world.county_b):
        targets.set_target(db, admin, county, 2026, Decimal(80), Decimal(35))
    assert set(targets.targets_of(db, world.principal(db, "branch_a"), 2026)) == {world.county_a.id}
    assert set(targets.targets_of(db, world.principal(db, "enterprise_a"), 2026)) <= {world.county_a.id}
    published = targets.published_targets(db, [world.county_a.id, world.county_b.id], 2026)
    assert set(published) == {world.county_a.id, world.county_b.id}
