"""The receipts webhook served by uvicorn on loopback, so status callbacks travel over real HTTP."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from casework.settings import Settings
from notifications.receipts import ReceiptContext, receipt_context, router
from tests.support.net import free_port


def receipts_app(engine: Engine, settings: Settings) -> FastAPI:
    """A FastAPI app with only the receipts router, bound to this engine and these settings."""
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[receipt_context] = lambda: ReceiptContext(engine, settings)
    return app


class WebhookServer:
    """`with WebhookServer(app_factory) as hook:`; `hook.base_url` is the public base URL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def serve(self, app: FastAPI) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def __enter__(self) -> WebhookServer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
