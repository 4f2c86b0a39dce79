"""What the announcement hash and the record hash of a draw cover, field by field (docs/draws.md, "Immutability"):
the same functions build them when a draw is announced and drawn and when it is verified."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ecoloop.draws.algorithm import canonical, sha256_hex
from ecoloop.draws.models import Draw, DrawSnapshot

GENESIS = "0" * 64
"""The `previous_hash` of the first drawn record."""


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC to the second (what every backend stores alike)."""
    return None if value is None else value.replace(microsecond=0).isoformat()


def snapshot_fields(snapshot: DrawSnapshot) -> dict[str, Any]:
    """A snapshot as its hash-covered summary."""
    return {
        "position": snapshot.position,
        "kind": str(snapshot.kind),
        "pool_id": snapshot.pool_id,
        "name": snapshot.name,
        "size": snapshot.size,
        "sha256": snapshot.sha256,
    }


def announcement_fields(draw: Draw, snapshots: list[DrawSnapshot]) -> dict[str, Any]:
    """What the announcement fixes before the seed is known: the draw's identity and period, its rules, its pool
    snapshots' hashes and the source and date of the public value."""
    return {
        "number": draw.number,
        "title": draw.title,
        "organisation_id": draw.organisation_id,
        "region_id": draw.region_id,
        "period_label": draw.period_label,
        "period_start": _day(draw.period_start),
        "period_end": _day(draw.period_end),
        "draw_on": _day(draw.draw_on),
        "algorithm": draw.algorithm,
        "rules_sha256": sha256_hex(draw.rules.encode()),
        "snapshots": [snapshot_fields(s) for s in sorted(snapshots, key=lambda s: s.position)],
        "seed_source": draw.seed_source,
        "seed_date": _day(draw.seed_date),
        "announced_by_id": draw.announced_by_id,
        "announced_at": _instant(draw.announced_at),
    }


def announcement_hash(draw: Draw, snapshots: list[DrawSnapshot]) -> str:
    """The SHA-256 of the announcement's canonical JSON."""
    return sha256_hex(canonical(announcement_fields(draw, snapshots)))


def record_fields(draw: Draw) -> dict[str, Any]:
    """The whole drawn record: the announcement's hash, the public value and seed, who entered it and who drew,
    when, the result's hash, and the place in the chain with the previous record's hash."""
    return {
        "number": draw.number,
        "announcement_hash": draw.announcement_hash,
        "public_value": draw.public_value,
        "seed": draw.seed,
        "value_entered_by_id": draw.value_entered_by_id,
        "value_entered_at": _instant(draw.value_entered_at),
        "drawn_by_id": draw.drawn_by_id,
        "drawn_at": _instant(draw.drawn_at),
        "result_sha256": draw.result_sha256,
        "chain_seq": draw.chain_seq,
        "previous_hash": draw.previous_hash,
    }


def record_hash(draw: Draw) -> str:
    """The SHA-256 of the drawn record's canonical JSON."""
    return sha256_hex(canonical(record_fields(draw)))
