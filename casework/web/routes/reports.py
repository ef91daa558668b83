"""`GET /reports` and `GET /reports/{name}`: the governors' and LA reports the weekly flow writes.

A school user sees their own school's governors' reports; the LA-wide report is for LA-wide users.
Names are checked against the pattern the report builder uses, so no path can leave the folder.
An HTML report opens in the browser (inline); a PDF downloads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import FileResponse, Response

from casework.core.permissions import in_scope
from casework.web.deps import ViewerDep, WebDep
from casework.web.pages import render

router = APIRouter()

# The report is one self-contained page: its styles inline, its charts inline SVG. It runs no
# script and loads nothing, so it gets a policy of its own that allows exactly that.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
REPORT_NAME = re.compile(r"^(?:governors-(?P<urn>\d{6,8})|la)-[0-9A-Za-z_-]+\.(?:html|pdf)$")


@dataclass(frozen=True)
class ReportFile:
    name: str
    urn: str | None  # None: the LA report
    kind: str  # html | pdf


def _visible(name: str, viewer_urn: str | None) -> ReportFile | None:
    match = REPORT_NAME.match(name)
    if match is None:
        return None
    urn = match.group("urn")
    allowed = in_scope(viewer_urn, urn) if urn else viewer_urn is None
    return ReportFile(name, urn, name.rsplit(".", 1)[1]) if allowed else None


def _reports(folder: Path, viewer_urn: str | None) -> list[ReportFile]:
    if not folder.is_dir():
        return []
    found = (_visible(p.name, viewer_urn) for p in sorted(folder.iterdir(), reverse=True))
    return [f for f in found if f is not None]


@router.get("/reports")
def list_reports(request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    files = _reports(web.settings.reports_dir, viewer.urn)
    context = {"title": "Reports", "files": files}
    return render(request, web, viewer, "reports.html", context)


@router.get("/reports/{name}")
def download_report(name: str, web: WebDep, viewer: ViewerDep) -> Response:
    report = _visible(name, viewer.urn)
    path = web.settings.reports_dir / name
    if report is None or not path.is_file():
        raise HTTPException(status_code=404)
    if report.kind == "pdf":
        return FileResponse(path, media_type="application/pdf", filename=name)
    return FileResponse(
        path,
        media_type="text/html; charset=utf-8",
        filename=name,
        content_disposition_type="inline",
        headers={"content-security-policy": REPORT_CSP},
    )
