"""User accounts: `ecoloop user add|link|passwd`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cli.base import (
    cli_settings,
    console,
    password_from_file,
    read_password,
    user_app,
)
from ecoloop.db.base import utcnow
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.routes import password_link_address
from ecoloop.identity.service import ERROR_TEXT, IdentityError, create_user, issue_password_link, set_password
from ecoloop.settings import Settings

BaseUrl = Annotated[
    str | None,
    typer.Option(
        help="The address users reach ecoloop at, for the link (default: ECOLOOP_PUBLIC_URL, else http://HOST:PORT)."
    ),
]


def link_base_url(settings: Settings, given: str | None = None) -> str:
    """Where the command line's set-password links point: `--base-url`, else PUBLIC_URL, else http://HOST:PORT."""
    return given or settings.public_url or f"http://{settings.host}:{settings.port}"


def _print_link(session: Session, settings: Settings, user: User, base_url: str | None) -> None:
    """Issue a one-time set-password link for `user` and print it (it is shown this once)."""
    raw = issue_password_link(session, user, lifetime=settings.password_link_lifetime)
    session.commit()
    console.print(
        f"one-time set-password link for {user.username} (valid {settings.password_link_hours} h, works once):\n"
        f"{password_link_address(link_base_url(settings, base_url), raw)}",
        soft_wrap=True,
    )


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="Role of the user.")],
    organisation: Annotated[str | None, typer.Option(help="Code of the user's organisation.")] = None,
    enterprise_id: Annotated[int | None, typer.Option(help="Enterprise of an enterprise user.")] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[str | None, typer.Option(help="Password (else a one-time link is printed).")] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="A file whose first line is the password (else a one-time link is printed).")
    ] = None,
    base_url: BaseUrl = None,
) -> None:
    """Add a user account; without a password, print a one-time link with which the user chooses it."""
    settings = cli_settings()
    if password_file is not None:
        password = password_from_file(password_file)
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
            user = create_user(
                session,
                username=username,
                display_name=name or username,
                password=password or None,
                role=role,
                organisation_id=org_id,
                enterprise_id=enterprise_id,
            )
        except IdentityError as exc:
            console.print(f"[red]{ERROR_TEXT[exc.code]}[/red]")
            raise typer.Exit(1) from exc
        session.commit()
        console.print(f"user {user.username} added")
        if not password:
            _print_link(session, settings, user, base_url)
    engine.dispose()


@user_app.command("link")
def user_link(username: str, base_url: BaseUrl = None) -> None:
    """Print a new one-time set-password link for a user (their earlier unused links stop working; their password
    works until the link is used)."""
    settings = cli_settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        set_actor(session, Actor(label="cli"))
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            console.print(f"[red]no user {username}[/red]")
            raise typer.Exit(1)
        try:
            _print_link(session, settings, user, base_url)
        except IdentityError as exc:
            console.print(f"[red]{ERROR_TEXT[exc.code]}[/red]")
            raise typer.Exit(1) from exc
    engine.dispose()


@user_app.command("passwd")
def user_passwd(
    username: str, password: Annotated[str | None, typer.Option(help="New password (asked for when omitted).")] = None
) -> None:
    """Set a user's password (signs them out everywhere)."""
    settings = cli_settings()
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        set_actor(session, Actor(label="cli"))
        user = session.scalar(select(User).where(User.username == username.lower()))
        if user is None:
            console.print(f"[red]no user {username}[/red]")
            raise typer.Exit(1)
        try:
            set_password(session, user, read_password(password), utcnow())
        except IdentityError as exc:
            console.print(f"[red]{ERROR_TEXT[exc.code]}[/red]")
            raise typer.Exit(1) from exc
        session.commit()
    console.print(f"password of {username} changed")
