"""The `ecoloop` command and its subcommands."""

from __future__ import annotations

import contextlib
import getpass
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

import ecoloop.tables  # noqa: F401  # every table and its scope rule, for every command
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import utcnow
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.db.migrate import check as check_migrations
from ecoloop.db.migrate import upgrade as upgrade_database
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import ERROR_TEXT, IdentityError, create_user, set_password
from ecoloop.ingest.files import ImportReport
from ecoloop.monitoring.enums import CrcMode, SiteKind
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.service import MonitoringError, add_device, add_site, device_by_mn, site_by_name
from ecoloop.regions.models import Region
from ecoloop.settings import ImproperlyConfiguredError, Settings, load_settings

if TYPE_CHECKING:
    import uvicorn

app = typer.Typer(help="ecoloop: environmental supervision platform.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
device_app = typer.Typer(help="Monitoring sites and data loggers.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
hj212_app = typer.Typer(help="HJ 212 data transmission (data loggers).", no_args_is_help=True)
app.add_typer(hj212_app, name="hj212")
import_app = typer.Typer(help="Import history files.", no_args_is_help=True)
app.add_typer(import_app, name="import")
data_app = typer.Typer(help="Stored readings.", no_args_is_help=True)
app.add_typer(data_app, name="data")
scheduler_app = typer.Typer(help="Periodic jobs.", no_args_is_help=True)
app.add_typer(scheduler_app, name="scheduler")
simulate_app = typer.Typer(help="Simulated devices for demos and load tests.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")
alerts_app = typer.Typer(help="Alerts: the rule engine.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
console = Console(soft_wrap=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ImproperlyConfiguredError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


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
    readings: Annotated[bool, typer.Option(help="Load the demo air stations' hourly data.")] = True,
    live: Annotated[
        bool,
        typer.Option(help="With the web UI, also run the HJ 212 receiver, the scheduler and simulated loggers."),
    ] = True,
) -> None:
    """Migrate the database, load the demo city (idempotently), print the accounts and serve the web UI, with the
    HJ 212 receiver, the scheduler and the demo's simulated data loggers running beside it."""
    from ecoloop.analytics.backends import connect
    from ecoloop.demo.service import demo_readings_file, load_demo

    settings = _settings()
    upgrade_database(settings.database_url, settings=settings)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        report = load_demo(session, storage=settings.case_attachments_root)
        session.commit()
        loggers = len(session.scalars(select(Device.id).where(Device.active.is_(True))).all())
    engine.dispose()
    connect(settings).disconnect()  # creates the embedded analytics database file
    if readings and not any(settings.parquet_root.glob("interval=hour/date=*/part.parquet")):
        console.print("Loading the demo air stations' hourly data (Beijing multi-site 2013-2017, CC BY 4.0) …")
        imported = import_history(settings, demo_readings_file(), "beijing")
        console.print(f"{imported.readings:,} readings stored")
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
    _serve(_settings())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations up to REVISION."""
    settings = _settings()
    upgrade_database(settings.database_url, revision, settings)
    console.print(f"database at {revision}")


@db_app.command("check")
def db_check() -> None:
    """Fail when the models have changes that no migration covers."""
    settings = _settings()
    upgrade_database(settings.database_url, settings=settings)
    check_migrations(settings.database_url)
    console.print("models and migrations agree")


def _read_password(password: str | None) -> str:
    if password:
        return password
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        console.print("[red]the passwords differ[/red]")
        raise typer.Exit(1)
    return first


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="Role of the user.")],
    organisation: Annotated[str | None, typer.Option(help="Code of the user's organisation.")] = None,
    enterprise_id: Annotated[int | None, typer.Option(help="Enterprise of an enterprise user.")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[str | None, typer.Option(help="Password (asked for when omitted).")] = None,
) -> None:
    """Add a user account."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        set_actor(session, Actor(label="cli"))
        org_id = None
        if organisation:
            org_id = session.scalar(select(Organisation.id).where(Organisation.code == organisation))
            if org_id is None:
                console.print(f"[red]no organisation with code {organisation}[/red]")
                raise typer.Exit(1)
        try:
            create_user(
                session,
                username=username,
                display_name=name or username,
                password=_read_password(password),
                role=role,
                organisation_id=org_id,
                enterprise_id=enterprise_id,
            )
        except IdentityError as exc:
            console.print(f"[red]{ERROR_TEXT[exc.code]}[/red]")
            raise typer.Exit(1) from exc
        session.commit()
    console.print(f"user {username} added")


@user_app.command("passwd")
def user_passwd(
    username: str, password: Annotated[str | None, typer.Option(help="New password (asked for when omitted).")] = None
) -> None:
    """Set a user's password (signs them out everywhere)."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        set_actor(session, Actor(label="cli"))
        user = session.scalar(select(User).where(User.username == username.lower()))
        if user is None:
            console.print(f"[red]no user {username}[/red]")
            raise typer.Exit(1)
        try:
            set_password(session, user, _read_password(password), utcnow())
        except IdentityError as exc:
            console.print(f"[red]{ERROR_TEXT[exc.code]}[/red]")
            raise typer.Exit(1) from exc
        session.commit()
    console.print(f"password of {username} changed")


@device_app.command("add")
def device_add(
    mn: Annotated[str, typer.Option(help="The logger's MN, as it sends it.")],
    password: Annotated[str, typer.Option(help="The access password (PW) the logger sends.")],
    site_name: Annotated[str, typer.Option(help="Name of the site it feeds (created when new).")],
    kind: Annotated[SiteKind, typer.Option(help="Kind of site.")],
    region: Annotated[str | None, typer.Option(help="Region code of a new site (default: the city).")] = None,
    site_code: Annotated[str | None, typer.Option(help="Code of a new site (default: the MN).")] = None,
    crc: Annotated[CrcMode, typer.Option(help="CRC variant the logger sends.")] = CrcMode.HJ212,
    interval: Annotated[int, typer.Option(help="Minutes between real-time packets.")] = 60,
) -> None:
    """Register a data logger (and its site)."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        set_actor(session, Actor(label="cli"))
        try:
            if device_by_mn(session, mn) is not None:
                raise MonitoringError("mn_taken")
            site = site_by_name(session, site_name)
            if site is None:
                where = session.scalar(
                    select(Region).where(Region.code == region)
                    if region
                    else select(Region).where(Region.parent_id.is_(None))
                )
                if where is None:
                    console.print("[red]no such region: load the demo city or add regions first[/red]")
                    raise typer.Exit(1)
                site = add_site(session, code=site_code or mn, name=site_name, kind=kind, region=where)
            add_device(session, mn=mn, password=password, site=site, crc_mode=crc, interval_minutes=interval)
        except MonitoringError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        session.commit()
    console.print(f"device {mn} added for site {site_name}")


@device_app.command("list")
def device_list() -> None:
    """List the registered data loggers, one per line, tab-separated (passwords are never shown)."""
    settings = _settings()
    engine = make_engine(settings.database_url)
    typer.echo("\t".join(("mn", "site", "kind", "region", "crc", "interval_min", "last_seen_utc")))
    with make_session_factory(engine)() as session:
        for device in session.scalars(select(Device).order_by(Device.mn)):
            seen = device.last_seen_at.strftime("%Y-%m-%dT%H:%M") if device.last_seen_at else "-"
            row = (
                device.mn,
                device.site.name,
                device.site.kind.value,
                device.site.region.code,
                device.crc_mode.value,
                str(device.interval_minutes),
                seen,
            )
            typer.echo("\t".join(row))


@hj212_app.command("serve")
def hj212_serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default ECOLOOP_HJ212_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default ECOLOOP_HJ212_PORT).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Receiver processes sharing the port (one per core for high loads).")
    ] = 1,
) -> None:
    """Receive HJ 212 data from data loggers: store durably, then acknowledge."""
    from ecoloop.ingest.devices import DeviceDirectory, devices_from_db
    from ecoloop.ingest.server import Receiver, serve_workers
    from ecoloop.readings.store import open_hot_store, time_window

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    listen = host or settings.hj212_host

    def make() -> Receiver:
        return Receiver(
            open_hot_store(settings),
            DeviceDirectory(devices_from_db(settings.database_url)),
            settings.tz,
            idle_timeout=settings.hj212_idle_seconds,
            window=time_window(settings),
            unauthenticated_per_ip=settings.hj212_unauthenticated_per_ip,
            auth_timeout=settings.hj212_auth_seconds,
            rejected_per_ip_minute=settings.hj212_rejected_archive_per_minute,
            rejected_bytes_minute=settings.hj212_rejected_archive_bytes_per_minute,
        )

    def ready(bound: int) -> None:
        typer.echo(f"HJ 212 receiver ({workers} process(es)) listening on {listen}:{bound}")

    with contextlib.suppress(KeyboardInterrupt):
        status = serve_workers(make, listen, port if port is not None else settings.hj212_port, workers, ready)
        raise typer.Exit(status)


@scheduler_app.command("run")
def scheduler_run(
    once: Annotated[bool, typer.Option(help="Run the due jobs once and exit.")] = False,
    tick: Annotated[float, typer.Option(min=0.1, help="Seconds between looks for due jobs.")] = 5.0,
) -> None:
    """Run the periodic jobs (compaction, device status, packet archive) until stopped."""
    import signal
    import threading

    from ecoloop.scheduler.jobs import JOBS
    from ecoloop.scheduler.runner import AlreadyRunningError, Scheduler

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = Scheduler(JOBS, settings, make_session_factory(make_engine(settings.database_url)))
    if once:
        for outcome in scheduler.run_due():
            typer.echo(f"{outcome.job}\t{'ok' if outcome.ok else 'failed'}\t{outcome.message}")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"scheduler running: {', '.join(job.name for job in JOBS)}")
    try:
        scheduler.run_forever(stop, tick)
    except AlreadyRunningError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _site_ids(settings: Settings) -> dict[str, int]:
    from ecoloop.monitoring.models import Site

    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        ids = {code: site_id for code, site_id in session.execute(select(Site.code, Site.id))}
    engine.dispose()
    return ids


def import_history(settings: Settings, path: Path, file_format: str) -> ImportReport:
    """Convert a history file into readings and merge them into the Parquet store (CLI and demo); a value other
    than one stored before under its key does not replace it and is kept as a conflict in the hot store."""
    from ecoloop.ingest.files import read_beijing
    from ecoloop.readings.parquet import merge_into_parquet
    from ecoloop.readings.store import open_hot_store, time_window
    from ecoloop.readings.vocabulary import ConflictRow

    if file_format != "beijing":
        raise typer.BadParameter(f"unknown format {file_format!r}; known: beijing")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    report = ImportReport()
    with console.status(f"reading {path.name} …"):
        table = read_beijing(path, _site_ids(settings), settings.tz, report, window=time_window(settings))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    conflicts: list[ConflictRow] = []
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("daily partitions", total=None)
        merge_into_parquet(
            table,
            settings.parquet_root,
            lambda done, total: bar.update(task, completed=done, total=total),
            conflicts,
        )
    if conflicts:
        store = open_hot_store(settings)
        try:
            store.keep_conflicts(conflicts)
        finally:
            store.close()
        report.error(len(conflicts), "another value was stored before under the same key; kept as conflicts")
    return report


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

    settings = _settings()
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


@import_app.command("csv")
def import_csv(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (or the committed Parquet) file.")],
    file_format: Annotated[str, typer.Option("--format", help="File format: beijing.")] = "beijing",
) -> None:
    """Import a history file; rows that cannot be read are counted and reported, the others stored."""
    try:
        report = import_history(_settings(), path, file_format)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"{report.rows:,} rows read, {report.readings:,} readings stored, {report.errors:,} problems")
    for example in report.examples:
        console.print(f"  {example}")


@import_app.command("enterprises")
def import_enterprises(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Excel workbook (.xlsx).")],
    username: Annotated[str, typer.Option("--as", help="Import as this user (their role and area apply).")] = "admin",
) -> None:
    """Import enterprises, permits, list memberships and grades from a workbook: all rows or none."""
    from ecoloop.enterprises.imports import import_workbook
    from ecoloop.i18n import use_locale
    from ecoloop.identity.service import principal_for

    settings = _settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session, use_locale(settings.default_locale):
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            console.print(f"[red]no user {username!r}[/red]")
            raise typer.Exit(1)
        set_actor(session, Actor(label=f"cli:import:{username}", user_id=user.id))
        report = import_workbook(session, principal_for(user, session), path.read_bytes())
        if not report.ok:
            session.rollback()
            for problem in report.problems:
                console.print(problem.describe(), markup=False)
            console.print(f"[red]{len(report.problems)} problems: nothing imported[/red]")
            raise typer.Exit(1)
        session.commit()
    for entity, counts in report.counts.items():
        console.print(f"{entity}: {counts.added} added, {counts.updated} updated, {counts.skipped} unchanged")


@data_app.command("compact")
def data_compact(
    older_than: Annotated[int, typer.Option(help="Move readings received at least this many seconds ago.")] = 60,
) -> None:
    """Move readings from the hot store into the date-partitioned Parquet files (safe to run at any time)."""
    from datetime import UTC, timedelta

    from ecoloop.readings.parquet import compact
    from ecoloop.readings.store import open_hot_store, time_window

    settings = _settings()
    now = datetime.now(UTC)
    store = open_hot_store(settings)
    moved = compact(
        store, settings.parquet_root, now - timedelta(seconds=older_than), window=time_window(settings), now=now
    )
    store.close()
    console.print(f"{moved:,} readings moved to {settings.parquet_root}")


@data_app.command("clean")
def data_clean() -> None:
    """Set aside stored readings dated outside the plausible window, or with an infinite value, from the hot store
    and every Parquet partition into the packet archive (rejected, with the reason): nothing is deleted."""
    from datetime import UTC

    from ecoloop.readings.parquet import set_aside
    from ecoloop.readings.store import open_hot_store, time_window

    settings = _settings()
    store = open_hot_store(settings)
    try:
        found = set_aside(store, settings.parquet_root, time_window(settings), datetime.now(UTC))
    finally:
        store.close()
    summary = ", ".join(f"{reason} {count}" for reason, count in sorted(found.items())) or "none"
    console.print(f"{found.total():,} readings set aside into the packet archive ({summary})")


@data_app.command("export")
def data_export(
    mn: Annotated[str, typer.Option(help="MN of the device whose site's readings to print.")],
    start: Annotated[datetime | None, typer.Option("--from", help="From this local time (inclusive).")] = None,
    end: Annotated[datetime | None, typer.Option("--to", help="Until this local time (exclusive).")] = None,
    file_format: Annotated[str, typer.Option("--format", help="csv")] = "csv",
) -> None:
    """Print a device's stored readings: time, parameter, interval, value, flag, and where each came from
    (source: hj212, upload, api, import or correction; source_by: who sent it, or the imported file's format)."""
    import sys

    from ecoloop.exports import CsvWriter
    from ecoloop.readings.parquet import readings
    from ecoloop.readings.store import open_hot_store
    from ecoloop.readings.vocabulary import parse_source

    settings = _settings()
    if file_format != "csv":
        raise typer.BadParameter("only csv is supported")
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        device = device_by_mn(session, mn)
        if device is None:
            console.print(f"[red]no device with MN {mn}[/red]")
            raise typer.Exit(1)
        site_id = device.site_id
    tz = settings.tz
    low = start.replace(tzinfo=tz) if start else None
    high = end.replace(tzinfo=tz) if end else None
    store = open_hot_store(settings)
    stored = readings(store, settings.parquet_root, site_id=site_id).to_pylist()
    store.close()
    rows = [r for r in stored if (low is None or r["time"] >= low) and (high is None or r["time"] < high)]

    out = CsvWriter(sys.stdout)
    out.writerow(["time", "parameter", "interval", "value", "flag", "source", "source_by"])
    for r in sorted(rows, key=lambda r: (r["time"], r["parameter"], r["interval"])):
        source, by = parse_source(r["source"])
        kind = source.value if source else r["source"]
        when = r["time"].astimezone(tz).isoformat()
        out.writerow([when, r["parameter"], r["interval"], r["value"], r["flag"] or "", kind, by or ""])


@simulate_app.command("hj212")
def simulate_hj212(
    devices: Annotated[
        int, typer.Option(min=1, help="Number of virtual data loggers (the first active devices).")
    ] = 10,
    rate: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="At most this many new packets per second per device (re-sends not counted). The schedule needs "
            "about 3 a minute in real time; with a high --speed the cap binds and the device's simulated clock "
            "falls behind instead of skipping data.",
        ),
    ] = 10.0,
    host: Annotated[str | None, typer.Option(help="Receiver address (default ECOLOOP_HJ212_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Receiver port (default ECOLOOP_HJ212_PORT).")] = None,
    duration: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many seconds (default: run until Ctrl-C).")
    ] = None,
    speed: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Simulated seconds per real second: 60 makes an hour of data a minute. Above 1 with --duration, "
            "the simulated clock starts early enough to reach the present when the run ends.",
        ),
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated values (the same seed, the same data).")] = 0,
    start: Annotated[datetime | None, typer.Option(help="Simulated start, local time (default: see --speed).")] = None,
    realtime_interval: Annotated[
        int, typer.Option(min=0, help="Seconds between real-time (2011) packets; 0 sends none.")
    ] = 30,
    ack_timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds to wait for the 9014 before re-sending (OverTime).")
    ] = 10.0,
    retries: Annotated[int, typer.Option(min=0, help="Re-sends before giving a packet up (ReCount).")] = 3,
) -> None:
    """Run virtual HJ 212 data loggers of the registered devices against a receiver.

    Air stations replay the real Beijing hourly data; flue-gas and wastewater outlets send plausible values.

    Real-time, minute, hourly and daily packets, each re-sent until acknowledged; a summary line at the end.
    """
    import asyncio
    import signal

    from ecoloop.demo.simulator import SimConfig, devices_from_db, run_simulation

    settings = _settings()
    target_port = port if port is not None else settings.hj212_port
    if target_port == 0:
        console.print("[red]give the receiver's port with --port (ECOLOOP_HJ212_PORT is 0)[/red]")
        raise typer.Exit(2)
    found = devices_from_db(settings.database_url, devices)
    if not found:
        console.print(
            "[red]no active devices at air stations or source outlets: run `ecoloop demo` or `ecoloop device add`[/red]"
        )
        raise typer.Exit(1)
    if len(found) < devices:
        console.print(
            f"only {len(found)} active devices with a simulated site kind; running {len(found)}, not {devices}"
        )
    config = SimConfig(
        start=start.replace(tzinfo=settings.tz) if start else None,
        speed=speed,
        rate=rate,
        realtime_seconds=realtime_interval,
        seed=seed,
        duration=duration,
        ack_timeout=ack_timeout,
        retries=retries,
        tz=settings.tz,
    )
    if speed > 1 and start is None and duration is None:
        console.print(
            "the simulated clock starts now and runs ahead: give --duration or --start to keep data in the past "
            "(the receiver refuses data dated more than ECOLOOP_READINGS_MAX_AHEAD_MINUTES ahead of its clock)"
        )
    target = f"{host or settings.hj212_host}:{target_port}"
    console.print(f"simulating {len(found)} data loggers against {target} at {speed:g}x (Ctrl-C stops)")

    async def simulate() -> str:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, stop.set)
        stats = await run_simulation(found, host or settings.hj212_host, target_port, config, stop=stop)
        return stats.summary()

    typer.echo(asyncio.run(simulate()))


def main() -> None:
    """Entry point of the `ecoloop` console script."""
    app()
