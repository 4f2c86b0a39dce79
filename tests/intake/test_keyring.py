"""The keys of complainants' identity: authenticated encryption bound to the record and field, the key id that
rotation follows, the keyed phone digest, and the key file (created 0600 by one process, refused when others may
read it, replaced atomically, read again after a rotation)."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

import pytest

from ecoloop.intake import keyring
from ecoloop.intake.keyring import Keyring, KeyringError

PHONE = "13812345678"
CONTEXT = "complaints.phone:2026-7K3Q9M2X"


def test_a_value_decrypts_only_for_its_record_and_field() -> None:
    ring = keyring.new_keyring()
    token = ring.encrypt(PHONE, CONTEXT)

    assert token.startswith("k1:") and PHONE not in token
    assert ring.key_of(token) == "k1"
    assert ring.decrypt(token, CONTEXT) == PHONE
    assert ring.encrypt(PHONE, CONTEXT) != token  # a fresh nonce each time: equal phones do not show as equal
    for other in ("complaints.phone:2026-7K3Q9M2Y", "complaints.name:2026-7K3Q9M2X", ""):
        with pytest.raises(KeyringError, match="does not decrypt"):
            ring.decrypt(token, other)
    assert ring.encrypt("", CONTEXT) == "" and ring.decrypt("", CONTEXT) == ""


def test_a_tampered_value_or_a_lost_key_is_refused() -> None:
    ring = keyring.new_keyring()
    token = ring.encrypt("张三", CONTEXT)
    kid, _, body = token.partition(":")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(KeyringError):
        ring.decrypt(f"{kid}:{flipped}", CONTEXT)
    with pytest.raises(KeyringError, match="no key 'k7'"):
        ring.decrypt(f"k7:{body}", CONTEXT)
    with pytest.raises(KeyringError):
        keyring.new_keyring().decrypt(token, CONTEXT)  # another installation's keys


def test_rotation_adds_a_current_key_and_keeps_the_old_and_the_digest_key() -> None:
    first = keyring.new_keyring()
    old = first.encrypt(PHONE, CONTEXT)
    second = first.rotated()
    third = second.rotated()

    assert (second.current, third.current) == ("k2", "k3")
    assert set(third.keys) == {"k1", "k2", "k3"}
    assert third.key_of(third.encrypt(PHONE, CONTEXT)) == "k3"
    assert third.decrypt(old, CONTEXT) == PHONE
    assert third.index_key == first.index_key
    assert third.digest("phone", PHONE) == first.digest("phone", PHONE)
    # A removed key leaves a gap; the next id does not reuse a kept one.
    gap = Keyring({"k1": first.keys["k1"], "k3": third.keys["k3"]}, "k3", first.index_key)
    assert gap.rotated().current not in gap.keys


def test_the_phone_digest_is_keyed() -> None:
    ring, other = keyring.new_keyring(), keyring.new_keyring()
    assert ring.digest("phone", PHONE) == ring.digest("phone", PHONE)
    assert len(ring.digest("phone", PHONE)) == 64
    assert ring.digest("phone", PHONE) != other.digest("phone", PHONE)  # no key, no dictionary of phones
    assert ring.digest("phone", PHONE) != ring.digest("name", PHONE)  # the purpose separates the uses
    assert PHONE not in ring.digest("phone", PHONE)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"current": "k1", "keys": {}}',
        '{"current": "k2", "keys": {"k1": "AAAA"}, "index": "AAAA"}',
        json.dumps({"current": "k1", "keys": {"k1": "AAAA"}, "index": "A" * 43}),  # a 3-byte key
    ],
)
def test_a_file_that_is_not_a_keyring_is_refused(text: str) -> None:
    with pytest.raises(KeyringError):
        keyring.parse(text)


def test_the_key_file_is_created_for_its_owner_alone_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "pii_keys.json"
    ring = keyring.load(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyring.load(path) == ring
    assert keyring.parse(ring.to_json()) == ring
    keyring.write(path, ring.rotated())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keyring.load(path).current == "k2"
    assert sorted(p.name for p in path.parent.iterdir()) == ["pii_keys.json"]  # no partial file left


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "pii_keys.json"
    keyring.load(path)
    path.chmod(mode)
    with pytest.raises(KeyringError, match=f"mode {mode:o}"):
        keyring.load(path)


def test_the_cached_keyring_follows_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "pii_keys.json"
    first = keyring.keyring(path)
    assert keyring.keyring(path) is first  # read once per process
    keyring.write(path, first.rotated())
    assert keyring.keyring(path).current == "k2"


def _load_current(path: str, results: multiprocessing.Queue[str]) -> None:
    results.put(keyring.load(Path(path)).to_json())


def test_processes_starting_at_once_share_one_key_file(tmp_path: Path) -> None:
    """Web workers starting together on a new installation: one creates the file, the others read its keys."""
    path = tmp_path / "pii_keys.json"
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[str] = context.Queue()
    workers = [context.Process(target=_load_current, args=(str(path), results)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [worker.exitcode for worker in workers] == [0] * 6
    seen = {results.get(timeout=5) for _ in workers}
    assert seen == {path.read_text()}
