"""The `ecoloop` command and its groups; each group's commands are in a module of this package."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import typer
from rich.console import Console

from ecoloop.settings import ImproperlyConfiguredError, Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ecoloop.access.principal import Principal

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
report_app = typer.Typer(help="Briefs: generate one as a new version (Word and Excel).", no_args_is_help=True)
app.add_typer(report_app, name="report")
alerts_app = typer.Typer(help="Alerts: the rule engine.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
results_app = typer.Typer(help="Results: AQI, water classes, noise levels, source compliance.", no_args_is_help=True)
app.add_typer(results_app, name="results")
console = Console(soft_wrap=True)
MAX_PASSWORD_FILE = 4096  # bytes: a password file holds one line


def cli_settings() -> Settings:
    """The settings from the environment, or exit with the offending variable named."""
    try:
        return load_settings()
    except ImproperlyConfiguredError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def read_password(given: str | None, prompt: str = "Password: ") -> str:
    """`given`, or a password asked for twice on the terminal (exit when the two differ)."""
    if given:
        return given
    first = getpass.getpass(prompt)
    if first != getpass.getpass("Again: "):
        console.print("[red]the passwords differ[/red]")
        raise typer.Exit(1)
    return first


def password_from_file(path: Path) -> str:
    """The first line of a password file (exit when it cannot be read or is longer than a password file is)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PASSWORD_FILE + 1)
    except OSError as exc:
        console.print(f"[red]cannot read the password file {path}: {exc.strerror}[/red]")
        raise typer.Exit(1) from exc
    if len(data) > MAX_PASSWORD_FILE:
        console.print(f"[red]the password file {path} is longer than {MAX_PASSWORD_FILE} bytes[/red]")
        raise typer.Exit(1)
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[0] if lines else ""


class _Problem(Protocol):
    def describe(self) -> str: ...


class _Report(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def problems(self) -> Sequence[_Problem]: ...


R = TypeVar("R", bound=_Report)


def import_as(username: str, run: Callable[[Session, Principal, Settings], R]) -> R:
    """Run an import as the user `username` (their role and area apply, the audit trail names them) in the
    deployment's language: commit when its report is ok, else roll back, print every problem and exit 1."""
    from sqlalchemy import select

    from ecoloop.audit.service import Actor, set_actor
    from ecoloop.db.engine import make_engine, make_session_factory
    from ecoloop.i18n import use_locale
    from ecoloop.identity.models import User
    from ecoloop.identity.service import principal_for

    settings = cli_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session, use_locale(settings.default_locale):
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                console.print(f"[red]no user {username!r}[/red]")
                raise typer.Exit(1)
            set_actor(session, Actor(label=f"cli:import:{username}", user_id=user.id))
            report = run(session, principal_for(user, session), settings)
            if not report.ok:
                session.rollback()
                for problem in report.problems:
                    console.print(problem.describe(), markup=False)
                console.print(f"[red]{len(report.problems)} problems: nothing imported[/red]")
                raise typer.Exit(1)
            session.commit()
    finally:
        engine.dispose()
    return report
