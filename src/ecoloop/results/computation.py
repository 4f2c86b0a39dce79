"""What every kind of result gives the results job (`results.service`): a `Computation`, and its `Output` for a
run of days. Its own module, so that the computations (air, water, noise, sources) and the service that runs them
import it without importing each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.results import store


@dataclass(frozen=True)
class Output:
    """Rows a computation produced for one result table, and the days (values of the table's day column) whose
    rows they replace: the run's days for a daily table, the first day of the month for a monthly one."""

    table: store.ResultTable
    rows: pa.Table
    days: Sequence[date]


class Computation(Protocol):
    """One kind of result (air, water, noise, sources): what it needs from the operational database, read once per
    call of `compute_days` (`network`), and its rows for a run of consecutive local days first…last inside one
    month (`compute`, on the analytics backend `con`)."""

    @property
    def name(self) -> str: ...

    def network(self, session: Session) -> Any: ...

    def compute(
        self, con: Any, stored: StoredReadings, network: Any, first: date, last: date, tz: tzinfo
    ) -> Sequence[Output]: ...
