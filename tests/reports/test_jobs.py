"""The scheduler's job of briefs: each kind's latest period generated once when due, never twice; and the
`ecoloop report` command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ecoloop.reports.enums import ReportKind
from ecoloop.reports.jobs import due, generate_due
from ecoloop.reports.models import Report
from ecoloop.scheduler.runner import JobContext
from ecoloop.settings import Settings
from tests.factories import World

LOCAL = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("kind", "now", "expected"),
    [
        (ReportKind.DAILY, datetime(2026, 12, 7, 6, 59, tzinfo=LOCAL), None),  # before 07:00 the day after
        (ReportKind.DAILY, datetime(2026, 12, 7, 7, 0, tzinfo=LOCAL), "2026-12-06"),
        (ReportKind.WEEKLY, datetime(2026, 12, 7, 7, 0, tzinfo=LOCAL), "2026-W49"),  # Monday morning
        (
            ReportKind.WEEKLY,
            datetime(2026, 12, 6, 23, 0, tzinfo=LOCAL),
            "2026-W48",
        ),  # Sunday: the week before is the latest over
        (ReportKind.MONTHLY, datetime(2026, 12, 2, 23, 0, tzinfo=LOCAL), None),  # November's waits for late data
        (ReportKind.MONTHLY, datetime(2026, 12, 3, 7, 0, tzinfo=LOCAL), "2026-11"),
        (ReportKind.ANNUAL, datetime(2027, 1, 5, 6, 0, tzinfo=LOCAL), None),
        (ReportKind.ANNUAL, datetime(2027, 1, 5, 7, 0, tzinfo=LOCAL), "2026"),
    ],
)
def test_a_brief_falls_due_after_its_period_and_delay(kind: ReportKind, now: datetime, expected: str | None) -> None:
    found = due(kind, now)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.key == expected


def test_the_job_generates_what_is_due_once(app_settings: Settings, app_db: Session, app_world: World) -> None:
    from ecoloop.db.engine import make_engine, make_session_factory

    engine = make_engine(app_settings.database_url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    try:
        morning = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 08:30 in the bureau's zone (UTC+8)
        first = generate_due(JobContext(app_settings, sessions, morning))
        assert "daily 2026-12-06" in first
        again = generate_due(JobContext(app_settings, sessions, morning))
        with sessions() as session:
            keys = session.scalars(select(Report.period_key).where(Report.kind == ReportKind.DAILY)).all()
    finally:
        engine.dispose()
    assert again == "nothing due" and keys == ["2026-12-06"]


def test_the_command_generates_a_new_version(
    app_settings: Settings, app_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecoloop.cli import app

    for name, value in (
        ("ECOLOOP_DATABASE_URL", app_settings.database_url),
        ("ECOLOOP_DATA_DIR", str(app_settings.data_dir)),
        ("ECOLOOP_ANALYTICS_URL", app_settings.analytics_url),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    first = runner.invoke(app, ["report", "daily", "--period", "2026-12-01"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["report", "daily", "--period", "2026-12-01"])
    number, version, docx_path, xlsx_path = second.output.strip().split("\t")
    assert version == "v2" and Path(docx_path).exists() and Path(xlsx_path).exists()
    assert number == first.output.strip().split("\t")[0]
    refused = runner.invoke(app, ["report", "daily", "--period", "2026-12"])
    assert refused.exit_code == 2 and "YYYY-MM-DD" in refused.output
    future = runner.invoke(app, ["report", "monthly", "--period", f"{datetime.now(UTC).year + 1}-01"])
    assert future.exit_code == 2


def test_one_brief_failing_neither_undoes_nor_stops_the_others(
    app_settings: Settings, app_db: Session, app_world: World
) -> None:
    from ecoloop.db.engine import make_engine, make_session_factory
    from ecoloop.reports import service
    from ecoloop.reports.jobs import BriefsFailedError

    # The weekly template's file damaged on disk after it was checked and kept.
    template = service.save_template(
        app_db,
        app_settings.data_dir,
        service.Generator("甲"),
        ReportKind.WEEKLY,
        service.default_template(ReportKind.WEEKLY),
    )
    app_db.commit()
    (service.reports_root(app_settings.data_dir) / template.file).write_bytes(b"damaged")
    engine = make_engine(app_settings.database_url)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    try:
        monday = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 08:30 in the bureau's zone: daily and weekly due
        with pytest.raises(BriefsFailedError, match="weekly 2026-W49") as failed:
            generate_due(JobContext(app_settings, sessions, monday))
        assert "daily 2026-12-06" in str(failed.value)
        with sessions() as session:
            kinds = set(session.scalars(select(Report.kind)))
    finally:
        engine.dispose()
    assert ReportKind.DAILY in kinds and ReportKind.WEEKLY not in kinds
