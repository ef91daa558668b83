"""`pathway serve`: the caseworker and auditor web app under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from casework.cli.app import app, settings


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web app (default http://127.0.0.1:8000)."""
    import uvicorn

    from casework.web.app import create_app

    typer.echo(f"Attendance Pathway web app on http://{host}:{port}/ (Ctrl+C to stop)")
    # Access logs carry URLs with UPNs in them (/pupils/UPN): keep them out of the process log.
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from 127.0.0.1 as the
    # client; the app decides that itself, from PATHWAY_TRUSTED_PROXIES only.
    uvicorn.run(create_app(settings()), host=host, port=port, access_log=False, proxy_headers=False)
