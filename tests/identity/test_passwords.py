"""Password hashing and strength."""

from __future__ import annotations

import pytest

from ecoloop.identity.passwords import hash_password, password_problem, verify_password


def test_argon2id_hash_verifies_and_is_salted() -> None:
    first, second = hash_password("Correct-horse-1"), hash_password("Correct-horse-1")
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password("Correct-horse-1", first)
    assert not verify_password("correct-horse-1", first)


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("short1", "u", "too_short"),
        ("onlyletters-here", "u", "needs_letters_and_digits"),
        ("1234567890", "u", "needs_letters_and_digits"),
        ("zhangwei-2026", "zhangwei", "contains_username"),
        ("Ecoloop-2026", "admin", None),
        ("abcdefghi1", "x", None),
    ],
)
def test_password_problem(password: str, username: str, problem: str | None) -> None:
    assert password_problem(password, username) == problem
