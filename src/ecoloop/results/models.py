"""Tables of the results capability: the air-quality targets of regions per year (the results themselves are
Parquet files, `results.store`)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, TimestampMixin
from ecoloop.regions.models import Region


class AirTarget(TimestampMixin, Base):
    """A region's air-quality targets for one year (目标考核): the good-day ratio to reach (percent, 0.1), the
    PM2.5 mean not to exceed (µg/m³) and, optionally, the heavy-pollution days not to exceed."""

    __tablename__ = "air_targets"
    __table_args__ = (UniqueConstraint("region_id", "year"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int]
    good_ratio_target: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    pm25_target: Mapped[int]
    heavy_days_target: Mapped[int | None]

    region: Mapped[Region] = relationship(lazy="joined")
