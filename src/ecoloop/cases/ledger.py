"""Rectification ledgers (整改台账, 一市一档): the cases of a city or a county over a period, with figures per county,
and the ledger as the Excel workbook offices keep.

The period selects the cases that were open at any time in it: registered on or before its last day and not
closed before its first (still open, or closed within the period or later). A yearly ledger thus carries the
problems handed over from earlier years and those closed during the year. Merged cases (duplicates) are left
out, as supervision ledgers count them. States, progress and the overdue mark are the cases' current ones.

Sheet titles, headers and the words in cells are the file format offices use, so they are written here in
Chinese, like data fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]  # openpyxl ships no type information
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.cases.enums import CaseSource, Category, EventKind, Finding
from ecoloop.cases.models import Case, CaseEvent, CaseUnit
from ecoloop.cases.progress import Progress, tally
from ecoloop.cases.workflow import PROGRESS, ProgressClass, State
from ecoloop.enterprises.models import Enterprise
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.i18n import gettext
from ecoloop.identity.models import Organisation
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

CITY_LEVEL = "市本级"  # the group of cases located in the city as a whole, not in one county
_LP, _RP = "\uff08", "\uff09"  # full-width parentheses of the titles (escaped: flagged as confusable in code)


@dataclass(frozen=True)
class LedgerRow:
    """One case as a ledger lists it."""

    case_id: int
    number: str
    external_ref: str
    source: CaseSource
    category: Category
    title: str
    county_code: str  # "" for a case of the city as a whole
    county: str
    town: str
    village: str
    enterprise: str
    lead_unit: str
    co_units: tuple[str, ...]
    responsible_leader: str
    registered_on: date
    deadline: date | None
    state: State
    overdue: bool
    closed_on: date | None
    finding: Finding | None
    handling: str
    accountable_persons: str

    @property
    def progress(self) -> ProgressClass:
        """completed, basically_completed or in_progress (workflow.PROGRESS)."""
        return PROGRESS[self.state]


@dataclass(frozen=True)
class CountyLedger:
    """The ledger of one county (or of the city level): its cases and their figures."""

    code: str
    name: str
    rows: tuple[LedgerRow, ...]
    progress: Progress


@dataclass(frozen=True)
class Ledger:
    """The ledger of a city or a county over a period: one part per county, and the figures of all of them."""

    city: str
    region: str
    start: date
    end: date
    counties: tuple[CountyLedger, ...]
    total: Progress


def ledger(session: Session, principal: Principal, region: Region, *, start: date, end: date, tz: tzinfo) -> Ledger:
    """The ledger of `region` (the city or a county) for the cases open at any time from `start` to `end` (local
    days in `tz`) that the principal sees, in four queries: counties, cases, region names, co-units."""
    if region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        raise ValueError("a ledger covers the city or a county")
    if end < start:
        raise ValueError("the period ends before it starts")
    first = datetime.combine(start, time.min, tz)
    after = datetime.combine(end + timedelta(days=1), time.min, tz)
    registered = (
        select(CaseEvent.case_id, func.min(CaseEvent.at).label("at"))
        .where(CaseEvent.kind == EventKind.REGISTERED)
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    in_ledger = scoped(
        select(Case.id)
        .join(Region, Region.id == Case.region_id)
        .join(registered, registered.c.case_id == Case.id)
        .where(
            Region.path.startswith(region.path, autoescape=True),
            Case.state != State.MERGED,
            registered.c.at < after,
            or_(Case.closed_at.is_(None), Case.closed_at >= first),
        ),
        principal,
        Case,
    )
    cases = session.execute(
        select(Case, registered.c.at, Enterprise.name)
        .join(registered, registered.c.case_id == Case.id)
        .outerjoin(Enterprise, Enterprise.id == Case.enterprise_id)
        .where(Case.id.in_(in_ledger))
    ).all()
    counties = list(
        session.scalars(
            scoped(select(Region), principal, Region)
            .where(
                Region.level == RegionLevel.COUNTY,
                or_(Region.id == region.id, Region.parent_id == region.id),
            )
            .order_by(Region.code)
        )
    )
    codes = {code for c, _, _ in cases for code in c.region.path.split(".") if code}
    names: dict[str, str] = {}
    if codes:
        found = scoped(select(Region.code, Region.name), principal, Region).where(Region.code.in_(codes))
        names = {code: name for code, name in session.execute(found)}
    co_units: dict[int, list[str]] = {}
    units = scoped(
        select(CaseUnit.case_id, Organisation.name)
        .join(Organisation, Organisation.id == CaseUnit.organisation_id)
        .where(CaseUnit.case_id.in_(in_ledger))
        .order_by(CaseUnit.id),
        principal,
        CaseUnit,
    )
    for case_id, unit in session.execute(units):
        co_units.setdefault(case_id, []).append(unit)
    rows = [_row(c, at, enterprise, names, co_units.get(c.id, []), tz) for c, at, enterprise in cases]
    city = region if region.level is RegionLevel.CITY else region.parent
    return _assemble(city.name if city else "", region, start, end, counties, rows)


def _row(
    case: Case, registered_at: datetime, enterprise: str | None, names: dict[str, str], co_units: list[str], tz: tzinfo
) -> LedgerRow:
    # A region's path is city.county.town.village; the case lies at one of those levels.
    path = [code for code in case.region.path.split(".") if code]
    county, town, village = ([names.get(code, "") for code in path[1:]] + ["", "", ""])[:3]
    return LedgerRow(
        case_id=case.id,
        number=case.number,
        external_ref=case.external_ref,
        source=case.source,
        category=case.category,
        title=case.title,
        county_code=path[1] if len(path) > 1 else "",
        county=county,
        town=town,
        village=village,
        enterprise=enterprise or "",
        lead_unit=case.lead_unit.name if case.lead_unit else "",
        co_units=tuple(co_units),
        responsible_leader=case.responsible_leader,
        registered_on=registered_at.astimezone(tz).date(),
        deadline=case.deadline,
        state=case.state,
        overdue=case.overdue,
        closed_on=case.closed_at.astimezone(tz).date() if case.closed_at else None,
        finding=case.finding,
        handling=case.handling,
        accountable_persons=case.accountable_persons,
    )


def _assemble(
    city: str, region: Region, start: date, end: date, counties: Sequence[Region], rows: Sequence[LedgerRow]
) -> Ledger:
    by_county: dict[str, list[LedgerRow]] = {}
    for row in sorted(rows, key=lambda r: (r.registered_on, r.number)):
        by_county.setdefault(row.county_code, []).append(row)
    parts = [(county.code, county.name, by_county.pop(county.code, [])) for county in counties]
    # Cases of the city as a whole (no county code), and of any county the principal sees cases of but not the
    # county itself (an enterprise, a department of another area).
    parts += [(code, found[0].county or CITY_LEVEL, found) for code, found in sorted(by_county.items())]
    ledgers = tuple(
        CountyLedger(code, name, tuple(found), tally((r.state, 1, int(r.overdue)) for r in found))
        for code, name, found in parts
    )
    return Ledger(city, region.name, start, end, ledgers, tally((r.state, 1, int(r.overdue)) for r in rows))


# --- the workbook ----------------------------------------------------------------------------------------------------

SUMMARY_SHEET = "汇总"
SUMMARY_HEADER = ("序号", "县区", "问题总数", "已完成", "基本完成", "整改中", "逾期", "完成率(%)")
LEDGER_HEADER = (
    "序号",
    "案件编号",
    "受理编号",
    "问题来源",
    "污染类型",
    "问题概况",
    "县区",
    "乡镇街道",
    "村社区",
    "涉及企业",
    "责任单位",
    "配合单位",
    "包案领导",
    "登记日期",
    "整改时限",
    "办理状态",
    "整改进展",
    "是否逾期",
    "销号日期",
    "是否属实",
    "处理和整改情况",
    "责任人",
)
_WIDTHS = {"问题概况": 40, "处理和整改情况": 40, "责任人": 20, "涉及企业": 24, "责任单位": 24, "配合单位": 24}
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in sheet names


def ledger_workbook(book_ledger: Ledger) -> bytes:
    """The ledger as an .xlsx workbook: the summary sheet first (a row per county and the total), then one sheet
    per county in the layout offices keep (title, header, frozen panes, dates as dates)."""
    book = new_workbook()
    names: set[str] = set()
    period = f"{book_ledger.start.isoformat()}至{book_ledger.end.isoformat()}"
    summary = book.create_sheet(_sheet_name(SUMMARY_SHEET, names))
    summary_rows = [(i, part.name, *_figures(part.progress)) for i, part in enumerate(book_ledger.counties, start=1)]
    summary_rows.append(("", "合计", *_figures(book_ledger.total)))
    _fill(
        summary,
        f"{book_ledger.city}生态环境问题整改台账汇总{_LP}{book_ledger.region} {period}{_RP}",
        SUMMARY_HEADER,
        summary_rows,
    )
    summary.cell(row=len(summary_rows) + 2, column=2).font = Font(bold=True)
    for cell in summary["H"][2:]:
        cell.number_format = "0.0"
    for part in book_ledger.counties:
        sheet = book.create_sheet(_sheet_name(part.name, names))
        title = f"{book_ledger.city}生态环境问题整改台账{_LP}{part.name}{_RP}"
        _fill(sheet, title, LEDGER_HEADER, [_cells(i, row) for i, row in enumerate(part.rows, start=1)])
    return workbook_bytes(book)


def _figures(progress: Progress) -> tuple[object, ...]:
    rate = float(progress.rate) if progress.rate is not None else None
    return (
        progress.total,
        progress.completed,
        progress.basically_completed,
        progress.in_progress,
        progress.overdue,
        rate,
    )


def _cells(number: int, row: LedgerRow) -> tuple[object, ...]:
    return (
        number,
        row.number,
        row.external_ref,
        gettext(row.source.label),
        gettext(row.category.label),
        row.title,
        row.county,
        row.town,
        row.village,
        row.enterprise,
        row.lead_unit,
        "\u3001".join(row.co_units),
        row.responsible_leader,
        row.registered_on,
        row.deadline,
        gettext(row.state.label),
        gettext(row.progress.label),
        "是" if row.overdue else "否",
        row.closed_on,
        gettext(row.finding.label) if row.finding else "",
        row.handling,
        row.accountable_persons,
    )


def _fill(sheet: Any, title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A title row across the columns, a bold header, the rows; frozen below the header, dates as dates."""
    append_row(sheet, [title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    append_row(sheet, header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        append_row(sheet, row)
    for position, text in enumerate(header, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = _WIDTHS.get(text, max(10, 2 * len(text) + 2))
        for cell in sheet[letter][2:]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str) and len(cell.value) > 20:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C3"


def _sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (at most 31 characters, none of []:*?/\\), unique in the workbook."""
    base = _FORBIDDEN.sub("_", name).strip("'") or "Sheet"
    candidate = base[:31]
    number = 2
    while candidate.casefold() in taken:
        suffix = f"({number})"
        candidate = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate
