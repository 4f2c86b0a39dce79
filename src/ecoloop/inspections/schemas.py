"""What the officer's phone sends: the record as JSON, with its key and the version the form was opened on."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecoloop.inspections import rules
from ecoloop.inspections.enums import Answer, Conclusion


class AnswerIn(BaseModel):
    """One item's answer as the form sends it."""

    answer: Answer
    note: str = Field(default="", max_length=rules.MAX_NOTE)


class SubmissionIn(BaseModel):
    """The record as the form sends it (JSON), with its key and the version the form was opened on."""

    key: str = Field(max_length=64)
    version: int = Field(ge=0, le=2**31 - 1)
    answers: dict[str, AnswerIn] = Field(default_factory=dict, max_length=rules.MAX_ITEMS)
    findings: str = Field(default="", max_length=rules.MAX_FINDINGS)
    conclusion: Conclusion | None = None
