"""Observations uploaded over HTTP: validate each row on its own, turn the valid ones into readings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from ecoloop.readings.rules import Refusal, TimeWindow, time_refusal, value_refusal
from ecoloop.readings.vocabulary import Interval, Reading

MAX_ROWS = 10_000


class ObservationIn(BaseModel):
    """One uploaded value: the site by code, the parameter code (HJ 212 codes such as a34004), the interval,
    an ISO 8601 time with its offset, the value and an optional device flag."""

    model_config = ConfigDict(extra="forbid")

    site: str = Field(min_length=1, max_length=64)
    parameter: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")
    interval: Interval
    time: datetime
    value: float | None
    flag: str | None = Field(default=None, max_length=2)

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise PydanticCustomError("timezone_aware", "time needs a UTC offset, e.g. 2026-11-22T08:00:00+08:00")
        return value

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value_refusal(value) is not None:
            raise PydanticCustomError("finite_number", "value must be a finite number (value_not_finite)")
        return value


@dataclass(frozen=True)
class RowError:
    """Why row `index` of an upload was not stored: in English as the API reports it (`error`), and as the
    validation errors that `ecoloop.i18n.validation_text` translates (`details`)."""

    index: int
    error: str
    details: tuple[ErrorDetails, ...] = ()
    code: str = "invalid"  # a `rules.Refusal` value, or "invalid" / "unknown_site"


def refusal_summary(errors: Sequence[RowError]) -> str:
    """The refused rows counted by reason code, e.g. "time_ahead 2, invalid 1", for the archived request."""
    return ", ".join(f"{code} {count}" for code, count in Counter(e.code for e in errors).most_common())


def to_readings(
    rows: Sequence[Any],
    site_id_of: Callable[[str], int | None],
    source: str,
    *,
    now: datetime,
    window: TimeWindow,
) -> tuple[list[Reading], list[RowError]]:
    """Valid rows as readings from `source` (the stored form, `store.source_value`) and the reasons for the
    others; `site_id_of` returns None for a site the uploader may not write to (reported as unknown, whether it
    exists or not). Times outside the plausible `window` at `now` are refused (`rules.time_refusal`), with the
    refusal's code."""
    readings: list[Reading] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows):
        try:
            item = ObservationIn.model_validate(row)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors())
            finite = any(e["type"] == "finite_number" for e in exc.errors())
            code = Refusal.VALUE_NOT_FINITE.value if finite else "invalid"
            errors.append(RowError(index, detail, tuple(exc.errors()), code))
            continue
        refusal = time_refusal(item.time, now, window)
        if refusal is not None:
            refused = ErrorDetails(type=refusal.value, loc=("time",), msg=_TIME_TEXT[refusal], input=str(item.time))
            errors.append(RowError(index, f"time: {_TIME_TEXT[refusal]} ({refusal.value})", (refused,), refusal.value))
            continue
        site_id = site_id_of(item.site)
        if site_id is None:
            unknown = ErrorDetails(
                type="unknown_site",
                loc=("site",),
                msg=f"unknown site {item.site!r}",
                input=item.site,
                ctx={"site": item.site},
            )
            errors.append(RowError(index, f"site: unknown site {item.site!r}", (unknown,), "unknown_site"))
            continue
        readings.append(Reading(site_id, item.parameter, item.interval, item.time, item.value, item.flag, source))
    return readings, errors


_TIME_TEXT = {
    Refusal.TIME_BEFORE_FLOOR: "before the earliest plausible date",
    Refusal.TIME_AHEAD: "later than the server's clock allows",
    Refusal.TIME_OUT_OF_RANGE: "not a representable instant",
    Refusal.VALUE_NOT_FINITE: "not a finite number",
}
