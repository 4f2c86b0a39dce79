"""Monitoring sites and data-logger devices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin
from ecoloop.monitoring.enums import CrcMode, NoiseZone, SiteKind, StationLevel
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region


class Site(TimestampMixin, Base):
    """A place where something is measured: a station, a source outlet, a noise or remote-sensing point."""

    __tablename__ = "sites"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(StrEnumType(SiteKind, 32))
    # For air stations: the administrative level the station assesses (城市站/区县站/乡镇站/村级站).
    level: Mapped[RegionLevel | None] = mapped_column(StrEnumType(RegionLevel, 16))
    # Who runs the station (国控/省控/市控/县控/乡镇/村); `level` follows from it when it is set.
    station_level: Mapped[StationLevel | None] = mapped_column(StrEnumType(StationLevel, 16))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(8, 6))
    # The GB 3838-2002 class a water station's water must meet (水质目标, e.g. "III"); None where none is set.
    water_target: Mapped[str | None] = mapped_column(String(8))
    # The GB 3096-2008 acoustic function zone of a noise point; None where none is set.
    noise_zone: Mapped[NoiseZone | None] = mapped_column(StrEnumType(NoiseZone, 4))
    # The deepest region whose boundary holds the coordinates (None: no coordinates, or no boundary holds them);
    # a site whose region's subtree does not include it is flagged (`monitoring.location`). Derived from audited
    # values (coordinates, boundaries), so a boundary import that places every site again writes no audit records.
    located_region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="SET NULL"), info={"audit_ignore": True}
    )
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship(lazy="joined", foreign_keys=[region_id])
    located_region: Mapped[Region | None] = relationship(foreign_keys=[located_region_id])


class Device(TimestampMixin, Base):
    """A data logger (数采仪) identified by its MN, with the access password it sends and the site it feeds."""

    __tablename__ = "devices"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(String(64), unique=True)
    # HJ 212 sends PW in clear text and the platform must send it back in its requests, so it is kept as given;
    # it never appears in audit records, exports or logs.
    password: Mapped[str] = mapped_column(String(64), info={"audit_redact": True})
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    crc_mode: Mapped[CrcMode] = mapped_column(StrEnumType(CrcMode, 16), default=CrcMode.HJ212)
    interval_minutes: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(info={"audit_ignore": True})

    site: Mapped[Site] = relationship(lazy="joined")
