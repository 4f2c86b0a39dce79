"""Supervision batches (督察交办批次): importing a batch handed down as an Excel sheet, and the batch's progress.

The sheet has the layout central and provincial supervision offices use (`COLUMNS`): one row per problem, under a
header row that may stand below a title row, columns in any order, headers matched without spaces, full-width
forms, required-marks or a trailing "(…)". Headers and the words accepted in cells are the file format, so they
are written here in Chinese, like data fixtures; problems carry stable codes for the pages to explain.

Every row is checked before anything is written; with any problem nothing is, and every problem is reported with
its row (as Excel numbers it) and column. Otherwise one savepoint creates the batch and a case per row through
`cases.service`: registered (登记), and assigned (交办) where the row names a responsible unit, with the row's
deadline or the batch's. The sheet's 整改状态 is read and reported (`ImportedCase.claimed`) but moves no case
further: reporting, verification and closure are steps of other parties (the unit reports, the bureau verifies)
and go through the workflow, so that every closed case has its timeline.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]  # openpyxl ships no type information
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action as AccessAction
from ecoloop.access.actions import allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.cases.enums import CaseSource, Category, Finding
from ecoloop.cases.models import SupervisionBatch
from ecoloop.cases.service import Acting, CaseError, act, register_case
from ecoloop.cases.workflow import Action, IllegalTransitionError
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.identity.models import Organisation
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.sheets import (
    BadWorkbookError,
    SheetLimits,
    SheetTooLargeError,
    blank_row,
    cell_text,
    header_key,
    parse_date,
    read_sheets,
    squash,
)

T = TypeVar("T")
MAX_ROWS = 5_000  # data rows of a batch sheet
HEADER_SEARCH_ROWS = 10  # title rows may stand above the header
MAX_TEXT = 10_000  # characters of a long text cell
TITLE_LENGTH = 300  # Case.title
BATCH_SOURCES = frozenset(
    {CaseSource.CENTRAL_SUPERVISION, CaseSource.PROVINCIAL_SUPERVISION, CaseSource.WARNING_FILM, CaseSource.OTHER}
)

# --- the sheet's layout ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the sheet: its key, the header offices write, other headers taken for it, whether it must exist."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号"),
    Column("external_ref", "受理编号", aliases=("交办编号", "信访编号", "编号")),
    Column("problem", "交办问题基本情况", True, ("问题基本情况", "交办问题", "信访问题基本情况", "反映问题")),
    Column("region", "行政区域", True, ("所属区域", "所在区域", "行政区划", "区域", "县区")),
    Column("category", "污染类型", True, ("污染类别", "问题类型")),
    Column("investigation", "调查核实情况", aliases=("调查核实", "核查情况")),
    Column("finding", "是否属实", aliases=("属实情况",)),
    Column("handling", "处理和整改情况", aliases=("处理整改情况", "整改情况", "处理情况")),
    Column("accountable", "责任人", aliases=("问责情况", "责任人员", "责任人被处理情况")),
    Column("unit", "责任单位", aliases=("牵头单位", "责任主体")),
    Column("leader", "包案领导", aliases=("责任领导",)),
    Column("deadline", "办结时限", aliases=("整改时限", "完成时限", "整改期限")),
    Column("status", "整改状态", aliases=("办理状态", "整改进展", "是否办结")),
)
_ANCHOR = COLUMNS[2]  # the header row is the first naming the problem column
DATE_FORMATS = "YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日"


def _words(table: Mapping[str, T]) -> dict[str, T]:
    return {squash(word): value for word, value in table.items()}


# The words of the 污染类型 column: the categories' names (`Category.label` in the catalog), their values and the
# words offices write; the file format, so independent of the user's language.
CATEGORY_WORDS = _words(
    {category.value: category for category in Category}
    | {
        "大气": Category.AIR,
        "水": Category.WATER,
        "土壤": Category.SOIL,
        "固废": Category.SOLID_WASTE,
        "噪声": Category.NOISE,
        "生态": Category.ECOLOGY,
        "辐射": Category.RADIATION,
        "其他": Category.OTHER,
        "大气污染": Category.AIR,
        "废气": Category.AIR,
        "空气": Category.AIR,
        "扬尘": Category.AIR,
        "油烟": Category.AIR,
        "恶臭": Category.AIR,
        "水污染": Category.WATER,
        "水环境": Category.WATER,
        "废水": Category.WATER,
        "污水": Category.WATER,
        "土壤污染": Category.SOIL,
        "固体废物": Category.SOLID_WASTE,
        "固体废弃物": Category.SOLID_WASTE,
        "危险废物": Category.SOLID_WASTE,
        "危废": Category.SOLID_WASTE,
        "垃圾": Category.SOLID_WASTE,
        "噪音": Category.NOISE,
        "生态破坏": Category.ECOLOGY,
        "生态环境": Category.ECOLOGY,
        "电磁辐射": Category.RADIATION,
        "其它": Category.OTHER,
    }
)
# 基本属实 counts as true, as supervision ledgers count it.
FINDING_WORDS = _words(
    {"属实": Finding.TRUE, "部分属实": Finding.PARTLY, "不属实": Finding.FALSE}
    | {"基本属实": Finding.TRUE, "是": Finding.TRUE, "否": Finding.FALSE}
)
STATUS_WORDS = _words(
    dict.fromkeys(("已办结", "办结", "已完成", "完成", "已整改", "已整改完成", "已销号"), "completed")
    | dict.fromkeys(("阶段性办结", "已阶段性办结", "阶段性完成", "基本完成", "基本办结"), "basically_completed")
    | dict.fromkeys(
        ("正在整改", "整改中", "未完成", "未办结", "正在办理", "办理中", "序时推进", "按序时推进", "未整改"),
        "in_progress",
    )
)
# List items are separated by the enumeration comma, commas, semicolons, slashes or line breaks (after NFKC).
_LIST_SEPARATORS = re.compile(r"[、,;/\n]+")
# The end of a sentence: the full stop, exclamation, question mark or semicolon, full-width (as escapes) or not.
_SENTENCE_END = re.compile("[\u3002\uff01\uff1f\uff1b!?;\n]")


# --- what an import reports ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why the batch cannot be imported: the row as Excel numbers it (0: the batch or the file as a whole), the
    column's header as the sheet writes it, a stable code, and the value concerned."""

    row: int
    column: str
    code: str
    value: str = ""

    def describe(self) -> str:
        """Where and what, for the CLI and logs."""
        where = " ".join(part for part in (f"row {self.row}" if self.row else "", self.column) if part)
        what = f"{self.code} {self.value}".strip()
        return f"{where}: {what}" if where else what


@dataclass(frozen=True)
class ImportedCase:
    """A case created from a row; `claimed` is the progress class the sheet's 整改状态 gives (None: blank)."""

    row: int
    case_id: int
    number: str
    assigned: bool
    claimed: str | None


@dataclass
class BatchImportReport:
    """The outcome of a batch import: data rows read, cases created, problems. With any problem nothing was
    written (`batch_id` is None, `cases` empty)."""

    rows: int = 0
    batch_id: int | None = None
    cases: list[ImportedCase] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the batch was imported."""
        return not self.problems

    @property
    def claimed(self) -> dict[str, int]:
        """Rows per progress class the sheet claims; the cases themselves start registered or assigned."""
        return dict(Counter(c.claimed for c in self.cases if c.claimed is not None))


# --- reading the sheet -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """A data row that passed every check."""

    row: int
    external_ref: str
    title: str
    description: str
    region: Region
    category: Category
    investigation: str
    finding: Finding | None
    handling: str
    accountable: str
    unit: Organisation | None
    co_units: tuple[Organisation, ...]
    leader: str
    deadline: date | None
    claimed: str | None


def _read_rows(data: bytes, limits: SheetLimits | None) -> list[tuple[Any, ...]]:
    """The rows of the workbook's first sheet that has the header (else of its first sheet)."""
    sheets = [rows for _title, rows in read_sheets(data, MAX_ROWS + HEADER_SEARCH_ROWS + 1, limits)]
    if not sheets:
        raise BadWorkbookError
    return next((rows for rows in sheets if _find_header(rows) is not None), sheets[0])


def _find_header(rows: Sequence[tuple[Any, ...]]) -> int | None:
    """The Excel number of the header row: the first naming the problem column."""
    keys = {header_key(h) for h in (_ANCHOR.header, *_ANCHOR.aliases)}
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        if any(header_key(text) in keys for text in map(cell_text, cells) if text):
            return number
    return None


def _records(
    rows: Sequence[tuple[Any, ...]], report: BatchImportReport
) -> tuple[dict[str, str], list[tuple[int, dict[str, Any]]]]:
    """The headers found (key → header as written) and the data rows as (Excel row number, {key: cell})."""
    header_row = _find_header(rows)
    if header_row is None:
        report.problems.append(Problem(0, _ANCHOR.header, "column_missing", _ANCHOR.header))
        return {}, []
    lookup = {header_key(name): column for column in COLUMNS for name in (column.header, *column.aliases)}
    positions: dict[int, str] = {}
    headers: dict[str, str] = {}
    for position, cell in enumerate(rows[header_row - 1]):
        text = cell_text(cell)
        if text is None:
            continue
        column = lookup.get(header_key(text))
        if column is None:
            report.ignored_columns.append(text)
        elif column.key in headers:
            report.problems.append(Problem(header_row, text, "column_duplicate", text))
        else:
            positions[position] = column.key
            headers[column.key] = text
    missing = [c for c in COLUMNS if c.required and c.key not in headers]
    for column in missing:
        report.problems.append(Problem(header_row, column.header, "column_missing", column.header))
    if missing:
        return headers, []
    records: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(rows[header_row:], start=header_row + 1):
        if blank_row(cells):
            continue
        if len(records) == MAX_ROWS:
            report.problems.append(Problem(number, "", "too_many_rows", str(MAX_ROWS)))
            break
        records.append((number, {key: cells[i] for i, key in positions.items() if i < len(cells)}))
    return headers, records


def title_of(text: str) -> str:
    """A case title from a problem's description: its first sentence, at most TITLE_LENGTH characters."""
    text = text.strip()
    match = _SENTENCE_END.search(text)
    first = (text[: match.start()].strip() if match else "") or text
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "\u2026"


# --- checking rows against the database ----------------------------------------------------------------------------


class _Lookup:
    """The regions and organisations the importer may name, matched by code or by name."""

    def __init__(self, session: Session, principal: Principal) -> None:
        regions = list(session.scalars(scoped(select(Region), principal, Region)))
        by_code = {r.code: r for r in regions}
        self.region_codes = by_code
        self.region_names: dict[str, list[Region]] = {}
        for region in regions:
            # A region by its name, or by its names from any visible ancestor down ("临河县柳林镇").
            names = [by_code[code].name for code in region.path.split(".") if code in by_code]
            for start in range(len(names)):
                key = squash("".join(names[start:]))
                bucket = self.region_names.setdefault(key, [])
                if region not in bucket:
                    bucket.append(region)
        organisations = session.scalars(
            scoped(select(Organisation).where(Organisation.active.is_(True)), principal, Organisation)
        )
        self.units: dict[str, list[Organisation]] = {}
        for organisation in organisations:
            for key in {squash(organisation.name), squash(organisation.code)}:
                self.units.setdefault(key, []).append(organisation)

    def region(self, text: str) -> tuple[Region | None, str]:
        """The region `text` names and "", or None and the problem's code."""
        found = self.region_codes.get(squash(text))
        candidates = [found] if found else self.region_names.get(squash(text), [])
        if not candidates:
            return None, "region_unknown"
        if len(candidates) > 1:
            return None, "region_ambiguous"
        if candidates[0].level is RegionLevel.CITY:
            return None, "region_too_coarse"
        return candidates[0], ""


class _Cells:
    """The cells of one data row by key; readers record the problems they find."""

    def __init__(self, row: int, values: Mapping[str, Any], headers: Mapping[str, str], report: BatchImportReport):
        self.row = row
        self.values = values
        self.headers = headers
        self.report = report
        self.ok = True

    def problem(self, key: str, code: str, value: object = "") -> None:
        self.ok = False
        column = self.headers.get(key) or next(c.header for c in COLUMNS if c.key == key)
        self.report.problems.append(Problem(self.row, column, code, str(value)))

    def text(self, key: str, limit: int = MAX_TEXT, *, required: bool = False) -> str:
        value = cell_text(self.values.get(key))
        if value is None:
            if required:
                self.problem(key, "required")
            return ""
        if len(value) > limit:
            self.problem(key, "too_long", limit)
            return ""
        return value

    def word(self, key: str, words: Mapping[str, T], *, first_of_list: bool = False) -> T | None:
        value = cell_text(self.values.get(key))
        if value is None:
            return None
        if first_of_list:
            # "大气、水": a problem of several kinds is filed under the first one named.
            value = next((part for part in _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", value)) if part), "")
        found = words.get(squash(value))
        if found is None:
            self.problem(key, "bad_choice", value)
        return found

    def day(self, key: str) -> date | None:
        raw = self.values.get(key)
        if cell_text(raw) is None:
            return None
        parsed = parse_date(raw)
        if parsed is None:
            self.problem(key, "bad_date", cell_text(raw))
        return parsed


def _check_rows(
    records: Iterable[tuple[int, dict[str, Any]]],
    headers: Mapping[str, str],
    lookup: _Lookup,
    batch_deadline: date | None,
    today: date,
    report: BatchImportReport,
) -> list[_Row]:
    """The rows that pass every check; the problems of the others go to `report`."""
    rows: list[_Row] = []
    refs: dict[str, int] = {}
    for number, values in records:
        cells = _Cells(number, values, headers, report)
        ref = cells.text("external_ref", 64)
        if ref:
            first = refs.setdefault(squash(ref), number)
            if first != number:
                cells.problem("external_ref", "duplicate_row", first)
        problem = cells.text("problem", required=True)
        region = _region(cells, lookup)
        category = cells.word("category", CATEGORY_WORDS, first_of_list=True)
        if not cells.text("category"):
            cells.problem("category", "required")
        units = _units(cells, lookup)
        deadline = cells.day("deadline") or batch_deadline
        if units and deadline is None:
            cells.problem("deadline", "deadline_required")
        elif units and deadline is not None and deadline < today:
            cells.problem("deadline", "deadline_in_past", deadline.isoformat())
        investigation = cells.text("investigation")
        finding = cells.word("finding", FINDING_WORDS)
        handling = cells.text("handling")
        accountable = cells.text("accountable")
        leader = cells.text("leader", 100)
        claimed = cells.word("status", STATUS_WORDS)
        if cells.ok and region is not None and category is not None:
            rows.append(
                _Row(
                    row=number,
                    external_ref=ref,
                    title=title_of(problem),
                    description=problem,
                    region=region,
                    category=category,
                    investigation=investigation,
                    finding=finding,
                    handling=handling,
                    accountable=accountable,
                    unit=units[0] if units else None,
                    co_units=tuple(units[1:]),
                    leader=leader,
                    deadline=deadline,
                    claimed=claimed,
                )
            )
    return rows


def _region(cells: _Cells, lookup: _Lookup) -> Region | None:
    text = cells.text("region", 100, required=True)
    if not text:
        return None
    region, code = lookup.region(text)
    if region is None:
        cells.problem("region", code, text)
    return region


def _units(cells: _Cells, lookup: _Lookup) -> list[Organisation]:
    """The responsible units a row names: the lead unit first, then co-responsible units."""
    text = cells.text("unit", 500)
    units: list[Organisation] = []
    for part in _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        if not part.strip():
            continue
        found = lookup.units.get(squash(part), [])
        if len(found) != 1:
            cells.problem("unit", "unit_unknown" if not found else "unit_ambiguous", part.strip())
        elif found[0] not in units:
            units.append(found[0])
    return units


def _check_batch(
    session: Session, code: str, name: str, source: CaseSource, received_on: date, deadline: date | None, document: str
) -> list[Problem]:
    problems = []
    if not code or len(code) > 64:
        problems.append(Problem(0, "", "batch_code_missing" if not code else "batch_code_too_long", code))
    elif session.scalar(select(SupervisionBatch.id).where(SupervisionBatch.code == code)) is not None:
        # Checked among all batches, not only visible ones: codes are unique across the city.
        problems.append(Problem(0, "", "batch_exists", code))
    if not name or len(name) > 200:
        problems.append(Problem(0, "", "batch_name_missing" if not name else "batch_name_too_long", name))
    if source not in BATCH_SOURCES:
        problems.append(Problem(0, "", "batch_source", source.value))
    if len(document) > 200:
        problems.append(Problem(0, "", "batch_document_too_long", document))
    if deadline is not None and deadline < received_on:
        problems.append(Problem(0, "", "batch_deadline_before_received", deadline.isoformat()))
    return problems


# --- importing -------------------------------------------------------------------------------------------------------


def import_batch(
    session: Session,
    acting: Acting,
    data: bytes,
    *,
    code: str,
    name: str,
    source: CaseSource,
    received_on: date,
    now: datetime,
    deadline: date | None = None,
    document: str = "",
    sheet_limits: SheetLimits | None = None,
) -> BatchImportReport:
    """Import a supervision batch from an .xlsx sheet as `acting` (the bureau, or a branch for its county's rows):
    all rows, or nothing when any row has a problem. Writes go through `cases.service` in a savepoint of the
    session; the caller sets the audit actor and commits."""
    if not allowed(acting.principal, AccessAction.IMPORT_BATCHES):
        raise CaseError("not_allowed", "only the bureau or a branch imports a supervision batch")
    code, name, document = code.strip(), name.strip(), document.strip()
    report = BatchImportReport(problems=_check_batch(session, code, name, source, received_on, deadline, document))
    try:
        sheet = _read_rows(data, sheet_limits)
    except SheetTooLargeError as exc:
        report.problems.append(Problem(0, "", exc.code, str(exc.limit)))
        return report
    except BadWorkbookError:
        report.problems.append(Problem(0, "", "bad_file"))
        return report
    headers, records = _records(sheet, report)
    report.rows = len(records)
    if not records and not report.problems:
        report.problems.append(Problem(0, "", "no_rows"))
    rows = _check_rows(records, headers, _Lookup(session, acting.principal), deadline, now.date(), report)
    if report.problems:
        return report
    current = 0
    try:
        with session.begin_nested():
            batch = SupervisionBatch(
                code=code, name=name, source=source, received_on=received_on, deadline=deadline, document=document
            )
            session.add(batch)
            session.flush()
            for row in rows:
                current = row.row
                report.cases.append(_write(session, acting, batch, row, now))
    except (CaseError, IllegalTransitionError) as exc:
        report.problems.append(Problem(current, "", exc.code))
    except IntegrityError:
        report.problems.append(Problem(current, "", "batch_exists" if current == 0 else "database", code))
    if report.problems:
        report.cases.clear()
        return report
    report.batch_id = batch.id
    return report


def _write(session: Session, acting: Acting, batch: SupervisionBatch, row: _Row, now: datetime) -> ImportedCase:
    case = register_case(
        session,
        acting,
        source=batch.source,
        category=row.category,
        title=row.title,
        region=row.region,
        now=now,
        description=row.description,
        deadline=row.deadline,
        batch=batch,
        external_ref=row.external_ref,
        responsible_leader=row.leader,
    )
    # The ledger columns of a handed-down problem; `register_case` does not take them.
    case.finding = row.finding
    case.investigation = row.investigation
    case.handling = row.handling
    case.accountable_persons = row.accountable
    session.flush()
    if row.unit is not None:
        act(
            session,
            case,
            acting,
            Action.ASSIGN,
            seen_version=case.version,
            now=now,
            unit=row.unit,
            co_units=row.co_units,
            deadline=row.deadline,
        )
    return ImportedCase(row.row, case.id, case.number, row.unit is not None, row.claimed)


# --- the template -------------------------------------------------------------------------------------------------


def example_workbook(today: date) -> bytes:
    """The template offered for download: a title row, the header and three example rows (which import into the
    demo city, with deadlines after `today`)."""
    later = today + timedelta(days=90)
    examples: list[list[object]] = [
        [1, "D3700000000001", "湖滨街道某小区餐饮油烟扰民。群众反映夜间油烟、噪声严重。", "清源区湖滨街道", "大气",
         "经现场核查3家餐饮店未安装油烟净化设施。", "属实", "责令安装油烟净化设施并立案处罚1家。", "",
         "清源市住房和城乡建设局", "", later, "正在整改"],
        [2, "D3700000000002", "临河县某化工企业夜间偷排废水致河道发黑发臭。", "临河县", "水",
         "", "", "", "", "", "", None, ""],
        [3, "X3700000000003", "某村建筑垃圾随意倾倒。", "371821", "固废",
         "经核查问题基本属实。", "基本属实", "已清运建筑垃圾120吨。", "村支部书记诫勉谈话",
         "", "", today + timedelta(days=30), "阶段性办结"],
    ]  # fmt: skip
    book = new_workbook()
    sheet = book.create_sheet("交办问题")
    append_row(sheet, ["生态环境保护督察交办问题办理情况表"])
    append_row(sheet, [column.header for column in COLUMNS])
    for example in examples:
        append_row(sheet, example)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for position, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        long_text = column.key in {"problem", "investigation", "handling"}
        sheet.column_dimensions[letter].width = 40 if long_text else max(10, 2 * len(column.header) + 4)
        sheet.cell(row=2, column=position).font = Font(bold=True)
        for cell in sheet[letter][2:]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif column.key in {"external_ref", "region"}:
                cell.number_format = "@"
    sheet.freeze_panes = "A3"
    return workbook_bytes(book)
