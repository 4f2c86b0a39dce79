"""The import page of enterprise files (issue 5): upload a workbook of the four sheets (企业, 排污许可, 名录,
绩效分级); it is imported whole, with the records counted per sheet, or not at all, with every problem listed by
sheet, row and column. The template workbook is offered for download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.enterprises.imports import ENTITY_SHEETS, MAX_ROWS, example_workbook, import_workbook
from ecoloop.i18n import gettext
from ecoloop.web.deps import CurrentUser, UnitOfWork, requires
from ecoloop.web.limits import sheet_limits
from ecoloop.web.templating import render

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 1000


def _page(request: Request, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
    context = {
        "entity_sheets": ENTITY_SHEETS,
        "sheets": sorted(set(ENTITY_SHEETS.values()), key=list(ENTITY_SHEETS.values()).index),
        "max_rows": MAX_ROWS,
        "max_mb": MAX_WORKBOOK_BYTES // (1024 * 1024),
        "max_problems": MAX_PROBLEMS_SHOWN,
        **extra,
    }
    return render(request, "enterprises/import.html", context, user=user, status_code=status)


@router.get("/enterprises/import", include_in_schema=False)
def import_form(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))]
) -> Response:
    """The form to upload a workbook of enterprise files."""
    return _page(request, user)


@router.post("/enterprises/import", include_in_schema=False)
def import_upload(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import the workbook: all of it, or nothing with every problem listed."""
    data = file.file.read(MAX_WORKBOOK_BYTES + 1)
    if len(data) > MAX_WORKBOOK_BYTES:
        error = gettext("The file is larger than %(mb)s MB.") % {"mb": MAX_WORKBOOK_BYTES // (1024 * 1024)}
        return _page(request, user, error=error, status=413)
    report = import_workbook(db, user.principal, data, sheet_limits(request.app.state.settings))
    if not report.ok:
        db.rollback()
        return _page(request, user, report=report, filename=file.filename or "", status=422)
    return _page(request, user, report=report, filename=file.filename or "")


@router.get("/enterprises/import/template.xlsx", include_in_schema=False)
def import_template(user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))]) -> Response:
    """The workbook layout with example rows on every sheet."""
    headers = {"Content-Disposition": 'attachment; filename="enterprises-template.xlsx"'}
    return Response(example_workbook(), media_type=XLSX, headers=headers)
