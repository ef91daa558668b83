"""A progress bar on stderr for big imports, shown only when stderr is a terminal.

Scripts, tests and pipes see nothing; a person importing a year of marks sees the rows being
written. The bar is transient: it disappears when the import ends, leaving the summary alone.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

BIG_FILE_ROWS = 20_000


class ImportProgress:
    """Writes progress when enabled; otherwise every method does nothing."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    @classmethod
    def for_rows(cls, rows: int) -> ImportProgress:
        """Enabled for files of at least BIG_FILE_ROWS rows when stderr is a terminal (as rich
        judges it: a TTY, or `TTY_COMPATIBLE=1`, like the CLI's other progress bars)."""
        return cls(rows >= BIG_FILE_ROWS and Console(stderr=True).is_terminal)

    def __enter__(self) -> ImportProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("validating", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def writing(self, total: int) -> None:
        """Validation is done; `total` rows are about to be written."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description="writing", total=total, completed=0)

    def advance(self, rows: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, rows)
