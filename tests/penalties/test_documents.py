"""The documents of a penalty case, re-opened with python-docx: the enterprise, its credit code, the legal basis,
the amount in figures and in capital numerals, the remedies; the bureau's own template per kind."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy.orm import Session

from ecoloop.penalties import documents, service
from ecoloop.penalties.enums import DecisionKind, DocumentKind, EvidenceKind
from ecoloop.penalties.models import PenaltyCase
from ecoloop.penalties.procedure import Entry, Step
from ecoloop.reports import layout
from tests.factories import World
from tests.penalties.conftest import NOW, Actor, registered


def text_of(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    lines += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def decided(
    db: Session,
    world: World,
    actor: Actor,
    tmp_path: Path,
    fine: int = 188000,
    decided_fine: int | None = None,
    violation: str = "AIR-EXCEED",
) -> PenaltyCase:
    """A case decided on 2026-03-20, the hearing waived where the party had the right to one."""
    case = registered(db, world, actor, violation_code=violation, levels={})
    service.add_evidence(
        db,
        case,
        actor("inspector"),
        kind=EvidenceKind.MONITORING,
        description="监测报告（编号JC-2026-031）",
        collected_on=date(2026, 3, 2),
        now=NOW,
        today=date(2026, 3, 2),
        storage=tmp_path,
    )

    def step(who: str, what: Step, day: date, entry: Entry) -> None:
        service.take_step(db, case, actor(who), what, entry, now=NOW, today=day)

    step(
        "inspector",
        Step.NOTIFY,
        date(2026, 3, 3),
        Entry(day=date(2026, 3, 3), kind=DecisionKind.PENALTY, fine=Decimal(fine)),
    )
    if case.hearing_right:
        step("inspector", Step.WAIVE_HEARING, date(2026, 3, 4), Entry(day=date(2026, 3, 4)))
    step("inspector", Step.HEAR_STATEMENT, date(2026, 3, 4), Entry(day=date(2026, 3, 4)))
    final = Decimal(decided_fine or fine)
    step("inspector", Step.PROPOSE_DECISION, date(2026, 3, 5), Entry(kind=DecisionKind.PENALTY, fine=final))
    if final >= 100000:  # 集体讨论 from the threshold
        step("leader", Step.RECORD_DISCUSSION, date(2026, 3, 19), Entry(day=date(2026, 3, 19)))
    step("leader", Step.APPROVE_DECISION, date(2026, 3, 20), Entry())
    return case


def test_decision_reopened(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    case = decided(db, world, actor, tmp_path, fine=188000)
    assert documents.available(case) == [DocumentKind.RECTIFICATION_ORDER, DocumentKind.NOTICE, DocumentKind.DECISION]
    text = text_of(documents.render(db, tmp_path, case, DocumentKind.DECISION, date(2026, 3, 21)))
    assert world.enterprise_a.name in text
    assert world.enterprise_a.credit_code in text
    assert "行政处罚决定书" in text and "〔2026〕第1号" in text
    assert "《中华人民共和国大气污染防治法》第十八条" in text
    assert "《中华人民共和国大气污染防治法》第九十九条第二项" in text
    assert "188,000.00" in text and "壹拾捌万捌仟元整" in text
    assert "监测报告（编号JC-2026-031）" in text
    assert "2026年3月20日" in text  # the decision's date
    assert "60日内" in text and "行政复议法" in text and "第二十条" in text
    assert "6个月内" in text and "行政诉讼法" in text and "第四十六条" in text
    assert "15日内" in text and "3%" in text
    assert "清源市生态环境局" in text
    assert "{{" not in text and "{%" not in text


def test_order_and_notice_reopened(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    case = decided(db, world, actor, tmp_path, fine=388000)
    order = text_of(documents.render(db, tmp_path, case, DocumentKind.RECTIFICATION_ORDER, date(2026, 3, 2)))
    assert "责令改正违法行为决定书" in order and world.enterprise_a.credit_code in order
    assert "立即停止超标排放" in order and "2026年4月30日" in order
    notice = text_of(documents.render(db, tmp_path, case, DocumentKind.NOTICE, date(2026, 3, 3)))
    assert "388,000.00" in notice and "叁拾捌万捌仟元整" in notice
    assert "陈述和申辩" in notice and "要求举行听证" in notice  # 388,000 ≥ 50,000: the hearing right
    assert "{{" not in notice


def test_no_hearing_paragraph_for_a_small_fine(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    case = decided(db, world, actor, tmp_path, fine=20000, violation="AIR-MONITOR")
    notice = text_of(documents.render(db, tmp_path, case, DocumentKind.NOTICE, date(2026, 3, 3)))
    assert "陈述和申辩" in notice and "听证" not in notice.replace("行政处罚事先（听证）告知书", "")


def test_the_bureaus_template(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    case = decided(db, world, actor, tmp_path)
    own = layout.build_template([layout.Paragraph("自定义：{{ party }} {{ fine_capital }} {{ basis }}")])
    documents.check_template(DocumentKind.DECISION, own, documents.sample_values(DocumentKind.DECISION))
    row = documents.save_template(db, tmp_path, DocumentKind.DECISION, own, "analyst", NOW)
    assert row.version == 1 and row.file == f"templates/{row.sha256}.docx"
    assert (documents.templates_root(tmp_path) / row.file).read_bytes() == own
    text = text_of(documents.render(db, tmp_path, case, DocumentKind.DECISION, date(2026, 3, 21)))
    assert f"自定义：{world.enterprise_a.name} 壹拾捌万捌仟元整" in text
    back = documents.save_template(db, tmp_path, DocumentKind.DECISION, None, "analyst", NOW)
    assert back.version == 2 and back.file == ""
    assert "自定义" not in text_of(documents.render(db, tmp_path, case, DocumentKind.DECISION, date(2026, 3, 21)))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a docx", "format"),
        (layout.build_template([layout.Paragraph("{{ secret_key }}")]), "unknown"),
        (layout.build_template([layout.Paragraph("{{ party.__class__.__mro__ }}")]), "render"),
        (layout.build_template([layout.Paragraph("{{ party ")]), "syntax"),
    ],
)
def test_bad_templates_refused(data: bytes, code: str) -> None:
    with pytest.raises(documents.TemplateRefusedError) as refused:
        documents.check_template(DocumentKind.DECISION, data, documents.sample_values(DocumentKind.DECISION))
    assert refused.value.code == code


def test_context_gives_every_tag(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    case = decided(db, world, actor, tmp_path)
    values = documents.context(
        case,
        world.enterprise_a,
        [],
        documents.Issuer("局"),
        service.limits_for(db, date(2026, 3, 2)),
        DocumentKind.DECISION,
        date(2026, 3, 2),
    )
    assert set(values) == documents.TAGS


def test_the_notice_keeps_the_fine_it_told(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    # Told 388,000 yuan; decided 300,000 after the party's defence (lighter: allowed, 第四十五条).
    case = decided(db, world, actor, tmp_path, fine=388000, decided_fine=300000)
    notice = text_of(documents.render(db, tmp_path, case, DocumentKind.NOTICE, date(2026, 3, 3)))
    decision = text_of(documents.render(db, tmp_path, case, DocumentKind.DECISION, date(2026, 3, 21)))
    assert "388,000.00" in notice and "300,000.00" not in notice
    assert "300,000.00" in decision and "叁拾万元整" in decision and "388,000.00" not in decision
