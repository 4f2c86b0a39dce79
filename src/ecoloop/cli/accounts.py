"""User accounts: `ecoloop user add|passwd`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cli.base import (
    cli_settings,
    console,
    read_password,
    user_app,
)
from ecoloop.db.base import utcnow
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import ERROR_TEXT, IdentityError, create_user, set_password


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
    settings = cli_settings()
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
                password=read_password(password),
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
