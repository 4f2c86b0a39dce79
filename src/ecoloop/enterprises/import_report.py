"""What an import of enterprise files reports: the problems found, each with its sheet, row and column, and the
records added, updated and left as they were."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ecoloop.enterprises.import_layout import COLUMNS, ENTERPRISES, GRADES, LISTS, PERMITS
from ecoloop.i18n import N_, gettext
from ecoloop.sheets import SHEET_LIMIT_TEXT

MESSAGES = {
    "bad_file": N_("The file is not an Excel workbook (.xlsx)."),
    **SHEET_LIMIT_TEXT,
    "no_sheets": N_("The workbook has no sheet to import; the sheets are called %(value)s."),
    "column_missing": N_("The required column %(value)s is missing."),
    "column_duplicate": N_("The column %(value)s appears twice."),
    "too_many_rows": N_("The sheet has more than %(value)s rows."),
    "required": N_("This cell must be filled in."),
    "too_long": N_("The text is longer than %(value)s characters."),
    "bad_choice": N_("Not an accepted value; write one of: %(value)s."),
    "bad_date": N_("Not a date; write dates as %(value)s."),
    "not_a_number": N_("%(value)s is not a number."),
    "too_many_decimals": N_("At most %(value)s decimal places."),
    "too_large": N_("The number must be less than %(value)s."),
    "duplicate_row": N_("Row %(value)s of this sheet already gives this."),
    "conflicts_with_row": N_("Row %(value)s gives the same permit or outlet with another value here."),
    "credit_code_length": N_("A unified social credit code has 18 characters (GB 32100-2015)."),
    "credit_code_characters": N_("The credit code has characters GB 32100-2015 does not use (I, O, Z, S, V …)."),
    "credit_code_region_code": N_("Characters 3 to 8 of the credit code are the six digits of a region code."),
    "credit_code_check_character": N_(
        "The check character (the 18th) does not match the first 17 characters (GB 32100-2015)."
    ),
    "credit_code_taken": N_("An enterprise with this credit code is registered outside your area."),
    "industry_code": N_("Not a GB/T 4754-2017 industry code (a letter and 2 to 4 digits, e.g. D4411)."),
    "region_unknown": N_("There is no region with the code %(value)s."),
    "region_outside_area": N_("The region %(value)s is outside your area."),
    "region_retired": N_("The region %(value)s is retired: no new enterprise can be placed there."),
    "region_too_coarse": N_("An enterprise lies in a county, town or village, not in the city as a whole."),
    "coordinates_incomplete": N_("Longitude and latitude are given together."),
    "coordinates_out_of_range": N_("Longitude lies between -180 and 180, latitude between -90 and 90."),
    "end_before_start": N_("The end date is before the start date."),
    "unknown_enterprise": N_("No enterprise with this credit code in this workbook or in your area."),
    "permit_number_taken": N_("The permit %(value)s is recorded for another enterprise."),
    "unknown_pollutant": N_("Unknown pollutant %(value)s; write its HJ 212 code (e.g. a21026) or its usual name."),
    "pollutant_kind": N_("The pollutant %(value)s is not measured at this kind of outlet."),
    "limit_not_positive": N_("A limit is greater than zero."),
    "reference_o2_range": N_("The reference oxygen content lies between 0 and 21 %%."),
    "reference_o2_water": N_("Wastewater limits have no reference oxygen content."),
    "limit_invalid": N_("The limit is not valid: %(value)s."),
    "site_unknown": N_("No monitoring site with the code %(value)s in your area."),
    "site_of_another_enterprise": N_("The monitoring site belongs to another enterprise."),
    "unknown_list": N_("There is no list %(value)s; write the list's name or code."),
    "membership_overlaps": N_("The enterprise is already on this list for part of this period."),
    "already_ended": N_("This membership ended on %(value)s; a later or open end cannot be imported."),
    "grade_not_after_latest": N_("The enterprise has a grade starting on or after this date."),
    "database": N_("The database refused this row (%(value)s); nothing was imported."),
}
OTHER_MESSAGE = N_("Not recorded: %(value)s.")


@dataclass(frozen=True)
class Problem:
    """Why a cell, row, sheet or file cannot be imported: the sheet, the row as Excel numbers it (the header is
    row 1; 0 is the file as a whole), the column's header, a stable code and the value the message names."""

    sheet: str
    row: int
    column: str
    code: str
    value: str = ""

    @property
    def message(self) -> str:
        """The problem in the current language."""
        return gettext(MESSAGES.get(self.code, OTHER_MESSAGE)) % {"value": self.value}

    def describe(self) -> str:
        """Where and what, in the current language, with the code (for the CLI and logs)."""
        where = [self.sheet] if self.sheet else []
        if self.row:
            where.append(gettext("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(self.column)
        text = f"{self.message} [{self.code}]"
        return f"{' '.join(where)}: {text}" if where else text


class Entity(StrEnum):
    """What an import counts: the records of each sheet (the permit sheet's rows give permits, outlets, limits)."""

    ENTERPRISE = "enterprise"
    PERMIT = "permit"
    OUTLET = "outlet"
    LIMIT = "limit"
    MEMBERSHIP = "membership"
    GRADE = "grade"

    @property
    def label(self) -> str:
        """What the records are called, a message id: the import page counts them under it."""
        return ENTITY_LABELS[self]


ENTITY_LABELS = {
    Entity.ENTERPRISE: N_("Enterprises"),
    Entity.PERMIT: N_("Permits"),
    Entity.OUTLET: N_("Outlets"),
    Entity.LIMIT: N_("Limits"),
    Entity.MEMBERSHIP: N_("List memberships"),
    Entity.GRADE: N_("Performance grades"),
}


ENTITY_SHEETS = {
    Entity.ENTERPRISE: ENTERPRISES,
    Entity.PERMIT: PERMITS,
    Entity.OUTLET: PERMITS,
    Entity.LIMIT: PERMITS,
    Entity.MEMBERSHIP: LISTS,
    Entity.GRADE: GRADES,
}


@dataclass
class Counts:
    """Records added, updated and left as they were."""

    added: int = 0
    updated: int = 0
    skipped: int = 0

    def tally(self, *, added: bool, changed: bool) -> None:
        if added:
            self.added += 1
        elif changed:
            self.updated += 1
        else:
            self.skipped += 1


def zero_counts() -> dict[Entity, Counts]:
    """Nothing counted yet, for each entity."""
    return {entity: Counts() for entity in Entity}


@dataclass
class ImportReport:
    """The outcome of an import: sheets read (and ignored), data rows per sheet, what was written, problems. When
    there is any problem nothing was written and every count is zero."""

    sheets: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    ignored_sheets: list[str] = field(default_factory=list)
    ignored_columns: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[Entity, Counts] = field(default_factory=zero_counts)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the workbook was imported (it had no problem)."""
        return not self.problems


def problem_order(problem: Problem) -> tuple[int, int, int]:
    """Where a problem is in the workbook (sheet, row, column), to list problems in that order."""
    sheets = list(COLUMNS)
    sheet = sheets.index(problem.sheet) + 1 if problem.sheet in sheets else 0
    headers = [column.header for column in COLUMNS.get(problem.sheet, ())]
    column = headers.index(problem.column) if problem.column in headers else len(headers)
    return sheet, problem.row, column
