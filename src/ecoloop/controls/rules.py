"""The control list's rules (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ecoloop.episodes.enums import WarningLevel


@dataclass(frozen=True, slots=True)
class Allowance:
    """What an enterprise may produce over a stretch of a warning, as its measures on the control list allow: the
    shape in which the electricity checks read the list. `fraction` is the share of its normal production load
    allowed, from 0.0 (stopped) to 1.0 (no limit), for the production line `line_id`
    (`enterprises.models.ProductionLine`) or, where None, for the enterprise's production as a whole; from
    `start` (inclusive) to `end` (exclusive), aware times. A staggered schedule (错时生产) gives one allowance per
    stretch of its hours. `entry_id` names the list entry it comes from (None: not from an entry)."""

    enterprise_id: int
    line_id: int | None
    start: datetime
    end: datetime
    fraction: float
    level: WarningLevel
    entry_id: int | None
