"""Every .xlsx and .csv file ecoloop hands out writes text as text (issue 13 point 4): text that a spreadsheet
would evaluate (`=`, `+`, `-`, `@`, tab, CR first) planted in every text field an export carries comes out kept
and never as a formula; no module but `ecoloop.exports` builds such a file, and every download route is tested."""

from __future__ import annotations

import ast
import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

import ecoloop
from ecoloop.app import create_app
from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import CaseUnit
from ecoloop.cases.service import Acting, register_case
from ecoloop.controls import service as controls
from ecoloop.controls.enums import GuideIndustry
from ecoloop.db.base import utcnow
from ecoloop.draws.models import Draw
from ecoloop.enterprises import service
from ecoloop.enterprises.enums import OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.models import SupervisionList
from ecoloop.exports import CREATOR, CsvWriter, append_row, cell_value, csv_bytes, new_workbook, workbook_bytes
from ecoloop.identity.models import Organisation
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.regions.enums import RegionLevel
from ecoloop.settings import Settings
from tests.draws.conftest import plant_draw
from tests.factories import World
from tests.web.helpers import csrf_for, open_session
from tests.web.test_auth import api_routes

PAYLOADS = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(field: str) -> bool:
    """Whether a CSV field would start a formula: text (not a number) that begins with a formula character."""
    try:
        float(field)
    except ValueError:
        return field.startswith(FORMULA_START)
    return False


def cells(data: bytes) -> list[Any]:
    """Every cell of every sheet, opened as Excel would (formulas as formulas, not their cached values)."""
    book = load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    assert book.properties.creator == CREATOR, "the workbook was not written by ecoloop.exports"
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_text_kept(data: bytes, payload: str, least: int) -> None:
    """No cell is a formula (or an error), and the payload is at least `least` cells' exact text."""
    found = cells(data)
    assert [c.coordinate for c in found if c.data_type in ("f", "e")] == []
    assert sum(c.value == payload for c in found) >= least


# --- the writer ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [*PAYLOADS, "#N/A", "=1+1", "-"])
def test_a_workbook_keeps_text_as_text(payload: str) -> None:
    book = new_workbook()
    sheet = book.create_sheet("S")
    append_row(sheet, [payload, 12, -3.5, date(2026, 11, 22), None])
    sheet["A2"] = payload  # set directly, not through append_row: made text when saved
    found = cells(workbook_bytes(book))
    assert {c.coordinate: (c.value, c.data_type) for c in found if c.value is not None} == {
        "A1": (payload, "s"),
        "B1": (12, "n"),
        "C1": (-3.5, "n"),
        "D1": (datetime(2026, 11, 22), "d"),  # noqa: DTZ001  # Excel dates have no time zone
        "A2": (payload, "s"),
    }
    assert found[0].quotePrefix == payload.startswith(FORMULA_START)


def test_text_xml_cannot_carry_is_replaced_and_long_text_cut() -> None:
    assert cell_value("a\x01b\x0bc\td\re\nf") == "a\ufffdb\ufffdc\td\re\nf"
    assert len(cell_value("x" * 40_000)) == 32_767
    assert cell_value(Decimal("1.5")) == Decimal("1.5")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        *[(p, "'" + p) for p in PAYLOADS],
        ("a=1", "a=1"),
        ("清源", "清源"),
        (-2.5, "-2.5"),
        (0, "0"),
        (None, ""),
    ],
)
def test_a_csv_field_never_starts_a_formula(value: Any, field: str) -> None:
    buffer = io.StringIO()
    CsvWriter(buffer).writerow([value, "b"])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [field, "b"]


def test_csv_bytes_open_in_excel_as_utf8() -> None:
    assert csv_bytes([["名称", "=1"]]) == "\ufeff名称,'=1\r\n".encode()


# --- every export -------------------------------------------------------------------------------------------------


def plant(db: Session, world: World, payload: str) -> int:
    """The payload in every text field the exports carry: enterprise A's file and list membership, a case on it
    with its units, and the regions and organisations named in the ledger; the id of enterprise A's site."""
    e = world.enterprise_a
    e.name, e.address, e.contact_name, e.contact_phone = payload, payload, payload, payload
    e.industry_code = payload
    world.town_a.name = world.village_a.name = payload
    world.department.name = payload
    db.flush()
    site = add_site(
        db, code="SRC-A", name=payload, kind=SiteKind.AIR_SOURCE, region=world.village_a, enterprise_id=e.id
    )
    add_site(db, code="AIR-A", name=payload, kind=SiteKind.AIR_STATION, region=world.town_a, level=RegionLevel.TOWN)
    add_site(db, code="NOISE-A", name=payload, kind=SiteKind.NOISE, region=world.town_a)
    add_site(db, code="WQ-A", name=payload, kind=SiteKind.WATER_STATION, region=world.town_a)
    permit = service.add_permit(
        db,
        enterprise=e,
        number=payload,
        permit_class=PermitClass.KEY,
        valid_from=date(2024, 1, 1),
        valid_to=date(2028, 12, 31),
        issued_by=payload,
    )
    outlet = service.add_outlet(db, permit=permit, code=payload, name=payload, kind=OutletKind.GAS, site=site)
    service.add_limit(db, outlet=outlet, pollutant=payload, limit_value=Decimal(35), unit=payload, source=payload)
    key_list = SupervisionList(code="hostile", name=payload)
    db.add(key_list)
    db.flush()
    service.add_membership(
        db, supervision_list=key_list, enterprise=e, start=date(2020, 1, 1), reason=payload, document=payload
    )
    service.set_grade(db, enterprise=e, grade=PerformanceGrade.B, start=date(2025, 1, 1), document=payload)
    analyst = Acting(world.users["analyst"], world.principal(db, "analyst"))
    case = register_case(
        db,
        analyst,
        source=CaseSource.COMPLAINT,
        category=Category.AIR,
        title=payload,
        region=world.village_a,
        now=utcnow(),
        enterprise_id=e.id,
        external_ref=payload,
        responsible_leader=payload,
    )
    case.handling = case.accountable_persons = payload
    case.lead_unit_id = world.department.id
    unit = Organisation(code="hostile-unit", name=payload, kind=world.department.kind, region_id=world.city.id)
    db.add(unit)
    db.flush()
    db.add(CaseUnit(case_id=case.id, organisation_id=unit.id))
    plant_draw(db, world)
    # The control list (issue 20): enterprise A on it, its transport and note written by the bureau.
    listed = controls.add_to_list(
        db, world.principal(db, "admin"), e.id, industry=GuideIndustry.OTHER, since=date(2020, 1, 1)
    )
    listed.transport = listed.note = payload
    db.commit()
    return site.id


# Every download route of a spreadsheet or CSV file: how a test asks for it and how many cells at least carry the
# payload (fewer when it begins with whitespace: forms and services strip some fields before they are stored).
EXPORTS: dict[str, tuple[str, int, int]] = {
    "/cases/ledger.xlsx": ("/cases/ledger.xlsx?region=371800", 10, 9),
    # The ranking: region names are the only text a user writes (none of the planted payload reaches it).
    "/rankings.xlsx": ("/rankings.xlsx", 0, 0),
    "/enterprises/{enterprise_id}/export.xlsx": ("/enterprises/{a}/export.xlsx", 19, 12),
    "/enterprises/lists/{code}/export.xlsx": ("/enterprises/lists/hostile/export.xlsx?on=2026-01-01", 5, 5),
    "/cases/batches/template.xlsx": ("/cases/batches/template.xlsx", 0, 0),
    "/enterprises/import/template.xlsx": ("/enterprises/import/template.xlsx", 0, 0),
    "/monitoring/upload/template.csv": ("/monitoring/upload/template.csv", 0, 0),
    # The registry templates (issue 15) carry only their own headers, examples and notes, as the two above.
    "/admin/regions/import/template.xlsx": ("/admin/regions/import/template.xlsx", 0, 0),
    "/admin/organisations/import/template.xlsx": ("/admin/organisations/import/template.xlsx", 0, 0),
    "/admin/users/import/template.xlsx": ("/admin/users/import/template.xlsx", 0, 0),
    "/monitoring/sites/import/template.xlsx": ("/monitoring/sites/import/template.xlsx", 0, 0),
    "/monitoring/devices/import/template.xlsx": ("/monitoring/devices/import/template.xlsx", 0, 0),
    # Air results (issue 16): numbers and words of the catalog; the station's or area's name is in the file name.
    "/air/stations/{site_id}/export.xlsx": ("/air/stations/{station}/export.xlsx?series=hours", 0, 0),
    "/air/stations/{site_id}/export.csv": ("/air/stations/{station}/export.csv", 0, 0),
    "/air/areas/{region_id}/export.xlsx": ("/air/areas/{town}/export.xlsx", 0, 0),
    "/air/areas/{region_id}/export.csv": ("/air/areas/{town}/export.csv?series=hours", 0, 0),
    # The outlets' month (issue 16): the names of the planted outlet site and its enterprise.
    "/sources/export.xlsx": ("/sources/export.xlsx", 2, 2),
    # The noise month (issue 16): the station's name and its town's in the compliance sheet.
    "/noise/month.xlsx": ("/noise/month.xlsx", 2, 1),
    "/noise/month.csv": ("/noise/month.csv", 0, 0),
    # The water month's table lists every section, with or without results.
    "/water.xlsx": ("/water.xlsx?month=2026-11", 1, 1),
    "/water.csv": ("/water.csv?month=2026-11", 1, 1),
    # A brief's workbook (issue 17): the daily analysis of a day, generated on the page before the downloads.
    "/reports/{report_id}/tables.xlsx": ("/reports/{report}/tables.xlsx", 0, 0),
    # A draw's result (issue 19): the drawn enterprise's name and its region's.
    "/draws/{draw_id}/export.xlsx": ("/draws/{draw}/export.xlsx", 2, 2),
    # The forecast table's template (issue 17): its own headers, examples and notes.
    "/reports/forecasts/template.xlsx": ("/reports/forecasts/template.xlsx", 0, 0),
    # The case-file review summary (issue 19): unit and officer names, the standard's texts; no review planted here
    # (tests/casereviews/test_routes.py plants hostile reasons and names in it).
    "/case-reviews/summary.xlsx": ("/case-reviews/summary.xlsx?year=2026", 0, 0),
    # Hotspot orders' statistics (issue 20): unit and station names; no order planted here
    # (tests/hotspots/test_routes.py reads the workbook of one).
    "/hotspots/stats.xlsx": ("/hotspots/stats.xlsx", 0, 0),
    # The registered sources' template: its own headers, examples and notes.
    "/hotspots/sources/import/template.xlsx": ("/hotspots/sources/import/template.xlsx", 0, 0),
    # The control list (issue 20): enterprise A's name, region names, its credit code stays, transport and note.
    "/controls/export.xlsx": ("/controls/export.xlsx", 4, 4),
    "/controls/import/template.xlsx": ("/controls/import/template.xlsx", 0, 0),
    # The electricity readings' file layout (issue 20): its own headers and examples.
    "/electricity/imports/template.csv": ("/electricity/imports/template.csv", 0, 0),
}


def test_every_download_route_of_a_sheet_is_tested(app_settings: Settings) -> None:
    """A new .xlsx or .csv route fails here until it is in EXPORTS (and so in the hostile-text test below)."""
    app = create_app(app_settings)
    try:
        paths = {path for path, _methods, _route in api_routes(app)}
    finally:
        app.state.engine.dispose()
    assert {p for p in paths if p.endswith((".xlsx", ".csv"))} == set(EXPORTS)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_every_export_keeps_hostile_text_as_text(
    client: httpx.AsyncClient, app_db: Session, app_world: World, payload: str
) -> None:
    site_id = plant(app_db, app_world, payload)
    station = app_db.scalars(select(Site.id).where(Site.code == "AIR-A")).one()
    # The enterprise account, an outside party, writes the reason (and names the parameter) of a correction.
    open_session(app_db, client, "enterprise_a")
    csrf = await csrf_for(client)
    hour = (utcnow() - timedelta(hours=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:00")
    form = {"csrf_token": csrf, "site_id": str(site_id), "parameter": payload.strip() or "a21026"}
    form |= {"interval": "hour", "time": hour, "reason": payload, "proposed_flag": "D"}
    requested = await client.post(f"/enterprises/{app_world.enterprise_a.id}/corrections", data=form)
    assert requested.status_code == 303, requested.text
    open_session(app_db, client, "admin")  # who may download every template too
    generated = await client.post(
        "/reports/generate", data={"csrf_token": await csrf_for(client), "kind": "daily", "period": "2026-01-01"}
    )
    ran = await client.get(generated.headers["location"], headers={"HX-Request": "true"})
    report = ran.headers["HX-Redirect"].rsplit("/", 1)[1]
    draw = app_db.scalars(select(Draw.id)).one()
    for route, (url, least, least_stripped) in EXPORTS.items():
        response = await client.get(
            url.format(a=app_world.enterprise_a.id, station=station, town=app_world.town_a.id, report=report, draw=draw)
        )
        assert response.status_code == 200, route
        if route.endswith(".csv"):
            fields = [f for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for f in row]
            assert [f for f in fields if formula_like(f)] == [], route
        else:
            assert_text_kept(response.content, payload, least_stripped if payload[0].isspace() else least)


def test_data_export_command_writes_no_formula(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ecoloop data export`: parameter codes and flags come from the data loggers."""
    from typer.testing import CliRunner

    from ecoloop.cli import app
    from ecoloop.db.engine import make_engine
    from ecoloop.monitoring.models import Device
    from ecoloop.readings.store import HotStore
    from ecoloop.readings.vocabulary import Interval, Reading

    monkeypatch.setenv("ECOLOOP_DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setenv("ECOLOOP_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    monkeypatch.setenv("ECOLOOP_ANALYTICS_URL", f"duckdb:///{tmp_path / 'a.duckdb'}")
    assert runner.invoke(app, ["demo", "--no-serve", "--no-readings"]).exit_code == 0
    added = runner.invoke(
        app, ["device", "add", "--mn", "MN-1", "--password", "123456", "--site-name", "站", "--kind", "air_source"]
    )
    assert added.exit_code == 0, added.output
    engine = make_engine(f"sqlite:///{tmp_path / 'e.sqlite'}")
    with engine.connect() as connection:
        site_id = connection.scalar(select(Device.site_id).where(Device.mn == "MN-1"))
    engine.dispose()
    assert site_id is not None
    store = HotStore(tmp_path / "ingest" / "hot.sqlite")
    at = datetime(2026, 11, 22, 8, tzinfo=UTC)
    store.write([Reading(site_id, p, Interval.HOUR, at, -1.5, p) for p in PAYLOADS])
    store.close()
    exported = runner.invoke(app, ["data", "export", "--mn", "MN-1"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.stdout)))
    assert len(rows) == 1 + len(PAYLOADS)
    assert [f for row in rows for f in row if formula_like(f)] == []
    assert sorted(row[1] for row in rows[1:]) == sorted("'" + p for p in PAYLOADS)  # kept, behind the quote
    assert {row[3] for row in rows[1:]} == {"-1.5"}  # numbers stay numbers


# --- nothing else writes such files -------------------------------------------------------------------------------

SOURCE = Path(ecoloop.__file__).parent


SPOT = {("openpyxl", "Workbook"), ("csv", "writer"), ("csv", "DictWriter")}


def _writers(tree: ast.AST) -> list[str]:
    """Names in `tree` that build a workbook or a CSV writer: openpyxl's Workbook, xlsxwriter, csv.writer."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("openpyxl", "xlsxwriter")):
            found += [alias.name for alias in node.names if alias.name in ("Workbook", "WriteOnlyWorksheet")]
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            found += [alias.name for alias in node.names if alias.name in ("writer", "DictWriter")]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name == "xlsxwriter"]
        elif (
            isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (node.value.id, node.attr) in SPOT
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_only_the_export_writer_builds_workbooks_and_csv_files() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): names
        for path in sorted(SOURCE.rglob("*.py"))
        if path.name != "exports.py" or path.parent != SOURCE
        if (names := _writers(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_guard_sees_a_workbook_built_elsewhere() -> None:
    code = "from openpyxl import Workbook\nimport csv\nw = csv.writer(x)\nimport openpyxl\nb = openpyxl.Workbook()"
    assert _writers(ast.parse(code)) == ["Workbook", "csv.writer", "openpyxl.Workbook"]
