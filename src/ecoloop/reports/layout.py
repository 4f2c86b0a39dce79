"""The default Word template of each brief, written from a short layout (headings, paragraphs with template tags,
tables, charts) in the format of Chinese official documents (GB/T 9704-2012): A4, margins 37/35/28/26 mm, the
issuer's name in red over a red line, the document number, a 2号 (22 pt) title in 小标宋, the text in 3号 (16 pt)
仿宋 on a fixed line pitch, level-1 headings in 黑体 and level-2 in 楷体, the date at the end, the page number
below the text as "— 1 —" (docs/reports.md has the clauses).

The bureau downloads this template, edits it in Word or WPS (wording, order, its own letterhead) and uploads it
back (`templates`); the tags between {{ }} and {% %} are what ecoloop fills in. The layout is written here in
code so that the default follows the catalog's language and never drifts from what the briefs provide.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from ecoloop.i18n import gettext

# A4 with the margins of GB/T 9704-2012 5.2.1: top 37 mm, binding side 28 mm, type area 156 by 225 mm.
PAGE = (Mm(210), Mm(297))
MARGINS = {"top_margin": Mm(37), "bottom_margin": Mm(35), "left_margin": Mm(28), "right_margin": Mm(26)}
TYPE_WIDTH_MM = 156
# Fonts by the names bureau computers know (GB/T 9704 7.2.4, 7.3.1, 7.3.3); where they are missing, LibreOffice
# is pointed to Noto Serif/Sans CJK SC by `fonts.conf` (docs/reports.md).
TEXT_FONT = "\u4eff\u5b8b_GB2312"  # 仿宋_GB2312
TITLE_FONT = "\u65b9\u6b63\u5c0f\u6807\u5b8b\u7b80\u4f53"  # 方正小标宋简体
HEADING_FONT = "\u9ed1\u4f53"  # 黑体
SUBHEADING_FONT = "\u6977\u4f53_GB2312"  # 楷体_GB2312
TABLE_FONT = "\u5b8b\u4f53"  # 宋体
RED = RGBColor(0xE6, 0x00, 0x12)
# 22 lines in the 225 mm type area (5.2.3): a fixed pitch of 28.9 pt.
LINE_PITCH = Pt(28.9)
SIZE_TITLE, SIZE_TEXT, SIZE_TABLE, SIZE_PAGE = Pt(22), Pt(16), Pt(10.5), Pt(14)
SIZE_ISSUER = Pt(36)


@dataclass(frozen=True)
class Heading:
    """A numbered heading: level 1 (一、) in 黑体, level 2 in 楷体 (the number is part of `text`)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text with template tags, indented two characters."""

    text: str


@dataclass(frozen=True)
class Items:
    """One paragraph per element of the list `name` in the context (`{%p for %}`), written by `text` with `item`;
    `empty` when the list is empty."""

    name: str
    text: str
    empty: str


@dataclass(frozen=True)
class TableBlock:
    """The table `name` of the content: its headers, then one row per element (`{%tr for %}`); `note` below it."""

    name: str
    columns: Sequence[tuple[str, str]]  # (key, header)
    note: str = ""


@dataclass(frozen=True)
class Image:
    """The chart `name`, 150 mm wide."""

    name: str


Block = Heading | Paragraph | Items | TableBlock | Image


def _fonts(holder: Any, name: str) -> None:
    """`name` as the East Asian and Latin font of a style or run (python-docx has no common type of the two)."""
    holder.font.name = name
    fonts = holder.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), name)


def _run(paragraph: Any, text: str, font: str, size: Pt, *, bold: bool = False, red: bool = False) -> Any:
    run = paragraph.add_run(text)
    _fonts(run, font)
    run.font.size = size
    run.bold = bold
    if red:
        run.font.color.rgb = RED
    return run


def _paragraph(document: Any, text: str = "", *, align: Any = None, indent: bool = False) -> Any:
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = SIZE_TEXT * 2
    if text:
        _run(paragraph, text, TEXT_FONT, SIZE_TEXT)
    return paragraph


def _red_line(paragraph: Any) -> None:
    """A red rule under the paragraph, as wide as the type area (GB/T 9704 7.2.7)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "E60012")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _page_number(section: Any) -> None:
    """The page number below the type area: "— 1 —" in 4号 宋体, centred (GB/T 9704 7.5)."""
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "\u2014 ", TABLE_FONT, SIZE_PAGE)
    run = _run(footer, "", TABLE_FONT, SIZE_PAGE)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _run(footer, " \u2014", TABLE_FONT, SIZE_PAGE)


def _cell(cell: Any, text: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _run(paragraph, text, TABLE_FONT, SIZE_TABLE, bold=bold)


def _table(document: Any, block: TableBlock) -> None:
    """Header row, the `{%tr for %}` row, the repeated row, the `{%tr endfor %}` row."""
    table = document.add_table(rows=4, cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for (key, header), cells in zip(block.columns, zip(*(row.cells for row in table.rows), strict=True), strict=True):
        _cell(cells[0], header, bold=True)
        _cell(cells[2], "{{ r." + key + " }}")
    _cell(table.rows[1].cells[0], "{%tr for r in " + block.name + " %}")
    _cell(table.rows[3].cells[0], "{%tr endfor %}")
    for n, row in enumerate(table.rows):
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))  # a row is never cut across two pages
        if n == 0:
            properties.append(OxmlElement("w:tblHeader"))  # the header row again on every page
    if block.note:
        note = _paragraph(document)
        _run(note, block.note, TEXT_FONT, SIZE_TABLE)
    # A little space before whatever follows, so two tables one after the other do not touch.
    gap = document.add_paragraph()
    gap.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    gap.paragraph_format.line_spacing = Pt(8)


def _block(document: Any, block: Block) -> None:
    if isinstance(block, Heading):
        paragraph = _paragraph(document, indent=True)
        font = HEADING_FONT if block.level == 1 else SUBHEADING_FONT
        _run(paragraph, block.text, font, SIZE_TEXT)
    elif isinstance(block, Paragraph):
        _paragraph(document, block.text, indent=True)
    elif isinstance(block, Items):
        _paragraph(document, "{%p if " + block.name + " %}")
        _paragraph(document, "{%p for item in " + block.name + " %}")
        _paragraph(document, block.text, indent=True)
        _paragraph(document, "{%p endfor %}")
        _paragraph(document, "{%p else %}")
        _paragraph(document, block.empty, indent=True)
        _paragraph(document, "{%p endif %}")
    elif isinstance(block, TableBlock):
        _table(document, block)
    else:
        image = _paragraph(document, "{{ " + block.name + " }}", align=WD_ALIGN_PARAGRAPH.CENTER)
        # An exact line pitch would cut the picture to one line.
        image.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE


def build_template(blocks: Sequence[Block]) -> bytes:
    """A Word template: the letterhead (issuer in red, document number, red line), the title, the addressees,
    `blocks`, the issuer and the date; the common tags are `issuer`, `doc_number`, `title`, `addressees`,
    `issued_on` and `marking` (内部资料 when the bureau keeps the brief internal)."""
    document = Document()
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE
    for margin, length in MARGINS.items():
        setattr(section, margin, length)
    section.footer_distance = Cm(2.0)
    normal = document.styles["Normal"]
    _fonts(normal, TEXT_FONT)
    normal.font.size = SIZE_TEXT
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE_PITCH
    normal.paragraph_format.space_after = Pt(0)
    language = OxmlElement("w:lang")
    language.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(language)
    marking = _paragraph(document, align=WD_ALIGN_PARAGRAPH.LEFT)
    _run(marking, "{{ marking }}", HEADING_FONT, SIZE_TEXT)
    issuer = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER)
    issuer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _run(issuer, "{{ issuer_header }}", TITLE_FONT, SIZE_ISSUER, red=True)
    _paragraph(document)
    number = _paragraph(document, "{{ doc_number }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _red_line(number)
    _paragraph(document)
    title = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _run(title, "{{ title }}", TITLE_FONT, SIZE_TITLE)
    _paragraph(document)
    _paragraph(document, gettext("{{ addressees }}:"))
    for block in blocks:
        _block(document, block)
    _paragraph(document)
    _paragraph(document, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.right_indent = SIZE_TEXT * 4
    date = _paragraph(document, "{{ issued_on }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    date.paragraph_format.right_indent = SIZE_TEXT * 4
    _page_number(section)
    core = document.core_properties
    core.author = core.last_modified_by = "ecoloop"
    core.title = core.comments = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
