"""Stored readings and history files: `ecoloop import csv|enterprises`, `ecoloop data compact|clean|export`,
`ecoloop data compact-electricity`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer
from sqlalchemy import select

from ecoloop.cli.base import (
    cli_settings,
    console,
    data_app,
    import_app,
    import_as,
)
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.ingest.files import ImportReport
from ecoloop.monitoring.service import device_by_mn
from ecoloop.settings import Settings


def site_ids(settings: Settings) -> dict[str, int]:
    """Site code → id of every site."""
    from ecoloop.monitoring.models import Site

    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        ids = {code: site_id for code, site_id in session.execute(select(Site.code, Site.id))}
    engine.dispose()
    return ids


def shift_to_present(settings: Settings, path: Path, now: datetime | None = None) -> int:
    """The whole years that bring a Beijing history file's last hour to or past `now` (default: the clock)."""
    from datetime import UTC

    from ecoloop.ingest.files import beijing_last_hour, years_to_present

    local = (now or datetime.now(UTC)).astimezone(settings.tz).replace(tzinfo=None)
    return years_to_present(beijing_last_hour(path), local)


def import_history(
    settings: Settings,
    path: Path,
    file_format: str,
    *,
    shift_years: int = 0,
    until: datetime | None = None,
    derive: Callable[[pa.Table], pa.Table] | None = None,
    since: datetime | None = None,
) -> ImportReport:
    """Convert a history file into readings and merge them into the Parquet store (CLI and demo); a value other
    than one stored before under its key does not replace it and is kept as a conflict in the hot store. With
    `shift_years`, every hour is dated that many years later; hours ending after `until` are skipped. `derive`
    makes further readings from the file's, stored with them (the demo's replaying stations); with `since`, hours
    before it are left out (a shorter demo history)."""
    from ecoloop.ingest.files import read_beijing
    from ecoloop.readings.parquet import merge_into_parquet
    from ecoloop.readings.store import open_hot_store, time_window
    from ecoloop.readings.vocabulary import ConflictRow

    if file_format != "beijing":
        raise typer.BadParameter(f"unknown format {file_format!r}; known: beijing")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    report = ImportReport()
    with console.status(f"reading {path.name} …"):
        table = read_beijing(
            path,
            site_ids(settings),
            settings.tz,
            report,
            window=time_window(settings),
            shift_years=shift_years,
            until=until,
        )
        if since is not None:  # the demo's shorter history: the hours from `since` on
            kept = table.filter(pc.greater_equal(table["time"], pa.scalar(since, table.schema.field("time").type)))
            report.readings -= table.num_rows - kept.num_rows
            table = kept
        if derive is not None:
            derived = derive(table)
            report.readings += derived.num_rows
            table = pa.concat_tables([table, derived])
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


@import_app.command("csv")
def import_csv(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (or the committed Parquet) file.")],
    file_format: Annotated[str, typer.Option("--format", help="File format: beijing.")] = "beijing",
    to_present: Annotated[
        bool,
        typer.Option(
            "--to-present",
            help="Date the data whole years later, so that its last twelve months end now; later hours are skipped.",
        ),
    ] = False,
) -> None:
    """Import a history file, with its real dates unless --to-present; rows that cannot be read are counted and
    reported, the others stored."""
    from datetime import UTC

    settings = cli_settings()
    try:
        shift = shift_to_present(settings, path) if to_present else 0
        until = datetime.now(UTC) if to_present else None
        report = import_history(settings, path, file_format, shift_years=shift, until=until)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if shift:
        console.print(f"dated {shift} years later")
    console.print(
        f"{report.rows:,} rows read, {report.readings:,} readings stored, {report.skipped:,} rows skipped, "
        f"{report.errors:,} problems"
    )
    for example in report.examples:
        console.print(f"  {example}")


@import_app.command("enterprises")
def import_enterprises(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Excel workbook (.xlsx).")],
    username: Annotated[str, typer.Option("--as", help="Import as this user (their role and area apply).")] = "admin",
) -> None:
    """Import enterprises, permits, list memberships and grades from a workbook: all rows or none."""
    from ecoloop.enterprises.imports import import_workbook

    data = path.read_bytes()
    report = import_as(username, lambda session, principal, _settings: import_workbook(session, principal, data))
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

    settings = cli_settings()
    now = datetime.now(UTC)
    store = open_hot_store(settings)
    moved = compact(
        store, settings.parquet_root, now - timedelta(seconds=older_than), window=time_window(settings), now=now
    )
    store.close()
    console.print(f"{moved:,} readings moved to {settings.parquet_root}")


@data_app.command("compact-electricity")
def data_compact_electricity() -> None:
    """Move the electricity readings of the closed (UTC) days from the SQL table into their Parquet partitions, as
    the scheduler's `compact-electricity` job does every hour (safe to run at any time)."""
    from datetime import UTC

    from ecoloop.electricity.archive import compact, root_of

    settings = cli_settings()
    with make_session_factory(make_engine(settings.database_url)).begin() as session:
        moved = compact(session, root_of(settings), datetime.now(UTC))
    console.print(f"{moved:,} electricity readings moved to {root_of(settings)}")


@data_app.command("clean")
def data_clean() -> None:
    """Set aside stored readings dated outside the plausible window, or with an infinite value, from the hot store
    and every Parquet partition into the packet archive (rejected, with the reason): nothing is deleted."""
    from datetime import UTC

    from ecoloop.readings.parquet import set_aside
    from ecoloop.readings.store import open_hot_store, time_window

    settings = cli_settings()
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

    settings = cli_settings()
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
