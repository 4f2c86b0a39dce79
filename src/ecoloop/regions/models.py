"""The administrative region table."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin
from ecoloop.regions.enums import RegionLevel


class Region(TimestampMixin, Base):
    """An administrative division with its official code and its place in the tree.

    `path` is the chain of codes from the city down to this region, each followed by a dot
    ("379900.379902.379902001000."), so a subtree is one indexed prefix match.
    """

    __tablename__ = "regions"
    __table_args__ = (
        # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' in any collation.
        Index("ix_regions_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(StrEnumType(RegionLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(255))
    # The boundary as a GeoJSON Polygon or MultiPolygon geometry in WGS-84 (None: not known); it places points in
    # regions (`regions.locate`) and draws maps. Not kept in the audit trail (its size), only that it changed.
    boundary: Mapped[str | None] = mapped_column(Text, info={"audit_redact": True})
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"Region({self.code} {self.level})"
