"""The keys that protect a complainant's identity, and what they do: encrypt a name, a phone or an original text
(AES-256-GCM, authenticated), and digest a phone so that it can be counted and found without being stored.

A ciphertext is `<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`, bound by the associated data to the row and field
it belongs to (`context`: e.g. `complaints.phone:2026-7K3Q9M2X`): copied to another row, it no longer decrypts.
The key id says which key wrote it, so keys rotate without downtime (docs/security.md, "Complainant identity"):
1. `ecoloop pii rotate` adds a key and makes it current: new writes use it, old ids still decrypt;
2. `ecoloop pii rewrap` re-encrypts every value under the current key;
3. the old key is removed once `ecoloop pii status` counts no value under it.
The digest key (`index`) is not rotated: the digests of every stored phone would have to be recomputed.

The keys live in a file outside the database (Settings.pii_keys_path), created on first use with mode 0600; a file
others may read is refused. A database backup alone reveals no identity; the key file is backed up separately."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class KeyringError(RuntimeError):
    """The key file is missing a key, unreadable by its owner only, or malformed; or a value does not decrypt."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Keyring:
    """The encryption keys by id, the current one, and the digest key."""

    keys: dict[str, bytes]
    current: str
    index_key: bytes

    def encrypt(self, plain: str, context: str) -> str:
        """`plain` encrypted under the current key for `context`; the empty text stays empty."""
        if not plain:
            return ""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plain.encode(), context.encode())
        return f"{self.current}:{_b64(nonce + sealed)}"

    def decrypt(self, token: str, context: str) -> str:
        """The text of `token` written for `context` (KeyringError for another context, a lost key, tampering)."""
        if not token:
            return ""
        kid, _, body = token.partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise KeyringError(f"no key {kid!r} in the key file")
        raw = _unb64(body)
        try:
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag as exc:
            raise KeyringError("the value does not decrypt for this record") from exc

    def key_of(self, token: str) -> str:
        """The id of the key a value was encrypted under."""
        return token.partition(":")[0]

    def digest(self, purpose: str, value: str) -> str:
        """A keyed digest of `value` (HMAC-SHA-256): equal values give equal digests, which reveal nothing
        without the key (a phone number's 10¹⁰ values could be tried against a plain hash)."""
        return hmac.new(self.index_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "keys": {kid: _b64(key) for kid, key in self.keys.items()},
                "index": _b64(self.index_key),
            },
            indent=2,
        )

    def rotated(self) -> Keyring:
        """The keyring with a new current key (the old ones kept for decrypting)."""
        kid = f"k{len(self.keys) + 1}"
        while kid in self.keys:
            kid += "x"
        return Keyring({**self.keys, kid: secrets.token_bytes(KEY_BYTES)}, kid, self.index_key)


def new_keyring() -> Keyring:
    return Keyring({"k1": secrets.token_bytes(KEY_BYTES)}, "k1", secrets.token_bytes(KEY_BYTES))


def parse(text: str) -> Keyring:
    try:
        data = json.loads(text)
        keys = {str(kid): _unb64(str(value)) for kid, value in data["keys"].items()}
        ring = Keyring(keys, str(data["current"]), _unb64(str(data["index"])))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyringError("the key file is not a keyring (current, keys, index)") from exc
    if ring.current not in keys or any(len(k) != KEY_BYTES for k in keys.values()) or len(ring.index_key) != KEY_BYTES:
        raise KeyringError("the key file's keys must be 32 bytes and name the current one")
    return ring


def _written(path: Path, ring: Keyring) -> Path:
    """The keyring in a new file beside `path`, readable by its owner only, on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(ring.to_json())
        out.flush()
        os.fsync(out.fileno())
    return partial


def write(path: Path, ring: Keyring) -> None:
    """Replace the key file atomically (a reader sees the old keys or the new, never half a file)."""
    _written(path, ring).replace(path)


def load(path: Path) -> Keyring:
    """The keyring of the file, created with fresh keys if there is none (by one process: the others read the
    keys it made); refused if others may read it."""
    if not path.exists():
        partial = _written(path, new_keyring())
        with contextlib.suppress(FileExistsError):  # another process created it first: its keys stand
            os.link(partial, path)
        partial.unlink()
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(f"{path} may be read by others (mode {stat.S_IMODE(mode):o}): chmod 600 it")
    return parse(path.read_text())


@functools.cache
def _cached(path: Path, mtime_ns: int) -> Keyring:
    return load(path)


def keyring(path: Path) -> Keyring:
    """The keyring of `path`, read once per process (again when the file changes, e.g. after a rotation)."""
    if not path.exists():
        load(path)
    return _cached(path, path.stat().st_mtime_ns)
