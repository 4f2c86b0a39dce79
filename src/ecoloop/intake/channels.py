"""What the machine channels (Open311, the JSON API) read: the public view of complaints (never their
complainant). A partner's key is checked by `intake.partners.authenticate`; the rate limits are the public page's
(`intake.ratelimit`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor
from ecoloop.cases.models import Case
from ecoloop.identity.models import Organisation
from ecoloop.intake.models import Complaint, Partner
from ecoloop.intake.open311 import MAX_REQUESTS, Listing

CITIZEN = "citizen"  # the audit trail's actor of the public channels (audit.labels.SYSTEM_ACTORS)

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


def actor(partner: Partner | None, ip: str) -> Actor:
    """Who files a machine channel's complaint in the audit trail: a partner platform (with its server's address), or
    a citizen (no address, as on the public page: nothing of the complainant goes into the audit trail)."""
    return Actor(label=f"partner {partner.code}", ip=ip) if partner else Actor(label=CITIZEN)
