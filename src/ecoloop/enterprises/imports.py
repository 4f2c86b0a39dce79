"""Excel import of enterprise files: enterprises, permits with outlets and limits, list memberships and grades.

A workbook has up to four sheets (企业, 排污许可, 名录, 绩效分级) with the headers offices use, in any column
order (`import_layout`). `parse_workbook` reads and checks it without a database (`import_parse`).
`import_workbook` then writes it through `enterprises.service` inside one savepoint, all or nothing
(`import_write`); the outcome is an `ImportReport` listing every problem (`import_report`).

This module gathers the public names of those four, so that callers import from one place.
"""

from __future__ import annotations

from ecoloop.enterprises.import_layout import (
    AVERAGING_WORDS,
    COLUMNS,
    CREDIT_CODE,
    DATE_FORMATS,
    ENTERPRISES,
    EXAMPLE_ROWS,
    GRADE_WORDS,
    GRADES,
    LISTS,
    OUTLET_KIND_WORDS,
    PERMIT_CLASS_WORDS,
    PERMITS,
    POLLUTANT_NAMES,
    STATUS_WORDS,
    example_workbook,
    pollutant_code,
)
from ecoloop.enterprises.import_parse import (
    MAX_ROWS,
    EnterpriseRow,
    GradeRow,
    LimitPart,
    MembershipRow,
    OutletPart,
    ParsedWorkbook,
    PermitRow,
    parse_workbook,
)
from ecoloop.enterprises.import_report import (
    ENTITY_SHEETS,
    MESSAGES,
    OTHER_MESSAGE,
    Counts,
    Entity,
    ImportReport,
    Problem,
)
from ecoloop.enterprises.import_write import import_workbook
from ecoloop.sheets.table import HEADER_SEARCH_ROWS, Column, Words

__all__ = [
    "AVERAGING_WORDS",
    "COLUMNS",
    "CREDIT_CODE",
    "DATE_FORMATS",
    "ENTERPRISES",
    "ENTITY_SHEETS",
    "EXAMPLE_ROWS",
    "GRADES",
    "GRADE_WORDS",
    "HEADER_SEARCH_ROWS",
    "LISTS",
    "MAX_ROWS",
    "MESSAGES",
    "OTHER_MESSAGE",
    "OUTLET_KIND_WORDS",
    "PERMITS",
    "PERMIT_CLASS_WORDS",
    "POLLUTANT_NAMES",
    "STATUS_WORDS",
    "Column",
    "Counts",
    "EnterpriseRow",
    "Entity",
    "GradeRow",
    "ImportReport",
    "LimitPart",
    "MembershipRow",
    "OutletPart",
    "ParsedWorkbook",
    "PermitRow",
    "Problem",
    "Words",
    "example_workbook",
    "import_workbook",
    "parse_workbook",
    "pollutant_code",
]
