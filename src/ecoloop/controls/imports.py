"""The control list's import sheet (应急减排清单): the identity and emission columns of the list's workbook, one
enterprise a row. An enterprise of the importer's area not on the list is put on it (from the row's date, else
today), one on it has its entry updated; the normal emissions given replace the enterprise's own (not its lines').
All rows or none, each refusal named by row and column (the registry import of issue 15, `sheets.registry`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.controls import queries, service
from ecoloop.controls.enums import GuideIndustry, Livelihood, Pollutant
from ecoloop.controls.service import ControlError
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_
from ecoloop.sheets import SheetLimits, cell_text, parse_date
from ecoloop.sheets.registry import Parsed, Registry, import_sheet, unique_rows
from ecoloop.sheets.table import Cells, Column, ImportReport, Layout, Words

INDUSTRY_WORDS = Words.of(
    GuideIndustry,
    {
        "钢铁": GuideIndustry.STEEL,
        "焦化": GuideIndustry.COKING,
        "水泥熟料": GuideIndustry.CEMENT_CLINKER,
        "水泥粉磨站": GuideIndustry.CEMENT_GRINDING,
        "玻璃": GuideIndustry.GLASS,
        "陶瓷": GuideIndustry.CERAMICS,
        "砖瓦窑": GuideIndustry.BRICK,
        "石灰窑": GuideIndustry.LIME,
        "铸造": GuideIndustry.FOUNDRY,
        "工业涂装": GuideIndustry.COATING,
        "包装印刷": GuideIndustry.PRINTING,
        "化工": GuideIndustry.CHEMICAL,
        "火电": GuideIndustry.POWER,
        "其他行业": GuideIndustry.OTHER,
    },
    also={"热电": GuideIndustry.POWER, "火电、热电": GuideIndustry.POWER, "非重点行业": GuideIndustry.OTHER},
)
LIVELIHOOD_WORDS = Words.of(
    Livelihood,
    {
        "否": Livelihood.NONE,
        "供暖": Livelihood.HEATING,
        "垃圾、危废处置": Livelihood.WASTE,
        "民生保障": Livelihood.PUBLIC,
        "战略性、出口型": Livelihood.STRATEGIC,
    },
    also={"非保障类": Livelihood.NONE, "无": Livelihood.NONE, "供热": Livelihood.HEATING},
)
POLLUTANT_HEADERS = {
    Pollutant.SO2: ("SO2正常排放量", ("SO2", "二氧化硫", "SO2 (千克/日)")),
    Pollutant.NOX: ("NOx正常排放量", ("NOx", "氮氧化物", "NOx (千克/日)")),
    Pollutant.PM: ("颗粒物正常排放量", ("颗粒物", "PM", "颗粒物 (千克/日)")),
    Pollutant.VOCS: ("VOCs正常排放量", ("VOCs", "挥发性有机物", "VOCs (千克/日)")),
}
EMISSION_NOTE = N_("Normal daily emission in kg per day (empty: left as recorded)")

LAYOUT = Layout(
    sheet="应急减排清单",
    columns=(
        Column("credit_code", "统一社会信用代码", True, ("信用代码", "社会信用代码"), text=True),
        Column("name", "企业名称", aliases=("单位名称", "企业"), note=N_("For reading only: the code finds it")),
        Column("industry", "指南行业", True, ("行业类别(指南行业)", "指南行业类别")),
        Column("livelihood", "民生保障类型", aliases=("是否民生保障", "保障类型")),
        Column("since", "纳入日期", aliases=("列入日期",), note=N_("The day it goes on the list (empty: today)")),
        Column("transport", "运输方式"),
        Column("heavy_trucks", "重型车辆数", aliases=("重型载货车辆数",)),
        *(Column(p.value, head, aliases=also, note=EMISSION_NOTE) for p, (head, also) in POLLUTANT_HEADERS.items()),
        Column("note", "备注"),
    ),
    messages={
        "enterprise_unknown": N_("No enterprise of your area has this unified social credit code."),
        "bad_date": N_("Write dates as YYYY-MM-DD."),
        "negative": N_("An emission is a number of kg per day, 0 or more."),
        "refused": N_("Not recorded: %(value)s."),
    },
    examples=(
        ("91371802MA0000001X", "清源市东湖水泥有限公司", "水泥熟料", "否", "2026-10-01", "铁路、国五及以上", "40",
         "120", "380", "60", "", ""),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class ListRow:
    credit_code: str
    industry: GuideIndustry
    livelihood: Livelihood
    since: date | None
    transport: str
    heavy_trucks: int | None
    emissions: dict[Pollutant, Decimal]
    note: str


def _kg(raw: object) -> Decimal | None:
    """A number of kg per day, typed as a number or as text (full-width digits and thousands commas read)."""
    if isinstance(raw, bool):
        return None
    text = str(raw) if isinstance(raw, int | float | Decimal) else cell_text(raw)
    try:
        value = Decimal(unicodedata.normalize("NFKC", text or "").replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _parse(cells: Cells) -> ListRow | None:
    code = cells.code("credit_code", 18, required=True)
    industry = cells.choice("industry", INDUSTRY_WORDS, required=True)
    livelihood = cells.choice("livelihood", LIVELIHOOD_WORDS) or Livelihood.NONE
    since = None
    if cells.given("since"):
        since = parse_date(cells.values.get("since"))
        if since is None:
            cells.problem("since", "bad_date")
    emissions: dict[Pollutant, Decimal] = {}
    for pollutant in Pollutant:
        if not cells.given(pollutant.value):
            continue
        value = _kg(cells.values.get(pollutant.value))
        if value is None:
            cells.problem(pollutant.value, "not_a_number", cell_text(cells.values.get(pollutant.value)) or "")
        elif value < 0 or value >= Decimal("1e11"):
            cells.problem(pollutant.value, "negative")
        else:
            emissions[pollutant] = value
    transport = cells.text("transport", 200) or ""
    trucks = cells.whole("heavy_trucks", 0, 100_000)
    note = cells.text("note", 2000) or ""
    if not cells.ok or code is None or industry is None:
        return None
    return ListRow(code.upper(), industry, livelihood, since, transport, trucks, emissions, note)


def _writer(today: date) -> Any:
    def write(session: Session, principal: Any, rows: Parsed[ListRow], report: ImportReport) -> None:
        require(principal, Action.MANAGE_CONTROL_LISTS)
        assert isinstance(principal, Principal)
        codes = [row.credit_code for _n, row in rows]
        stmt = scoped(select(Enterprise).where(Enterprise.credit_code.in_(codes)), principal, Enterprise)
        firms = {e.credit_code: e for e in session.scalars(stmt)}
        listed = queries.listed_now(session, [e.id for e in firms.values()])
        for number, row in unique_rows(report, rows, lambda row: row.credit_code, "credit_code"):
            firm = firms.get(row.credit_code)
            if firm is None:
                report.problem(number, "credit_code", "enterprise_unknown")
                continue
            fields: dict[str, Any] = {
                "industry": row.industry,
                "livelihood": row.livelihood,
                "transport": row.transport,
                "heavy_trucks": row.heavy_trucks,
                "note": row.note,
            }
            try:
                if firm.id in listed:
                    service.update_entry(session, principal, firm.id, **fields)
                    report.updated += 1
                else:
                    service.add_to_list(session, principal, firm.id, since=row.since or today, **fields)
                    report.added += 1
                service.set_emissions(session, principal, firm.id, {(None, p): v for p, v in row.emissions.items()})
            except ControlError as exc:
                report.problem(number, "credit_code", "refused", service.error_text(exc))

    return write


def import_list(
    session: Session, principal: Principal, data: bytes, limits: SheetLimits | None = None, *, today: date
) -> ImportReport:
    """Import a control-list sheet as `principal` (who needs `manage_control_lists`): all rows or none."""
    require(principal, Action.MANAGE_CONTROL_LISTS)
    return import_sheet(session, principal, Registry(LAYOUT, _parse, _writer(today)), data, limits)


def template() -> bytes:
    """The control-list sheet's template with an example row and its notes."""
    from ecoloop.sheets.table import template_workbook

    return template_workbook(LAYOUT, {"industry": INDUSTRY_WORDS.shown, "livelihood": LIVELIHOOD_WORDS.shown})
