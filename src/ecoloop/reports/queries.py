"""Reading briefs as the principal may (`scope`): the newest version of each brief, one version with the others of
the same brief, what changed between two versions, a generation's progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.models import AirForecast, Report, ReportRun, ReportTemplate

LIST_LIMIT = 200


def newest_reports(session: Session, principal: Principal, kind: ReportKind | None = None) -> list[Report]:
    """The newest version of each brief the principal may see (newest period first, the city's before the
    counties'), at most LIST_LIMIT."""
    newest = (
        select(Report.kind, Report.period_key, Report.region_id, func.max(Report.version).label("version"))
        .group_by(Report.kind, Report.period_key, Report.region_id)
        .subquery()
    )
    stmt = select(Report).join(
        newest,
        (Report.kind == newest.c.kind)
        & (Report.period_key == newest.c.period_key)
        & (Report.region_id == newest.c.region_id)
        & (Report.version == newest.c.version),
    )
    if kind is not None:
        stmt = stmt.where(Report.kind == kind)
    stmt = scoped(stmt, principal, Report).order_by(Report.period_key.desc(), Report.kind, Report.region_id)
    return list(session.scalars(stmt.limit(LIST_LIMIT)))


def get_report(session: Session, principal: Principal, report_id: int) -> Report | None:
    return get_visible(session, principal, Report, report_id)


def versions(session: Session, principal: Principal, report: Report) -> list[Report]:
    """Every version of the same brief the principal may see, newest first."""
    stmt = select(Report).where(
        Report.kind == report.kind, Report.period_key == report.period_key, Report.region_id == report.region_id
    )
    return list(session.scalars(scoped(stmt, principal, Report).order_by(Report.version.desc())))


def get_run(session: Session, principal: Principal, run_id: int) -> ReportRun | None:
    return get_visible(session, principal, ReportRun, run_id)


def templates(session: Session, kind: ReportKind) -> list[ReportTemplate]:
    """The versions of a kind's template, newest first."""
    stmt = select(ReportTemplate).where(ReportTemplate.kind == kind)
    return list(session.scalars(stmt.order_by(ReportTemplate.version.desc())))


def forecasts(session: Session, principal: Principal) -> list[AirForecast]:
    stmt = scoped(select(AirForecast), principal, AirForecast).order_by(AirForecast.day.desc(), AirForecast.region_id)
    return list(session.scalars(stmt.limit(LIST_LIMIT)))


@dataclass(frozen=True)
class Change:
    """One difference between two versions: where (a table's title, the row's name, the column's header, or the
    text), what it said before and what it says now ("" where absent)."""

    table: str
    row: str
    column: str
    before: str
    after: str


def changes(before: Mapping[str, Any], after: Mapping[str, Any], text_label: str) -> list[Change]:
    """What changed from the snapshot `before` to `after` (`service.snapshot`): each table cell by the row's name
    (its first column) and the column's header, rows added or gone, and each changed text under `text_label`."""
    found: list[Change] = []
    old_values, new_values = before.get("values", {}), after.get("values", {})
    for key in [*new_values, *(k for k in old_values if k not in new_values)]:
        old, new = _joined(old_values.get(key)), _joined(new_values.get(key))
        if old != new:
            found.append(Change(text_label, "", "", old, new))
    old_tables = {t["name"]: t for t in before.get("tables", [])}
    for table in after.get("tables", []):
        found.extend(_table_changes(old_tables.get(table["name"]), table))
    return found


def _joined(value: str | Sequence[str] | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else "\n".join(value)


def _table_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    columns = [tuple(c) for c in new["columns"]]
    if not columns:
        return []
    first = columns[0][0]
    # Rows are named by their first column (a county, a unit); the rank is no name, so by the second when the
    # first is the rank.
    name_key = columns[1][0] if first == "rank" and len(columns) > 1 else first
    old_rows = {r.get(name_key, ""): r for r in (old or {}).get("rows", [])}
    new_rows = {r.get(name_key, ""): r for r in new["rows"]}
    found = []
    for name, row in new_rows.items():
        before = old_rows.get(name)
        for key, header in columns:
            if key == name_key:
                continue
            was = "" if before is None else str(before.get(key, ""))
            now = str(row.get(key, ""))
            if was != now:
                found.append(Change(new["title"], name, header, was, now))
    for name, row in old_rows.items():
        if name not in new_rows:
            found.extend(Change(new["title"], name, h, str(row.get(k, "")), "") for k, h in columns if k != name_key)
    return found
