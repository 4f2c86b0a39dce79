"""The keys of complainants' identity: `ecoloop pii status|rotate|rewrap` (docs/security.md, "Complainant identity").

Rotation without downtime: `rotate` adds a key and makes it current (the web processes read the changed key file
on their next use of it; old keys keep decrypting), `rewrap` re-encrypts every value still under another key, in
batches of their own transactions, and `status` counts the values per key, so that an old key is removed from the
file only when nothing is left under it. No command prints a name, a phone or a text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from ecoloop.cli.base import app, cli_settings, console
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.intake import keyring
from ecoloop.intake.models import Complaint
from ecoloop.settings import Settings

pii_app = typer.Typer(help="Complainants' identity: the keys that encrypt it.", no_args_is_help=True)
app.add_typer(pii_app, name="pii")

# The encrypted columns of a complaint, by the field name in their associated data: `complaints.<field>:<ticket>`.
COLUMNS: dict[str, InstrumentedAttribute[str]] = {
    "name": Complaint.name_enc,
    "phone": Complaint.phone_enc,
    "description": Complaint.description_enc,
}


def context(column: str, ticket: str) -> str:
    """The associated data that binds a complaint's encrypted `column` to its row."""
    return f"complaints.{column}:{ticket}"


def _key_id(session: Session, column: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """The key id of a stored value (the text before its first colon), in the database's own words."""
    if session.get_bind().dialect.name == "postgresql":
        return func.split_part(column, ":", 1)
    return func.substr(column, 1, func.instr(column, ":") - 1)


def counts(session: Session) -> dict[str, Counter[str]]:
    """The number of encrypted values per key id, per column."""
    found: dict[str, Counter[str]] = {}
    for name, column in COLUMNS.items():
        kid = _key_id(session, column)
        rows = session.execute(select(kid, func.count()).where(column != "").group_by(kid)).all()
        found[name] = Counter({str(k): int(n) for k, n in rows})
    return found


def _ring(settings: Settings) -> keyring.Keyring:
    """The keyring of the key file (exit when it may be read by others or is no keyring)."""
    try:
        return keyring.load(settings.pii_keys_path)
    except keyring.KeyringError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@pii_app.command("status")
def status() -> None:
    """Count the encrypted names, phones and texts under each key (the current one marked)."""
    settings = cli_settings()
    ring = _ring(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            found = counts(session)
    finally:
        engine.dispose()
    typer.echo(f"key file: {settings.pii_keys_path}")
    unknown = False
    for kid in sorted(set(ring.keys) | {k for c in found.values() for k in c}):
        mark = " (current)" if kid == ring.current else "" if kid in ring.keys else " (NOT IN THE KEY FILE)"
        unknown = unknown or kid not in ring.keys
        values = "\t".join(f"{name} {found[name][kid]}" for name in COLUMNS)
        typer.echo(f"{kid}{mark}\t{values}")
    if unknown:
        raise typer.Exit(1)


@pii_app.command("rotate")
def rotate() -> None:
    """Add a new key and make it current: new values are encrypted under it, the old keys still decrypt. Then run
    `ecoloop pii rewrap`."""
    settings = cli_settings()
    ring = _ring(settings)
    rotated = ring.rotated()
    keyring.write(settings.pii_keys_path, rotated)
    typer.echo(f"current key: {rotated.current} (was {ring.current}); now run `ecoloop pii rewrap`")


@dataclass
class Rewrapped:
    """What a rewrap did: values re-encrypted, rows left because they changed meanwhile, values that failed."""

    values: int = 0
    changed_meanwhile: int = 0
    failed: list[str] = field(default_factory=list)  # "<ticket> <column>", never the value


def _stale(current: str) -> ColumnElement[bool]:
    """A complaint with a value under a key other than the current one."""
    prefix = f"{current}:"
    return or_(*(and_(column != "", ~column.startswith(prefix, autoescape=True)) for column in COLUMNS.values()))


def rewrap_batch(session: Session, ring: keyring.Keyring, after_id: int, size: int, done: Rewrapped) -> int | None:
    """Re-encrypt under the current key the values of the next `size` complaints after `after_id` that have one
    under another key; the last id looked at, or None when there was none. A row is written only if its values
    are still those read (the web app may have changed it meanwhile: the next run takes it)."""
    rows = session.execute(
        select(Complaint.id, Complaint.ticket, *COLUMNS.values())
        .where(Complaint.id > after_id, _stale(ring.current))
        .order_by(Complaint.id)
        .limit(size)
    ).all()
    for row in rows:
        complaint_id, ticket, *values = row
        changes: dict[str, Any] = {}
        for (name, column), token in zip(COLUMNS.items(), values, strict=True):
            if not token or ring.key_of(token) == ring.current:
                continue
            try:
                changes[column.key] = ring.encrypt(ring.decrypt(token, context(name, ticket)), context(name, ticket))
            except keyring.KeyringError:
                done.failed.append(f"{ticket} {name}")
        if not changes:
            continue
        unchanged = [getattr(Complaint, key) == value for key, value in zip(_keys(), values, strict=True)]
        written = session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id, *unchanged)
            .values(**changes, updated_at=Complaint.updated_at)  # the same values: not an edit of the complaint
            .execution_options(synchronize_session=False)
        )
        if getattr(written, "rowcount", 0) == 1:
            done.values += len(changes)
        else:
            done.changed_meanwhile += 1
    return int(rows[-1][0]) if rows else None


def _keys() -> list[str]:
    return [column.key for column in COLUMNS.values()]


@pii_app.command("rewrap")
def rewrap(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Complaints per transaction.")] = 500,
) -> None:
    """Re-encrypt every name, phone and text still under an old key with the current one, a batch per
    transaction (safe to interrupt and to run again; the web app keeps working)."""
    settings = cli_settings()
    ring = _ring(settings)
    engine = make_engine(settings.database_url)
    done = Rewrapped()
    try:
        sessions = make_session_factory(engine)
        after = 0
        while True:
            with sessions.begin() as session:
                last = rewrap_batch(session, ring, after, batch, done)
            if last is None:
                break
            after = last
    finally:
        engine.dispose()
    typer.echo(
        f"re-encrypted {done.values} values under {ring.current}; "
        f"{done.changed_meanwhile} complaints changed meanwhile (run again); {len(done.failed)} failed"
    )
    for failure in done.failed:
        console.print(f"[red]does not decrypt for its record: {failure}[/red]")
    if done.failed or done.changed_meanwhile:
        raise typer.Exit(1)
