"""Server-rendered pages: the Jinja environment, its filters, flash messages and `render`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from casework.core.ladder.stages import SPECS, Stage
from casework.core.permissions import Action, allows, may_read_audit
from casework.web.deps import Viewer, WebContext
from casework.web.security import CSRF_FIELD, csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"


def humanise(value: object) -> str:
    """`home_visit` -> `Home visit`, `task.completed` -> `Task completed`."""
    text = str(value or "").replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def channel_name(value: str | None) -> str:
    return {"sms": "SMS", "email": "Email", "letter": "Letter"}.get(value or "", humanise(value))


def stage_title(value: str | None) -> str:
    if not value:
        return ""
    try:
        return SPECS[Stage(value)].title
    except ValueError:
        return humanise(value)


def format_date(value: date | None) -> str:
    """`23 November 2026` (GOV.UK style)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def short_date(value: date | None) -> str:
    """`Mon 23 Nov`."""
    if value is None:
        return ""
    return f"{value:%a} {value.day} {value:%b}"


def _format_datetime(tz: ZoneInfo) -> Any:
    def fmt(value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        return f"{local.day} {local:%B %Y}, {local:%H:%M}"

    return fmt


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
        channel=channel_name,
        stage_title=stage_title,
        date=format_date,
        short_date=short_date,
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
    links = [
        ("/tasks", "Tasks"),
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
        **context,
    }
    return web.templates.TemplateResponse(request, template, page, status_code=status_code)
