"""The task queue and one task: `GET /tasks`, `GET /tasks/{id}`, acknowledge, complete, assign.

Checks run in a fixed order: signed in, then the task is in scope (404 otherwise), then the role
may act (403), and only then the service call, which enforces the task's own rules.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from sqlmodel import Session, col, or_, select
from starlette.responses import RedirectResponse, Response

from casework.core.labels import outcome_label, stage_label, task_label
from casework.core.ladder.proposals import TaskKind
from casework.core.ladder.stages import Stage
from casework.core.permissions import (
    may_assign_tasks,
    may_complete_task,
    may_work_tasks,
    task_action,
)
from casework.core.wording import days_overdue
from casework.db.tables import Task, User
from casework.service.errors import Conflict, InvalidRequest, NotAllowed, NotFound, ServiceError
from casework.service.tasks import actions as task_service
from casework.service.tasks.view import read_task
from casework.service.users import names_by_email
from casework.web.deps import (
    SessionDep,
    Viewer,
    ViewerDep,
    WebContext,
    WebDep,
    end_read,
    forbidden,
    get_in_scope,
    not_found,
)
from casework.web.pages import flash, render
from casework.web.queue import (
    DUE_CHOICES,
    OPEN_STATUSES,
    QueueFilters,
    default_owner,
    load_queue,
    owner_choices,
    schools_in_scope,
)
from casework.web.workload import count_cards

router = APIRouter()

READ_ONLY = "Your account can read tasks but not change them."
LA_ONLY = "Only the LA attendance service records a penalty notice payment."


def _may_complete(web: WebContext, viewer: Viewer, kind: str) -> bool:
    """The role-permission table for this kind of task, as the LA's policy widens it."""
    widened = web.policy.permissions.widened(task_action(kind))
    return may_complete_task(viewer.role, kind, widened)


STAGE_IDS = frozenset(s.value for s in Stage)


@router.get("/tasks")
def task_queue(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    school: Annotated[str | None, Query(max_length=8)] = None,
    owner: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    stage: Annotated[str | None, Query(max_length=32)] = None,
    due: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    owner = owner if owner in owner_choices() else default_owner(viewer)
    filters = QueueFilters(
        kind=kind or None,
        urn=school or None,
        owner=owner,
        page=page,
        stage=stage if stage in STAGE_IDS else None,
        due=due if due in DUE_CHOICES else None,
    )
    today = web.today()
    queue = load_queue(session, viewer, filters, today)
    context = {
        "title": "My tasks",
        "queue": queue,
        "filters": filters,
        "kinds": [k.value for k in TaskKind],
        "owners": owner_choices(),
        "stages": sorted(STAGE_IDS, key=stage_label),
        "due_choices": DUE_CHOICES,
        "cards": count_cards(session, web.engine, viewer, today),
        "schools": schools_in_scope(session, viewer.scope),
    }
    return render(request, web, viewer, "tasks.html", context)


def _load_task(session: Session, viewer: Viewer, task_id: int) -> Task:
    return get_in_scope(session, viewer.scope, Task, col(Task.id), task_id, "task")


def _assignees(session: Session, task: Task) -> list[User]:
    stmt = (
        select(User)
        .where(col(User.active).is_(True), or_(col(User.urn) == task.urn, col(User.urn).is_(None)))
        .order_by(User.email)
    )
    return [user for user in session.exec(stmt) if may_work_tasks(user.role)]


def _task_page(
    request: Request,
    web: WebContext,
    viewer: Viewer,
    session: Session,
    task: Task,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    end_read(session)
    assert task.id is not None
    try:
        view = read_task(web.engine, task.id, scope_urn=viewer.scope.urn)
    except NotFound:
        raise not_found("task") from None
    task = view.task
    is_open = task.status in OPEN_STATUSES
    # While PATHWAY_AS_OF shows a past day nothing can be changed, so no forms are offered.
    can_work = may_work_tasks(viewer.role) and web.as_of is None
    today = web.today()
    context = {
        "payment_for_la": is_open and can_work and not _may_complete(web, viewer, task.kind),
        "title": task_label(task.kind),
        "view": view,
        "task": task,
        "pupil": view.pupil,
        "school": view.school,
        "is_open": is_open,
        "overdue_by": days_overdue(task.due_date, today) if is_open else "",
        "can_ack": can_work and task.status in ("open", "overdue"),
        "can_complete": is_open and _may_complete(web, viewer, task.kind) and web.as_of is None,
        "can_assign": is_open and may_assign_tasks(viewer.role) and web.as_of is None,
        "outcomes": view.outcomes,
        "assignees": _assignees(session, task) if may_assign_tasks(viewer.role) else [],
        "error": error,
    }
    return render(request, web, viewer, "task.html", context, status_code)


@router.get("/tasks/{task_id}")
def task_detail(
    request: Request, web: WebDep, viewer: ViewerDep, session: SessionDep, task_id: int
) -> Response:
    return _task_page(request, web, viewer, session, _load_task(session, viewer, task_id))


def _after_write(
    request: Request,
    web: WebContext,
    viewer: Viewer,
    session: Session,
    task_id: int,
    error: ServiceError | None,
    done: str,
) -> Response:
    if error is None:
        flash(request, done)
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)
    if isinstance(error, NotFound):
        raise not_found("task")
    if isinstance(error, NotAllowed):
        raise forbidden(str(error))
    session.expire_all()
    task = _load_task(session, viewer, task_id)
    # 409: someone else changed the task first (two officers at once); nothing was written.
    status_code = 409 if isinstance(error, Conflict) else 400
    return _task_page(request, web, viewer, session, task, str(error), status_code)


def _writable_task(session: Session, viewer: Viewer, task_id: int, allowed: bool) -> Task:
    task = _load_task(session, viewer, task_id)
    if not allowed:
        raise forbidden(READ_ONLY)
    end_read(session)
    return task


@router.post("/tasks/{task_id}/ack")
def acknowledge(
    request: Request, web: WebDep, viewer: ViewerDep, session: SessionDep, task_id: int
) -> Response:
    _writable_task(session, viewer, task_id, may_work_tasks(viewer.role))
    error: ServiceError | None = None
    try:
        task_service.acknowledge_task(
            web.engine, task_id, actor=viewer.email, on=web.today(), now=web.now()
        )
    except (NotFound, NotAllowed, InvalidRequest) as exc:
        error = exc
    return _after_write(request, web, viewer, session, task_id, error, "Task acknowledged.")


@router.post("/tasks/{task_id}/complete")
def complete(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    task_id: int,
    outcome: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    task = _writable_task(session, viewer, task_id, may_work_tasks(viewer.role))
    if not _may_complete(web, viewer, task.kind):
        raise forbidden(LA_ONLY)
    error: ServiceError | None = None
    if not outcome:
        error = InvalidRequest("Choose the outcome before completing the task.")
    else:
        try:
            task_service.complete_task(
                web.engine,
                task_id,
                outcome=outcome,
                actor=viewer.email,
                on=web.today(),
                now=web.now(),
                note=note.strip(),
                var_dir=web.settings.var_dir,
            )
        except (NotFound, NotAllowed, InvalidRequest) as exc:
            error = exc
    done = f"Task completed: {outcome_label(outcome)}."
    return _after_write(request, web, viewer, session, task_id, error, done)


# The assign form's hidden field for "the page showed nobody" (a form's empty value reads as
# missing); no email address can be this word.
NOBODY = "nobody"


def _seen_owner(value: str | None) -> str | None:
    """The owner the page showed ("" for nobody), or None when the form did not say."""
    return "" if value == NOBODY else value


@router.post("/tasks/{task_id}/assign")
def assign(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    task_id: int,
    owner_email: Annotated[str, Form(max_length=254)] = "",
    seen_owner: Annotated[str | None, Form(max_length=254)] = None,
) -> Response:
    task = _load_task(session, viewer, task_id)
    if not may_assign_tasks(viewer.role):
        raise forbidden(READ_ONLY)
    candidates = {user.email for user in _assignees(session, task)}
    end_read(session)
    error: ServiceError | None = None
    if owner_email not in candidates:
        error = InvalidRequest("Choose someone who works on this school's tasks.")
    else:
        try:
            # The owner the page showed: an assignment made meanwhile by someone else wins.
            task_service.assign_task(
                web.engine,
                task_id,
                owner_email=owner_email,
                actor=viewer.email,
                now=web.now(),
                seen_owner=_seen_owner(seen_owner),
            )
        except (NotFound, NotAllowed, InvalidRequest) as exc:
            error = exc
    name = names_by_email(web.engine, [owner_email]).get(owner_email, owner_email)
    done = f"Task assigned to {name}."
    return _after_write(request, web, viewer, session, task_id, error, done)
