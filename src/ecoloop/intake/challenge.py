"""The public complaint form's defence against automated posting, without an outside service and without script
(issue 18, part 8; the CSP allows no inline script, and the form must work for a screen reader and an old phone).

The page carries a signed token (`TOKEN_FIELD`): when it was issued and a random nonce, with an HMAC over both
(the key is the caller's: `Settings.signing_key` will do, each MAC here names its purpose, so it cannot stand
in for a CSRF token or another signature made with that key). A submission is refused when
- the token is missing, altered or not ours (`invalid`);
- the hidden field `HONEYPOT_FIELD` is filled in, which a person does not see and a naive bot fills (`honeypot`);
- it came back sooner than a person can fill the form (`too_fast`) or later than the token lives (`expired`);
- the token was used before (`reused`): its nonce goes into `form_nonces` in the caller's transaction, so a
  captured token cannot be replayed, and the token is the anonymous form's CSRF defence too (public visitors
  have no session);
- with `arithmetic` (when an address went over a soft limit), the answer to a small sum in words ("7 plus 5"
  in the page's language) is wrong (`answer`). The answer is bound into the token by a second HMAC with the
  nonce, so it cannot be read from the page, and a token allows one guess: its nonce is spent before the answer
  is checked.
Stronger bots pass all of this; the rate limits (`ratelimit`) bound what they can do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoloop.i18n import N_, gettext
from ecoloop.intake.models import FormNonce

TOKEN_FIELD = "form_token"
HONEYPOT_FIELD = "website"
ANSWER_FIELD = "challenge_answer"
VERSION = "v1"
NONCE_BYTES = 16  # 32 hex digits: form_nonces.nonce
MAC_BYTES = 16
_NUMERALS = frozenset(float(n) for n in range(11))  # a Chinese numeral's digits, and ten

CHALLENGE_MESSAGES = {
    "invalid": N_("The form has expired or was not sent from this site. Please fill it in again."),
    "honeypot": N_("The form was filled in automatically and cannot be accepted."),
    "too_fast": N_("The form was sent too quickly after it was opened. Please check it and send it again."),
    "expired": N_("The form was open too long and has expired. Please fill it in again."),
    "reused": N_("This form has already been sent. To report something else, fill in a new form."),
    "answer": N_("The answer to the check question is wrong. Please answer the new question."),
}


class ChallengeError(Exception):
    """A public form's submission refused as automated or replayed; `code` is stable (CHALLENGE_MESSAGES)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Issued:
    """What a form page carries: the token (a hidden field) and, when asked, the question to answer."""

    token: str
    question: str | None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _mac(key: bytes, purpose: str, text: str) -> str:
    return _b64(hmac.new(key, f"{purpose}\0{text}".encode(), hashlib.sha256).digest()[:MAC_BYTES])


def _answer_mac(key: bytes, issued: int, nonce: str, answer: int) -> str:
    return _mac(key, "form-answer", f"{issued}.{nonce}.{answer}")


def issue(key: bytes, now: datetime, *, arithmetic: bool = False) -> Issued:
    """A new form token issued at `now`; with `arithmetic`, a sum in words whose answer the token binds."""
    issued = int(now.timestamp())
    nonce = secrets.token_hex(NONCE_BYTES)
    question = None
    answer_mac = ""
    if arithmetic:
        a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
        if secrets.randbelow(2):
            question = gettext("What is %(a)s plus %(b)s?") % {"a": a, "b": b}
            answer = a + b
        else:
            a, b = max(a, b), min(a, b)
            question = gettext("What is %(a)s minus %(b)s?") % {"a": a, "b": b}
            answer = a - b
        answer_mac = _answer_mac(key, issued, nonce, answer)
    body = f"{VERSION}.{issued}.{nonce}.{answer_mac}"
    return Issued(f"{body}.{_mac(key, 'form-token', body)}", question)


def _number(text: str) -> int | None:
    """The number someone typed: digits (also full-width), or a Chinese numeral below a hundred (七, 十二, 二十)."""
    plain = "".join(unicodedata.normalize("NFKC", text).split())
    if plain.isascii() and plain.isdigit() and len(plain) <= 3:
        return int(plain)
    digits = [unicodedata.numeric(ch, -1.0) for ch in plain]
    if not 1 <= len(digits) <= 3 or any(d not in _NUMERALS for d in digits):
        return None
    if len(digits) == 1:
        return int(digits[0])
    if digits.count(10) != 1:
        return None
    ten = digits.index(10)
    tens, units = digits[:ten], digits[ten + 1 :]
    if len(tens) > 1 or len(units) > 1 or 10 in tens + units:
        return None
    return int((tens[0] if tens else 1) * 10 + (units[0] if units else 0))


def _parsed(key: bytes, token: str) -> tuple[int, str, str]:
    """The issue time, nonce and answer binding of a token of ours (ChallengeError `invalid` otherwise)."""
    body, _, mac = token.rpartition(".")
    parts = body.split(".")
    if len(token) > 200 or len(parts) != 4 or parts[0] != VERSION:
        raise ChallengeError("invalid")
    if not hmac.compare_digest(mac.encode(), _mac(key, "form-token", body).encode()):
        raise ChallengeError("invalid")
    _version, issued, nonce, answer_mac = parts
    if not issued.isdigit() or len(nonce) != 2 * NONCE_BYTES:
        raise ChallengeError("invalid")
    return int(issued), nonce, answer_mac


def verify(
    session: Session,
    key: bytes,
    form: Mapping[str, str],
    now: datetime,
    *,
    min_seconds: int,
    max_age: timedelta = timedelta(hours=2),
) -> None:
    """Accept a public form's submission or raise ChallengeError: a token of ours, the honeypot empty, sent no
    sooner than `min_seconds` and no later than `max_age` after the form was issued, the token not used before
    (spent here, in the caller's transaction: commit it even when refusing, so a spent token stays spent), and the
    question, if any, answered."""
    issued, nonce, answer_mac = _parsed(key, str(form.get(TOKEN_FIELD, "")))
    if str(form.get(HONEYPOT_FIELD, "")).strip():
        raise ChallengeError("honeypot")
    elapsed = now.timestamp() - issued
    if elapsed > max_age.total_seconds():
        raise ChallengeError("expired")
    if elapsed < min_seconds:
        raise ChallengeError("too_fast")
    _spend(session, nonce, datetime.fromtimestamp(issued, UTC) + max_age)
    if answer_mac:
        answer = _number(str(form.get(ANSWER_FIELD, "")))
        expected = _answer_mac(key, issued, nonce, answer) if answer is not None else ""
        if not hmac.compare_digest(answer_mac.encode(), expected.encode()):
            raise ChallengeError("answer")


def _spend(session: Session, nonce: str, expires_at: datetime) -> None:
    """Record the token's nonce as used (ChallengeError `reused` if it was), inside a savepoint: the conflict
    leaves the caller's transaction usable."""
    try:
        with session.begin_nested():
            session.execute(insert(FormNonce).values(nonce=nonce, expires_at=expires_at))
    except IntegrityError:
        raise ChallengeError("reused") from None


def purge(session: Session, now: datetime) -> int:
    """Delete the spent nonces whose tokens have expired (such a token is refused as expired anyway); how many."""
    result = session.execute(delete(FormNonce).where(FormNonce.expires_at < now))
    return int(getattr(result, "rowcount", 0) or 0)
