"""The background processes: `ecoloop scheduler run`, `ecoloop alerts run`."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ecoloop.cli.base import (
    alerts_app,
    cli_settings,
    console,
    scheduler_app,
)
from ecoloop.db.engine import make_engine, make_session_factory


@scheduler_app.command("run")
def scheduler_run(
    once: Annotated[bool, typer.Option(help="Run the due jobs once and exit.")] = False,
    tick: Annotated[float, typer.Option(min=0.1, help="Seconds between looks for due jobs.")] = 5.0,
) -> None:
    """Run the periodic jobs (compaction, device status, packet archive) until stopped."""
    import signal
    import threading

    from ecoloop.electricity.jobs import ELECTRICITY_JOBS
    from ecoloop.episodes.jobs import WARNING_JOBS
    from ecoloop.hotspots.jobs import HOTSPOT_JOBS
    from ecoloop.intake.jobs import INTAKE_JOBS, PARTNER_JOBS
    from ecoloop.reports.jobs import REPORT_JOBS
    from ecoloop.scheduler.jobs import JOBS
    from ecoloop.scheduler.runner import AlreadyRunningError, Scheduler

    settings = cli_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    jobs = JOBS + REPORT_JOBS + INTAKE_JOBS + PARTNER_JOBS + WARNING_JOBS + HOTSPOT_JOBS + ELECTRICITY_JOBS
    scheduler = Scheduler(jobs, settings, make_session_factory(make_engine(settings.database_url)))
    if once:
        for outcome in scheduler.run_due():
            typer.echo(f"{outcome.job}\t{'ok' if outcome.ok else 'failed'}\t{outcome.message}")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"scheduler running: {', '.join(job.name for job in jobs)}")
    try:
        scheduler.run_forever(stop, tick)
    except AlreadyRunningError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@alerts_app.command("run")
def alerts_run(
    once: Annotated[bool, typer.Option(help="Evaluate what is queued, sweep once and exit.")] = False,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between looks at the arrivals queue.")] = 1.0,
    sweep: Annotated[float, typer.Option(min=1.0, help="Seconds between scheduled sweeps (silence, feedback).")] = 60.0,
) -> None:
    """Run the alert engine: evaluate the rules on arriving data and on a schedule, and send webhooks."""
    import signal
    import threading

    from ecoloop.alerts.engine import AlertEngine
    from ecoloop.alerts.webhooks import Poster, Sender
    from ecoloop.analytics.sites import StoredReadings
    from ecoloop.readings.store import open_hot_store
    from ecoloop.scheduler.runner import AlreadyRunningError

    settings = cli_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    sessions = make_session_factory(make_engine(settings.database_url))
    store = open_hot_store(settings)
    engine = AlertEngine(sessions, StoredReadings.of(store, settings), settings.tz)
    sender = Sender(Poster(settings.webhook_networks))
    if once:
        engine.start()
        handled = 0
        while (result := engine.poll()).arrivals:
            handled += result.arrivals
        applied = engine.sweep()
        sent = sender.round(sessions, engine.clock)
        typer.echo(
            f"{handled} arrivals evaluated; sweep raised {applied.raised}, cleared {applied.cleared}; "
            f"webhooks delivered {sent.delivered}, retrying {sent.retrying}, failed {sent.failed}"
        )
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # Webhook deliveries run on their own thread: a slow receiver never holds up the evaluation of arrivals.
    deliveries = threading.Thread(target=sender.run, args=(stop, sessions, engine.clock), name="webhooks", daemon=True)
    typer.echo("alert engine running")
    try:
        engine.run(stop, settings.data_dir / "alerts.lock", poll_every=poll, sweep_every=sweep, locked=deliveries.start)
    except AlreadyRunningError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        stop.set()
        if deliveries.is_alive():
            deliveries.join(10)
        store.close()
