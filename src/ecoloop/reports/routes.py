"""The briefs' pages (`/reports`): the briefs the user may read, newest first, with their Word documents and
workbooks; one brief with its versions, what changed since the version before and its tables as a page; a
generation asked for on the page, followed by a progress bar; the Word templates, downloaded and uploaded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from ecoloop.access.actions import Action, allowed
from ecoloop.db.base import RowId
from ecoloop.i18n import N_, gettext
from ecoloop.reports import queries, service
from ecoloop.reports.enums import ReportKind, RunStatus
from ecoloop.reports.periods import PeriodError, latest_over, parse_period
from ecoloop.results.queries import ResultReads
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import DOCX, XLSX, download
from ecoloop.web.forms import local_today
from ecoloop.web.templating import render

router = APIRouter()
Reader = Annotated[CurrentUser, Depends(requires(Action.VIEW_REPORTS))]
Generating = Annotated[CurrentUser, Depends(requires(Action.GENERATE_REPORTS))]
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_REPORTS))]
KindText = Annotated[str, Query(max_length=16)]
KindPath = Annotated[str, Path(max_length=16)]
# Why a generation or an upload was refused.
ERRORS = {
    "kind": N_("Choose a kind of brief."),
    "period": N_("Write the period as the kind asks: a day 2026-12-06, a week 2026-W49, a month 2026-11, a year 2026."),
    "future": N_("That period is not over yet."),
}


def _who(user: CurrentUser) -> service.Generator:
    return service.Generator(user.user.display_name or user.user.username, user.user.id)


def _kind(text: str) -> ReportKind | None:
    try:
        found = ReportKind(text) if text else None
    except ValueError:
        return None
    return found if found in service.kinds() else None


def _list(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: SettingsDep,
    kind: ReportKind | None,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    today = local_today(settings)
    context = {
        "kinds": service.kinds(),
        "kind": kind,
        "reports": queries.newest_reports(db, user.principal, kind),
        "latest": {k: latest_over(k, today).key for k in service.kinds()},
        "may_generate": allowed(user.principal, Action.GENERATE_REPORTS),
        "may_manage": allowed(user.principal, Action.MANAGE_REPORTS),
        "error": error,
        "typed": typed or {},
    }
    return render(request, "reports/list.html", context, user=user, status_code=status)


@router.get("/reports", include_in_schema=False)
def reports_page(request: Request, db: DbSession, user: Reader, settings: SettingsDep, kind: KindText = "") -> Response:
    """The briefs the user may read (of one kind when asked), newest period first."""
    return _list(request, db, user, settings, _kind(kind))


@router.post("/reports/generate", include_in_schema=False)
def generate(
    request: Request,
    background: BackgroundTasks,
    db: UnitOfWork,
    user: Generating,
    settings: SettingsDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    period: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Generate a brief of a period (again: a new version), after the answer, with a progress bar to follow."""
    chosen = _kind(kind)
    code = "kind" if chosen is None else None
    found = None
    if chosen is not None:
        try:
            found = parse_period(chosen, period)
        except PeriodError:
            code = "period"
        else:
            if found.last >= local_today(settings):
                code = "future"
    if code is not None or found is None:
        typed = {"kind": kind, "period": period}
        message = gettext(ERRORS[code]) if code is not None else ""
        return _list(request, db, user, settings, None, error=message, typed=typed, status=422)
    # The unit of work commits the run before the answer is sent; the task runs after it.
    run = service.start_run(db, _who(user), found)
    sessions = request.app.state.sessions
    background.add_task(
        service.run, sessions, settings.data_dir, ResultReads.of(settings), settings.tz, run.id, _who(user)
    )
    return RedirectResponse(f"/reports/runs/{run.id}", status_code=303)


@router.get("/reports/runs/{run_id:id}", include_in_schema=False)
def run_page(request: Request, db: DbSession, user: Generating, run_id: RowId) -> Response:
    """A generation's progress: the page, or (htmx, every second) its bar; the brief once done."""
    run = queries.get_run(db, user.principal, run_id)
    if run is None:
        raise HTTPException(404)
    if run.status is RunStatus.DONE and run.report_id is not None and request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": f"/reports/{run.report_id}"})
    context = {"run": run, "percent": int(100 * run.step / max(run.steps, 1))}
    # htmx stops polling on status 286 (the generation is over).
    over = run.status in (RunStatus.DONE, RunStatus.FAILED) and bool(request.headers.get("HX-Request"))
    page = render(request, "reports/run.html", context, user=user, fragment="reports/progress.html")
    if over:
        page.status_code = 286
    return page


@router.get("/reports/{report_id:id}", include_in_schema=False)
def report_page(request: Request, db: DbSession, user: Reader, report_id: RowId) -> Response:
    """One brief: its versions, what changed since the version before, its tables, its files."""
    report = queries.get_report(db, user.principal, report_id)
    if report is None:
        raise HTTPException(404)
    versions = queries.versions(db, user.principal, report)
    before = next((v for v in versions if v.version < report.version), None)
    changes = queries.changes(before.snapshot, report.snapshot, gettext("Text")) if before is not None else None
    context = {
        "report": report,
        "versions": versions,
        "before": before,
        "changes": changes,
        "content": service.from_snapshot(report.region_id, report.snapshot),
        "may_generate": allowed(user.principal, Action.GENERATE_REPORTS) and report.region.parent_id is None,
        "may_manage": allowed(user.principal, Action.MANAGE_REPORTS),
    }
    return render(request, "reports/report.html", context, user=user)


def _file(db: DbSession, user: CurrentUser, settings: SettingsDep, report_id: int, word: bool) -> Response:
    report = queries.get_report(db, user.principal, report_id)
    if report is None:
        raise HTTPException(404)
    path = service.reports_root(settings.data_dir) / (report.docx_file if word else report.xlsx_file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise HTTPException(404) from None
    name = f"{report.title}-v{report.version}.{'docx' if word else 'xlsx'}"
    return download(data, name, DOCX if word else XLSX)


@router.get("/reports/{report_id:id}/document.docx", include_in_schema=False)
def report_docx(db: DbSession, user: Reader, settings: SettingsDep, report_id: RowId) -> Response:
    """The brief's Word document, as generated."""
    return _file(db, user, settings, report_id, True)


@router.get("/reports/{report_id:id}/tables.xlsx", include_in_schema=False)
def report_xlsx(db: DbSession, user: Reader, settings: SettingsDep, report_id: RowId) -> Response:
    """The brief's workbook, as generated."""
    return _file(db, user, settings, report_id, False)


@router.post("/reports/{report_id:id}/internal", include_in_schema=False)
def report_internal(
    db: UnitOfWork, user: Manager, report_id: RowId, internal: Annotated[bool, Form()] = False
) -> Response:
    """Keep the city's brief from the branches (内部资料), or share it with them."""
    report = queries.get_report(db, user.principal, report_id)
    if report is None:
        raise HTTPException(404)
    service.mark_internal(db, queries.versions(db, user.principal, report), internal)
    return RedirectResponse(f"/reports/{report.id}", status_code=303)


# --- templates ------------------------------------------------------------------------------------------------------


def _templates(
    request: Request, db: DbSession, user: CurrentUser, *, error: str | None = None, status: int = 200
) -> Response:
    context = {
        "kinds": service.kinds(),
        "versions": {kind: queries.templates(db, kind) for kind in service.kinds()},
        "tags": {kind: sorted(service.allowed_tags(kind)) for kind in service.kinds()},
        "error": error,
    }
    return render(request, "reports/templates.html", context, user=user, status_code=status)


@router.get("/reports/templates", include_in_schema=False)
def templates_page(request: Request, db: DbSession, user: Manager) -> Response:
    """The Word template of each kind: the one in use, its versions, the default, an upload form."""
    return _templates(request, db, user)


def _kind_of(text: str) -> ReportKind:
    found = _kind(text)
    if found is None:
        raise HTTPException(404)
    return found


@router.get("/reports/templates/{kind}/default.docx", include_in_schema=False)
def template_default(user: Manager, kind: KindPath) -> Response:
    """The default template of a kind, to start an edit from."""
    chosen = _kind_of(kind)
    return download(service.default_template(chosen), f"{gettext(chosen.label)}.docx", DOCX)


@router.get("/reports/templates/{kind}/current.docx", include_in_schema=False)
def template_current(db: DbSession, user: Manager, settings: SettingsDep, kind: KindPath) -> Response:
    """The template in use for a kind."""
    chosen = _kind_of(kind)
    data, version = service.current_template(db, settings.data_dir, chosen)
    return download(data, f"{gettext(chosen.label)}-v{version}.docx", DOCX)


@router.post("/reports/templates/{kind}", include_in_schema=False)
def template_upload(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    kind: KindPath,
    file: Annotated[UploadFile, File()],
) -> Response:
    """A new version of a kind's template, used from the next generation on: checked first (a .docx of at most
    5 MB whose tags are the brief's, filled in with the newest brief's content)."""
    chosen = _kind_of(kind)
    data = file.file.read(service.MAX_TEMPLATE_BYTES + 1)
    sample = service.sample_content(db, chosen) or service.empty_content(db)
    try:
        service.check_template(chosen, data, sample)
    except service.TemplateRefusedError as exc:
        return _templates(request, db, user, error=gettext(service.TEMPLATE_ERRORS[exc.code]), status=422)
    service.save_template(db, settings.data_dir, _who(user), chosen, data)
    return RedirectResponse("/reports/templates", status_code=303)


@router.post("/reports/templates/{kind}/reset", include_in_schema=False)
def template_reset(db: UnitOfWork, user: Manager, settings: SettingsDep, kind: KindPath) -> Response:
    """Back to the default template (a new version, so the history stays)."""
    service.save_template(db, settings.data_dir, _who(user), _kind_of(kind), None)
    return RedirectResponse("/reports/templates", status_code=303)
