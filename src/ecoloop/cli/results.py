"""Computed results: `ecoloop results compute`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from ecoloop.cli.base import cli_settings, console, results_app
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.settings import Settings


def compute_results(
    settings: Settings, first: date, last: date, *, quiet: bool = False, days: list[date] | None = None
) -> str:
    """Compute and keep the results of the local days first…last, or of `days` (the command, and the demo after
    loading its history)."""
    from ecoloop.analytics.sites import StoredReadings
    from ecoloop.readings.store import open_hot_store
    from ecoloop.results.service import compute_days

    def progress(a: date, b: date) -> None:
        if not quiet:
            typer.echo(f"  {a.isoformat()} … {b.isoformat()}")

    if days is None:
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    engine = make_engine(settings.database_url)
    store = open_hot_store(settings)
    try:
        with make_session_factory(engine)() as session:
            stored = StoredReadings.of(store, settings)
            done = compute_days(session, stored, settings.results_root, days, settings.tz, progress=progress)
    finally:
        store.close()
        engine.dispose()
    return str(done)


@results_app.command("compute")
def compute(
    start: Annotated[str, typer.Option("--from", help="First local day, YYYY-MM-DD (default: 30 days ago).")] = "",
    end: Annotated[str, typer.Option("--to", help="Last local day, YYYY-MM-DD (default: today).")] = "",
) -> None:
    """Compute the results of a period again from the stored readings: after importing history files, or to
    rebuild results. The scheduler's `results` job keeps today and yesterday and any day whose readings change."""
    settings = cli_settings()
    today = datetime.now(UTC).astimezone(settings.tz).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=30)
    except ValueError as exc:
        console.print("[red]dates are YYYY-MM-DD[/red]")
        raise typer.Exit(2) from exc
    if first > last:
        console.print("[red]--from is after --to[/red]")
        raise typer.Exit(2)
    typer.echo(compute_results(settings, first, last))
