"""A brief's pages (reports.pages): each kind of brief generated from planted results, its Word document laid out
by LibreOffice as A4 pages whose text says the brief's title and numbers; the pages are kept as
docs/screens/report-<kind>-p1.png (and -p2). The converter's fonts, its failures and its environment."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from ecoloop.analytics import backends
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.service import add_site
from ecoloop.reports import layout, pages, service
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.kinds import BRIEFS
from ecoloop.reports.periods import latest_over
from ecoloop.results.models import AirTarget
from ecoloop.results.queries import ResultReads
from ecoloop.results.service import air_network
from ecoloop.settings import Settings
from tests.factories import World, plant_air_days, plant_water_sections

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
TODAY = date(2026, 12, 1)  # the day the briefs are generated: yesterday, last week, last month, last year are over
HISTORY_FROM = date(2024, 1, 1)  # the year before the annual brief's, for its year-on-year change
DPI = 96
A4_MM = (210, 297)
MAX_PNG_BYTES = 300 * 1024
NUMBER = re.compile(r"[\u2212+-]?\d+(?:\.\d+)?%?")

needs_converter = pytest.mark.skipif(
    not (Path("/usr/bin/soffice").exists() and pages.available()),
    reason="LibreOffice or poppler is missing: install them with scripts/install-system-deps "
    "(libreoffice-writer-nogui, poppler-utils)",
)


def _a4(dpi: int) -> tuple[int, int]:
    return tuple(round(mm / 25.4 * dpi) for mm in A4_MM)  # type: ignore[return-value]  # two sides


def _plant(session: Session, world: World, root: Path) -> None:
    """Air stations in each county and town (county B's dirtier) with daily results from HISTORY_FROM to yesterday,
    water sections with kept months, as the results job would have stored them, and each year's targets."""
    levels: dict[int, float] = {}
    places = (
        (world.county_a, StationLevel.NATIONAL, 0.8), (world.county_a, StationLevel.COUNTY, 0.9),
        (world.town_a, StationLevel.TOWN, 0.9), (world.county_b, StationLevel.NATIONAL, 1.2),
        (world.county_b, StationLevel.COUNTY, 1.3), (world.town_b, StationLevel.TOWN, 1.1),
    )  # fmt: skip
    for n, (region, station_level, level) in enumerate(places):
        site = add_site(
            session, code=f"aq-{n}", name=f"{region.name}{n + 1}", kind=SiteKind.AIR_STATION, region=region,
            station_level=station_level,
        )  # fmt: skip
        levels[site.id] = level
    session.commit()
    stations = {station.site_id: station.areas for station in air_network(session)}
    plant_air_days(root, stations, HISTORY_FROM, TODAY - timedelta(days=1), levels=levels)
    plant_water_sections(session, world, root, TODAY)
    # Targets of the years the briefs cover (the rankings' and the ecological compensation's PM2.5 target).
    for year in range(HISTORY_FROM.year, TODAY.year + 1):
        for region in (world.city, world.county_a, world.county_b):
            session.add(AirTarget(region_id=region.id, year=year, good_ratio_target=Decimal("80.0"), pm25_target=35))
    session.commit()


def _in_order(wanted: list[str], found: list[str]) -> bool:
    """Whether `wanted` occur in `found` in this order (others may lie between)."""
    rest = iter(found)
    return all(any(item == seen for seen in rest) for item in wanted)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("kind", list(BRIEFS), ids=lambda kind: kind.value)
@needs_converter
def test_each_brief_renders_as_a4_pages_saying_its_title_and_numbers(
    kind: ReportKind, app_settings: Settings, app_db: Session, app_world: World, tmp_path: Path
) -> None:
    period = latest_over(kind, TODAY)
    with ResultReads(app_settings.results_root, partial(backends.reading, app_settings)) as reads:
        _plant(app_db, app_world, reads.root)
        now = datetime(TODAY.year, TODAY.month, TODAY.day, 1, tzinfo=UTC)
        made = service.generate(
            app_db, app_settings.data_dir, reads, app_settings.tz, period, service.Generator("test"), now=now
        )
    report = made[0]  # the city's
    document = (service.reports_root(app_settings.data_dir) / report.docx_file).read_bytes()
    pdf = pages.to_pdf(document)
    text = pages.pdf_text(pdf)
    # The text's 仿宋 is laid out in Noto Serif CJK (fonts.conf), not LibreOffice's own fallback, Noto Sans CJK JP.
    (tmp_path / "brief.pdf").write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "brief.pdf")], capture_output=True, text=True, check=True)
    assert "NotoSerifCJK" in fonts.stdout, fonts.stdout
    assert _squeezed(BRIEFS[kind].title(period)) in _squeezed(text)
    # The first row of the first table (e.g. the first county with its AQI): its first numbers, in order, on one line of
    # the page's text (its name may wrap inside a narrow column, its numbers do not).
    table = report.snapshot["tables"][0]
    cells = [table["rows"][0][key] for key, _ in table["columns"]]
    numbers = [cell for cell in cells if NUMBER.fullmatch(cell)]
    assert len(numbers) >= 2, f"the first row of {table['name']} has too few numbers: {cells}"
    # (The first three: a workbook row may hold more columns than one table of the page, e.g. the assessment's.)
    assert any(_in_order(numbers[:3], NUMBER.findall(line)) for line in text.splitlines()), (cells, text)

    images = pages.pdf_to_png(pdf, DPI)
    assert images
    for n, data in enumerate(images[:2], start=1):
        with Image.open(io.BytesIO(data)) as image:
            assert abs(image.width - _a4(DPI)[0]) <= 1 and abs(image.height - _a4(DPI)[1]) <= 1
            kept = _small_png(image)
        assert len(kept) < MAX_PNG_BYTES
        SCREENS.mkdir(parents=True, exist_ok=True)
        (SCREENS / f"report-{kind.value}-p{n}.png").write_bytes(kept)


def _small_png(image: Image.Image) -> bytes:
    """The page as a PNG of at most 256 colours (a page is text, lines and a few charts: it loses nothing seen)."""
    buffer = io.BytesIO()
    image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig's fc-match is missing")
@pytest.mark.parametrize(
    ("font", "face"),
    [
        (layout.TEXT_FONT, "Noto Serif CJK SC"),
        (layout.TITLE_FONT, "Noto Serif CJK SC"),
        (layout.SUBHEADING_FONT, "Noto Serif CJK SC"),
        (layout.TABLE_FONT, "Noto Serif CJK SC"),
        (layout.HEADING_FONT, "Noto Sans CJK SC"),
    ],
    ids=["text", "title", "subheading", "table", "heading"],
)
def test_every_font_a_brief_names_is_a_chinese_face_of_the_system(font: str, face: str) -> None:
    if not Path("/usr/share/fonts/opentype/noto").is_dir():
        pytest.skip("fonts-noto-cjk is missing (scripts/install-system-deps)")
    found = subprocess.run(
        ["fc-match", "-f", "%{family}", font],
        env={"FONTCONFIG_FILE": str(pages.FONTS_CONF), "PATH": pages.SYSTEM_PATH},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert face in found.split(","), (font, found)


def test_a_missing_program_is_named_with_the_packages_that_bring_it() -> None:
    with pytest.raises(pages.PagesUnavailableError, match="libreoffice-writer-nogui and poppler-utils"):
        pages.program("ecoloop-no-such-converter")


@needs_converter
def test_a_non_docx_is_refused_and_a_late_converter_is_ended() -> None:
    with pytest.raises(pages.ConversionError, match="no PDF"):
        pages.to_pdf(b"plain text, not a .docx")
    with pytest.raises(pages.ConversionError, match="ran out of time"):
        pages.to_pdf(b"PK", timeout=0.2)


def test_the_converter_inherits_nothing_of_the_servers_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ECOLOOP_SECRET_KEY", "not-for-the-converter")
    done = pages._run([shutil.which("env") or "/usr/bin/env"], tmp_path, 10)
    seen = dict(line.split("=", 1) for line in done.stdout.decode().splitlines())
    assert "ECOLOOP_SECRET_KEY" not in seen
    assert (seen["HOME"], seen["FONTCONFIG_FILE"]) == (str(tmp_path), str(pages.FONTS_CONF))
