"""`GET /healthz`: the process is up and the database answers. No sign-in, no personal data."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from starlette.responses import JSONResponse

from casework.web.deps import WebDep

router = APIRouter()


@router.get("/healthz")
def healthz(web: WebDep) -> JSONResponse:
    try:
        with web.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
