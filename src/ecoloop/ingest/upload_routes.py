"""The upload page: a CSV or Excel file of observations, checked and stored row by row (a way in, beside the HJ 212
receiver and the API; its form is linked from the monitoring pages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ecoloop.i18n import gettext
from ecoloop.ingest.upload import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    UPLOAD_ERROR_TEXT,
    UploadError,
)
from ecoloop.web.deps import CurrentUser
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
