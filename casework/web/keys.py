"""The session-signing key: from settings, or generated once and kept under the var folder."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from casework.settings import Settings

KEY_FILE_NAME = "web_secret_key"


def _read_existing(path: Path) -> str:
    # Another process may have created the file a moment ago and not written it yet.
    for _ in range(50):
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} holds no usable key; delete it to make a new one")


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting together cannot both write a key; the loser reads.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_existing(path)
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def session_secret(settings: Settings) -> str:
    """`PATHWAY_SECRET_KEY`, or the key persisted (mode 0600) in the var folder."""
    configured = settings.secret_key.get_secret_value()
    if configured:
        return configured
    return _read_or_create(settings.var_dir / KEY_FILE_NAME)
