"""The registries from Excel: `ecoloop import regions|organisations|users|sites|devices FILE.xlsx`, each all rows
or none with every problem named by row and column, and `ecoloop import template KIND FILE.xlsx` for the layout
(issue 15). The same imports are on the registry pages."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ecoloop.cli.base import cli_settings, console, import_app, import_as
from ecoloop.web.imports import Importer

WORKBOOK = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Excel workbook (.xlsx).")]
AS_USER = Annotated[str, typer.Option("--as", help="Import as this user (their role and area apply).")]


class Kind(StrEnum):
    """The registries with an import."""

    REGIONS = "regions"
    ORGANISATIONS = "organisations"
    USERS = "users"
    SITES = "sites"
    DEVICES = "devices"


def _importer(kind: Kind) -> tuple[Importer, Callable[[], bytes]]:
    if kind is Kind.REGIONS:
        from ecoloop.regions import imports as regions

        return regions.import_regions, regions.template
    if kind is Kind.USERS:
        from ecoloop.identity import user_imports

        lifetime = cli_settings().password_link_lifetime
        return user_imports.importer_for(lifetime), user_imports.template
    if kind is Kind.ORGANISATIONS:
        from ecoloop.identity import org_imports

        return org_imports.import_organisations, org_imports.template
    if kind is Kind.SITES:
        from ecoloop import site_registry

        return site_registry.import_sites, site_registry.template
    if kind is Kind.DEVICES:
        from ecoloop.monitoring import device_imports

        return device_imports.import_devices, device_imports.template
    raise typer.BadParameter(f"no import for {kind}")


def _run(kind: Kind, path: Path, username: str, *, base_url: str | None = None) -> None:
    from ecoloop.web.limits import sheet_limits

    importer, _template = _importer(kind)
    data = path.read_bytes()
    report = import_as(
        username, lambda session, principal, settings: importer(session, principal, data, sheet_limits(settings))
    )
    settings = cli_settings()
    console.print(f"{kind}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged")
    if report.handover:
        from ecoloop.cli.accounts import link_base_url
        from ecoloop.identity.routes import password_link_address

        base = link_base_url(settings, base_url)
        console.print(f"one-time set-password links (valid {settings.password_link_hours} h, each works once):")
        for name, raw in report.handover:
            console.print(f"{name}\t{password_link_address(base, raw)}", markup=False, highlight=False)


@import_app.command("regions")
def import_regions(path: WORKBOOK, username: AS_USER = "admin") -> None:
    """Import counties, towns and villages from a workbook (sheet 区划): all rows or none."""
    _run(Kind.REGIONS, path, username)


@import_app.command("organisations")
def import_organisations(path: WORKBOOK, username: AS_USER = "admin") -> None:
    """Import branches and departments with their regions and duties (sheet 机构): all rows or none."""
    _run(Kind.ORGANISATIONS, path, username)


@import_app.command("users")
def import_users(
    path: WORKBOOK,
    username: AS_USER = "admin",
    base_url: Annotated[
        str | None,
        typer.Option(help="The address users reach ecoloop at (default: ECOLOOP_PUBLIC_URL, else HOST:PORT)."),
    ] = None,
) -> None:
    """Import user accounts (sheet 用户; never passwords): all rows or none; prints each new user's one-time
    set-password link, shown this once."""
    _run(Kind.USERS, path, username, base_url=base_url)


@import_app.command("sites")
def import_sites(path: WORKBOOK, username: AS_USER = "admin") -> None:
    """Import monitoring sites with their level, coordinates, targets and outlets (sheet 监测点位): all or none."""
    _run(Kind.SITES, path, username)


@import_app.command("devices")
def import_devices(path: WORKBOOK, username: AS_USER = "admin") -> None:
    """Import data loggers (MN, password, site, CRC, interval) from a workbook (sheet 数采仪): all rows or none."""
    _run(Kind.DEVICES, path, username)


@import_app.command("template")
def import_template(
    kind: Annotated[Kind, typer.Argument(help="Which registry.")],
    path: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write the .xlsx template.")],
) -> None:
    """Write a registry's import template (headers, example rows and a sheet of notes)."""
    from ecoloop.i18n import use_locale

    _importer_fn, template = _importer(kind)
    with use_locale(cli_settings().default_locale):
        path.write_bytes(template())
    console.print(f"template written to {path}")
