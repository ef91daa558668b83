"""What a long use case tells the person waiting: the phase it is in, and how far through.

The use case calls `phase` and `advance` on whatever the caller hands it; the CLI hands it a
progress display on stderr (`casework.cli.progress`), everything else the silent default, so
flows, the web app and tests see nothing and the use case knows nothing of terminals.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def phase(self, description: str, total: int | None = None) -> None:
        """A new phase begins; `total` steps if known."""

    def advance(self, steps: int = 1) -> None:
        """`steps` more of the current phase are done."""


class Silent:
    """Progress nobody is shown."""

    def phase(self, description: str, total: int | None = None) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


SILENT = Silent()
