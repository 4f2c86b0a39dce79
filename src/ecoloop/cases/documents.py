"""Documents of a case, rendered as .docx on demand from the case and its timeline (pure: data in, bytes out).

A supervision notice (督办单) is rendered from its `supervised` event, so the notice a unit received can be
printed again at any time exactly as issued: number, date and text come from the event and the case as they
were recorded; nothing is stored twice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.i18n import N_, gettext


@dataclass(frozen=True)
class NoticeData:
    """What a supervision notice says."""

    notice_number: str
    issued_on: date
    issuer: str  # the bureau's name
    unit: str  # the lead responsible unit
    case_number: str
    external_ref: str
    title: str
    region: str
    description: str
    deadline: date | None
    overdue_days: int
    note: str
    automatic: bool


# A4 with the margins of Chinese official documents (GB/T 9704-2012): top 37 mm, binding side 28 mm, a type area
# 156 mm wide and 225 mm high, hence right 26 mm and bottom 35 mm.
PAGE = (Cm(21.0), Cm(29.7))
MARGINS = {"top_margin": Cm(3.7), "bottom_margin": Cm(3.5), "left_margin": Cm(2.8), "right_margin": Cm(2.6)}
# East Asian fonts by their family names as Word, WPS and LibreOffice know them: FangSong for the text and
# SimHei for the title, as Chinese official documents usually set them.
TEXT_FONT = "\u4eff\u5b8b"  # FangSong
TITLE_FONT = "\u9ed1\u4f53"  # SimHei


def _east_asian(font_holder: Any, name: str) -> None:
    """Set `name` as the East Asian font (`w:eastAsia`) of a style or run, besides its Latin font.

    `font_holder` is a python-docx style or run (the library has no common type of the two)."""
    font_holder.font.name = name
    fonts = font_holder.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _labelled(message: str, value: str) -> str:
    return gettext(message) % {"value": value}


def supervision_notice(notice: NoticeData) -> bytes:
    """The 督办单 as a Word document: A4, Chinese fonts, labels from the catalog in the current language."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = PAGE
    for margin, length in MARGINS.items():
        setattr(section, margin, length)
    style = document.styles["Normal"]
    style.font.size = Pt(14)
    _east_asian(style, TEXT_FONT)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(gettext("Supervision notice on an environmental problem"))
    run.bold = True
    run.font.size = Pt(22)
    _east_asian(run, TITLE_FONT)
    number = document.add_paragraph(_labelled(N_("Notice number: %(value)s"), notice.notice_number))
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph(_labelled(N_("%(value)s:"), notice.unit))
    rows = [
        (gettext("Case number"), notice.case_number),
        (gettext("Hand-down reference"), notice.external_ref or "-"),
        (gettext("Problem"), notice.title),
        (gettext("Location"), notice.region),
        (gettext("Deadline for rectification"), notice.deadline.isoformat() if notice.deadline else "-"),
        (gettext("Days overdue"), str(notice.overdue_days) if notice.overdue_days > 0 else "-"),
    ]
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for (label, value), row in zip(rows, table.rows, strict=True):
        row.cells[0].text = label
        row.cells[1].text = value
    if notice.description:
        document.add_paragraph(_labelled(N_("Problem details: %(value)s"), notice.description))
    if notice.deadline is not None and notice.overdue_days > 0:
        demand = gettext(
            "The rectification of this problem was due on {deadline} and is {days} days overdue. Complete the "
            "rectification without delay, report the progress and evidence within 5 working days, and name the "
            "person responsible."
        ).format(deadline=notice.deadline.isoformat(), days=notice.overdue_days)
    else:
        demand = gettext(
            "Speed up the rectification of this problem, report the progress and evidence within 5 working days, "
            "and name the person responsible."
        )
    document.add_paragraph(demand)
    if notice.note:
        document.add_paragraph(_labelled(N_("Remarks: %(value)s"), notice.note))
    if notice.automatic:
        document.add_paragraph(gettext("Issued automatically when the deadline passed."))
    signature = document.add_paragraph(f"{notice.issuer}\n{notice.issued_on.isoformat()}")
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def notice_data(case: Case, event: CaseEvent, issuer: str, tz: tzinfo) -> NoticeData:
    """The notice of a `supervised` event of `case`, as it was issued."""
    if event.kind is not EventKind.SUPERVISED or event.case_id != case.id:
        raise ValueError("not a supervision notice of this case")
    issued = event.at if event.at.tzinfo is not None else event.at.replace(tzinfo=UTC)
    issued_on = issued.astimezone(tz).date()
    deadline = case.deadline
    return NoticeData(
        notice_number=str(event.data.get("notice", "")),
        issued_on=issued_on,
        issuer=issuer,
        unit=case.lead_unit.name if case.lead_unit else "-",
        case_number=case.number,
        external_ref=case.external_ref,
        title=case.title,
        region=case.region.name,
        description=case.description,
        deadline=deadline,
        overdue_days=(issued_on - deadline).days if deadline else 0,
        note=event.note,
        automatic=bool(event.data.get("automatic")),
    )
