"""Verifying a drawn record: it matches as drawn; a changed snapshot, result, assignment, seed or record, or a
deleted earlier record, is detected (changes made in SQL, past the application's guards)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from ecoloop.draws.models import Draw
from ecoloop.draws.verification import verify
from ecoloop.i18n import use_locale
from tests.draws.conftest import Enforcement, announcement, draw_through, pools


def two_draws(db: Session, enforcement: Enforcement) -> tuple[Draw, Draw]:
    p = enforcement.principal(db, "analyst")
    county = enforcement.world.county_a
    pool, officers = pools(db, p, county, count=4)
    first = draw_through(db, p, announcement([pool], [officers], county))
    second = draw_through(
        db,
        p,
        announcement([pool], [officers], county, seed_date=date(2027, 1, 6), draw_on=date(2027, 1, 7)),
        "3390.02",
        now=datetime(2027, 1, 5, 2, tzinfo=UTC),
        later=datetime(2027, 1, 7, 2, tzinfo=UTC),
    )
    db.expire_all()
    return first, second


def test_a_drawn_record_matches(db: Session, enforcement: Enforcement) -> None:
    first, second = two_draws(db, enforcement)
    for draw in (first, second):
        with use_locale("zh_CN"):
            found = verify(db, draw.id)
        assert found is not None and found.ok, found.problems if found else None
        assert len(found.passed) >= 9


def _snapshot_member_renamed(db: Session, draw: Draw) -> None:
    db.execute(
        text("UPDATE draw_snapshots SET content = REPLACE(content, :a, :b) WHERE draw_id = :d AND position = 1"),
        {"a": "测试企业", "b": "另一企业", "d": draw.id},
    )


def _officer_swapped(db: Session, draw: Draw) -> None:
    db.execute(
        text(
            "UPDATE draw_assignment_officers SET user_id = (SELECT MIN(id) FROM users) WHERE position = 2 AND "
            "assignment_id = (SELECT MIN(id) FROM draw_assignments WHERE draw_id = :d)"
        ),
        {"d": draw.id},
    )


def _result_edited(db: Session, draw: Draw) -> None:
    db.execute(
        text("UPDATE draws SET result = REPLACE(result, :a, :b) WHERE id = :d"),
        {"a": '"on_site":true', "b": '"on_site":false', "d": draw.id},
    )


def _value_edited(db: Session, draw: Draw) -> None:
    db.execute(text("UPDATE draws SET public_value = '3412.57' WHERE id = :d"), {"d": draw.id})


def _drawn_at_edited(db: Session, draw: Draw) -> None:
    db.execute(text("UPDATE draws SET drawn_by_id = announced_by_id + 1 WHERE id = :d"), {"d": draw.id})


def _title_edited(db: Session, draw: Draw) -> None:
    db.execute(text("UPDATE draws SET title = 'x' WHERE id = :d"), {"d": draw.id})


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_snapshot_member_renamed, "快照"),
        (_officer_swapped, "执法人员"),
        (_result_edited, "结果"),
        (_value_edited, "种子"),
        (_drawn_at_edited, "记录"),
        (_title_edited, "公告"),
    ],
)
def test_a_change_in_the_database_is_detected(
    db: Session, enforcement: Enforcement, change: Callable[[Session, Draw], None], words: str
) -> None:
    _, second = two_draws(db, enforcement)
    change(db, second)
    db.expire_all()
    with use_locale("zh_CN"):
        found = verify(db, second.id)
    assert found is not None and not found.ok
    assert any(words in p for p in found.problems), found.problems


def test_a_deleted_earlier_record_breaks_the_chain(db: Session, enforcement: Enforcement) -> None:
    first, second = two_draws(db, enforcement)
    db.execute(
        text(
            "DELETE FROM draw_assignment_officers WHERE assignment_id IN "
            "(SELECT id FROM draw_assignments WHERE draw_id = :d)"
        ),
        {"d": first.id},
    )
    db.execute(text("DELETE FROM draw_assignments WHERE draw_id = :d"), {"d": first.id})
    db.execute(text("DELETE FROM draw_snapshots WHERE draw_id = :d"), {"d": first.id})
    db.execute(text("DELETE FROM draws WHERE id = :d"), {"d": first.id})
    db.expire_all()
    with use_locale("zh_CN"):
        found = verify(db, second.id)
    assert found is not None and not found.ok
    assert len(found.problems) == 2  # the gap and the broken link


def test_an_announced_draw_is_not_verified_yet(db: Session, enforcement: Enforcement) -> None:
    from ecoloop.draws import service
    from tests.draws.conftest import NOW, ZONE

    p = enforcement.principal(db, "analyst")
    pool, officers = pools(db, p, enforcement.world.county_a, count=2)
    draw = service.announce(db, p, announcement([pool], [officers], enforcement.world.county_a), now=NOW, zone=ZONE)
    found = verify(db, draw.id)
    assert found is not None and not found.ok
    assert verify(db, 999999) is None
