"""`pathway case` commands."""

from __future__ import annotations

from casework.cli.app import app  # noqa: F401
