"""The supervision notice (督办单) as a Word document, rendered from its timeline event."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import docx
from docx.oxml.ns import qn
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.documents import notice_data, supervision_notice
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import CaseEvent
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import Acting, act, escalate, register_case
from ecoloop.cases.workflow import Action
from ecoloop.i18n import use_locale
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


def text_of(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_an_automatic_notice_reads_as_issued(db: Session, world: World) -> None:
    analyst = Acting(world.users["analyst"], world.principal(db, "analyst"))
    case = register_case(
        db, analyst, source=CaseSource.CENTRAL_SUPERVISION, category=Category.WATER, title="柳林镇黑臭水体",
        region=world.town_b, now=NOW, external_ref="X3700000202611220001",
    )  # fmt: skip
    deadline = NOW.date() + timedelta(days=5)
    act(db, case, analyst, Action.ASSIGN, seen_version=case.version, now=NOW, unit=world.department, deadline=deadline)
    overdue_day = deadline + timedelta(days=1)
    escalate(db, datetime(2026, 11, 28, 2, tzinfo=UTC), overdue_day, EscalationPolicy())
    event = db.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.SUPERVISED)).one()
    data = notice_data(case, event, "清源市生态环境局", TZ)
    assert (data.notice_number, data.overdue_days, data.automatic) == ("DB2026-0001", 1, True)
    with use_locale("zh_CN"):
        rendered = text_of(supervision_notice(data))
    for expected in (
        "督办单",
        "DB2026-0001",
        "清源市住房和城乡建设局",
        "柳林镇黑臭水体",
        "X3700000202611220001",
        "清源市生态环境局",
    ):
        assert expected in rendered
    with use_locale("en"):
        assert "1 days overdue" in text_of(supervision_notice(data))


def test_the_notice_is_a4_with_chinese_labels_and_fonts(db: Session, world: World) -> None:
    """Issue 13 §11: the notice had English labels ("Notice number:", "Remarks:") on US Letter paper."""
    analyst = Acting(world.users["analyst"], world.principal(db, "analyst"))
    case = register_case(
        db, analyst, source=CaseSource.CENTRAL_SUPERVISION, category=Category.WATER, title="柳林镇黑臭水体",
        region=world.town_b, now=NOW, description="河道发黑发臭",
    )  # fmt: skip
    act(
        db, case, analyst, Action.ASSIGN, seen_version=case.version, now=NOW, unit=world.department, deadline=NOW.date()
    )
    event = CaseEvent(case_id=case.id, at=NOW, kind=EventKind.SUPERVISED, note="请加快整改", data={"notice": "DB1"})
    with use_locale("zh_CN"):
        data = supervision_notice(notice_data(case, event, "清源市生态环境局", TZ))
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert 2.0 <= section.left_margin.cm <= 3.0 and 2.0 <= section.top_margin.cm <= 4.0
    text = text_of(data)
    assert "督办编号：DB1" in text and "备注：请加快整改" in text and "问题详情：河道发黑发臭" in text
    assert set(re.findall(r"[A-Za-z]{2,}", text)) == {"DB", "AJ"}  # the notice and case numbers, no English
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
