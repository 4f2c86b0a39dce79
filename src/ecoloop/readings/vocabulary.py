"""The vocabulary of stored readings: intervals, sources, a reading, a conflict, the write outcome, and the row
forms the hot store, the Parquet tier and the ways in share (pure data, no I/O).

The hot store (`store.py`), its two backends and the Parquet tier import from here, so none of them needs the
other at import time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyarrow as pa

from ecoloop.i18n import N_


class Interval(StrEnum):
    """The kind of value: real-time (HJ 212 CN 2011), minute (2051), hourly (2061) or daily (2031) data."""

    REALTIME = "realtime"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def label(self) -> str:
        return INTERVAL_LABELS[self]


# The audit trail's name for the stored readings: uploads and accepted conflicts are recorded under it.
READINGS_AUDIT_ENTITY = "observations"
INTERVAL_LABELS = {
    Interval.REALTIME: N_("Real-time data"),
    Interval.MINUTE: N_("Minute data"),
    Interval.HOUR: N_("Hourly data"),
    Interval.DAY: N_("Daily data"),
}


class Outcome(StrEnum):
    """What happened to a received packet."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    IGNORED = "ignored"


class ReadingSource(StrEnum):
    """Where a stored reading came from. The stored `source` is the value, or `value:who` when a user sent it
    (`upload:wang`, `api:qx-integration`, `correction:li`) or, for a history import, the file's format
    (`import:beijing`); see `source_value` and `parse_source`."""

    LOGGER = "hj212"
    UPLOAD = "upload"
    API = "api"
    IMPORT = "import"
    CORRECTION = "correction"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS[self]

    @classmethod
    def _missing_(cls, value: object) -> ReadingSource | None:
        # Stored before the sources were named (issue 13): `http` for the API, `file:<format>` for imports.
        return {"http": cls.API, "file": cls.IMPORT}.get(str(value))


_SOURCE_LABELS = {
    ReadingSource.LOGGER: N_("Data logger (HJ 212)"),
    ReadingSource.UPLOAD: N_("File upload"),
    ReadingSource.API: N_("API"),
    ReadingSource.IMPORT: N_("History import"),
    ReadingSource.CORRECTION: N_("Approved correction"),
}


def source_value(source: ReadingSource, who: str | None = None) -> str:
    """The stored form of a source: `upload`, or `upload:wang` with who sent it."""
    return f"{source.value}:{who}" if who else source.value


def parse_source(stored: str | None) -> tuple[ReadingSource | None, str | None]:
    """The source and who of a stored `source` (None for a value this ecoloop does not know)."""
    kind, _, who = (stored or "").partition(":")
    try:
        return ReadingSource(kind), who or None
    except ValueError:
        return None, who or None


@dataclass(frozen=True)
class Reading:
    """One value of one parameter at one site for one interval; `time` is timezone-aware."""

    site_id: int
    parameter: str
    interval: Interval
    time: datetime
    value: float | None
    flag: str | None = None
    source: str = ReadingSource.LOGGER.value
    received_at: datetime | None = None  # when the store received it (on readings read back from the store)


def standing_rank(source: str, received_at: datetime) -> tuple[int, float]:
    """Which of several values under one key stands (issue 13): the lowest rank — the latest approved correction,
    else the first value received. `parquet._ranked` and `analytics.sites.standing_order` order rows the
    same way."""
    moment = received_at.timestamp()
    return (0, -moment) if source.startswith(ReadingSource.CORRECTION.value) else (1, moment)


@dataclass(frozen=True)
class Conflict:
    """A value that was not stored because another one was stored first under the same key: the refused value
    with its source and receipt, and the value kept with its own."""

    site_id: int
    parameter: str
    interval: Interval
    time: datetime
    value: float | None
    flag: str | None
    source: str
    received_at: datetime
    kept_value: float | None
    kept_flag: str | None
    kept_source: str
    kept_received_at: datetime
    id: int = 0
    accepted_by: str | None = None  # the reviewer who accepted the value (it then replaced the kept one)
    accepted_at: datetime | None = None

    @property
    def origin(self) -> tuple[ReadingSource | None, str | None]:
        """The refused value's source and who sent it (`parse_source`)."""
        return parse_source(self.source)

    @property
    def kept_origin(self) -> tuple[ReadingSource | None, str | None]:
        """The kept value's source and who sent it."""
        return parse_source(self.kept_source)


@dataclass(frozen=True)
class WriteCounts:
    """What became of the readings of one write: stored (new, or replaced by an approved correction),
    duplicates (the same value and flag were already stored) and conflicts (another value was stored first; kept
    in `reading_conflicts`)."""

    stored: int
    duplicates: int
    conflicts: int


@dataclass(frozen=True)
class RawPacket:
    """A received packet as it came, with what became of it."""

    received_at: datetime
    peer: str
    frame: bytes
    outcome: Outcome
    reason: str | None = None
    detail: str | None = None
    mn: str | None = None
    cn: str | None = None


@dataclass(frozen=True)
class Arrival:
    """Readings of a site's interval at one time were stored (queued for the alert engine by `write_rows`)."""

    seq: int
    site_id: int
    interval: Interval
    time: datetime
    received_at: datetime


@dataclass
class DeviceActivity:
    """What a device sent: its last packet's arrival (UTC) and packet counts by (outcome, reason)."""

    last_seen: datetime | None
    packets: dict[tuple[str, str | None], int]


# The Arrow form of readings and of archived packets: what the hot store returns, and what the Parquet files
# (`parquet.py`) and history-file imports hold.
READINGS_SCHEMA = pa.schema(
    [
        ("site_id", pa.int64()),
        ("parameter", pa.string()),
        ("interval", pa.string()),
        ("time", pa.timestamp("s", tz="UTC")),
        ("value", pa.float64()),
        ("flag", pa.string()),
        ("source", pa.string()),
        ("received_at", pa.timestamp("ms", tz="UTC")),
    ]
)
PACKETS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("received_at", pa.timestamp("ms", tz="UTC")),
        ("peer", pa.string()),
        ("mn", pa.string()),
        ("cn", pa.string()),
        ("outcome", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("frame", pa.binary()),
    ]
)


# A reading as the hot store holds it: site_id, parameter, interval, epoch seconds, value, flag, source,
# received_at (epoch ms); and an archived packet: received_at (epoch ms), peer, mn, cn, outcome, reason, detail,
# frame. Writers that take thousands of packets a second build these tuples directly.
ReadingRow = tuple[int, str, str, int, float | None, str | None, str, int]
# A conflict as the hot store holds it: the refused reading's row, then the kept value, flag, source, received_at.
ConflictRow = tuple[int, str, str, int, float | None, str | None, str, int, float | None, str | None, str, int]
ArchiveRow = tuple[int, str, str | None, str | None, str, str | None, str | None, bytes]
TallyRow = tuple[str, int, str, str, int, int, int]  # packet_tally: mn, hour, outcome, reason, packets, first, last
Batches = Sequence[tuple[Sequence[ReadingRow], Sequence[ArchiveRow]]]
ArrivalRow = tuple[int, str, int, int]  # arrivals: site_id, interval, ts, received_at
# Readings of these intervals are queued as arrivals for the alert engine (issue 7 judges hourly and daily data).
ARRIVAL_INTERVALS = frozenset({"hour", "day"})


def reading_row(r: Reading, received_ms: int) -> ReadingRow:
    """The stored form of a reading received at `received_ms`."""
    return (
        r.site_id,
        r.parameter,
        r.interval.value,
        epoch_ms(r.time) // 1000,
        r.value,
        r.flag,
        r.source,
        received_ms,
    )


def archive_row(p: RawPacket) -> ArchiveRow:
    """The stored form of an archived packet."""
    return (epoch_ms(p.received_at), p.peer, p.mn, p.cn, p.outcome.value, p.reason, p.detail, p.frame)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware instant, as the store keeps receive times."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; the store keeps aware UTC instants")
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class WriteSet:
    """What one transaction of `HotStore.write_rows` writes: the writers' batches, their readings and archived
    packets in one list each, the packet_tally increments and the arrivals."""

    batches: Batches
    rows: list[ReadingRow]
    archived: list[ArchiveRow]
    tally: list[TallyRow]
    arrivals: list[ArrivalRow]


def write_set(batches: Batches) -> WriteSet:
    """The contents of a transaction writing `batches`."""
    rows = [row for batch, _ in batches for row in batch]
    archived = [packet for _, packets in batches for packet in packets]
    arrivals = sorted({(row[0], row[2], row[3], row[7]) for row in rows if row[2] in ARRIVAL_INTERVALS})
    return WriteSet(batches, rows, archived, _tally(archived), arrivals)


def merged(parts: Sequence[WriteSet]) -> WriteSet:
    """The parts of a transaction as one (tally increments and arrivals of the lot, without repeated keys)."""
    if len(parts) == 1:
        return parts[0]
    return write_set([batch for part in parts for batch in part.batches])


def _tally(archived: Sequence[ArchiveRow]) -> list[TallyRow]:
    """The `packet_tally` increments of archived packets: per MN, hour, outcome and reason."""
    tally: dict[tuple[str, int, str, str], list[int]] = {}
    for received, _, mn, _, outcome, reason, _, _ in archived:
        key = (mn or "", received // 3_600_000, outcome, reason or "")
        entry = tally.get(key)
        if entry is None:
            tally[key] = [1, received, received]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], received)
            entry[2] = max(entry[2], received)
    return [(*key, *entry) for key, entry in tally.items()]  # type: ignore[misc]
