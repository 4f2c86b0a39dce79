"""Observations uploaded over HTTP: validate each row on its own, turn the valid ones into readings."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from ecoloop.ingest.store import Interval, Reading

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
        if value is not None and not math.isfinite(value):
            raise PydanticCustomError("finite_number", "value must be a finite number")
        return value


@dataclass(frozen=True)
class RowError:
    """Why row `index` of an upload was not stored: in English as the API reports it (`error`), and as the
    validation errors that `ecoloop.i18n.validation_text` translates (`details`)."""

    index: int
    error: str
    details: tuple[ErrorDetails, ...] = ()


def to_readings(
    rows: Sequence[Any], site_id_of: Callable[[str], int | None], source: str
) -> tuple[list[Reading], list[RowError]]:
    """Valid rows as readings from `source` (the stored form, `store.source_value`) and the reasons for the
    others; `site_id_of` returns None for a site the uploader may not write to (reported as unknown, whether it
    exists or not)."""
    readings: list[Reading] = []
    errors: list[RowError] = []
    for index, row in enumerate(rows):
        try:
            item = ObservationIn.model_validate(row)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors())
            errors.append(RowError(index, detail, tuple(exc.errors())))
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
            errors.append(RowError(index, f"site: unknown site {item.site!r}", (unknown,)))
            continue
        readings.append(Reading(site_id, item.parameter, item.interval, item.time, item.value, item.flag, source))
    return readings, errors
