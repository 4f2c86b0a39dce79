"""Push pages (issue 18 part 6): 推送 of a checked alert to departments by duty (`/alerts/{id}/push`, those who check
alerts), and the push tasks (`/push-tasks`, 推送任务) where a department records its handling (处置); the feedback to
the source platform follows by itself (`push.queue_feedback`, sent by the scheduler's `partner-feedback` job)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.alerts import queries as alert_queries
from ecoloop.alerts.enums import AlertStatus, Review
from ecoloop.alerts.models import Alert
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import push
from ecoloop.intake.models import PushTask
from ecoloop.intake.push import Order, PushError
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import PostedFields
from ecoloop.web.templating import render

router = APIRouter()

DEFAULT_DAYS = 3  # the deadline a push form suggests
ERROR_TEXT = {
    "not_allowed": N_("You may not do this."),
    "not_confirmed": N_("Only an open alert confirmed at checking is pushed."),
    "no_departments": N_("Choose at least one department."),
    "unknown_department": N_("Choose departments from the list."),
    "already_pushed": N_("The alert was pushed to this department before."),
    "task_missing": N_("Give each chosen department its task."),
    "deadline_past": N_("Give each chosen department a deadline in the future."),
    "deadline_invalid": N_("Give each chosen department a deadline in the future."),
    "task_done": N_("This task is done already."),
    "outcome_missing": N_("Say what was done."),
}


def _text(code: str) -> str:
    return gettext(ERROR_TEXT[code]) if code in ERROR_TEXT else code


# --- 推送 ------------------------------------------------------------------------------------------------------------


@router.get("/alerts/{alert_id:id}/push", include_in_schema=False)
def push_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_ALERTS))],
    settings: SettingsDep,
    alert_id: RowId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """An alert's push: its tasks so far, and the departments to push it to (those whose duties match chosen)."""
    return _push_page(request, db, user, _alert(db, user, alert_id), settings.tz, done=done)


def _push_page(
    request: Request, db: Session, user: CurrentUser, alert: Alert, tz: Any, *, code: int = 200, **extra: Any
) -> Response:
    suggested = (utcnow() + timedelta(days=DEFAULT_DAYS)).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    context = {
        "alert": alert,
        "title": str(alert.detail.get("title") or ""),
        "category": push.alert_category(alert),
        "tasks": push.tasks_of(db, user.principal, alert.id),
        "candidates": push.candidates(db, alert),
        "may_push": alert.review is Review.CONFIRMED and alert.status is not AlertStatus.CLOSED,
        "suggested": suggested,
        "errors": [],
        "chosen": None,
        "form": {},
        **extra,
    }
    return render(request, "intake/push.html", context, user=user, status_code=code)


@router.post("/alerts/{alert_id:id}/push", include_in_schema=False)
def push_save(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_ALERTS))],
    settings: SettingsDep,
    alert_id: RowId,
    form: PostedFields,
) -> Response:
    """推送: each chosen department (`organisation`) with its task (`task-<id>`) and deadline (`deadline-<id>`,
    local time)."""
    chosen = [int(v) for k, v in form if k == "organisation" and v.isdigit()]
    texts = {k: v for k, v in form if k.startswith(("task-", "deadline-"))}
    alert = _alert(db, user, alert_id)
    try:
        orders = [_order(org, texts, settings.tz) for org in chosen]
        push.push(db, alert, user.user, user.principal, orders, utcnow())
    except PushError as exc:
        db.rollback()
        return _push_page(
            request, db, user, alert, settings.tz, errors=[_text(exc.code)], chosen=set(chosen), form=texts, code=422
        )
    return RedirectResponse(f"/alerts/{alert_id}/push?done=pushed", status_code=303)


def _order(org: int, texts: dict[str, str], tz: Any) -> Order:
    try:
        deadline = datetime.fromisoformat(texts.get(f"deadline-{org}", "")[:32])
    except ValueError:
        raise PushError("deadline_invalid") from None
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=tz)
    return Order(org, texts.get(f"task-{org}", "")[: push.MAX_TASK + 1], deadline)


def _alert(db: Session, user: CurrentUser, alert_id: int) -> Alert:
    alert = alert_queries.get_alert(db, user.principal, alert_id)
    if alert is None:
        raise HTTPException(404)
    return alert


# --- 处置 ------------------------------------------------------------------------------------------------------------


@router.get("/push-tasks", include_in_schema=False)
def task_list(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.HANDLE_PUSH_TASKS))],
    state: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """The push tasks the user sees (a department: its own), open ones first by deadline."""
    done = {"open": False, "done": True}.get(state)
    context = {"rows": push.task_list(db, user.principal, done=done), "state": state, "now": utcnow()}
    return render(request, "intake/push_tasks.html", context, user=user)


@router.get("/push-tasks/{task_id:id}", include_in_schema=False)
def task_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.HANDLE_PUSH_TASKS))],
    task_id: RowId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """One push task: the warning, the task and deadline, and the handling form for the department."""
    return _task_page(request, db, user, _task(db, user, task_id), done=done)


def _task_page(
    request: Request, db: Session, user: CurrentUser, task: PushTask, *, code: int = 200, **extra: Any
) -> Response:
    alert = db.get_one(Alert, task.alert_id)
    mine = allowed(user.principal, Action.HANDLE_PUSH_TASKS) and user.principal.organisation_id == task.organisation_id
    context = {
        "task": task,
        "alert": alert,
        "title": str(alert.detail.get("title") or ""),
        "findings": alert_queries.findings_of(alert, alert.region.name, request.app.state.settings.tz),
        "may_handle": mine and task.done_at is None,
        "sees_alert": alert_queries.get_alert(db, user.principal, alert.id) is not None,
        "errors": [],
        "values": {},
        **extra,
    }
    return render(request, "intake/push_task.html", context, user=user, status_code=code)


@router.post("/push-tasks/{task_id:id}", include_in_schema=False)
def task_handle(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.HANDLE_PUSH_TASKS))],
    task_id: RowId,
    outcome: Annotated[str, Form(max_length=push.MAX_OUTCOME)] = "",
    effective: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """处置: what the department did, and whether the push led to handling; the task is done."""
    task = _task(db, user, task_id)
    try:
        push.record_outcome(db, task, user.principal, outcome, effective in ("1", "yes", "on", "true"), utcnow())
    except PushError as exc:
        db.rollback()
        values = {"outcome": outcome, "effective": effective}
        return _task_page(request, db, user, task, errors=[_text(exc.code)], values=values, code=422)
    return RedirectResponse(f"/push-tasks/{task_id}?done=handled", status_code=303)


def _task(db: Session, user: CurrentUser, task_id: int) -> PushTask:
    task = push.get_task(db, user.principal, task_id)
    if task is None:
        raise HTTPException(404)
    return task
