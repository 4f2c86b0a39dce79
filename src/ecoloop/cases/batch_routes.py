"""Supervision batch pages (督察交办批次): the batches with their progress, one batch with its cases, the import of a
batch from its 交办 sheet with every problem listed by row and column, and the sheet's template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.cases import queries
from ecoloop.cases.batches import (
    BATCH_SOURCES,
    COLUMNS,
    MAX_ROWS,
    Problem,
)
from ecoloop.cases.batches import example_workbook as batch_template
from ecoloop.cases.batches import import_batch as import_sheet
from ecoloop.cases.enums import CaseSource
from ecoloop.cases.progress import batch_progress, batch_progresses
from ecoloop.cases.routes import LABELS
from ecoloop.cases.service import Acting
from ecoloop.db.base import DbInt, RowId, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.settings import Settings
from ecoloop.sheets import SHEET_LIMIT_TEXT
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import FieldError, local_today, parse_day
from ecoloop.web.limits import sheet_limits
from ecoloop.web.templating import render

router = APIRouter()

MAX_SHEET_BYTES = 10 * 1024 * 1024

# The stable problem codes of `cases.batches`, with the value each message names.
PROBLEM_TEXT = {
    "bad_file": N_("The file is not an Excel workbook (.xlsx)."),
    **SHEET_LIMIT_TEXT,
    "no_rows": N_("The sheet has no problem rows under its header."),
    "column_missing": N_("The required column %(value)s is missing."),
    "column_duplicate": N_("The column %(value)s appears twice."),
    "too_many_rows": N_("The sheet has more than %(value)s rows."),
    "required": N_("This cell must be filled in."),
    "too_long": N_("The text is longer than %(value)s characters."),
    "bad_choice": N_("%(value)s is not an accepted value here."),
    "bad_date": N_("%(value)s is not a date; write dates as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日."),
    "duplicate_row": N_("Row %(value)s of this sheet has the same hand-down reference."),
    "region_unknown": N_("No region of your area is called %(value)s."),
    "region_ambiguous": N_("Several regions are called %(value)s; write the region's code or its county too."),
    "region_too_coarse": N_("A problem lies in a county, town or village, not in the city as a whole."),
    "unit_unknown": N_("There is no unit %(value)s in your area."),
    "unit_ambiguous": N_("Several units are called %(value)s; write the unit's code."),
    "deadline_required": N_("A row with a responsible unit needs a deadline (or give the batch one)."),
    "deadline_in_past": N_("The deadline %(value)s lies in the past."),
    "batch_code_missing": N_("The batch code is missing."),
    "batch_code_too_long": N_("The batch code is longer than 64 characters."),
    "batch_exists": N_("A batch with the code %(value)s already exists."),
    "batch_name_missing": N_("The batch name is missing."),
    "batch_name_too_long": N_("The batch name is longer than 200 characters."),
    "batch_source": N_("A batch comes from a central or provincial inspection, a warning film, or another source."),
    "batch_document_too_long": N_("The document reference is longer than 200 characters."),
    "batch_deadline_before_received": N_("The batch deadline %(value)s is before the day it was received."),
    "database": N_("The database refused the batch (%(value)s); nothing was imported."),
    "not_allowed": N_("You may not register cases there."),
    "region_outside_area": N_("The region is outside your area."),
    "region_retired": N_("The region has been retired."),
    "title_missing": N_("The problem description is missing."),
    "unit_and_deadline_required": N_("Choose the lead unit and the deadline."),
}
OTHER_PROBLEM = N_("Not imported: %(value)s.")


def problem_text(problem: Problem) -> str:
    """A batch import problem in the current language."""
    if problem.code not in PROBLEM_TEXT:
        return gettext(OTHER_PROBLEM) % {"value": problem.code}
    return gettext(PROBLEM_TEXT[problem.code]) % {"value": problem.value}


@router.get("/cases/batches", include_in_schema=False)
def batch_list(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_LEDGERS))],
    settings: SettingsDep,
) -> Response:
    """The supervision batches with their progress, and the import form."""
    return _batches_page(request, db, user, settings)


def _batches_page(
    request: Request, db: Session, user: CurrentUser, settings: Settings, *, status: int = 200, **extra: Any
) -> Response:
    context = {
        "batches": batch_progresses(db, user.principal),
        "may_import": allowed(user.principal, Action.IMPORT_BATCHES),
        "sources": [s for s in CaseSource if s in BATCH_SOURCES],
        "today": local_today(settings),
        "required_columns": "\u3001".join(c.header for c in COLUMNS if c.required),
        "max_rows": MAX_ROWS,
        "labels": LABELS,
        "values": {},
        **extra,
    }
    return render(request, "cases/batches.html", context, user=user, status_code=status)


@router.post("/cases/batches", include_in_schema=False)
def batch_import(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.IMPORT_BATCHES))],
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    code: Annotated[str, Form(max_length=100)],
    name: Annotated[str, Form(max_length=300)],
    source: Annotated[CaseSource, Form()],
    received_on: Annotated[str, Form(max_length=10)],
    deadline: Annotated[str, Form(max_length=10)] = "",
    document: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Import a batch from its sheet: every row becomes a case (assigned where it names a unit), or, with any
    problem, nothing is imported and every problem is listed."""
    values = {"code": code, "name": name, "source": source.value, "received_on": received_on, "deadline": deadline}
    values |= {"document": document}
    try:
        received, due = parse_day(received_on), parse_day(deadline)
    except FieldError:
        return _batches_page(request, db, user, settings, error=gettext("A date cannot be read."), values=values,
                             status=422)  # fmt: skip
    if received is None:
        return _batches_page(request, db, user, settings, error=gettext("Give the day the batch was received."),
                             values=values, status=422)  # fmt: skip
    data = file.file.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        error = gettext("The file is larger than %(mb)s MB.") % {"mb": MAX_SHEET_BYTES // (1024 * 1024)}
        return _batches_page(request, db, user, settings, error=error, values=values, status=413)
    report = import_sheet(
        db,
        Acting(user.user, user.principal),
        data,
        code=code,
        name=name,
        source=source,
        received_on=received,
        now=utcnow(),
        deadline=due,
        document=document,
        sheet_limits=sheet_limits(settings),
    )
    if not report.ok or report.batch_id is None:
        db.rollback()
        problems = [(p.row, p.column, problem_text(p)) for p in report.problems]
        return _batches_page(request, db, user, settings, problems=problems, rows=report.rows, values=values,
                             status=422)  # fmt: skip
    return RedirectResponse(f"/cases/batches/{report.batch_id}?imported={len(report.cases)}", status_code=303)


@router.get("/cases/batches/template.xlsx", include_in_schema=False)
def batch_template_download(
    user: Annotated[CurrentUser, Depends(requires(Action.IMPORT_BATCHES))], settings: SettingsDep
) -> Response:
    """The 交办 sheet layout with example rows."""
    return download(batch_template(local_today(settings)), "batch-template.xlsx", XLSX)


@router.get("/cases/batches/{batch_id:id}", include_in_schema=False)
def batch_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_LEDGERS))],
    batch_id: RowId,
    imported: Annotated[DbInt | None, Query(ge=0)] = None,
) -> Response:
    """One batch: its progress figures and its cases (a branch sees its county's)."""
    batch = queries.get_batch(db, user.principal, batch_id)
    progress = batch_progress(db, user.principal, batch_id)
    if batch is None or progress is None:
        raise HTTPException(404)
    context = {
        "batch": batch,
        "progress": progress,
        "cases": queries.batch_cases(db, user.principal, batch_id),
        "imported": imported,
        "labels": LABELS,
    }
    return render(request, "cases/batch.html", context, user=user)
