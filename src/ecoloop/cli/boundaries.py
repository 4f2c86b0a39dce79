"""Region boundaries from a GeoJSON file: `ecoloop import boundaries FILE.geojson` (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cli.base import cli_settings, console, import_app
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.identity.models import User
from ecoloop.monitoring.location import locate_sites
from ecoloop.regions.boundaries import MAX_BOUNDARIES_BYTES, import_boundaries
from ecoloop.regions.service import register_locator


@import_app.command("boundaries")
def import_boundaries_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection file.")],
    username: Annotated[str, typer.Option("--as", help="Import as this user (their area applies).")] = "admin",
) -> None:
    """Import region boundaries (one feature per region, its code in the property code, adcode or 区划代码): all
    of them or none; then place every monitoring site in the deepest region whose boundary holds it."""
    from ecoloop.i18n import use_locale
    from ecoloop.identity.service import principal_for

    register_locator("sites", locate_sites)
    settings = cli_settings()
    engine = make_engine(settings.database_url)
    with path.open("rb") as file:
        data = file.read(MAX_BOUNDARIES_BYTES + 1)
    with make_session_factory(engine)() as session, use_locale(settings.default_locale):
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            console.print(f"[red]no user {username!r}[/red]")
            raise typer.Exit(1)
        set_actor(session, Actor(label=f"cli:import:{username}", user_id=user.id))
        report = import_boundaries(session, principal_for(user, session), data)
        if not report.ok:
            session.rollback()
            for problem in report.problems:
                console.print(problem.describe(), markup=False)
            console.print(f"[red]{len(report.problems)} problems: nothing imported[/red]")
            raise typer.Exit(1)
        session.commit()
    engine.dispose()
    console.print(
        f"boundaries: {report.added} added, {report.replaced} replaced, {report.unchanged} unchanged; "
        f"{report.relocated} sites placed in another region"
    )
