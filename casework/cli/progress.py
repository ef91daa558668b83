"""Progress on stderr for the long commands; stdout stays exactly what scripts read.

On a terminal: a transient rich bar (it disappears when the command ends, leaving the output
alone). Elsewhere, for a command that can run for minutes (the audit PDF): one plain line per
phase, so a log shows where it got to. Otherwise nothing.

A terminal is what rich says it is: stderr is a TTY, or `TTY_COMPATIBLE=1` / `FORCE_COLOR` asks
for one (which is how the tests see the bar).
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress


class StderrProgress:
    """`casework.service.progress.Progress` shown on stderr; use it as a context manager."""

    def __init__(self, *, lines_off_terminal: bool = False) -> None:
        self._console = Console(stderr=True)
        self._lines = lines_off_terminal and not self._console.is_terminal
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        if self._console.is_terminal:
            self._bar = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )

    def __enter__(self) -> StderrProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def phase(self, description: str, total: int | None = None) -> None:
        if self._bar is not None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=total)
        elif self._lines:
            self._console.print(f"{description} …", highlight=False, soft_wrap=True)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, steps)
