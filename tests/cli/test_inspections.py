"""`ecoloop inspections verify DRAW_ID`: exit 0 and says so in Chinese when the draw is reproduced; exit 1 with the
reason when a snapshot row was changed in the database; exit 2 for an unknown draw."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecoloop.cli import app
from ecoloop.db.engine import make_engine
from tests.draws.conftest import announcement, build_enforcement, draw_through, pools
from tests.factories import build_world

runner = CliRunner()


@pytest.fixture
def drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    url = f"sqlite:///{tmp_path / 'e.sqlite'}"
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", url)
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", f"duckdb:///{tmp_path / 'a.duckdb'}")
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(url)
    with Session(engine) as session:
        world = build_world(session)
        enforcement = build_enforcement(session, world)
        p = enforcement.principal(session, "analyst")
        pool, officers = pools(session, p, world.county_a, count=3)
        draw = draw_through(session, p, announcement([pool], [officers], world.county_a))
        session.commit()
        draw_id = draw.id
    engine.dispose()
    return url, draw_id


def test_verify_says_a_draw_matches(drawn: tuple[str, int]) -> None:
    _, draw_id = drawn
    result = runner.invoke(app, ["inspections", "verify", str(draw_id)])
    assert result.exit_code == 0, result.output
    assert "SJ20260001" in result.output and "一致" in result.output


def test_verify_fails_after_a_snapshot_row_is_changed(drawn: tuple[str, int]) -> None:
    url, draw_id = drawn
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE draw_snapshots SET content = REPLACE(content, :a, :b) WHERE draw_id = :d AND position = 1"),
            {"a": '"weight":1', "b": '"weight":9', "d": draw_id},
        )
    engine.dispose()
    result = runner.invoke(app, ["inspections", "verify", str(draw_id)])
    assert result.exit_code == 1, result.output
    assert "快照" in result.output and "不一致" in result.output


def test_verify_of_an_unknown_draw_exits_2(drawn: tuple[str, int]) -> None:
    assert runner.invoke(app, ["inspections", "verify", "999"]).exit_code == 2
