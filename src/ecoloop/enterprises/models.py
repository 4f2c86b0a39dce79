"""The enterprise table."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, TimestampMixin
from ecoloop.regions.models import Region


class Enterprise(TimestampMixin, Base):
    """A regulated enterprise, identified by its unified social credit code, located in a region."""

    __tablename__ = "enterprises"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="operating")

    region: Mapped[Region] = relationship(lazy="joined")
