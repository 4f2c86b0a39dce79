"""The public form's challenge: a signed single-use token, the honeypot, the minimum and maximum time, the
arithmetic question bound into the token, and the reasons in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.i18n import gettext, use_locale
from ecoloop.intake import challenge
from ecoloop.intake.challenge import ANSWER_FIELD, HONEYPOT_FIELD, TOKEN_FIELD, ChallengeError
from ecoloop.intake.models import FormNonce

KEY = b"k" * 32
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=30)


def refused(db: Session, form: dict[str, str], now: datetime = LATER, **kwargs: object) -> str:
    with pytest.raises(ChallengeError) as caught:
        challenge.verify(db, KEY, form, now, min_seconds=3, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_a_token_filled_in_by_a_person_passes_once(db: Session) -> None:
    token = challenge.issue(KEY, T0).token
    form = {TOKEN_FIELD: token, HONEYPOT_FIELD: "", "description": "烟"}

    challenge.verify(db, KEY, form, LATER, min_seconds=3)
    assert refused(db, form, LATER + timedelta(seconds=5)) == "reused"
    # The refusal left the caller's transaction usable: it still writes and reads.
    db.add(FormNonce(nonce="f" * 32, expires_at=T0))
    db.flush()
    assert db.scalar(select(func.count()).select_from(FormNonce)) == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda t: "",
        lambda t: "garbage",
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the MAC altered
        lambda t: t.replace("v1.", "v2.", 1),
        lambda t: t.split(".", 2)[0] + ".1" + t.split(".", 2)[1] + "." + t.split(".", 2)[2],  # an older time
        lambda t: t + "." + t,
    ],
)
def test_a_token_altered_or_not_ours_is_invalid(db: Session, change: object) -> None:
    token = challenge.issue(KEY, T0).token
    forged = change(token)  # type: ignore[operator]
    assert refused(db, {TOKEN_FIELD: forged}) == "invalid"
    assert refused(db, {}) == "invalid"
    other = challenge.issue(b"x" * 32, T0).token
    assert refused(db, {TOKEN_FIELD: other}) == "invalid"


def test_the_honeypot_time_and_age(db: Session) -> None:
    token = challenge.issue(KEY, T0).token
    assert refused(db, {TOKEN_FIELD: token, HONEYPOT_FIELD: "http://spam.example"}) == "honeypot"
    assert refused(db, {TOKEN_FIELD: token}, T0 + timedelta(seconds=2)) == "too_fast"
    assert refused(db, {TOKEN_FIELD: token}, T0 - timedelta(seconds=60)) == "too_fast"  # issued "in the future"
    assert refused(db, {TOKEN_FIELD: token}, T0 + timedelta(hours=2, seconds=1)) == "expired"
    assert refused(db, {TOKEN_FIELD: token}, T0 + timedelta(minutes=11), max_age=timedelta(minutes=10)) == "expired"
    # None of these spent the token: sent properly, it passes.
    challenge.verify(db, KEY, {TOKEN_FIELD: token}, T0 + timedelta(seconds=3), min_seconds=3)


def _answer(question: str) -> int:
    """The answer to a question as the zh_CN catalog words it: "7 加 5 等于几？" or "9 减 4 等于几？"."""
    found = re.fullmatch(r"(\d) (加|减) (\d) 等于几？", question)
    assert found is not None, question
    a, b = int(found[1]), int(found[3])
    return a + b if found[2] == "加" else a - b


def test_the_arithmetic_question_is_in_chinese_and_its_answer_is_not_in_the_token(db: Session) -> None:
    with use_locale("zh_CN"):
        issued = [challenge.issue(KEY, T0, arithmetic=True) for _ in range(40)]
    seen = set()
    for one in issued:
        assert one.question is not None
        answer = _answer(one.question)
        assert 0 <= answer <= 18
        seen.add(one.question.split(" ")[1])
        # Two tokens for the same sum share nothing that tells the answer: the binding is keyed and per nonce.
        assert f".{answer}." not in one.token
    assert seen == {"加", "减"}
    assert challenge.issue(KEY, T0).question is None


@pytest.mark.parametrize("typed", ["{n}", " {n} ", "{wide}", "{chinese}"])
def test_the_right_answer_passes_as_people_type_it(db: Session, typed: str) -> None:
    with use_locale("zh_CN"):
        issued = challenge.issue(KEY, T0, arithmetic=True)
    assert issued.question is not None
    n = _answer(issued.question)
    wide = "".join(chr(0xFF10 + int(d)) for d in str(n))
    chinese = "零一二三四五六七八九十"[n] if n <= 10 else "十" + "零一二三四五六七八九"[n - 10]
    form = {TOKEN_FIELD: issued.token, ANSWER_FIELD: typed.format(n=n, wide=wide, chinese=chinese)}
    challenge.verify(db, KEY, form, LATER, min_seconds=3)


def test_a_wrong_or_missing_answer_is_refused_and_spends_the_token(db: Session) -> None:
    with use_locale("zh_CN"):
        issued = challenge.issue(KEY, T0, arithmetic=True)
    assert issued.question is not None
    right = _answer(issued.question)
    assert refused(db, {TOKEN_FIELD: issued.token, ANSWER_FIELD: str(right + 1)}) == "answer"
    # One guess per token: the right answer now comes too late.
    assert refused(db, {TOKEN_FIELD: issued.token, ANSWER_FIELD: str(right)}) == "reused"
    other = challenge.issue(KEY, T0, arithmetic=True)
    assert refused(db, {TOKEN_FIELD: other.token}) == "answer"
    assert refused(db, {TOKEN_FIELD: challenge.issue(KEY, T0, arithmetic=True).token, ANSWER_FIELD: "x"}) == "answer"


def test_purge_deletes_the_nonces_of_expired_tokens(db: Session) -> None:
    old, new = challenge.issue(KEY, T0).token, challenge.issue(KEY, T0 + timedelta(hours=1)).token
    challenge.verify(db, KEY, {TOKEN_FIELD: old}, LATER, min_seconds=3)
    challenge.verify(db, KEY, {TOKEN_FIELD: new}, T0 + timedelta(hours=1, seconds=30), min_seconds=3)
    # The first expires at 12:00, the second at 13:00.
    assert challenge.purge(db, T0 + timedelta(hours=2, minutes=30)) == 1
    assert db.scalar(select(func.count()).select_from(FormNonce)) == 1


def test_every_refusal_has_its_reason_in_chinese() -> None:
    codes = {"invalid", "honeypot", "too_fast", "expired", "reused", "answer"}
    assert set(challenge.CHALLENGE_MESSAGES) == codes
    with use_locale("zh_CN"):
        texts = {code: gettext(message) for code, message in challenge.CHALLENGE_MESSAGES.items()}
    for code, text in texts.items():
        assert text != challenge.CHALLENGE_MESSAGES[code]
        assert re.search(r"[\u4e00-\u9fff]", text), code
