"""The public channels' allowances, one policy for the page, the JSON API and Open311: submissions counted per
address (an hour) and per phone (a day, by its keyed digest), and look-ups of a ticket with its phone's last four
digits, counted per address (an hour) and, failed ones, per ticket (a day) — an unknown ticket and wrong digits
answer alike, so that neither a ticket nor a phone can be probed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.intake import ratelimit, service
from ecoloop.intake.keyring import Keyring
from ecoloop.intake.models import Complaint
from ecoloop.settings import Settings
from ecoloop.standards import personal_data

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TOO_MANY = "too_many"  # a look-up refused: too many tries from the address or on the ticket
NOT_FOUND = "not_found"  # no complaint has this ticket with these last four digits


def address_over(session: Session, settings: Settings, ip: str, now: datetime) -> bool:
    """Count a public submission from `ip`; whether its address is over its hourly allowance."""
    hits = ratelimit.hit(session, "complaint", ratelimit.address_key(ip), HOUR, now)
    return hits > settings.complaints_per_ip_hour


def address_busy(session: Session, settings: Settings, ip: str, now: datetime, share: float) -> bool:
    """Whether `ip` has used `share` of its hourly allowance (without counting)."""
    hits = ratelimit.peek(session, "complaint", ratelimit.address_key(ip), HOUR, now)
    return hits >= settings.complaints_per_ip_hour * share


def phone_over(session: Session, settings: Settings, ring: Keyring, phone: str, now: datetime) -> bool:
    """Count a public submission giving `phone` (none: nothing counted); whether the phone is over its daily
    allowance."""
    digits = personal_data.phone_digits(phone) if phone.strip() else None
    if not digits:
        return False
    hits = ratelimit.hit(session, "phone", ring.digest("phone", digits), DAY, now)
    return hits > settings.complaints_per_phone_day


def look_up(
    session: Session, settings: Settings, ring: Keyring, ip: str, ticket: str, last4: str, now: datetime
) -> Complaint | str:
    """The complaint of `ticket` (as typed) whose phone ends in `last4` (empty for a complaint without a phone), or
    why not: TOO_MANY or NOT_FOUND. Every try counts against the address; a failed one against the ticket."""
    written = service.ticket_form(ticket)[:64]
    by_address = ratelimit.hit(session, "lookup", ratelimit.address_key(ip), HOUR, now)
    by_ticket = ratelimit.peek(session, "lookup_ticket", written, DAY, now)
    if by_address > settings.lookups_per_ip_hour or by_ticket >= settings.lookups_per_ip_hour:
        return TOO_MANY
    complaint = session.scalars(select(Complaint).where(Complaint.ticket == written)).first()
    if complaint is None or not service.phone_matches(ring, complaint, last4):
        ratelimit.hit(session, "lookup_ticket", written, DAY, now)
        return NOT_FOUND
    return complaint
