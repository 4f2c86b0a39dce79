"""Setting up a real city: `ecoloop init` (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cli.base import app, cli_settings, console, password_from_file, read_password
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.db.migrate import upgrade as upgrade_database
from ecoloop.identity.service import ERROR_TEXT, IdentityError, initialise
from ecoloop.regions.rules import RegionCodeError


def _admin_password(path: Path | None) -> str:
    """The administrator's password: the first line of `path`, or asked for twice on the terminal."""
    if path is None:
        return read_password(None, "Administrator's password: ")
    return password_from_file(path)


@app.command()
def init(
    city_code: Annotated[str, typer.Option(prompt=True, help="The city's GB/T 2260 code (PPCC00, e.g. 410700).")],
    city_name: Annotated[str, typer.Option(prompt=True, help="The city's name (e.g. 新乡市).")],
    bureau: Annotated[str, typer.Option(prompt=True, help="The bureau's name (e.g. 新乡市生态环境局).")],
    admin: Annotated[str, typer.Option(help="Username of the first administrator.")] = "admin",
    admin_name: Annotated[str, typer.Option(help="Display name of the administrator.")] = "",
    admin_password_file: Annotated[
        Path | None, typer.Option(help="A file whose first line is the administrator's password (asked when omitted).")
    ] = None,
    bureau_code: Annotated[str, typer.Option(help="The bureau's code in ecoloop.")] = "bureau",
) -> None:
    """Set up ecoloop for your own bureau on an empty database: migrate it, then create the city, the bureau and
    the first administrator. Refused when the database already holds a city (the demo's included)."""
    settings = cli_settings()
    password = _admin_password(admin_password_file)
    upgrade_database(settings.database_url, "head", settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            set_actor(session, Actor(label="cli"))
            try:
                made = initialise(
                    session,
                    city_code=city_code,
                    city_name=city_name,
                    bureau_code=bureau_code,
                    bureau_name=bureau,
                    admin_username=admin,
                    admin_display_name=admin_name or admin,
                    admin_password=password,
                )
            except IdentityError as exc:
                console.print(f"[red]{ERROR_TEXT[exc.code]}[/red]")
                raise typer.Exit(1) from exc
            except RegionCodeError as exc:
                console.print(f"[red]city code: {exc}[/red]")
                raise typer.Exit(1) from exc
            session.commit()
            console.print(
                f"{made.city.name} ({made.city.code}), {made.bureau.name} and the administrator "
                f"{made.admin.username} are set up.\n"
                f"Next: `ecoloop serve`, sign in at http://{settings.host}:{settings.port}/login as "
                f"{made.admin.username}, then add the counties, branches, users, sites and devices."
            )
    finally:
        engine.dispose()
