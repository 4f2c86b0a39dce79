"""`ecoloop import regions|organisations|users|sites|devices FILE.xlsx` and `ecoloop import template KIND FILE`:
the templates carry each registry's sheet, a bad workbook prints every problem by row and column and writes
nothing, an unknown importing user is refused. (The whole chain on a new city: tests/test_new_city.py.)"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecoloop.cli import app
from ecoloop.db.engine import make_engine
from ecoloop.regions.models import Region
from tests.factories import build_world
from tests.sheets.workbooks import xlsx

runner = CliRunner()


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'e.sqlite'}"
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", url)
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", f"duckdb:///{tmp_path / 'a.duckdb'}")
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(url)
    with Session(engine) as session:
        build_world(session)
        session.commit()
    engine.dispose()
    return url


@pytest.mark.parametrize(
    ("kind", "sheet", "first"),
    [
        ("regions", "区划", "区划代码*"),
        ("organisations", "机构", "机构编码*"),
        ("users", "用户", "用户名*"),
        ("sites", "监测点位", "点位编码*"),
        ("devices", "数采仪", "MN号*"),
    ],
)
def test_each_registry_has_a_template(tmp_path: Path, city: str, kind: str, sheet: str, first: str) -> None:
    target = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(app, ["import", "template", kind, str(target)])
    assert result.exit_code == 0, result.output
    book = load_workbook(io.BytesIO(target.read_bytes()))
    assert book.sheetnames == [sheet, "说明"]
    assert next(book[sheet].values)[0] == first


def test_a_bad_workbook_prints_every_problem_and_writes_nothing(tmp_path: Path, city: str) -> None:
    path = tmp_path / "regions.xlsx"
    path.write_bytes(xlsx([["区划代码", "名称"], ["371803", "东湖区"], ["3718031", "坏"], ["371899101000", "孤"]]))
    engine = make_engine(city)
    with Session(engine) as session:
        before = session.scalar(select(func.count(Region.id)))
    result = runner.invoke(app, ["import", "regions", str(path)])
    assert result.exit_code == 1
    assert "第 3 行 区划代码" in result.output and "[region_code]" in result.output
    assert "第 4 行 区划代码" in result.output and "[parent_unknown]" in result.output
    assert "2 problems: nothing imported" in result.output
    with Session(engine) as session:
        assert session.scalar(select(func.count(Region.id))) == before
    engine.dispose()
    good = runner.invoke(app, ["import", "regions", str(path.with_name("ok.xlsx"))])
    assert good.exit_code != 0  # no such file: typer refuses it before anything runs


def test_an_unknown_importing_user_is_refused(tmp_path: Path, city: str) -> None:
    path = tmp_path / "regions.xlsx"
    path.write_bytes(xlsx([["区划代码", "名称"], ["371803", "东湖区"]]))
    result = runner.invoke(app, ["import", "regions", str(path), "--as", "nobody"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output
    done = runner.invoke(app, ["import", "regions", str(path)])
    assert done.exit_code == 0 and "1 added" in done.output
