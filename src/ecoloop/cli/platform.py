"""Running the platform: `ecoloop demo`, `ecoloop serve`, `ecoloop db upgrade|check`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Annotated

import pyarrow as pa
import typer
from rich.table import Table
from sqlalchemy import select

from ecoloop.cli.base import (
    app,
    cli_settings,
    console,
    db_app,
)
from ecoloop.cli.data import import_history, shift_to_present, site_ids
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.db.migrate import check as check_migrations
from ecoloop.db.migrate import upgrade as upgrade_database
from ecoloop.monitoring.models import Device
from ecoloop.settings import Settings

if TYPE_CHECKING:
    import uvicorn

# How far back the demo's town and village stations get the history their source station had (the 12 stations
# of the Beijing data have all of theirs).
REPLAYED_HISTORY = timedelta(days=30)


def web_server_config(settings: Settings) -> uvicorn.Config:
    """How `ecoloop serve` and `ecoloop demo` run the web app under uvicorn."""
    import uvicorn

    from ecoloop.app import create_app

    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # The app believes X-Forwarded-* from ECOLOOP_TRUSTED_PROXIES only; uvicorn's own handling would believe
        # them from 127.0.0.1 (or its FORWARDED_ALLOW_IPS) whatever the settings say (issue 13).
        proxy_headers=False,
        # Open live feeds (the alert board's event stream) never end by themselves: cut them on shutdown.
        timeout_graceful_shutdown=2,
    )


def _serve(settings: Settings) -> None:
    import uvicorn

    uvicorn.Server(web_server_config(settings)).run()


@app.command()
def demo(
    serve: Annotated[bool, typer.Option(help="Start the web server after loading.")] = True,
    readings: Annotated[
        bool,
        typer.Option(
            help="Load the demo air stations' hourly data, dated to end today, and the electricity meters' readings."
        ),
    ] = True,
    live: Annotated[
        bool,
        typer.Option(help="With the web UI, also run the HJ 212 receiver, the scheduler and simulated loggers."),
    ] = True,
    history_days: Annotated[
        int, typer.Option(min=0, help="Load only the last N days of the demo's history (0: all of it, four years).")
    ] = 0,
) -> None:
    """Migrate the database, load the demo city (idempotently), print the accounts and serve the web UI, with the
    HJ 212 receiver, the scheduler and the demo's simulated data loggers running beside it."""
    from ecoloop.analytics.backends import connect
    from ecoloop.demo.aircontrol import add_demo_aircontrol
    from ecoloop.demo.complaints import LOOKUP_PHONE, add_demo_complaints
    from ecoloop.demo.enforcement import add_demo_enforcement
    from ecoloop.demo.history import noise_readings, replayed_readings
    from ecoloop.demo.partners import add_demo_partner, add_duties
    from ecoloop.demo.service import demo_fixture, demo_readings_file, load_demo

    settings = cli_settings()
    upgrade_database(settings.database_url, settings=settings)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        report = load_demo(session, storage=settings.case_attachments_root)
        session.commit()
        report.added["duties"] = add_duties(session)
        now = datetime.now(UTC)
        filed = add_demo_complaints(session, now, settings.pii_keys_path, settings.data_dir, settings.tz)
        report.added["complaints"] = filed.count
        report.added["partner warnings"] = add_demo_partner(session, now, settings.tz)
        session.commit()
        report.added.update(add_demo_enforcement(session, now, settings.data_dir, settings.tz))
        session.commit()
        report.added.update(add_demo_aircontrol(session, now, settings.tz, feed=readings))
        session.commit()
        loggers = len(session.scalars(select(Device.id).where(Device.active.is_(True))).all())
    engine.dispose()
    connect(settings).disconnect()  # creates the embedded analytics database file
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.demo_marker.write_text("ecoloop demo city: its pages say that their data are demo data\n")
    if readings and not any(settings.parquet_root.glob("interval=hour/date=*/part.parquet")):
        # The Beijing data (2013-2017) dated whole years later, so that the history ends today and the
        # simulated loggers, which replay the same data year, continue it (issue 15).
        now = datetime.now(UTC)
        since = now - timedelta(days=history_days) if history_days else None
        shift = shift_to_present(settings, demo_readings_file(), now)
        console.print(
            f"Loading the demo air stations' hourly data (Beijing multi-site 2013-2017, CC BY 4.0), "
            f"dated {shift} years later …"
        )
        plans, ids = demo_fixture()["sites"], site_ids(settings)
        replay = partial(replayed_readings, plans=plans, site_ids=ids, since=now - REPLAYED_HISTORY)
        outlets = partial(_outlet_history, settings, now)
        # The noise stations' simulated hours of the same weeks (they replay no station), stored with them.
        noise = noise_readings(plans, ids, now - REPLAYED_HISTORY, now, settings.tz)
        imported = import_history(
            settings,
            demo_readings_file(),
            "beijing",
            shift_years=shift,
            until=now,
            derive=lambda table: pa.concat_tables([replay(table), outlets(), noise.cast(table.schema)]),
            since=since,
        )
        console.print(f"{imported.readings:,} readings stored")
    if readings:
        _demo_results(settings, history_days)
        _demo_briefs(settings)
    report.added.update(_demo_hotspot_orders(settings))
    added = ", ".join(f"{k} {v}" for k, v in report.added.items())
    console.print(f"Demo city loaded (added: {added}).")
    table = Table(title="Demo accounts")
    for column in ("username", "password", "role"):
        table.add_column(column)
    for username, password, role in report.accounts:
        table.add_row(username, password, role.value)
    console.print(table)
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"Web UI: {base}/login   API: {base}/api/v1/openapi.json")
    console.print(
        f"Public pages: {base}/public  report a problem: {base}/public/complaints  look up ticket "
        f"{filed.lookup_ticket} with the last four digits {LOOKUP_PHONE[-4:]}: {base}/public/lookup"
    )
    if not serve:
        return
    if not live:
        _serve(settings)
        return
    console.print(
        f"HJ 212 receiver on {settings.hj212_host}:{settings.hj212_port}, scheduler, alert engine and "
        f"{loggers} simulated data loggers running in the background."
    )
    with _background(
        ["hj212", "serve"],
        ["scheduler", "run"],
        ["alerts", "run"],
        ["simulate", "hj212", "--devices", str(loggers)],
    ):
        _serve(settings)


def _demo_results(settings: Settings, history_days: int) -> None:
    """Compute the demo's results not yet computed, from the first day of last year (so that this year's figures
    have last year's to compare with), or of its shorter history, to today; the scheduler's `results` job keeps
    them current afterwards."""
    from ecoloop.cli.results import compute_results
    from ecoloop.results.service import missing_days

    today = datetime.now(UTC).astimezone(settings.tz).date()
    first = date(today.year - 1, 1, 1)
    if history_days:
        first = max(first, today - timedelta(days=history_days))
    missing = missing_days(settings.results_root, first, today)
    if not missing:
        return
    console.print(f"Computing the results of {len(missing)} days (AQI, water classes, noise, source compliance) …")
    console.print(compute_results(settings, missing[0], missing[-1], quiet=True, days=missing))


def _demo_hotspot_orders(settings: Settings) -> dict[str, int]:
    """The demo's hotspot orders, dispatched once the station and outlet readings are stored (their suspects carry
    the outlets' latest values and the station's wind)."""
    from ecoloop.analytics.sites import StoredReadings
    from ecoloop.demo.aircontrol import add_demo_hotspot_orders
    from ecoloop.readings.store import open_hot_store

    engine = make_engine(settings.database_url)
    store = open_hot_store(settings)
    try:
        with make_session_factory(engine)() as session:
            added = add_demo_hotspot_orders(session, datetime.now(UTC), settings, StoredReadings.of(store, settings))
            session.commit()
    finally:
        store.close()
        engine.dispose()
    return added


def _demo_briefs(settings: Settings) -> None:
    """Generate the latest brief of each kind that is over and not yet generated (yesterday's daily analysis, last
    week's notice, last month's assessment, last year's statistics); the scheduler's `reports` job keeps them."""
    from ecoloop.reports.jobs import generate_missing

    engine = make_engine(settings.database_url)
    try:
        console.print("Generating the latest briefs (Word and Excel) …")
        done = generate_missing(make_session_factory(engine), settings, datetime.now(UTC), wait=False)
    finally:
        engine.dispose()
    console.print(", ".join(done) or "briefs already generated")


def _outlet_history(settings: Settings, now: datetime) -> pa.Table:
    """The hours the demo's outlet loggers (seed 0, as `ecoloop simulate hj212` runs them) would have sent since the
    start of the previous local month, so that the outlets' compliance has a past month and this one (issue 16)."""
    from ecoloop.demo.history import outlet_readings
    from ecoloop.demo.simulator import devices_from_db

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            site_of = dict(session.execute(select(Device.mn, Device.site_id)).tuples().all())
    finally:
        engine.dispose()
    devices = [(site_of[d.mn], d) for d in devices_from_db(settings.database_url, len(site_of)) if d.mn in site_of]
    this_month = now.astimezone(settings.tz).date().replace(day=1)
    first = datetime.combine((this_month - timedelta(days=1)).replace(day=1), datetime.min.time())
    return outlet_readings(devices, first, now, settings.tz, 0, now)


@contextlib.contextmanager
def _background(*commands: list[str]) -> Iterator[None]:
    """Run `ecoloop` sub-commands as child processes for the duration of the block, then stop them."""
    import subprocess
    import sys

    children = []
    try:
        for command in commands:
            children.append(subprocess.Popen([sys.executable, "-m", "ecoloop", *command]))
            if command[0] == "hj212":
                time.sleep(1.5)  # let the receiver listen before the simulated loggers connect
        yield
    finally:
        for child in reversed(children):
            child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()


@app.command()
def serve() -> None:
    """Serve the web UI and API."""
    _serve(cli_settings())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations up to REVISION."""
    settings = cli_settings()
    upgrade_database(settings.database_url, revision, settings)
    console.print(f"database at {revision}")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models have changes that no migration covers."""
    settings = cli_settings()
    upgrade_database(settings.database_url, settings=settings)
    check_migrations(settings.database_url)
    console.print("models and migrations agree")
