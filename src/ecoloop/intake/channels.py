"""What the machine channels (Open311, the JSON API) read and count: the partner a key belongs to, the public
view of complaints (never their complainant), and the counters of keyless submissions and look-ups.

`count` and `address_key` stand in for the public form's rate limiter (`intake.ratelimit`, written beside this
module in issue 18): the same table, the same atomic upsert, so that merging them changes no behaviour."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ecoloop.cases.models import Case
from ecoloop.identity.models import Organisation
from ecoloop.intake.models import Complaint, Partner, RateCounter
from ecoloop.intake.open311 import MAX_REQUESTS, Listing


def key_hash(key: str) -> str:
    """How a partner's API key is stored: its SHA-256, in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def partner_for_key(session: Session, key: str) -> Partner | None:
    """The active partner whose API key `key` is, or None."""
    if not key:
        return None
    return session.scalars(select(Partner).where(Partner.key_hash == key_hash(key), Partner.active)).first()


# --- counters --------------------------------------------------------------------------------------------------------


def address_key(ip: str) -> str:
    """The rate-limit key of a client address: an IPv4 address, or the /64 of an IPv6 one (one subscriber)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def count(session: Session, scope: str, key: str, window_s: int, now: datetime) -> int:
    """Count one hit of `key` in `scope` in the fixed window of `window_s` seconds holding `now`; the hits so far
    in that window, this one included (an atomic upsert: concurrent hits lose no count)."""
    start = int(now.timestamp()) // window_s * window_s
    table = RateCounter.__table__.c
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(RateCounter)
        .values(scope=scope, key=key, window_start=start, hits=1)
        .on_conflict_do_update(index_elements=["scope", "key", "window_start"], set_={"hits": table.hits + 1})
        .returning(table.hits)
    )
    hits: int = session.execute(statement).scalar_one()
    return hits


# --- the public view -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Public:
    """A complaint as anyone may read it (Open311's GET): the complaint and the name of its case's lead unit."""

    complaint: Complaint
    agency: str


def _public() -> Select[Complaint, str]:
    return (
        select(Complaint, Organisation.name)
        .outerjoin(Case, Case.id == Complaint.case_id)
        .outerjoin(Organisation, Organisation.id == Case.lead_unit_id)
    )


def public_requests(session: Session, listing: Listing) -> list[Public]:
    """The complaints `listing` asks for, newest first, at most `MAX_REQUESTS`."""
    stmt = _public()
    if listing.tickets:
        stmt = stmt.where(Complaint.ticket.in_(listing.tickets))
    else:
        if listing.topics:
            stmt = stmt.where(Complaint.topic.in_(listing.topics))
        if listing.start is not None:
            stmt = stmt.where(Complaint.received_at >= listing.start)
        if listing.end is not None:
            stmt = stmt.where(Complaint.received_at <= listing.end)
        if listing.statuses:
            stmt = stmt.where(Complaint.status.in_(listing.statuses))
    rows = session.execute(stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(MAX_REQUESTS))
    return [Public(complaint, agency or "") for complaint, agency in rows]


def public_request(session: Session, ticket: str) -> Public | None:
    """One complaint by its ticket, or None."""
    row = session.execute(_public().where(Complaint.ticket == ticket)).first()
    return None if row is None else Public(row[0], row[1] or "")


def complaint_by_ticket(session: Session, ticket: str) -> Complaint | None:
    """The complaint of a ticket, or None."""
    return session.scalars(select(Complaint).where(Complaint.ticket == ticket)).first()
