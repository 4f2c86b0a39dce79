"""Which readings are plausible enough to store (pure): a time inside a window, a finite value.

Every way in (the HJ 212 receiver's fast and general paths, `POST /api/v1/observations`, the monitoring upload,
history files) asks these functions, and so do the reads and the clean-up of rows stored before the check
existed. A data logger's clock is set by the platform (HJ 212-2017 §6.7: on first contact the platform
calibrates the logger's time, CN 1012; a logger asks for it with CN 1013), and a data time is the start of the
period it sums up (DataTime, Table 3), so a value dated after the receiver's clock by more than the clocks'
drift is a wrong clock or a forged packet, not a measurement. Pure: no clock, settings or I/O; callers pass
`now` and the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from ecoloop.i18n import N_


class Refusal(StrEnum):
    """Why a reading is not stored; stable codes kept with the rejected packet, row or set-aside reading."""

    TIME_BEFORE_FLOOR = "time_before_floor"  # before the earliest plausible date (the setting)
    TIME_AHEAD = "time_ahead"  # later than the receiver's clock plus the allowed drift
    TIME_OUT_OF_RANGE = "time_out_of_range"  # its UTC instant cannot be represented (year 1 at +14:00, …)
    VALUE_NOT_FINITE = "value_not_finite"  # infinity or NaN (`1e999` overflows a float)

    @property
    def label(self) -> str:
        """The refusal in words, a message id: the data-quality pages count refused readings under it."""
        return REFUSAL_LABELS[self]


REFUSAL_LABELS = {
    Refusal.TIME_BEFORE_FLOOR: N_("Data time before the earliest plausible date"),
    Refusal.TIME_AHEAD: N_("Data time ahead of the receiver's clock"),
    Refusal.TIME_OUT_OF_RANGE: N_("Data time out of range"),
    Refusal.VALUE_NOT_FINITE: N_("Value is not a finite number"),
}


# Epoch seconds whose instant is a datetime in every time zone (±14 hours inside years 1 to 9999): stored times
# outside these cannot be turned into a date and are skipped by every read.
REPRESENTABLE_FIRST = int((datetime(1, 1, 2, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
REPRESENTABLE_LAST = int((datetime(9999, 12, 30, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The plausible data times: not before `floor` (a UTC date) and not more than `ahead` after `now`."""

    floor: date = date(2000, 1, 1)
    ahead: timedelta = timedelta(minutes=10)

    @property
    def first(self) -> int:
        """The earliest plausible time in epoch seconds."""
        return int(datetime(self.floor.year, self.floor.month, self.floor.day, tzinfo=UTC).timestamp())

    def last(self, now: datetime) -> int:
        """The latest plausible time in epoch seconds at `now`."""
        return int((now + self.ahead).timestamp())


def epoch_refusal(seconds: int, first: int, last: int) -> Refusal | None:
    """Why a data time (epoch seconds) is refused with the window's bounds `first` and `last`, or None."""
    if first <= seconds <= last:
        return None
    if seconds < REPRESENTABLE_FIRST or seconds > REPRESENTABLE_LAST:
        return Refusal.TIME_OUT_OF_RANGE
    return Refusal.TIME_BEFORE_FLOOR if seconds < first else Refusal.TIME_AHEAD


def time_refusal(moment: datetime, now: datetime, window: TimeWindow) -> Refusal | None:
    """Why an aware data time is refused at `now`, or None when it is plausible."""
    try:
        moment.astimezone(UTC)  # raises when the UTC instant falls outside years 1 to 9999
    except (OverflowError, ValueError):
        return Refusal.TIME_OUT_OF_RANGE
    return epoch_refusal(math.floor(moment.timestamp()), window.first, window.last(now))


def value_refusal(value: float | None) -> Refusal | None:
    """Why a value is refused (not a finite number), or None; a missing value (None) is allowed."""
    if value is None or math.isfinite(value):
        return None
    return Refusal.VALUE_NOT_FINITE


def reading_refusal(moment: datetime, value: float | None, now: datetime, window: TimeWindow) -> Refusal | None:
    """Why a reading is refused (its time first, then its value), or None when it may be stored."""
    return time_refusal(moment, now, window) or value_refusal(value)
