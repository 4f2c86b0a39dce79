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
    savepoint = session.begin_nested()
    try:
        registry.write(session, principal, parsed, report)
        session.flush()
    except SQLAlchemyError as exc:
        savepoint.rollback()
        report.problem(0, "", "database", type(exc).__name__)
    except BaseException:
        savepoint.rollback()
        raise
    else:
        if report.problems:
            savepoint.rollback()
        else:
            savepoint.commit()
    if report.problems:
        report.added = report.updated = report.unchanged = 0
        report.handover.clear()
        report.problems.sort(key=lambda p: p.row)  # stable: a row's problems in the order found
    return report
