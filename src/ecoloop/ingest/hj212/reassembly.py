"""Reassembly of HJ 212 messages split over several packets (PNUM/PNO; HJ 212-2017 Table 3, C.49/C.50).

Each part carries its own QN (C.49: `…534` and `…535`) and repeats DataTime, and the standard defines no key that
ties the parts together, so parts are grouped by (MN, CN, PNUM, DataTime). Pure: the caller passes `now`; memory is
bounded by a number of groups, of parts per group and of buffered bytes.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ecoloop.ingest.hj212.codec import CP, FLAG_SPLIT, FrameError, Packet

GroupKey = tuple[str, str, int, str | None]


@dataclass(frozen=True)
class Incomplete:
    """A split message given up on, with the parts that did arrive (in PNO order) and the missing PNOs."""

    key: GroupKey
    parts: tuple[Packet, ...]
    missing: tuple[int, ...]
    reason: Literal["timeout", "evicted", "too_many_parts", "conflict"]


@dataclass
class _Group:
    first_seen: datetime
    parts: dict[int, Packet]
    size: int


def group_key(packet: Packet) -> GroupKey:
    """The parts of one message share MN, CN, PNUM and DataTime (HJ 212-2017 C.49/C.50)."""
    data_time = dict(packet.cp.fields).get("DataTime")
    return (packet.mn, packet.cn, packet.pnum or 1, data_time)


def combine(parts: list[Packet]) -> Packet:
    """One packet from all parts in PNO order (HJ 212-2017 C.49/C.50).

    It has the first part's header without PNUM, PNO and the D bit, the CP pairs of every part (DataTime once) and
    the raw segments joined by LF. Raises FrameError(bad_field) when two parts give one key different values.
    """
    ordered = sorted(parts, key=lambda p: p.pno or 0)
    first = ordered[0]
    fields = list(first.cp.fields)
    for part in ordered[1:]:
        fields.extend(pair for pair in part.cp.fields if pair[0] != "DataTime")
    cp = CP(tuple(fields))
    tolerances = dict.fromkeys(t for part in ordered for t in part.tolerances)
    tolerances.update(dict.fromkeys(cp.tolerances))
    return dataclasses.replace(
        first,
        flag=None if first.flag is None else first.flag & ~FLAG_SPLIT,
        pnum=None,
        pno=None,
        cp=cp,
        raw_segment=b"\n".join(part.raw_segment for part in ordered),
        tolerances=tuple(tolerances),
    )


class Reassembler:
    """Collects the parts of split messages until PNO 1..PNUM are all present (HJ 212-2017 C.49/C.50).

    `add` returns a packet as soon as it is complete: unsplit packets at once, split ones combined when their last
    part arrives. Groups older than `timeout`, and the oldest groups when `max_groups` or `max_bytes` is exceeded,
    are given up; `expire(now)` returns them (at most `max_groups` are kept for reporting between calls).
    A repeated part (a retransmission) is ignored.
    """

    def __init__(
        self,
        *,
        timeout: timedelta = timedelta(minutes=2),
        max_groups: int = 1024,
        max_parts: int = 256,
        max_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.timeout = timeout
        self.max_groups = max_groups
        self.max_parts = max_parts
        self.max_bytes = max_bytes
        self._groups: dict[GroupKey, _Group] = {}
        self._bytes = 0
        self._given_up: deque[Incomplete] = deque(maxlen=max_groups)

    def __len__(self) -> int:
        """The number of incomplete messages held."""
        return len(self._groups)

    def add(self, packet: Packet, now: datetime) -> Packet | None:
        """The complete message once `packet` completes it, else None (HJ 212-2017 C.49/C.50)."""
        if not packet.is_split or packet.pnum is None or packet.pno is None:
            return packet
        key = group_key(packet)
        if packet.pnum > self.max_parts:
            self._given_up.append(Incomplete(key, (packet,), (), "too_many_parts"))
            return None
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(now, {}, 0)
        if packet.pno in group.parts:
            return None
        group.parts[packet.pno] = packet
        group.size += len(packet.raw_segment)
        self._bytes += len(packet.raw_segment)
        if len(group.parts) == packet.pnum:
            self._drop(key)
            try:
                return combine(list(group.parts.values()))
            except FrameError:
                self._given_up.append(self._incomplete(key, group, "conflict"))
                return None
        while len(self._groups) > self.max_groups or self._bytes > self.max_bytes:
            oldest = next(iter(self._groups))
            self._given_up.append(self._incomplete(oldest, self._drop(oldest), "evicted"))
        return None

    def expire(self, now: datetime) -> list[Incomplete]:
        """Give up the groups first seen `timeout` or more before `now`; with the groups evicted since last call."""
        for key, group in list(self._groups.items()):
            if now - group.first_seen >= self.timeout:
                self._given_up.append(self._incomplete(key, self._drop(key), "timeout"))
        given_up = list(self._given_up)
        self._given_up.clear()
        return given_up

    def _drop(self, key: GroupKey) -> _Group:
        group = self._groups.pop(key)
        self._bytes -= group.size
        return group

    @staticmethod
    def _incomplete(key: GroupKey, group: _Group, reason: Literal["timeout", "evicted", "conflict"]) -> Incomplete:
        parts = tuple(group.parts[n] for n in sorted(group.parts))
        missing = tuple(n for n in range(1, key[2] + 1) if n not in group.parts)
        return Incomplete(key, parts, missing, reason)
