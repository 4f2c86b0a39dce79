"""Region boundaries from a GeoJSON file: `ecoloop import boundaries FILE.geojson` (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoloop.cli.base import console, import_app, import_as
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
    register_locator("sites", locate_sites)
    with path.open("rb") as file:
        data = file.read(MAX_BOUNDARIES_BYTES + 1)
    report = import_as(username, lambda session, principal, _settings: import_boundaries(session, principal, data))
    console.print(
        f"boundaries: {report.added} added, {report.replaced} replaced, {report.unchanged} unchanged; "
        f"{report.relocated} sites placed in another region"
    )
