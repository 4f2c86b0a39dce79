"""Password hashing with Argon2id (pwdlib) and the minimum strength ecoloop accepts."""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 10


@cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` with a fresh salt."""
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether `password` matches `hashed`."""
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
