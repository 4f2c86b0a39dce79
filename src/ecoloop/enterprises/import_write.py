"""Writing a parsed enterprise-file workbook to the database: every row through `enterprises.service` inside one
savepoint, trying every row so that the report lists every problem; if there is any problem nothing is kept.
Importing the same workbook again duplicates nothing: enterprises (by credit code), permits (by number), outlets
and limits are updated in place, identical memberships and grades skipped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.enterprises import service
from ecoloop.enterprises.enums import EnterpriseStatus
from ecoloop.enterprises.import_layout import ENTERPRISES, GRADES, LISTS, PERMITS, header_of
from ecoloop.enterprises.import_parse import (
    EnterpriseRow,
    LimitPart,
    MembershipRow,
    OutletPart,
    ParsedWorkbook,
    PermitRow,
    parse_workbook,
)
from ecoloop.enterprises.import_report import Entity, ImportReport, Problem, problem_order, zero_counts
from ecoloop.enterprises.models import (
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.enterprises.service import EnterpriseError
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region_by_code
from ecoloop.sheets import SheetLimits, squash
from ecoloop.sheets.registry import all_or_nothing

T = TypeVar("T")

# The column a service refusal is reported in, by the service's error code.
_ERROR_COLUMNS = {
    "credit_code_taken": "credit_code",
    "name_missing": "name",
    "industry_code": "industry_code",
    "coordinates_incomplete": "longitude",
    "coordinates_out_of_range": "longitude",
    "permit_number_taken": "number",
    "end_before_start": "end",
    "outlet_code_taken": "outlet_code",
    "site_of_another_enterprise": "site_code",
    "limit_invalid": "limit_value",
    "limit_taken": "pollutant",
    "limit_source_missing": "source",
    "membership_overlaps": "start",
    "already_ended": "end",
    "grade_not_after_latest": "start",
}


def import_workbook(
    session: Session, principal: Principal, data: bytes, sheet_limits: SheetLimits | None = None
) -> ImportReport:
    """Import an .xlsx workbook of enterprise files as `principal` (who needs `manage_enterprises`; a branch
    reaches only its county's enterprises): all of it, or nothing when any row has a problem. Writes go through
    `enterprises.service` in a savepoint of the session; the caller sets the audit actor and commits."""
    require(principal, Action.MANAGE_ENTERPRISES)
    parsed = parse_workbook(data, sheet_limits)
    report = ImportReport(
        sheets=parsed.sheets,
        rows=parsed.rows,
        ignored_sheets=parsed.ignored_sheets,
        ignored_columns=parsed.ignored_columns,
        problems=list(parsed.problems),
    )
    if not parsed.sheets:
        return report
    writer = _Writer(session, principal, parsed, report)

    def refused(exc: SQLAlchemyError) -> None:
        sheet, row = writer.at
        report.problems.append(Problem(sheet, row, "", "database", type(exc).__name__))

    all_or_nothing(session, writer.run, failed=lambda: bool(report.problems), refused=refused)
    if report.problems:
        report.counts = zero_counts()
        report.problems.sort(key=problem_order)
    return report


class _Writer:
    """Writes parsed rows through the service, recording each refusal with its sheet and row."""

    def __init__(self, session: Session, principal: Principal, parsed: ParsedWorkbook, report: ImportReport) -> None:
        self.session = session
        self.principal = principal
        self.parsed = parsed
        self.report = report
        self.at: tuple[str, int] = ("", 0)  # the row being written, for a database error
        self.enterprises: dict[str, Enterprise] = {}
        self.regions: dict[str, Region | None] = {}
        self.sites: dict[str, Site | None] = {}
        self.permits: dict[str, Permit | None] = {}
        self.outlets: dict[tuple[str, str], Outlet | None] = {}

    def run(self) -> None:
        self.write_enterprises()
        self.write_permits()
        self.write_memberships()
        self.write_grades()

    def problem(self, sheet: str, row: int, key: str, code: str, value: object = "") -> None:
        self.report.problems.append(Problem(sheet, row, header_of(sheet, key), code, str(value)))

    def refused(self, sheet: str, row: int, error: EnterpriseError, key: str) -> None:
        self.problem(sheet, row, _ERROR_COLUMNS.get(error.code, key), error.code, error)

    def tally(self, entity: Entity, *, added: bool = False, changed: bool = False) -> None:
        self.report.counts[entity].tally(added=added, changed=changed)

    # enterprises

    def write_enterprises(self) -> None:
        for row in self.parsed.enterprises:
            self.at = (ENTERPRISES, row.row)
            region = self.region(row)
            existing = self.visible_enterprise(row.credit_code)
            if existing is None and self.session.scalar(
                select(Enterprise.id).where(Enterprise.credit_code == row.credit_code)
            ):
                self.problem(ENTERPRISES, row.row, "credit_code", "credit_code_taken")
                continue
            if region is None:
                continue
            if not region.active and (existing is None or existing.region_id != region.id):
                # A retired region takes no new enterprise; one already there may stay (issue 15).
                self.problem(ENTERPRISES, row.row, "region_code", "region_retired", row.region_code)
                continue
            if existing is not None:
                self.update_enterprise(row, existing, region)
                self.enterprises[row.credit_code] = existing
                continue
            try:
                enterprise = service.create_enterprise(
                    self.session,
                    credit_code=row.credit_code,
                    name=row.name,
                    region=region,
                    industry_code=row.industry_code,
                    address=row.address,
                    status=row.status or EnterpriseStatus.OPERATING,
                    longitude=row.longitude,
                    latitude=row.latitude,
                    contact_name=row.contact_name,
                    contact_phone=row.contact_phone,
                )
            except EnterpriseError as exc:
                self.refused(ENTERPRISES, row.row, exc, "credit_code")
                continue
            self.tally(Entity.ENTERPRISE, added=True)
            self.enterprises[row.credit_code] = enterprise

    def update_enterprise(self, row: EnterpriseRow, enterprise: Enterprise, region: Region) -> None:
        """Apply a row to an existing enterprise; blank cells keep the stored values."""
        before = _record_of(enterprise)
        try:
            service.update_enterprise(
                self.session,
                enterprise,
                name=row.name,
                region=region,
                industry_code=_given(row.industry_code, enterprise.industry_code),
                address=_given(row.address, enterprise.address),
                status=row.status or enterprise.status,
                longitude=_given(row.longitude, enterprise.longitude),
                latitude=_given(row.latitude, enterprise.latitude),
                contact_name=_given(row.contact_name, enterprise.contact_name),
                contact_phone=_given(row.contact_phone, enterprise.contact_phone),
            )
        except EnterpriseError as exc:
            self.refused(ENTERPRISES, row.row, exc, "credit_code")
            return
        self.tally(Entity.ENTERPRISE, changed=_record_of(enterprise) != before)

    def region(self, row: EnterpriseRow) -> Region | None:
        """The row's region if the principal may place enterprises there (a county, town or village of its area)."""
        code = row.region_code
        if code not in self.regions:
            self.regions[code] = get_region_by_code(self.session, self.principal, code)
        region = self.regions[code]
        if region is None:
            exists = self.session.scalar(select(Region.id).where(Region.code == code)) is not None
            self.problem(
                ENTERPRISES, row.row, "region_code", "region_outside_area" if exists else "region_unknown", code
            )
        elif region.level is RegionLevel.CITY:
            self.problem(ENTERPRISES, row.row, "region_code", "region_too_coarse", code)
            return None
        return region

    def visible_enterprise(self, credit_code: str) -> Enterprise | None:
        stmt = select(Enterprise).where(Enterprise.credit_code == credit_code)
        return self.session.scalars(scoped(stmt, self.principal, Enterprise)).first()

    def enterprise_for(self, sheet: str, row: int, credit_code: str) -> Enterprise | None:
        """The enterprise a permit, list or grade row refers to: from this workbook or visible to the principal."""
        if credit_code in self.enterprises:
            return self.enterprises[credit_code]
        if credit_code in self.parsed.declared:
            return None  # its row of the enterprise sheet has a problem, reported there
        enterprise = self.visible_enterprise(credit_code)
        if enterprise is None:
            self.problem(sheet, row, "credit_code", "unknown_enterprise", credit_code)
            return None
        self.enterprises[credit_code] = enterprise
        return enterprise

    # permits, outlets, limits

    def write_permits(self) -> None:
        for row in self.parsed.permits:
            self.at = (PERMITS, row.row)
            enterprise = self.enterprise_for(PERMITS, row.row, row.credit_code)
            permit = self.permit(row, enterprise) if enterprise else None
            outlet = self.outlet(row, row.outlet, permit) if permit and row.outlet else None
            if outlet and row.limit:
                self.limit(row, row.limit, outlet)

    def permit(self, row: PermitRow, enterprise: Enterprise) -> Permit | None:
        if row.number in self.permits:
            return self.permits[row.number]
        permit = self.session.scalars(select(Permit).where(Permit.number == row.number)).first()
        if permit is not None and permit.enterprise_id != enterprise.id:
            self.problem(PERMITS, row.row, "number", "permit_number_taken", row.number)
            permit = None
        elif permit is not None:
            values = {
                "permit_class": row.permit_class,
                "valid_from": row.valid_from,
                "valid_to": row.valid_to,
                "issued_by": row.issued_by,
            }
            self.tally(Entity.PERMIT, changed=_assign(permit, values))
        else:
            try:
                permit = service.add_permit(
                    self.session,
                    enterprise=enterprise,
                    number=row.number,
                    permit_class=row.permit_class,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                    issued_by=row.issued_by,
                )
                self.tally(Entity.PERMIT, added=True)
            except EnterpriseError as exc:
                self.refused(PERMITS, row.row, exc, "number")
        self.permits[row.number] = permit
        return permit

    def outlet(self, row: PermitRow, part: OutletPart, permit: Permit) -> Outlet | None:
        key = (row.number, part.code)
        if key in self.outlets:
            return self.outlets[key]
        site = self.site(row.row, part.site_code, permit) if part.site_code else None
        outlet: Outlet | None = None
        if part.site_code is None or site is not None:
            stmt = select(Outlet).where(Outlet.permit_id == permit.id, Outlet.code == part.code)
            outlet = self.session.scalars(stmt).first()
            if outlet is not None:
                values = {"name": part.name, "kind": part.kind, "site_id": site.id if site else None}
                self.tally(Entity.OUTLET, changed=_assign(outlet, values))
            else:
                try:
                    outlet = service.add_outlet(
                        self.session, permit=permit, code=part.code, name=part.name or "", kind=part.kind, site=site
                    )
                    self.tally(Entity.OUTLET, added=True)
                except EnterpriseError as exc:
                    self.refused(PERMITS, row.row, exc, "outlet_code")
        self.outlets[key] = outlet
        return outlet

    def site(self, row: int, code: str, permit: Permit) -> Site | None:
        """The monitoring site an outlet row names, if the principal sees it and it is the permit holder's."""
        if code not in self.sites:
            stmt = scoped(select(Site).where(Site.code == code), self.principal, Site)
            self.sites[code] = self.session.scalars(stmt).first()
        site = self.sites[code]
        if site is None:
            self.problem(PERMITS, row, "site_code", "site_unknown", code)
        elif site.enterprise_id != permit.enterprise_id:
            self.problem(PERMITS, row, "site_code", "site_of_another_enterprise", code)
            return None
        return site

    def limit(self, row: PermitRow, part: LimitPart, outlet: Outlet) -> None:
        stmt = select(OutletLimit).where(
            OutletLimit.outlet_id == outlet.id,
            OutletLimit.pollutant == part.pollutant,
            OutletLimit.averaging == part.averaging,
        )
        limit = self.session.scalars(stmt).first()
        if limit is not None:
            values = {
                "limit_value": part.value,
                "unit": part.unit,
                "reference_o2": part.reference_o2,
                "source": part.source,
            }
            self.tally(Entity.LIMIT, changed=_assign(limit, values))
            return
        try:
            service.add_limit(
                self.session,
                outlet=outlet,
                pollutant=part.pollutant,
                limit_value=part.value,
                unit=part.unit,
                source=part.source,
                averaging=part.averaging,
                reference_o2=part.reference_o2,
            )
            self.tally(Entity.LIMIT, added=True)
        except EnterpriseError as exc:
            self.refused(PERMITS, row.row, exc, "limit_value")

    # list memberships

    def write_memberships(self) -> None:
        lists: dict[str, SupervisionList] = {}
        for defined in self.session.scalars(select(SupervisionList)):
            lists.setdefault(squash(defined.code), defined)
            lists.setdefault(squash(defined.name), defined)
        for row in self.parsed.memberships:
            self.at = (LISTS, row.row)
            enterprise = self.enterprise_for(LISTS, row.row, row.credit_code)
            supervision_list = lists.get(squash(row.list_ref))
            if supervision_list is None:
                self.problem(LISTS, row.row, "list", "unknown_list", row.list_ref)
            if enterprise is None or supervision_list is None:
                continue
            stmt = select(ListMembership).where(
                ListMembership.list_id == supervision_list.id,
                ListMembership.enterprise_id == enterprise.id,
                ListMembership.start == row.start,
            )
            existing = self.session.scalars(stmt).first()
            if existing is None:
                self.add_membership(row, supervision_list, enterprise)
            else:
                self.update_membership(row, existing)

    def add_membership(self, row: MembershipRow, supervision_list: SupervisionList, enterprise: Enterprise) -> None:
        try:
            service.add_membership(
                self.session,
                supervision_list=supervision_list,
                enterprise=enterprise,
                start=row.start,
                end=row.end,
                reason=row.reason or "",
                document=row.document or "",
            )
            self.tally(Entity.MEMBERSHIP, added=True)
        except EnterpriseError as exc:
            self.refused(LISTS, row.row, exc, "start")

    def update_membership(self, row: MembershipRow, membership: ListMembership) -> None:
        """The same membership again: skipped, or ended (or ended earlier) when the row gives an end."""
        changed = False
        if membership.end != row.end:
            if row.end is None or (membership.end is not None and row.end > membership.end):
                self.problem(LISTS, row.row, "end", "already_ended", membership.end)
                return
            try:
                service.end_membership(self.session, membership, row.end)
            except EnterpriseError as exc:
                self.refused(LISTS, row.row, exc, "end")
                return
            changed = True
        changed = _assign(membership, {"reason": row.reason, "document": row.document}) or changed
        self.tally(Entity.MEMBERSHIP, changed=changed)

    # grades

    def write_grades(self) -> None:
        # Grades of one enterprise follow each other: apply them in order of their start.
        for row in sorted(self.parsed.grades, key=lambda r: (r.credit_code, r.start)):
            self.at = (GRADES, row.row)
            enterprise = self.enterprise_for(GRADES, row.row, row.credit_code)
            if enterprise is None:
                continue
            stmt = select(GradeRecord).where(GradeRecord.enterprise_id == enterprise.id, GradeRecord.start == row.start)
            existing = self.session.scalars(stmt).first()
            if existing is not None and existing.grade == row.grade:
                self.tally(Entity.GRADE, changed=_assign(existing, {"document": row.document}))
                continue
            try:
                service.set_grade(
                    self.session, enterprise=enterprise, grade=row.grade, start=row.start, document=row.document or ""
                )
                self.tally(Entity.GRADE, added=True)
            except EnterpriseError as exc:
                self.refused(GRADES, row.row, exc, "start")


def _assign(record: object, values: Mapping[str, object]) -> bool:
    """Set the given (not None) values that differ from the record's; whether anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _given(value: T | None, stored: T | None) -> T | None:
    """A cell's value, or the stored one when the cell is blank."""
    return stored if value is None else value


def _record_of(enterprise: Enterprise) -> tuple[object, ...]:
    """The values of an enterprise's record that an import may change."""
    e = enterprise
    return (
        e.name,
        e.region_id,
        e.industry_code,
        e.address,
        e.status,
        e.longitude,
        e.latitude,
        e.contact_name,
        e.contact_phone,
    )
