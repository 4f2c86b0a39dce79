"""The health check (the start page, which counts the records of capabilities, is `ecoloop.overview`)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ecoloop.web.deps import DbSession

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def health(db: DbSession) -> dict[str, str]:
    """Liveness and database reachability."""
    db.execute(text("SELECT 1"))
    return {"status": "ok"}
