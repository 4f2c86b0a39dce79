"""The import page of a registry (issue 15): a form to upload the registry's workbook, the outcome (counts, or
every problem by row and column with nothing written) and the template to download. Each registry's routes module
adds its page with `add_import_page`; the import itself is the registry's, run in the request's unit of work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.principal import Principal
from ecoloop.i18n import gettext
from ecoloop.settings import Settings
from ecoloop.sheets import SheetLimits
from ecoloop.sheets.table import MAX_ROWS, ImportReport
from ecoloop.web.deps import CurrentUser, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.limits import sheet_limits
from ecoloop.web.templating import render

MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 1000
Importer = Callable[[Session, Principal, bytes, SheetLimits | None], ImportReport]


def add_import_page(
    router: APIRouter,
    path: str,
    *,
    action: Action,
    title: str,
    back: tuple[str, str],
    importer: Importer | None = None,
    importer_for: Callable[[Settings], Importer] | None = None,
    template: Callable[[], bytes],
    filename: str,
    handover: Callable[[Request, Settings, str], str] | None = None,
) -> None:
    """Add `GET path` (the form), `POST path` (the import) and `GET path/template.xlsx` to `router`. `title` and
    `back` (link, label) are message ids; `filename` names the template download. The import is `importer`, or the
    one `importer_for` gives for the deployment's settings; `handover` turns each line the import hands
    over once (a set-password token) into what the page shows (its address)."""
    # A default, not `Annotated[..., guard]`: annotations are strings here, resolved in the module, not the closure.
    guard = Depends(requires(action))

    def page(request: Request, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
        context = {
            "labels": {"page": {"title": title, "back": back[1]}},  # message ids, translated by the template
            "back_path": back[0],
            "action_path": path,
            "max_rows": MAX_ROWS,
            "max_mb": MAX_WORKBOOK_BYTES // (1024 * 1024),
            "max_problems": MAX_PROBLEMS_SHOWN,
            **extra,
        }
        return render(request, "registry_import.html", context, user=user, status_code=status)

    def form(request: Request, user: CurrentUser = guard) -> Response:
        return page(request, user)

    def upload(
        request: Request, db: UnitOfWork, file: Annotated[UploadFile, File()], user: CurrentUser = guard
    ) -> Response:
        data = file.file.read(MAX_WORKBOOK_BYTES + 1)
        if len(data) > MAX_WORKBOOK_BYTES:
            error = gettext("The file is larger than %(mb)s MB.") % {"mb": MAX_WORKBOOK_BYTES // (1024 * 1024)}
            return page(request, user, error=error, status=413)
        settings: Settings = request.app.state.settings
        run = importer_for(settings) if importer_for is not None else importer
        assert run is not None, "add_import_page needs importer or importer_for"
        report = run(db, user.principal, data, sheet_limits(settings))
        if not report.ok:
            db.rollback()
            return page(request, user, report=report, filename=file.filename or "", status=422)
        if handover is not None:
            report.handover = [(name, handover(request, settings, line)) for name, line in report.handover]
        return page(request, user, report=report, filename=file.filename or "")

    def template_download(user: CurrentUser = guard) -> Response:
        return download(template(), filename, XLSX)

    router.add_api_route(path, form, methods=["GET"], include_in_schema=False)
    router.add_api_route(path, upload, methods=["POST"], include_in_schema=False)
    router.add_api_route(f"{path}/template.xlsx", template_download, methods=["GET"], include_in_schema=False)
