"""A record of every scheduled job run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecoloop.db.base import Base


class JobRun(Base):
    """One run of a scheduled job: when, how it ended and what it did (a one-line summary or the error)."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime]
    ok: Mapped[bool]
    message: Mapped[str] = mapped_column(Text, default="")
