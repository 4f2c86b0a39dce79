"""Where the sites are: each site placed in the deepest region whose boundary holds its coordinates, and the sites
whose coordinates lie outside the region they are registered in flagged, as far as the boundaries tell."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.i18n import use_locale
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.location import active_sites_in, locate_sites, location_mismatches, site_locations
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.regions.models import Region
from ecoloop.web.templating import make_templates
from tests.factories import World, give_boundaries
from tests.web.helpers import parse


def site(db: Session, code: str, region: Region, at: tuple[float, float] | None) -> Site:
    made = add_site(db, code=code, name=code, kind=SiteKind.AIR_STATION, region=region)
    if at is not None:
        made.longitude, made.latitude = Decimal(str(at[0])), Decimal(str(at[1]))
    db.flush()
    return made


@pytest.fixture
def placed(db: Session, world: World) -> dict[str, Site]:
    give_boundaries(db, world)
    sites = {
        "in_town": site(db, "IN-TOWN", world.town_a, (114.05, 35.05)),  # where it says
        "wrong_county": site(db, "WRONG-COUNTY", world.town_b, (114.05, 35.05)),  # says county B, is in town A
        "unknown_town": site(db, "UNKNOWN-TOWN", world.town_b, (114.3, 35.1)),  # town B has no boundary
        "outside_town": site(db, "OUTSIDE-TOWN", world.village_a, (114.15, 35.15)),  # town A known, not there
        "nowhere": site(db, "NOWHERE", world.county_a, (116.0, 39.9)),  # outside every boundary
        "no_coordinates": site(db, "NO-COORDINATES", world.county_a, None),
    }
    assert locate_sites(db) == 4
    return sites


def test_each_site_is_placed_by_its_coordinates(db: Session, world: World, placed: dict[str, Site]) -> None:
    located = {name: s.located_region_id for name, s in placed.items()}

    assert located == {
        "in_town": world.town_a.id,
        "wrong_county": world.town_a.id,
        "unknown_town": world.county_b.id,
        "outside_town": world.county_a.id,
        "nowhere": None,
        "no_coordinates": None,
    }


def test_placing_again_changes_only_what_moved_and_writes_no_audit_record(
    db: Session, world: World, placed: dict[str, Site]
) -> None:
    before = db.scalar(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1))
    placed["in_town"].longitude = Decimal("114.3")
    db.flush()

    assert locate_sites(db) == 1
    assert locate_sites(db, [placed["in_town"].id]) == 0
    assert placed["in_town"].located_region_id == world.county_b.id
    changes = db.scalars(select(AuditRecord).where(AuditRecord.id > (before or 0), AuditRecord.entity_type == "sites"))
    assert [r.after for r in changes] == [{"longitude": "114.3"}]


def test_a_site_is_flagged_where_the_known_boundaries_say_it_is_elsewhere(
    db: Session, world: World, placed: dict[str, Site]
) -> None:
    locations = site_locations(db, world.principal(db, "admin"))

    assert {name: locations[s.id].outside for name, s in placed.items() if s.id in locations} == {
        "in_town": False,
        "wrong_county": True,
        "unknown_town": False,
        "outside_town": True,
    }
    assert [r.name for r in locations[placed["wrong_county"].id].places] == ["清源区", "湖滨街道"]
    assert locations[placed["unknown_town"].id].located is world.county_b
    assert [s.code for s in location_mismatches(db, world.principal(db, "admin"))] == ["OUTSIDE-TOWN", "WRONG-COUNTY"]


def test_the_flags_follow_the_viewers_area(db: Session, world: World, placed: dict[str, Site]) -> None:
    branch_b = world.principal(db, "branch_b")

    assert set(site_locations(db, branch_b)) == {placed["wrong_county"].id, placed["unknown_town"].id}
    assert [s.code for s in location_mismatches(db, branch_b)] == ["WRONG-COUNTY"]
    assert site_locations(db, world.principal(db, "admin"), [placed["in_town"].id]).keys() == {placed["in_town"].id}


def test_a_new_boundary_for_the_town_turns_an_unknown_into_a_flag(
    db: Session, world: World, placed: dict[str, Site]
) -> None:
    world.town_b.boundary = (
        '{"type":"Polygon","coordinates":[[[114.2,35.0],[114.25,35.0],[114.25,35.05],[114.2,35.0]]]}'
    )
    db.flush()

    assert site_locations(db, world.principal(db, "admin"))[placed["unknown_town"].id].outside


def test_only_active_sites_of_the_region_itself_hold_it(db: Session, world: World, placed: dict[str, Site]) -> None:
    assert active_sites_in(db, world.town_b) == 2
    assert active_sites_in(db, world.county_b) == 0
    placed["wrong_county"].active = False
    db.flush()
    assert active_sites_in(db, world.town_b) == 1


def test_the_location_fragment_shows_the_place_and_the_flag(db: Session, world: World, placed: dict[str, Site]) -> None:
    locations = site_locations(db, world.principal(db, "admin"))
    fragment = make_templates().env.get_template("monitoring/_location.html")

    with use_locale("zh_CN"):
        flagged = parse(fragment.render(where=locations[placed["wrong_county"].id]))
        agreed = parse(fragment.render(where=locations[placed["unknown_town"].id]))
        unplaced = fragment.render(where=None)

    assert flagged.find("span", class_="located").text == "清源区 湖滨街道"  # type: ignore[union-attr]
    assert flagged.find("span", class_="badge").text == "坐标不在所属区划内"  # type: ignore[union-attr]
    assert agreed.find("span", class_="located").text == "临河县"  # type: ignore[union-attr]
    assert agreed.find("span", class_="badge") is None
    assert unplaced.strip() == ""
