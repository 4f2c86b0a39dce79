"""The audit trail: every mutation is recorded, secrets are redacted, and no one can change or delete a record."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import REDACTED, Actor, MissingActorError, record_event, set_actor
from ecoloop.db.base import utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.enums import Category, DepartmentType, OrgKind
from ecoloop.identity.models import Organisation, OrganisationDuty
from ecoloop.identity.service import create_api_token
from tests.factories import World, credit_code


def records(db: Session, entity_type: str, action: str | None = None) -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.entity_type == entity_type).order_by(AuditRecord.id)
    if action:
        stmt = stmt.where(AuditRecord.action == action)
    return list(db.scalars(stmt))


def test_rows_the_flush_deletes_by_itself_are_recorded_too(db: Session, world: World) -> None:
    """An orphan of a `delete-orphan` collection and a cascaded child are deleted by the flush without being in
    `Session.deleted`: their deletion is recorded all the same (issue 15)."""
    set_actor(db, Actor(label="admin", user_id=world.users["admin"].id))
    org = Organisation(code="dept-x", name="x", kind=OrgKind.DEPARTMENT, region_id=world.city.id,
                       department_type=DepartmentType.OTHER)  # fmt: skip
    db.add(org)
    org.duties = [OrganisationDuty(category=Category.AIR), OrganisationDuty(category=Category.WATER)]
    db.flush()
    org.duties = [d for d in org.duties if d.category is Category.WATER]  # the air duty is an orphan now
    db.flush()
    (orphan,) = records(db, "organisation_duties", "delete")
    assert orphan.before is not None and orphan.before["category"] == "air"
    db.delete(org)  # cascades to the water duty
    db.flush()
    assert sorted(r.before["category"] for r in records(db, "organisation_duties", "delete") if r.before) == [
        "air",
        "water",
    ]


def test_create_update_delete_are_recorded_with_before_and_after(db: Session, world: World) -> None:
    set_actor(db, Actor(label="admin", user_id=world.users["admin"].id, ip="10.0.0.1"))
    ent = Enterprise(credit_code=credit_code(77), name="测试企业", region_id=world.town_a.id)
    db.add(ent)
    db.flush()
    ent.name = "测试企业（更名）"
    db.flush()
    db.delete(ent)
    db.flush()
    created, updated, deleted = (records(db, "enterprises", a)[-1] for a in ("create", "update", "delete"))
    assert created.before is None and created.after is not None and created.after["name"] == "测试企业"
    assert created.entity_id == str(ent.id)
    assert updated.before is not None and updated.after is not None
    assert updated.before["name"] == "测试企业" and updated.after["name"] == "测试企业（更名）"
    assert "credit_code" not in updated.after  # only what changed
    assert deleted.before is not None and deleted.before["name"] == "测试企业（更名）" and deleted.after is None
    assert {r.actor_label for r in (created, updated, deleted)} == {"admin"}
    assert created.actor_user_id == world.users["admin"].id and created.ip == "10.0.0.1"


def test_secrets_are_redacted(db: Session, world: World) -> None:
    created = records(db, "users", "create")
    assert created and all(r.after and r.after["password_hash"] == REDACTED for r in created)
    create_api_token(db, world.users["admin"], "t", utcnow())
    token = records(db, "api_tokens", "create")[-1]
    assert token.after is not None and token.after["token_hash"] == REDACTED


def test_ignored_columns_alone_write_no_record(db: Session, world: World) -> None:
    token, _raw = create_api_token(db, world.users["admin"], "t", utcnow())
    before = len(records(db, "api_tokens"))
    token.last_used_at = utcnow()
    db.flush()
    assert len(records(db, "api_tokens")) == before


def test_a_change_without_actor_is_refused(db: Session, world: World) -> None:
    db.info.pop("actor", None)
    world.enterprise_a.name = "无人修改"
    with pytest.raises(MissingActorError):
        db.flush()


def test_events_are_recorded(db: Session, world: World) -> None:
    set_actor(db, Actor(label="analyst", user_id=world.users["analyst"].id))
    record_event(db, "export", "enterprises", None, {"rows": 3})
    db.flush()
    row = records(db, "enterprises", "export")[-1]
    assert row.after == {"rows": 3} and row.actor_label == "analyst"


@pytest.mark.parametrize(
    "statement",
    [
        lambda: update(AuditRecord).values(actor_label="someone else"),
        lambda: delete(AuditRecord),
    ],
    ids=["update", "delete"],
)
def test_audit_records_are_append_only_in_the_database(db: Session, world: World, statement: object) -> None:
    db.flush()
    assert records(db, "users")
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(statement())  # type: ignore[operator]
    assert records(db, "users")


@pytest.mark.postgres_only
def test_truncate_is_refused_on_postgresql(db: Session, world: World) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(text("TRUNCATE audit_records"))
