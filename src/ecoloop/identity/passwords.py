"""Password hashing with Argon2id (pwdlib) and the minimum strength ecoloop accepts."""

from __future__ import annotations

import secrets
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10
# The mark of a hash no password matches: a user created without a password signs in only after following their
# one-time set-password link (issue 15). No Argon2 hash starts with it.
UNUSABLE_PREFIX = "!"


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` with a fresh salt."""
    return _hasher().hash(password)


def unusable_password_hash() -> str:
    """A stored hash that no password matches (a user who has not chosen a password yet)."""
    return UNUSABLE_PREFIX + secrets.token_hex(16)


def is_usable(hashed: str) -> bool:
    """Whether `hashed` is a hash some password can match (an Argon2 hash, not an unusable or empty one)."""
    return hashed.startswith("$argon2")


def verify_password(password: str, hashed: str) -> bool:
    """Whether `password` matches `hashed`; never for an unusable or empty hash, which still costs one Argon2
    verification so that the time of the answer does not tell such an account apart."""
    if not is_usable(hashed):
        _hasher().verify(password, dummy_hash())
        return False
    return _hasher().verify(password, hashed)


def password_problem(password: str, username: str) -> str | None:
    """Why `password` is too weak, or None: at least 10 characters, letters and digits, not the username."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return "needs_letters_and_digits"
    if username and username.lower() in password.lower():
        return "contains_username"
    return None


@cache
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing does not reveal which usernames exist."""
    return hash_password("no such account 0")
