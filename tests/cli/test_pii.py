"""`ecoloop pii status|rotate|rewrap`: a rotation gives new values a new key while old ones still decrypt, a rewrap
leaves nothing under the old key, a value moved to another complaint never decrypts, and the key file is the
owner's alone."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecoloop.audit.service import Actor, set_actor
from ecoloop.cli import app
from ecoloop.cli.pii import Rewrapped, context, counts, rewrap_batch
from ecoloop.db.engine import make_engine
from ecoloop.intake import keyring
from ecoloop.intake.enums import Channel, Topic
from ecoloop.intake.models import Complaint
from ecoloop.regions.models import Region
from tests.factories import World, build_world

runner = CliRunner()
PHONE = "13812345678"


@pytest.fixture
def city(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database with the test city, the environment pointing the CLI at it, no key file yet."""
    shutil.copy(sqlite_template, tmp_path / "e.sqlite")
    url = f"sqlite:///{tmp_path / 'e.sqlite'}"
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", url)
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", f"duckdb:///{tmp_path / 'a.duckdb'}")
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ECOLOOP_PII_KEYS_FILE", raising=False)
    engine = make_engine(url)
    with Session(engine) as session:
        build_world(session)
        session.commit()
    yield engine
    engine.dispose()


def add_complaints(engine: Engine, ring: keyring.Keyring, tickets: list[str]) -> None:
    """Complaints whose name, phone and original text are encrypted under the ring's current key, as intake does."""
    with Session(engine) as session:
        set_actor(session, Actor(label="test"))
        town = session.scalars(select(Region).where(Region.parent_id.is_not(None))).first()
        assert town is not None
        for ticket in tickets:
            session.add(
                Complaint(
                    ticket=ticket,
                    channel=Channel.WEB,
                    topic=Topic.SMOKE,
                    category=Topic.SMOKE.category,
                    description="烟囱冒黑烟，电话138****5678",
                    description_enc=ring.encrypt(f"烟囱冒黑烟，电话{PHONE}", context("description", ticket)),
                    region_id=town.id,
                    anonymous=False,
                    name_enc=ring.encrypt("张三", context("name", ticket)),
                    phone_enc=ring.encrypt(PHONE, context("phone", ticket)),
                    accept_due=date(2026, 12, 28),
                )
            )
        session.commit()


def stored(engine: Engine, ticket: str) -> Complaint:
    with Session(engine) as session:
        found = session.scalars(select(Complaint).where(Complaint.ticket == ticket)).one()
        session.expunge(found)
        return found


def test_rotate_then_rewrap_moves_every_value_to_the_new_key(city: Engine, tmp_path: Path) -> None:
    path = tmp_path / "pii_keys.json"
    first = keyring.load(path)
    add_complaints(city, first, ["2026-AAAA0001", "2026-AAAA0002", "2026-AAAA0003"])

    status = runner.invoke(app, ["pii", "status"])
    assert status.exit_code == 0, status.output
    assert "k1 (current)\tname 3\tphone 3\tdescription 3" in status.output

    rotated = runner.invoke(app, ["pii", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    second = keyring.load(path)
    assert (second.current, set(second.keys)) == ("k2", {"k1", "k2"})
    assert second.index_key == first.index_key  # the phone digests stay valid
    # New values use the new key; the old ones still decrypt.
    add_complaints(city, second, ["2026-BBBB0001"])
    assert second.key_of(stored(city, "2026-BBBB0001").phone_enc) == "k2"
    old = stored(city, "2026-AAAA0001")
    assert second.key_of(old.phone_enc) == "k1"
    assert second.decrypt(old.phone_enc, context("phone", "2026-AAAA0001")) == PHONE

    rewrapped = runner.invoke(app, ["pii", "rewrap", "--batch", "2"])
    assert rewrapped.exit_code == 0, rewrapped.output
    assert "re-encrypted 9 values under k2" in rewrapped.output
    assert PHONE not in rewrapped.output and "张三" not in rewrapped.output

    with Session(city) as session:
        assert counts(session) == {"name": {"k2": 4}, "phone": {"k2": 4}, "description": {"k2": 4}}
    status = runner.invoke(app, ["pii", "status"])
    assert "k1\tname 0\tphone 0\tdescription 0" in status.output
    assert "k2 (current)\tname 4\tphone 4\tdescription 4" in status.output
    # Every value still reads as it was written, for its own record.
    for ticket in ("2026-AAAA0001", "2026-AAAA0002", "2026-AAAA0003", "2026-BBBB0001"):
        complaint = stored(city, ticket)
        assert second.decrypt(complaint.name_enc, context("name", ticket)) == "张三"
        assert second.decrypt(complaint.phone_enc, context("phone", ticket)) == PHONE
        assert PHONE in second.decrypt(complaint.description_enc, context("description", ticket))
    # Once nothing is under k1, a keyring without it reads everything.
    without_old = keyring.Keyring({"k2": second.keys["k2"]}, "k2", second.index_key)
    assert without_old.decrypt(stored(city, "2026-AAAA0002").phone_enc, context("phone", "2026-AAAA0002")) == PHONE
    again = runner.invoke(app, ["pii", "rewrap"])
    assert "re-encrypted 0 values" in again.output


def test_a_value_moved_to_another_complaint_does_not_decrypt(city: Engine, tmp_path: Path) -> None:
    ring = keyring.load(tmp_path / "pii_keys.json")
    add_complaints(city, ring, ["2026-CCCC0001", "2026-CCCC0002"])
    copied = stored(city, "2026-CCCC0001").phone_enc
    with Session(city) as session:
        session.execute(update(Complaint).where(Complaint.ticket == "2026-CCCC0002").values(phone_enc=copied))
        session.commit()

    with pytest.raises(keyring.KeyringError):
        ring.decrypt(copied, context("phone", "2026-CCCC0002"))
    with pytest.raises(keyring.KeyringError):
        ring.decrypt(copied, context("name", "2026-CCCC0001"))  # nor as another field of its own record
    assert ring.decrypt(copied, context("phone", "2026-CCCC0001")) == PHONE

    assert runner.invoke(app, ["pii", "rotate"]).exit_code == 0
    rewrapped = runner.invoke(app, ["pii", "rewrap"])
    assert rewrapped.exit_code == 1
    assert "does not decrypt for its record: 2026-CCCC0002 phone" in rewrapped.output
    assert "re-encrypted 5 values under k2" in rewrapped.output  # all but the moved one
    assert keyring.load(tmp_path / "pii_keys.json").key_of(stored(city, "2026-CCCC0002").phone_enc) == "k1"


def test_the_key_file_is_the_owners_alone(city: Engine, tmp_path: Path) -> None:
    path = tmp_path / "pii_keys.json"
    assert runner.invoke(app, ["pii", "status"]).exit_code == 0  # created on first use
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert runner.invoke(app, ["pii", "rotate"]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the rotated file too
    assert [p.name for p in tmp_path.iterdir() if "pii_keys" in p.name] == ["pii_keys.json"]  # no partial file

    path.chmod(0o644)
    for command in (["pii", "status"], ["pii", "rotate"], ["pii", "rewrap"]):
        refused = runner.invoke(app, command)
        assert refused.exit_code == 1, command
        assert "may be read by others (mode 644)" in refused.output
    with pytest.raises(keyring.KeyringError):
        keyring.load(path)


def test_status_names_a_key_id_missing_from_the_key_file(city: Engine, tmp_path: Path) -> None:
    lost = keyring.Keyring({"k9": b"\x01" * 32}, "k9", b"\x02" * 32)
    add_complaints(city, lost, ["2026-DDDD0001"])
    keyring.load(tmp_path / "pii_keys.json")

    status = runner.invoke(app, ["pii", "status"])

    assert status.exit_code == 1
    assert "k9 (NOT IN THE KEY FILE)\tname 1\tphone 1\tdescription 1" in status.output


def test_counting_and_rewrapping_work_on_both_databases(db: Session, world: World) -> None:
    first = keyring.new_keyring()
    for n in range(3):
        ticket = f"2026-EEEE000{n}"
        db.add(
            Complaint(
                ticket=ticket,
                channel=Channel.HOTLINE,
                topic=Topic.DUST,
                category=Topic.DUST.category,
                description="工地扬尘",
                description_enc="" if n == 0 else first.encrypt("工地扬尘", context("description", ticket)),
                region_id=world.town_a.id,
                phone_enc=first.encrypt(PHONE, context("phone", ticket)),
                accept_due=date(2026, 12, 28),
            )
        )
    db.flush()
    assert counts(db) == {"name": {}, "phone": {"k1": 3}, "description": {"k1": 2}}

    second = first.rotated()
    done = Rewrapped()
    assert rewrap_batch(db, second, 0, 2, done) is not None
    assert counts(db) == {"name": {}, "phone": {"k1": 1, "k2": 2}, "description": {"k1": 1, "k2": 1}}
    last = rewrap_batch(db, second, 0, 2, done)  # the stale ones left: only the third
    assert rewrap_batch(db, second, last or 0, 2, done) is None
    assert counts(db) == {"name": {}, "phone": {"k2": 3}, "description": {"k2": 2}}
    assert (done.values, done.changed_meanwhile, done.failed) == (5, 0, [])
