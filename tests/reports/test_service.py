"""Generating, keeping and regenerating briefs; the bureau's templates (service)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from sqlalchemy.orm import Session

from ecoloop.reports import service
from ecoloop.reports.content import Content, Table
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.periods import parse_period
from ecoloop.results.air import AIR_DAY_AREA
from ecoloop.results.queries import ResultReads
from tests.conftest import make_settings
from tests.factories import World, plant_results

DAY = date(2026, 12, 6)
PM2_5_DAILY = 1 << 4


def _reads(tmp_path: Path) -> ResultReads:
    from functools import partial

    from ecoloop.analytics import backends

    settings = make_settings(tmp_path)
    return ResultReads(settings.results_root, partial(backends.reading, settings))


def _plant(root: Path, world: World, aqi_a: int, aqi_b: int) -> None:
    rows = [
        {"region_id": region.id, "day": DAY, "aqi": aqi, "level": 2 if aqi > 50 else 1, "primary": PM2_5_DAILY,
         "PM2_5_24h": float(aqi) / 2}
        for region, aqi in ((world.city, 70), (world.county_a, aqi_a), (world.county_b, aqi_b))
    ]  # fmt: skip
    plant_results(root, AIR_DAY_AREA, rows)


def _docx_rows(data: bytes) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in docx.Document(io.BytesIO(data)).tables[0].rows]


def test_a_daily_brief_is_kept_with_its_files_and_regenerated_as_a_new_version(
    db: Session, world: World, tmp_path: Path
) -> None:
    with _reads(tmp_path) as reads:
        _plant(reads.root, world, 80, 45)
        period = parse_period(ReportKind.DAILY, DAY.isoformat())
        who = service.Generator("分析员", None)
        (first,) = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, period, who)
        root = service.reports_root(tmp_path)
        rows = _docx_rows((root / first.docx_file).read_bytes())
        assert rows[1][:3] == [world.county_b.name, "1", "45"]  # the first column names the row
        assert rows[2][:3] == [world.county_a.name, "2", "80"]
        sheet = openpyxl.load_workbook(root / first.xlsx_file, data_only=True).worksheets[0]
        assert [c.value for c in sheet[2]][:3] == [world.county_b.name, 1, 45]
        assert (first.version, first.generated_by, first.number.endswith("1号")) == (1, "分析员", True)

        _plant(reads.root, world, 30, 45)  # the county's day recomputed: it moves to first place
        (second,) = service.generate(db, tmp_path, reads, make_settings(tmp_path).tz, period, who)
    assert (second.version, second.number) == (2, first.number)
    assert _docx_rows((root / second.docx_file).read_bytes())[1][:3] == [world.county_a.name, "1", "30"]
    assert (root / first.docx_file).exists()  # the earlier version is kept


def test_templates_are_checked_before_they_are_used(db: Session, world: World) -> None:
    sample = Content(region_id=world.city.id, values={"summary": "x"}, tables=[Table("counties", "t", [], [])])
    default = service.default_template(ReportKind.DAILY)
    service.check_template(ReportKind.DAILY, default, sample)
    assert "summary" in service.allowed_tags(ReportKind.DAILY)
    with pytest.raises(service.TemplateRefusedError) as refused:
        service.check_template(ReportKind.DAILY, b"not a zip", sample)
    assert refused.value.code == "format"
    for text, code in (
        ("{{ secret_key }}", "unknown"),
        ("{{ summary.__class__.__mro__ }}", "render"),  # the sandbox refuses attribute access
        ("{{ summary ", "syntax"),
    ):
        with pytest.raises(service.TemplateRefusedError) as refused:
            service.check_template(ReportKind.DAILY, _template_with(text), sample)
        assert refused.value.code == code, text


def _template_with(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_the_default_template_escapes_what_it_prints(world: World) -> None:
    content = Content(region_id=world.city.id, values={"summary": "<w:p>a & b</w:p>"}, tables=[])
    data = service.documents.docx(
        service.default_template(ReportKind.DAILY), content, dict.fromkeys(service.COMMON_TAGS, "")
    )
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "<w:p>a & b</w:p>" in text


def test_a_value_table_or_chart_has_a_name_of_its_own(world: World) -> None:
    table = Table("complaints", "t", [], [])
    with pytest.raises(ValueError, match="complaints"):
        Content(region_id=world.city.id, values={"complaints": "3"}, tables=[table])
