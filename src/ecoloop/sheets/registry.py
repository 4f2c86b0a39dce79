"""Importing a registry sheet, all rows or none: every row is read and checked (`table.Cells`), then the rows
that passed are written by the registry inside a savepoint of the session, which is rolled back when any row of
the sheet, read or written, has a problem. The caller sets the audit actor and commits (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ecoloop.sheets import SheetLimits
from ecoloop.sheets.table import Cells, ImportReport, Layout, read_records

R = TypeVar("R")
Parsed = list[tuple[int, R]]


@dataclass(frozen=True)
class Registry(Generic[R]):
    """A registry's sheet, how a row is read (None, or a row with problems, is not written) and how the rows read
    are written (each refusal recorded in the report by row and column). `write` gets the principal importing."""

    layout: Layout
    parse: Callable[[Cells], R | None]
    write: Callable[[Session, Any, Parsed[R], ImportReport], None]


def import_sheet(
    session: Session, principal: Any, registry: Registry[R], data: bytes, limits: SheetLimits | None = None
) -> ImportReport:
    """Import the registry's sheet of the workbook `data`: all of it, or nothing with every problem listed."""
    report = ImportReport(registry.layout)
    records = read_records(data, report, limits)
    if not records:
        return report
    parsed: Parsed[R] = []
    for number, values in records:
        cells = Cells(report, number, values)
        row = registry.parse(cells)
        if cells.ok and row is not None:
            parsed.append((number, row))

    def write() -> None:
        registry.write(session, principal, parsed, report)

    def refused(exc: SQLAlchemyError) -> None:
        report.problem(0, "", "database", type(exc).__name__)

    all_or_nothing(session, write, failed=lambda: bool(report.problems), refused=refused)
    if report.problems:
        report.added = report.updated = report.unchanged = 0
        report.handover.clear()
        report.problems.sort(key=lambda p: p.row)  # stable: a row's problems in the order found
    return report


def unique_rows(report: ImportReport, rows: Parsed[R], key: Callable[[R], str], column: str) -> Parsed[R]:
    """The rows whose key (a code, an MN, a user name) no earlier row of the sheet gave; each later one is named
    in `column` as a duplicate of the first (`duplicate_row`)."""
    first: dict[str, int] = {}
    unique: Parsed[R] = []
    for number, row in rows:
        if key(row) in first:
            report.problem(number, column, "duplicate_row", first[key(row)])
        else:
            first[key(row)] = number
            unique.append((number, row))
    return unique


def all_or_nothing(
    session: Session,
    write: Callable[[], None],
    *,
    failed: Callable[[], bool],
    refused: Callable[[SQLAlchemyError], None],
) -> None:
    """Run `write` in a savepoint of the session: kept when it ends and `failed()` is false; rolled back when
    `failed()`, when the database refuses a row (`refused` records why) or on any other error (raised again)."""
    savepoint = session.begin_nested()
    try:
        write()
        session.flush()
    except SQLAlchemyError as exc:
        savepoint.rollback()
        refused(exc)
    except BaseException:
        savepoint.rollback()
        raise
    else:
        if failed():
            savepoint.rollback()
        else:
            savepoint.commit()
