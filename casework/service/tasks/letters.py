"""The office's day of letters: every letter waiting to be posted, printed as one PDF and each
recorded as posted (the `letter_to_post` task completed with outcome `posted`, audited).

The batch is the rendered PDFs themselves, page for page (pypdfium2 copies their pages), so what
is posted is exactly what the case page links to.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from casework.core.ladder.proposals import TaskKind
from casework.core.lifecycle import OPEN_TASK_STATUSES
from casework.db.session import read_snapshot
from casework.db.tables import Pupil, Task
from casework.service.errors import InvalidRequest
from casework.service.tasks.actions import complete_task
from casework.service.tasks.view import LetterToPost, letter_to_post

OPEN = [s.value for s in OPEN_TASK_STATUSES]


def _due(scope_urn: str | None, on: date) -> list[sa.ColumnElement[bool]]:
    conditions = [
        col(Task.kind) == TaskKind.LETTER_TO_POST.value,
        col(Task.status).in_(OPEN),
        col(Task.due_date) <= on,
    ]
    if scope_urn is not None:
        conditions.append(col(Task.urn) == scope_urn)
    return conditions


def count_letters_due(engine: Engine, *, scope_urn: str | None, on: date) -> int:
    """How many letters `letters_due` lists."""
    stmt = sa.select(sa.func.count()).select_from(Task).where(*_due(scope_urn, on))
    with read_snapshot(engine) as db:
        return int(db.execute(stmt).scalar_one())


def letters_due(engine: Engine, *, scope_urn: str | None, on: date) -> list[LetterToPost]:
    """Open letter-to-post tasks due by `on` in scope, by school then pupil."""
    stmt = select(Task).where(*_due(scope_urn, on))
    with read_snapshot(engine) as db:
        tasks = list(db.exec(stmt.order_by(col(Task.urn), col(Task.upn), col(Task.id))))
        return [letter_to_post(db, t, db.get(Pupil, t.upn) if t.upn else None) for t in tasks]


def letter_file(letters_dir: Path, stored: str | None) -> Path | None:
    """A letter's PDF, only if it lies inside the letters folder and exists."""
    if not stored:
        return None
    folder = letters_dir.resolve()
    path = Path(stored)
    resolved = (path if path.is_absolute() else folder / path).resolve()
    return resolved if resolved.is_relative_to(folder) and resolved.is_file() else None


def merge_pdfs(paths: Sequence[Path]) -> bytes:
    """One PDF holding every page of `paths`, in order."""
    merged = pdfium.PdfDocument.new()
    for path in paths:
        merged.import_pages(pdfium.PdfDocument(str(path)))
    buffer = io.BytesIO()
    merged.save(buffer)
    return buffer.getvalue()


def print_and_post(
    engine: Engine,
    letters_dir: Path,
    task_ids: Sequence[int],
    *,
    scope_urn: str | None,
    actor: str,
    on: date,
    now: datetime,
) -> tuple[bytes, int]:
    """The chosen waiting letters as one PDF, each then recorded as posted; (pdf, count).

    InvalidRequest names the first letter that is not waiting or whose PDF is missing, before
    anything is recorded.
    """
    wanted = set(task_ids)
    batch = [
        item for item in letters_due(engine, scope_urn=scope_urn, on=on) if item.task.id in wanted
    ]
    if not batch or len(batch) != len(wanted):
        raise InvalidRequest("Some of those letters are no longer waiting: reload the list.")
    paths = []
    for item in batch:
        path = letter_file(letters_dir, item.letter.path if item.letter else None)
        if path is None:
            raise InvalidRequest(
                f"The letter for {item.recipient} has no PDF: it cannot be printed."
            )
        paths.append(path)
    pdf = merge_pdfs(paths)
    for item in batch:
        assert item.task.id is not None
        complete_task(engine, item.task.id, outcome="posted", actor=actor, on=on, now=now)
    return pdf, len(batch)
