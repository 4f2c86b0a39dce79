"""Sites and data loggers: `ecoloop device add|list`, `ecoloop hj212 serve`, `ecoloop simulate hj212`."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy import select

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cli.base import (
    cli_settings,
    console,
    device_app,
    hj212_app,
    simulate_app,
)
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.monitoring.enums import CrcMode, SiteKind
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.service import MonitoringError, add_device, add_site, device_by_mn, site_by_name
from ecoloop.regions.models import Region


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
    settings = cli_settings()
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
                    console.print("[red]no such region: `ecoloop init` the city, then add its regions[/red]")
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
    settings = cli_settings()
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

    settings = cli_settings()
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

    settings = cli_settings()
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
