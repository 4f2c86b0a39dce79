"""Keeping enterprise files: records, permits with outlets and limits, lists, grades, and data corrections.

Every function checks what it is given and raises `EnterpriseError` with a stable code; callers own the
transaction (and set the audit actor)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ecoloop.enterprises.enums import (
    Averaging,
    CorrectionStatus,
    EnterpriseStatus,
    OutletKind,
    PerformanceGrade,
    PermitClass,
)
from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.enterprises.rules import credit_code_problem, industry_code_problem, overlaps, period_problem
from ecoloop.monitoring.models import Site
from ecoloop.regions.models import Region
from ecoloop.standards.emission import LimitSpec


class Account(Protocol):
    """A user account as a correction request sees it (`ecoloop.identity.models.User`): the identity capability
    sits above the enterprise file, which it binds enterprise users to (issue 14)."""

    @property
    def id(self) -> int: ...

    @property
    def enterprise_id(self) -> int | None: ...


class EnterpriseError(ValueError):
    """Something that cannot be recorded in an enterprise file; `code` is stable (for messages and imports)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


def create_enterprise(
    session: Session,
    *,
    credit_code: str,
    name: str,
    region: Region,
    industry_code: str | None = None,
    address: str | None = None,
    status: EnterpriseStatus = EnterpriseStatus.OPERATING,
    longitude: Decimal | None = None,
    latitude: Decimal | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
) -> Enterprise:
    """Add an enterprise; the credit code must pass its GB 32100-2015 check and be new."""
    credit_code = credit_code.strip().upper()
    problem = credit_code_problem(credit_code)
    if problem is not None:
        raise EnterpriseError(f"credit_code_{problem}", f"credit code {credit_code!r}: {problem}")
    if session.scalar(select(Enterprise.id).where(Enterprise.credit_code == credit_code)) is not None:
        raise EnterpriseError("credit_code_taken", f"credit code {credit_code} is already registered")
    if not name.strip():
        raise EnterpriseError("name_missing")
    if industry_code and industry_code_problem(industry_code):
        raise EnterpriseError("industry_code", f"{industry_code!r} is not a GB/T 4754-2017 code")
    _check_coordinates(longitude, latitude)
    enterprise = Enterprise(
        credit_code=credit_code,
        name=name.strip(),
        region_id=region.id,
        industry_code=industry_code or None,
        address=address,
        status=status,
        longitude=longitude,
        latitude=latitude,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    session.add(enterprise)
    session.flush()
    return enterprise


def update_enterprise(
    session: Session,
    enterprise: Enterprise,
    *,
    name: str,
    region: Region,
    industry_code: str | None,
    address: str | None,
    status: EnterpriseStatus,
    longitude: Decimal | None,
    latitude: Decimal | None,
    contact_name: str | None,
    contact_phone: str | None,
) -> None:
    """Change an enterprise's record (not its credit code, which identifies it), checked as `create_enterprise`
    checks a new one; an unchanged industry code recorded before that check (4411, without its section letter)
    is kept."""
    if not name.strip():
        raise EnterpriseError("name_missing")
    if industry_code and industry_code != enterprise.industry_code and industry_code_problem(industry_code):
        raise EnterpriseError("industry_code", f"{industry_code!r} is not a GB/T 4754-2017 code")
    _check_coordinates(longitude, latitude)
    enterprise.name = name.strip()
    enterprise.region_id = region.id
    enterprise.industry_code = industry_code
    enterprise.address = address
    enterprise.status = status
    enterprise.longitude, enterprise.latitude = longitude, latitude
    enterprise.contact_name, enterprise.contact_phone = contact_name, contact_phone
    session.flush()


def _check_coordinates(longitude: Decimal | None, latitude: Decimal | None) -> None:
    if (longitude is None) != (latitude is None):
        raise EnterpriseError("coordinates_incomplete")
    if longitude is not None and latitude is not None and not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise EnterpriseError("coordinates_out_of_range")


def add_permit(
    session: Session,
    *,
    enterprise: Enterprise,
    number: str,
    permit_class: PermitClass,
    valid_from: date,
    valid_to: date,
    issued_by: str | None = None,
) -> Permit:
    """Record a discharge permit of `enterprise`; the number is unique."""
    number = number.strip()
    if not number:
        raise EnterpriseError("permit_number_missing")
    if session.scalar(select(Permit.id).where(Permit.number == number)) is not None:
        raise EnterpriseError("permit_number_taken", f"permit {number} is already recorded")
    if valid_to < valid_from:
        raise EnterpriseError("end_before_start")
    permit = Permit(
        enterprise_id=enterprise.id,
        number=number,
        permit_class=permit_class,
        valid_from=valid_from,
        valid_to=valid_to,
        issued_by=issued_by,
    )
    session.add(permit)
    session.flush()
    return permit


def add_outlet(
    session: Session, *, permit: Permit, code: str, name: str, kind: OutletKind, site: Site | None = None
) -> Outlet:
    """Add an outlet to a permit, optionally linked to the monitoring site that measures it (the enterprise's)."""
    code = code.strip().upper()
    if not code:
        raise EnterpriseError("outlet_code_missing")
    taken = select(Outlet.id).where(Outlet.permit_id == permit.id, Outlet.code == code)
    if session.scalar(taken) is not None:
        raise EnterpriseError("outlet_code_taken", f"outlet {code} is already on permit {permit.number}")
    if site is not None and site.enterprise_id != permit.enterprise_id:
        raise EnterpriseError("site_of_another_enterprise")
    outlet = Outlet(
        permit_id=permit.id, code=code, name=name.strip() or code, kind=kind, site_id=site.id if site else None
    )
    session.add(outlet)
    session.flush()
    return outlet


def add_limit(
    session: Session,
    *,
    outlet: Outlet,
    pollutant: str,
    limit_value: Decimal,
    unit: str,
    source: str,
    averaging: Averaging = Averaging.HOUR,
    reference_o2: Decimal | None = None,
) -> OutletLimit:
    """Add a permitted concentration limit at an outlet; checked as `standards.emission.LimitSpec` checks it."""
    if not source.strip():
        raise EnterpriseError("limit_source_missing", "every limit names the standard or permit clause it comes from")
    try:
        LimitSpec(
            pollutant=pollutant,
            limit=limit_value,
            unit=unit,
            averaging=averaging.value,
            source=source,
            reference_o2=reference_o2,
        )
    except ValueError as exc:
        raise EnterpriseError("limit_invalid", str(exc)) from None
    taken = select(OutletLimit.id).where(
        OutletLimit.outlet_id == outlet.id, OutletLimit.pollutant == pollutant, OutletLimit.averaging == averaging
    )
    if session.scalar(taken) is not None:
        raise EnterpriseError("limit_taken", f"{pollutant} ({averaging}) already has a limit at {outlet.code}")
    limit = OutletLimit(
        outlet_id=outlet.id,
        pollutant=pollutant,
        limit_value=limit_value,
        unit=unit,
        averaging=averaging,
        reference_o2=reference_o2,
        source=source.strip(),
    )
    session.add(limit)
    session.flush()
    return limit


def add_list(session: Session, *, code: str, name: str, description: str = "") -> SupervisionList:
    """Define a new supervision list (admins; the built-in ones come with the installation)."""
    code = code.strip()
    if not code or not name.strip():
        raise EnterpriseError("list_code_or_name_missing")
    if session.scalar(select(SupervisionList.id).where(SupervisionList.code == code)) is not None:
        raise EnterpriseError("list_code_taken")
    supervision_list = SupervisionList(code=code, name=name.strip(), description=description, builtin=False)
    session.add(supervision_list)
    session.flush()
    return supervision_list


def add_membership(
    session: Session,
    *,
    supervision_list: SupervisionList,
    enterprise: Enterprise,
    start: date,
    end: date | None = None,
    reason: str = "",
    document: str = "",
) -> ListMembership:
    """Put an enterprise on a list for [start, end] (inclusive; end None: until further notice). Periods of one
    enterprise on one list may not overlap."""
    problem = period_problem(start, end)
    if problem is not None:
        raise EnterpriseError(problem)
    existing = session.scalars(
        select(ListMembership).where(
            ListMembership.list_id == supervision_list.id, ListMembership.enterprise_id == enterprise.id
        )
    )
    for other in existing:
        if overlaps(start, end, other.start, other.end):
            raise EnterpriseError(
                "membership_overlaps", f"already on {supervision_list.name} from {other.start} to {other.end or '…'}"
            )
    membership = ListMembership(
        list_id=supervision_list.id,
        enterprise_id=enterprise.id,
        start=start,
        end=end,
        reason=reason,
        document=document,
    )
    session.add(membership)
    session.flush()
    return membership


def end_membership(session: Session, membership: ListMembership, end: date, *, reason: str = "") -> None:
    """Take an enterprise off a list: its last day on the list is `end`."""
    if end < membership.start:
        raise EnterpriseError("end_before_start")
    if membership.end is not None and membership.end < end:
        raise EnterpriseError("already_ended", f"the membership ended on {membership.end}")
    membership.end = end
    if reason:
        membership.reason = f"{membership.reason}; {reason}" if membership.reason else reason
    session.flush()


def set_grade(
    session: Session, *, enterprise: Enterprise, grade: PerformanceGrade, start: date, document: str = ""
) -> GradeRecord:
    """Give an enterprise a performance grade from `start` on. The grade in force until then ends the day before;
    a grade may not start on or before the start of a later record."""
    records = list(
        session.scalars(
            select(GradeRecord).where(GradeRecord.enterprise_id == enterprise.id).order_by(GradeRecord.start)
        )
    )
    for record in records:
        if record.start >= start:
            raise EnterpriseError("grade_not_after_latest", f"a grade record starts on {record.start}")
    for record in records:
        if record.end is None or record.end >= start:
            record.end = start - timedelta(days=1)
    new = GradeRecord(enterprise_id=enterprise.id, grade=grade, start=start, end=None, document=document)
    session.add(new)
    session.flush()
    return new


def request_correction(
    session: Session,
    *,
    user: Account,
    site: Site,
    parameter: str,
    interval: str,
    time: datetime,
    current_value: Decimal | None,
    proposed_value: Decimal | None,
    proposed_flag: str | None,
    reason: str,
) -> DataCorrection:
    """An enterprise user asks to correct a reading of one of its own sites; the bureau reviews it."""
    if user.enterprise_id is None or site.enterprise_id != user.enterprise_id:
        raise EnterpriseError("site_of_another_enterprise")
    if not reason.strip():
        raise EnterpriseError("reason_missing", "a correction says why the stored value is wrong")
    if time.tzinfo is None:
        raise EnterpriseError("naive_time")
    if proposed_value is None and proposed_flag is None:
        raise EnterpriseError("nothing_proposed")
    correction = DataCorrection(
        enterprise_id=user.enterprise_id,
        site_id=site.id,
        parameter=parameter,
        interval=interval,
        time=time,
        current_value=current_value,
        proposed_value=proposed_value,
        proposed_flag=proposed_flag,
        reason=reason.strip(),
        submitted_by_id=user.id,
    )
    session.add(correction)
    session.flush()
    return correction


def review_correction(
    session: Session, correction: DataCorrection, *, reviewer: Account, approve: bool, note: str, now: datetime
) -> None:
    """Approve or reject a pending correction. Storing an approved value is the caller's next step
    (`ecoloop.readings.store`: a reading with source `correction`), so the hot store and this record commit
    in the caller's order: the reading first, then this decision.

    The decision claims the request in the database (it changes the row only while it is still pending), so of
    two reviewers deciding at once the second gets `already_reviewed`, whatever their sessions had loaded."""
    if correction.status is not CorrectionStatus.PENDING:
        raise EnterpriseError("already_reviewed")
    if reviewer.enterprise_id is not None:
        raise EnterpriseError("reviewer_is_enterprise")
    if not approve and not note.strip():
        raise EnterpriseError("note_missing", "a rejection says why")
    decided = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
    claim = (
        update(DataCorrection)
        .where(DataCorrection.id == correction.id, DataCorrection.status == CorrectionStatus.PENDING)
        .values(status=decided)
        # The loaded object keeps its pending state, so that the flush below records the whole decision (and
        # the audit record its change from pending).
        .execution_options(synchronize_session=False)
    )
    claimed = cast(CursorResult[Any], session.execute(claim))  # an UPDATE's result is a cursor result
    if claimed.rowcount != 1:
        raise EnterpriseError("already_reviewed", "another reviewer decided this request first")
    correction.status = decided
    correction.reviewed_by_id = reviewer.id
    correction.reviewed_at = now
    correction.review_note = note.strip()
    session.flush()
