"""The analytics backend named by ANALYTICS_URL."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest

from ecoloop.analytics.backends import connect, resolve_url, spark_conf
from tests.conftest import make_settings


def test_relative_and_absolute_duckdb_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_url("duckdb:///var/a.duckdb") == f"duckdb://{tmp_path / 'var' / 'a.duckdb'}"
    assert (tmp_path / "var").is_dir()
    assert resolve_url("duckdb:////srv/x/a.duckdb".replace("/srv/x", str(tmp_path / "abs"))) == (
        f"duckdb://{tmp_path / 'abs' / 'a.duckdb'}"
    )
    assert resolve_url("duckdb://") == "duckdb://"
    assert resolve_url("pyspark://") == "pyspark://"


def test_duckdb_backend_runs_ibis_expressions_and_persists(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    con = connect(settings)
    readings = ibis.memtable({"station": ["A", "A", "B"], "pm25": [35.0, 75.0, 115.0]})
    con.create_table("readings", readings)
    means = con.execute(con.table("readings").group_by("station").agg(mean=lambda t: t.pm25.mean()).order_by("station"))
    assert means["mean"].tolist() == [55.0, 115.0]
    con.disconnect()
    assert (tmp_path / "analytics.duckdb").exists()
    again = connect(settings)
    assert "readings" in again.list_tables()
    again.disconnect()


def test_spark_url_names_builder_settings_and_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Query parameters are Spark settings for the session builder (static ones such as the master included);
    the path is the warehouse directory, relative with three slashes and absolute with four (docs/scale.md)."""
    monkeypatch.chdir(tmp_path)
    assert spark_conf("pyspark://") == {}
    conf = spark_conf("pyspark:///var/warehouse?spark.master=local[4]&spark.executor.memory=8g")
    assert conf == {
        "spark.master": "local[4]",
        "spark.executor.memory": "8g",
        "spark.sql.warehouse.dir": str(tmp_path / "var" / "warehouse"),
    }
    assert spark_conf("pyspark:////srv/warehouse")["spark.sql.warehouse.dir"] == "/srv/warehouse"
    assert spark_conf("pyspark://?spark.master=spark://spark-master:7077") == {
        "spark.master": "spark://spark-master:7077"
    }
