"""Briefs: `ecoloop report daily|weekly|monthly|annual --period …`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn

from ecoloop.cli.base import cli_settings, console, report_app
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.i18n import gettext
from ecoloop.reports.enums import ReportKind

PERIODS = {
    ReportKind.DAILY: "a day, YYYY-MM-DD",
    ReportKind.WEEKLY: "an ISO week, YYYY-Www",
    ReportKind.MONTHLY: "a month, YYYY-MM",
    ReportKind.ANNUAL: "a year, YYYY",
}


def make_report(kind: ReportKind, period_key: str) -> None:
    """Generate the brief of `kind` for the period (default: the latest that is over) as a new version."""
    from ecoloop.reports import service
    from ecoloop.reports.periods import PeriodError, latest_over, parse_period
    from ecoloop.results.queries import ResultReads

    settings = cli_settings()
    today = datetime.now(UTC).astimezone(settings.tz).date()
    try:
        period = parse_period(kind, period_key) if period_key else latest_over(kind, today)
    except PeriodError as exc:
        console.print(f"[red]--period is {PERIODS[kind]}[/red]")
        raise typer.Exit(2) from exc
    if period.last >= today:
        console.print(f"[red]{period.key} is not over yet[/red]")
        raise typer.Exit(2)
    if kind not in service.kinds():
        console.print(f"[red]no {kind.value} brief yet[/red]")
        raise typer.Exit(2)
    engine = make_engine(settings.database_url)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=console, transient=True) as bar:  # fmt: skip
            task = bar.add_task(f"{kind.value} {period.key}", total=None)

            def progress(step: int, steps: int) -> None:
                bar.update(task, completed=step, total=steps)

            with make_session_factory(engine).begin() as session, ResultReads.of(settings) as reads:
                who = service.Generator(gettext("Command line"))
                made = service.generate(session, settings.data_dir, reads, settings.tz, period, who, progress=progress)
                lines = [
                    f"{r.number}\tv{r.version}\t{service.reports_root(settings.data_dir) / r.docx_file}\t"
                    f"{service.reports_root(settings.data_dir) / r.xlsx_file}"
                    for r in made
                ]
    finally:
        engine.dispose()
    typer.echo("\n".join(lines))


Period = Annotated[str, typer.Option("--period", help="The period (default: the latest that is over).")]


@report_app.command("daily")
def daily(period: Period = "") -> None:
    """The daily analysis (日研判) of a day, YYYY-MM-DD."""
    make_report(ReportKind.DAILY, period)


@report_app.command("weekly")
def weekly(period: Period = "") -> None:
    """The weekly notice (周通报) of an ISO week, YYYY-Www."""
    make_report(ReportKind.WEEKLY, period)


@report_app.command("monthly")
def monthly(period: Period = "") -> None:
    """The monthly assessment (月考核) with the ecological compensation, YYYY-MM."""
    make_report(ReportKind.MONTHLY, period)


@report_app.command("annual")
def annual(period: Period = "") -> None:
    """The annual statistics (年度统计) of a year, YYYY."""
    make_report(ReportKind.ANNUAL, period)
