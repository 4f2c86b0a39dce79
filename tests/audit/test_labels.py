"""The audit log in words (issue 13 §11: the log showed table names and JSON)."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import ecoloop
from ecoloop.audit import labels
from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import StrEnumType
from ecoloop.enterprises.models import Enterprise
from tests.factories import World, credit_code
from tests.web.helpers import open_session, parse

TZ = ZoneInfo("Asia/Shanghai")

for module in pkgutil.iter_modules(ecoloop.__path__):
    if module.ispkg:
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"ecoloop.{module.name}.models")


def test_every_audited_table_and_field_has_a_label() -> None:
    columns = labels.audited_columns()
    assert {table for table, _ in columns} <= set(labels.TABLES)
    unlabelled = [
        f"{table}.{name}"
        for table, name in columns
        if name not in labels.FIELDS.get(table, {}) and name not in labels.COMMON_FIELDS
    ]
    assert unlabelled == []


def test_every_enum_value_of_an_audited_field_has_a_label() -> None:
    raw = [
        f"{table}.{name}={member.value}"
        for (table, name), kind in labels._column_types().items()
        if isinstance(kind, StrEnumType)
        for member in kind.enum
        if labels.enum_label(member) == member.value
    ]
    assert raw == []


def test_changes_read_as_labels_and_text(db: Session, world: World) -> None:
    set_actor(db, Actor(label="admin", user_id=world.users["admin"].id))
    ent = Enterprise(credit_code=credit_code(78), name="测试企业", region_id=world.town_a.id)
    db.add(ent)
    db.flush()
    ent.name = "测试企业（更名）"
    db.flush()
    updated = db.scalars(select(AuditRecord).where(AuditRecord.entity_type == "enterprises")).all()[-1]
    shown = labels.entry(updated, TZ)
    assert (shown.action, shown.table) == ("修改", "企业")
    assert [(c.field, c.before, c.after) for c in shown.changes if c.field == "名称"] == [
        ("名称", "测试企业", "测试企业（更名）")
    ]
    user = db.scalars(
        select(AuditRecord).where(AuditRecord.entity_type == "users", AuditRecord.action == "create")
    ).first()
    assert user is not None
    assert labels.entry(user, TZ).action == "新建"  # not 创建时间, the column header's word for "Created"
    fields = {c.field: c.after for c in labels.entry(user, TZ).changes}
    assert fields["密码"] == "（已隐藏）" and fields["角色"] and fields["角色"] != user.after["role"]


@pytest.mark.parametrize(
    ("table", "name", "value", "text"),
    [
        ("cases", "state", "closed", "已销号"),
        ("cases", "closed_at", "2026-11-22T02:00:00+00:00", "2026-11-22 10:00:00"),
        ("sites", "active", True, "是"),
        ("outlet_limits", "pollutant", "a21026", "二氧化硫"),
        ("devices", "crc_mode", "modbus_le", "CRC-16/MODBUS（低字节在前）"),
        ("alert_rules", "kind", "aqi_level", "AQI超限"),
        ("users", "password_hash", "***", "（已隐藏）"),
    ],
)
def test_values_read_as_text(table: str, name: str, value: object, text: str) -> None:
    assert labels.value_text(table, name, value, TZ) == text


def test_nested_values_read_as_labelled_pairs() -> None:
    shown = labels.value_text("alert_rules", "parameters", {"min_neighbours": 4, "radius_km": "7.5"}, TZ)
    assert "{" not in shown and "min_neighbours" not in shown and "4" in shown


def test_a_noise_rules_periods_and_quantities_read_in_words() -> None:
    shown = labels.value_text("alert_rules", "parameters", {"periods": ["day", "night"], "quantities": ["Leq"]}, TZ)
    assert shown == "判定时段：昼间、夜间；判定的噪声指标（HJ 212 编码，逗号分隔）：等效声级"


async def test_the_log_page_shows_no_table_names_and_no_json(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    set_actor(app_db, Actor(label="admin"))
    app_db.add(AuditRecord(at=datetime.now(UTC), actor_label="admin", action="login_failed", entity_type="users",
                           after={"username": "nobody"}))  # fmt: skip
    app_db.commit()

    page = await client.get("/admin/audit")

    body = parse(page.text).find("tbody", id="audit-rows")
    assert body is not None
    text = body.text
    assert "{" not in text and '"' not in text
    assert not re.search(r"\b(users|regions|organisations|password_hash|display_name|create|update)\b", text)
    assert "登录失败" in text and "用户名 nobody" in text


def test_upload_and_accepted_conflict_records_read_in_words() -> None:
    """Records of monitoring-data uploads and accepted conflicts (issue 13) name the way in, sources, parameters
    and times in words, not as stored codes."""
    upload = AuditRecord(
        at=datetime.now(UTC), actor_label="wang", action="upload", entity_type="observations", entity_id="d.csv",
        after={"via": "form", "file": "d.csv", "rows": 3, "stored": 2, "conflicts": 1},
    )  # fmt: skip
    shown = labels.entry(upload, TZ)
    assert (shown.action, shown.table) == ("上传监测数据", "监测数据")
    assert {c.field: c.after for c in shown.changes} == {
        "接入方式": "上传页面", "文件": "d.csv", "行数": "3", "已保存": "2", "冲突数值": "1"
    }  # fmt: skip
    accepted = AuditRecord(
        at=datetime.now(UTC), actor_label="li", action="accept_conflict", entity_type="observations", entity_id="7",
        after={"parameter": "a21026", "time": "2026-11-22T00:00:00+00:00", "source": "upload:wang",
               "replaced_source": "hj212"},
    )  # fmt: skip
    fields = {c.field: c.after for c in labels.entry(accepted, TZ).changes}
    assert labels.entry(accepted, TZ).action == "采纳冲突数值"
    assert fields["监测因子"] == "二氧化硫" and fields["数据时间"] == "2026-11-22 08:00:00"
    assert fields["数据来源"] == "文件上传 wang" and fields["被替换数值的来源"] == "数采仪（HJ 212）"


def test_a_hidden_value_that_changed_is_listed_as_changed() -> None:
    """A boundary or password replaced by another is recorded hidden before and after (issue 15): the record says
    that the field changed, not nothing."""
    record = AuditRecord(
        at=datetime.now(UTC), actor_label="admin", action="update", entity_type="regions", entity_id="3",
        before={"boundary": "***", "name": "东湖街道"}, after={"boundary": "***", "name": "东湖街道"},
    )  # fmt: skip

    assert [(c.field, c.before, c.after) for c in labels.entry(record, TZ).changes] == [
        ("边界", "（已隐藏）", "（已隐藏）")
    ]
