"""`GET /referrals`: referrals to the LA still waiting (the pupil is at the LA-referral stage),
longest waiting first, filtered by school."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from casework.service.referrals import waiting_referrals
from casework.web.deps import SessionDep, ViewerDep, WebDep, end_read
from casework.web.pages import render
from casework.web.queue import schools_in_scope

router = APIRouter()


@router.get("/referrals")
def referrals_page(
    request: Request,
    web: WebDep,
    viewer: ViewerDep,
    session: SessionDep,
    school: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    schools = schools_in_scope(session, viewer.scope)
    end_read(session)
    rows, total = waiting_referrals(
        web.engine, scope_urn=viewer.scope.urn, urn=school or None, today=web.today()
    )
    context = {
        "title": "Referrals waiting",
        "rows": rows,
        "total": total,
        "school": school or "",
        "schools": schools,
    }
    return render(request, web, viewer, "referrals.html", context)
