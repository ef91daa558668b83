"""The office's letters: `GET /letters-to-post` lists every letter waiting to be posted in the
viewer's scope; `POST /letters-to-post/print` returns them as one PDF and records each as posted.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from casework.core.permissions import may_work_tasks
from casework.service.errors import InvalidRequest
from casework.service.tasks.letters import letters_due, print_and_post
from casework.web.deps import ViewerDep, WebDep, forbidden
from casework.web.pages import flash, render

router = APIRouter()


@router.get("/letters-to-post")
def letters_page(request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    letters = letters_due(web.engine, scope_urn=viewer.scope.urn, on=web.today())
    context = {
        "title": "Letters to post",
        "letters": letters,
        "can_post": may_work_tasks(viewer.role) and web.as_of is None,
    }
    return render(request, web, viewer, "letters.html", context)


@router.post("/letters-to-post/print")
def print_letters(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    task_id: Annotated[list[int], Form(max_length=2000)],
) -> Response:
    if not may_work_tasks(viewer.role):
        raise forbidden("Your account can read letters but not post them.")
    try:
        pdf, count = print_and_post(
            web.engine,
            web.settings.letters_dir,
            task_id,
            scope_urn=viewer.scope.urn,
            actor=viewer.email,
            on=web.today(),
            now=web.now(),
        )
    except InvalidRequest as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/letters-to-post", status_code=303)
    name = f"letters-{web.today().isoformat()}.pdf"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Letters-Posted": str(count),
    }
    return Response(pdf, media_type="application/pdf", headers=headers)
