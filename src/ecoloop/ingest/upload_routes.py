"""The upload page: a CSV or Excel file of observations, checked and stored row by row (a way in, beside the HJ 212
receiver and the API; its form is linked from the monitoring pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.audit.service import record_event
from ecoloop.db.base import utcnow
from ecoloop.i18n import gettext
from ecoloop.ingest.upload import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    UPLOAD_AUDIT_ACTION,
    UPLOAD_AUDIT_ENTITY,
    UPLOAD_ERROR_TEXT,
    UploadError,
    audit_detail,
    store_upload,
    template_csv,
)
from ecoloop.monitoring import queries
from ecoloop.readings.store import time_window
from ecoloop.web.deps import CurrentUser, SettingsDep, UnitOfWork, requires
from ecoloop.web.limits import sheet_limits
from ecoloop.web.security import client_ip
from ecoloop.web.templating import render

router = APIRouter()

MAX_ERRORS_SHOWN = 500


def _upload_size(request: Request) -> None:
    """Refuse an oversized upload from its Content-Length, before the body is read (multipart overhead allowed)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise HTTPException(413, _upload_error(UploadError("too_large")))


def _upload_error(exc: UploadError) -> str:
    limit = MAX_UPLOAD_BYTES // (1024 * 1024) if exc.code == "too_large" else MAX_UPLOAD_ROWS
    return gettext(UPLOAD_ERROR_TEXT[exc.code]) % {"limit": limit, "value": exc.detail}


def _upload_page(request: Request, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
    context = {"max_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "max_errors": MAX_ERRORS_SHOWN, **extra}
    return render(request, "monitoring/upload.html", context, user=user, status_code=status)


@router.get("/monitoring/upload", include_in_schema=False)
def upload_form(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Action.SUBMIT_OBSERVATIONS))]
) -> Response:
    """The form to upload a CSV or Excel file of observations."""
    return _upload_page(request, user)


@router.post("/monitoring/upload", include_in_schema=False)
def upload_file(
    request: Request,
    _size: Annotated[None, Depends(_upload_size)],
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.SUBMIT_OBSERVATIONS))],
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Store the valid rows of an uploaded file and report the others by row number; the upload (file, size,
    counts) goes into the audit log."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    try:
        result = store_upload(
            request.app.state.hot_store,
            filename=file.filename or "",
            data=data,
            site_ids=queries.site_ids_by_code(db, user.principal),
            tz=settings.tz,
            peer=client_ip(request),
            username=user.user.username,
            now=utcnow(),
            sheet_limits=sheet_limits(settings),
            root=settings.parquet_root,
            window=time_window(settings),
        )
    except UploadError as exc:
        status = {"too_large": 413, "bad_type": 415}.get(exc.code, 422)
        name = Path(file.filename or "").name[:200]
        refused = {"via": "form", "file": name, "size": len(data), "refused": exc.code}
        record_event(db, UPLOAD_AUDIT_ACTION, UPLOAD_AUDIT_ENTITY, name or None, refused)
        return _upload_page(request, user, error=_upload_error(exc), status=status)
    record_event(db, UPLOAD_AUDIT_ACTION, UPLOAD_AUDIT_ENTITY, result.filename, audit_detail(result))
    return _upload_page(request, user, result=result)


@router.get("/monitoring/upload/template.csv", include_in_schema=False)
def upload_template(user: Annotated[CurrentUser, Depends(requires(Action.SUBMIT_OBSERVATIONS))]) -> Response:
    """The long-format template as a CSV file."""
    headers = {"Content-Disposition": 'attachment; filename="observations-template.csv"'}
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers=headers)
