"""Tables of organisations, users, API tokens, browser sessions and login throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecoloop.db.base import Base, StrEnumType, TimestampMixin, utcnow
from ecoloop.identity.enums import Category, DepartmentType, OrgKind, Role
from ecoloop.regions.models import Region


class Organisation(TimestampMixin, Base):
    """The bureau, a county branch (分局) or a responsible department, attached to a region."""

    __tablename__ = "organisations"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(StrEnumType(OrgKind, 16))
    department_type: Mapped[DepartmentType | None] = mapped_column(StrEnumType(DepartmentType, 32))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship(lazy="joined")
    covered: Mapped[list[OrganisationRegion]] = relationship(cascade="all, delete-orphan")
    duties: Mapped[list[OrganisationDuty]] = relationship(cascade="all, delete-orphan")


class OrganisationRegion(Base):
    """A region an organisation is responsible for besides its own (a department covering several counties, a
    branch covering a development zone's towns): problems there are routed to it."""

    __tablename__ = "organisation_regions"
    __audit__ = True

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), primary_key=True)


class OrganisationDuty(Base):
    """A category of problem an organisation is responsible for (职责): cases of that category in its regions are
    routed to it."""

    __tablename__ = "organisation_duties"
    __table_args__ = (UniqueConstraint("organisation_id", "category"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    category: Mapped[Category] = mapped_column(StrEnumType(Category, 32))


class User(TimestampMixin, Base):
    """A person who signs in, with one role; their organisation (or enterprise) sets what they see."""

    __tablename__ = "users"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255), info={"audit_redact": True})
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class PasswordSetup(Base):
    """A one-time link for a new user to choose a password (or for one whose password was reset); only the
    token's SHA-256 is stored, and it works once, before it expires."""

    __tablename__ = "password_setups"
    __audit__ = True

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True, info={"audit_redact": True})
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for a machine client acting as a user; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info={"audit_redact": True})
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(info={"audit_ignore": True})
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginThrottle(Base):
    """Recent failed logins of one account or one IP address, and the lock they caused."""

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]
