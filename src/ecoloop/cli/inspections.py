"""Random checks: `ecoloop inspections verify DRAW_ID` re-runs a draw from its stored snapshots and seed and checks
every hash of its record and its place in the chain (docs/draws.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from ecoloop.cli.base import app, cli_settings

inspections_app = typer.Typer(help="Enforcement: random checks (双随机) and their verification.", no_args_is_help=True)
app.add_typer(inspections_app, name="inspections")


@inspections_app.command("verify")
def verify(draw_id: Annotated[int, typer.Argument(help="The draw's record number (its id).", min=1)]) -> None:
    """Re-run a draw from its stored pool snapshots, seed and rules and check every hash: exit 0 when all of it
    matches, 1 with the reasons when not, 2 when there is no such draw."""
    from ecoloop.db.engine import make_engine, make_session_factory
    from ecoloop.draws.verification import verify as verify_draw
    from ecoloop.i18n import gettext, use_locale

    settings = cli_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session, use_locale(settings.default_locale):
            found = verify_draw(session, draw_id)
            if found is None:
                typer.echo(gettext("No draw has this record number."), err=True)
                raise typer.Exit(2)
            for line in found.passed:
                typer.echo(f"✓ {line}")
            for line in found.problems:
                typer.echo(f"✗ {line}")
            if found.ok:
                typer.echo(
                    gettext("Draw %(number)s matches: it is reproduced byte for byte.") % {"number": found.number}
                )
                return
            typer.echo(gettext("Draw %(number)s does NOT match.") % {"number": found.number})
            raise typer.Exit(1)
    finally:
        engine.dispose()
