"""Server-rendered pages: the Jinja environment, its filters, flash messages and `render`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from casework.core import labels, wording
from casework.core.permissions import Action, allows, may_read_audit, may_work_tasks
from casework.service.users import names_by_email
from casework.web.deps import Viewer, WebContext
from casework.web.security import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"


def humanise(value: object) -> str:
    """`home_visit` -> `Home visit`: for free text with no entry in casework.core.labels."""
    text = str(value or "").replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


stage_title = labels.stage_label  # kept for the routes that import it by this name


def _format_datetime(tz: ZoneInfo) -> Any:
    def fmt(value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        return f"{local.day} {local:%B %Y}, {local:%H:%M}"

    return fmt


@jinja2.pass_context
def person(context: jinja2.runtime.Context, email: str | None) -> str:
    """A user's name from the page's `people` (every account's name, loaded by `render`)."""
    if not email:
        return ""
    people: Mapping[str, str] = context.get("people") or {}
    if email in ("system", "cli"):
        return "Pathway (automatic)" if email == "system" else "Command line"
    return people.get(email, email)


def make_templates(tz: ZoneInfo) -> Jinja2Templates:
    """The templates with StrictUndefined, autoescaping and our filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        humanise=humanise,
        channel=labels.channel_label,
        stage_title=labels.stage_label,
        task_kind=labels.task_label,
        outcome=labels.outcome_label,
        role=labels.role_label,
        status=labels.status_label,
        audit_kind=labels.audit_label,
        detail_key=labels.detail_label,
        money=wording.format_money,
        person=person,
        language=wording.language_label,
        overdue_by=wording.days_overdue,
        template=wording.template_label,
        detail_text=lambda value, key: labels.detail_text(key, value),
        date=wording.long_date,
        short_date=wording.day_label,
        datetime=_format_datetime(tz),
    )
    env.globals["csrf_field"] = CSRF_FIELD
    return Jinja2Templates(env=env)


def flash(request: Request, message: str, kind: str = "success") -> None:
    """Show `message` once, on the next page this session renders."""
    messages = list(request.session.get("flash", []))
    messages.append({"kind": kind, "text": message})
    request.session["flash"] = messages


def _take_flashes(request: Request) -> list[dict[str, str]]:
    messages = request.session.pop("flash", [])
    return list(messages) if isinstance(messages, list) else []


def navigation(viewer: Viewer | None) -> list[tuple[str, str]]:
    """The header links this viewer may follow."""
    if viewer is None:
        return []
    links = [("/tasks", "Tasks")]
    if may_work_tasks(viewer.role):
        links.append(("/letters-to-post", "Letters to post"))
    links += [
        ("/decisions", "Decisions"),
        ("/overview", "Overview"),
        ("/reports", "Reports"),
    ]
    if may_read_audit(viewer.role):
        links.append(("/audit", "Audit trail"))
    if allows(viewer.role, Action.MANAGE_ACCOUNTS):
        links.append(("/admin/users", "Accounts"))
    return links


def render(
    request: Request,
    web: WebContext,
    viewer: Viewer | None,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> Response:
    """The page `template` with the layout's shared context (viewer, CSRF token, flashes)."""
    page: dict[str, Any] = {
        "viewer": viewer,
        "nav": navigation(viewer),
        "csrf_token": csrf_token(request),
        "flashes": _take_flashes(request),
        "path": request.url.path,
        "today": web.today(),
        "as_of": web.as_of,
        "people": names_by_email(web.engine) if viewer else {},
        **context,
    }
    return web.templates.TemplateResponse(request, template, page, status_code=status_code)
