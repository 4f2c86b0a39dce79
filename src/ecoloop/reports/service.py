"""Generating briefs and keeping them: a brief's content from the engine (`kinds`), its Word document from the
bureau's current template (or the default), its workbook, both written under `DATA_DIR/reports/` with their
SHA-256 and a snapshot of what they say, as a new version with who generated it; the bureau's templates and
settings by version; on-demand generations with their progress."""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.audit.service import Actor, record_event, set_actor
from ecoloop.cases.queries import issuer_name
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, get_locale, gettext
from ecoloop.regions.models import Region
from ecoloop.reports import documents, layout
from ecoloop.reports.config import Config, check
from ecoloop.reports.content import Content, Source, Table
from ecoloop.reports.enums import NUMBER_PREFIXES, ReportKind, RunStatus
from ecoloop.reports.kinds import BRIEFS
from ecoloop.reports.models import Report, ReportConfig, ReportRun, ReportTemplate
from ecoloop.reports.periods import ReportPeriod, parse_period
from ecoloop.results.queries import ResultReads

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
# Tags every template may use besides its brief's own (`layout.build_template`).
COMMON_TAGS = frozenset({"issuer", "issuer_header", "doc_number", "title", "addressees", "issued_on", "marking"})


@dataclass(frozen=True)
class Generator:
    """Who generates: a user's name and id, or a system process (user_id None)."""

    label: str
    user_id: int | None = None


def reports_root(data_dir: Path) -> Path:
    return data_dir / "reports"


# --- settings -------------------------------------------------------------------------------------------------------


def config_for(session: Session, day: date) -> Config:
    """The settings in force on `day`: the newest version valid from that day or before, else the defaults."""
    row = session.scalars(
        select(ReportConfig)
        .where(ReportConfig.valid_from <= day)
        .order_by(ReportConfig.valid_from.desc(), ReportConfig.id.desc())
    ).first()
    return check(row.parameters) if row is not None else Config()


def save_config(session: Session, who: Generator, valid_from: date, config: Config) -> ReportConfig:
    """A new version of the settings, valid from `valid_from`."""
    row = ReportConfig(valid_from=valid_from, parameters=config.to_json(), changed_by=who.label, changed_at=utcnow())
    session.add(row)
    session.flush()
    return row


def config_versions(session: Session, limit: int = 100) -> list[ReportConfig]:
    """The saved versions of the settings, the latest valid first (the settings page lists them)."""
    stmt = select(ReportConfig).order_by(ReportConfig.valid_from.desc(), ReportConfig.id.desc()).limit(limit)
    return list(session.scalars(stmt))


# --- templates ------------------------------------------------------------------------------------------------------


class TemplateRefusedError(ValueError):
    """An uploaded template that cannot be used; `code` says why (`TEMPLATE_ERRORS`)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


TEMPLATE_ERRORS = {
    "size": N_("The template is larger than 5 MB."),
    "format": N_("The file is not a Word document (.docx)."),
    "syntax": N_("The template's tags cannot be read: check that every brace is closed."),
    "unknown": N_("The template uses tags this brief does not provide."),
    "render": N_("The template could not be filled in with a brief's content."),
}


def default_template(kind: ReportKind) -> bytes:
    """The default Word template of `kind`, in the catalog's language (written once per kind and language: a
    tenth of a second a brief otherwise)."""
    return _default_template(kind, get_locale())


@functools.lru_cache(maxsize=32)
def _default_template(kind: ReportKind, locale: str) -> bytes:
    return layout.build_template(BRIEFS[kind].layout())


def allowed_tags(kind: ReportKind) -> frozenset[str]:
    """The tags a template of `kind` may use: those of the default template and the common ones."""
    return _allowed_tags(kind, get_locale())


@functools.lru_cache(maxsize=32)
def _allowed_tags(kind: ReportKind, locale: str) -> frozenset[str]:
    found = DocxTemplate(_bytes_io(default_template(kind))).get_undeclared_template_variables(documents.environment())
    return frozenset(found) | COMMON_TAGS


def _bytes_io(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def check_template(kind: ReportKind, data: bytes, sample: Content) -> None:
    """Refuse a template that is too large, not a .docx, unreadable, asks for tags the brief does not provide, or
    cannot be filled in with `sample` (TemplateRefusedError)."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateRefusedError("size")
    try:
        template = DocxTemplate(_bytes_io(data))
        used = template.get_undeclared_template_variables(documents.environment())
    except TemplateError as exc:
        raise TemplateRefusedError("syntax") from exc
    except Exception as exc:  # a damaged zip or XML: python-docx raises many kinds of error
        raise TemplateRefusedError("format") from exc
    if set(used) - allowed_tags(kind):
        raise TemplateRefusedError("unknown")
    try:
        documents.docx(data, sample, {tag: "" for tag in COMMON_TAGS})
    except Exception as exc:  # a sandbox refusal, a filter on the wrong type, a broken table loop
        raise TemplateRefusedError("render") from exc


def current_template(session: Session, data_dir: Path, kind: ReportKind) -> tuple[bytes, int]:
    """The template generation uses for `kind` and its version (0: the default)."""
    row = session.scalars(
        select(ReportTemplate).where(ReportTemplate.kind == kind).order_by(ReportTemplate.version.desc())
    ).first()
    if row is None or not row.file:
        return default_template(kind), 0 if row is None else row.version
    return (reports_root(data_dir) / row.file).read_bytes(), row.version


def save_template(
    session: Session, data_dir: Path, who: Generator, kind: ReportKind, data: bytes | None
) -> ReportTemplate:
    """A new version of `kind`'s template (`data` already checked), or back to the default (`data` None)."""
    version = (session.scalar(select(func.max(ReportTemplate.version)).where(ReportTemplate.kind == kind)) or 0) + 1
    row = ReportTemplate(kind=kind, version=version, uploaded_by=who.label, uploaded_at=utcnow())
    if data is not None:
        row.file = f"templates/{kind.value}/v{version}.docx"
        row.sha256 = _write(reports_root(data_dir) / row.file, data)
    session.add(row)
    session.flush()
    return row


# --- generating -----------------------------------------------------------------------------------------------------


def _write(path: Path, data: bytes) -> str:
    """Write `data` to `path` through a temporary file renamed into place; its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    return hashlib.sha256(data).hexdigest()


def _city(session: Session) -> Region:
    city = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).first()
    if city is None:
        raise LookupError("no city: import the regions first (ecoloop init)")
    return city


def long_date(day: date) -> str:
    """A date as a document writes it (2026年12月7日)."""
    return gettext("%(year)d-%(month)d-%(day)d") % {"year": day.year, "month": day.month, "day": day.day}


def document_number(session: Session, config: Config, period: ReportPeriod, city: Region) -> str:
    """The brief's number: kept across versions; else the next of its kind in the year of the period's end."""
    kept = session.scalar(
        select(Report.number).where(
            Report.kind == period.kind, Report.period_key == period.key, Report.region_id == city.id
        )
    )
    if kept:
        return kept
    year = period.last.year
    issued = session.scalars(
        select(Report.period_key)
        .where(Report.kind == period.kind, Report.region_id == city.id, Report.version == 1)
        .distinct()
    ).all()
    count = sum(1 for key in issued if _year_of(period.kind, key) == year) + 1
    prefix = config.prefixes.get(period.kind) or gettext(NUMBER_PREFIXES[period.kind])
    return gettext("%(prefix)s [%(year)d] No. %(number)d") % {"prefix": prefix, "year": year, "number": count}


def _year_of(kind: ReportKind, key: str) -> int:
    return parse_period(kind, key).last.year


def snapshot(content: Content) -> dict[str, Any]:
    """What a brief says, as JSON: its values and its tables as printed (compared when it is regenerated)."""
    return {
        "values": {k: v if isinstance(v, str) else list(v) for k, v in content.values.items()},
        "tables": [
            {"name": t.name, "title": t.title, "columns": [list(c) for c in t.columns], "rows": t.text_rows()}
            for t in content.tables
        ],
    }


def generate(
    session: Session,
    data_dir: Path,
    reads: ResultReads,
    tz: tzinfo,
    period: ReportPeriod,
    who: Generator,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> list[Report]:
    """Generate the brief of `period` as a new version (the city's, and any county's own) and keep it; the caller
    commits. `progress(step, steps)` after each step (the session writes nothing before the last)."""
    now = now or utcnow()
    brief = BRIEFS[period.kind]
    config = config_for(session, period.last)
    city = _city(session)
    source = Source(session=session, reads=reads, tz=tz, city=city, now=now, config=config)
    contents = brief.build(source, period)
    steps = 1 + 2 * len(contents)
    step = 1
    if progress:
        progress(step, steps)
    template, template_version = current_template(session, data_dir, period.kind)
    number = document_number(session, config, period, city)
    issuer = issuer_name(session, city) or city.name
    title = brief.title(period)
    made = []
    for content in contents:
        region = session.get(Region, content.region_id) or city
        newest = session.scalars(
            select(Report)
            .where(Report.kind == period.kind, Report.period_key == period.key, Report.region_id == region.id)
            .order_by(Report.version.desc())
        ).first()
        # A new version keeps the bureau's mark on the brief (kept internal or shared); a first one takes the
        # settings' default for its kind.
        internal = newest.internal if newest is not None else region.id == city.id and period.kind in config.internal
        common = {
            "issuer": issuer,
            "issuer_header": issuer,
            "doc_number": number,
            "title": title
            if region.id == city.id
            else gettext("%(title)s (%(region)s)") % {"title": title, "region": region.name},
            "addressees": config.addressees or gettext("The county branches and the bureau's divisions"),
            "issued_on": long_date(now.astimezone(tz).date()),
            "marking": gettext("Internal, keep safe") if internal else "",
        }
        document = documents.docx(template, content, common)
        step += 1
        if progress:
            progress(step, steps)
        workbook = documents.xlsx(content, common["title"])
        version = 1 + (newest.version if newest is not None else 0)
        stem = f"{period.kind.value}/{period.key}/{region.code}-v{version}"
        report = Report(
            kind=period.kind,
            period_key=period.key,
            region_id=region.id,
            version=version,
            number=number,
            title=common["title"][:200],
            internal=internal,
            generated_at=now,
            generated_by=who.label,
            generated_by_user_id=who.user_id,
            template_version=template_version,
            snapshot=snapshot(content),
            docx_file=f"{stem}.docx",
            xlsx_file=f"{stem}.xlsx",
            docx_sha256=_write(reports_root(data_dir) / f"{stem}.docx", document),
            xlsx_sha256=_write(reports_root(data_dir) / f"{stem}.xlsx", workbook),
        )
        made.append(report)
        step += 1
        if progress:
            progress(step, steps)
    # Written only now: until here the session has only read, so a progress bar may commit beside it (SQLite
    # lets one writer at a time).
    set_actor(session, Actor(label=who.label, user_id=who.user_id))
    session.add_all(made)
    session.flush()
    for report in made:
        detail = {"kind": gettext(report.kind.label), "period": report.period_key, "version": report.version}
        record_event(session, "brief_generated", "reports", str(report.id), detail | {"number": report.number})
    return made


def mark_internal(session: Session, versions: Sequence[Report], internal: bool) -> None:
    """Keep a brief (every version) from the branches, or share it with them; an audit record says who did."""
    for version in versions:
        version.internal = internal
    if versions:
        newest = versions[0]
        detail = {"kind": gettext(newest.kind.label), "period": newest.period_key, "internal": internal}
        record_event(session, "brief_marked", "reports", str(newest.id), detail)


# --- on demand, with a progress bar -----------------------------------------------------------------------------


def start_run(session: Session, who: Generator, period: ReportPeriod) -> ReportRun:
    """A generation asked for on a page (run by `run` after the answer)."""
    run = ReportRun(kind=period.kind, period_key=period.key, requested_by_user_id=who.user_id)
    session.add(run)
    session.flush()
    return run


def run(
    sessions: sessionmaker[Session], data_dir: Path, reads: ResultReads, tz: tzinfo, run_id: int, who: Generator
) -> None:
    """Carry out the generation `run_id`, its progress committed step by step; a failure is recorded on the run
    (and logged), never raised: the page shows it."""

    def progress(step: int, steps: int) -> None:
        with sessions.begin() as session:
            found = session.get(ReportRun, run_id)
            if found is not None:
                found.status, found.step, found.steps = RunStatus.RUNNING, step, steps

    try:
        with sessions.begin() as session:
            found = session.get(ReportRun, run_id)
            if found is None:
                return
            period = parse_period(found.kind, found.period_key)
            made = generate(session, data_dir, reads, tz, period, who, progress=progress)
            found = session.get(ReportRun, run_id)
            if found is not None:
                found.status, found.step, found.report_id = RunStatus.DONE, found.steps, made[0].id
    except Exception:
        log.exception("generating brief run %s failed", run_id)
        with sessions.begin() as session:
            found = session.get(ReportRun, run_id)
            if found is not None:
                found.status, found.error = RunStatus.FAILED, "failed"


def sample_content(session: Session, kind: ReportKind) -> Content | None:
    """The content of the newest brief of `kind` (for trying an uploaded template), None before the first."""
    row = session.scalars(select(Report).where(Report.kind == kind).order_by(Report.id.desc())).first()
    if row is None:
        return None
    return from_snapshot(row.region_id, row.snapshot)


def empty_content(session: Session) -> Content:
    """A brief with nothing in it (for trying a template before the first brief of its kind)."""
    return Content(region_id=_city(session).id, values={}, tables=[])


def from_snapshot(region_id: int, data: dict[str, Any]) -> Content:
    """A brief's content as kept (text only: numbers as printed; charts are not kept)."""
    tables = [Table(t["name"], t["title"], [tuple(c) for c in t["columns"]], t["rows"]) for t in data.get("tables", [])]
    return Content(region_id=region_id, values=data.get("values", {}), tables=tables)


def kinds() -> Sequence[ReportKind]:
    return tuple(BRIEFS)
