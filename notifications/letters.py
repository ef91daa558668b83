"""Letter HTML -> A4 PDF with WeasyPrint, written into a folder, sha256 recorded.

Start here: ``render_letter_pdf(rendered.html, settings.letters_dir, "<message id>")``.

The HTML comes from ``notifications.rendering.render(..., "letter", ...)``. Relative links in it
(the shared ``_base/letter.css``) are resolved against ``TEMPLATES_DIR``; nothing is fetched from
the network (only ``file:`` URLs load, and a missing file stops the render). WeasyPrint imports
slowly (~1.3 s), so it is imported on first use; a page takes ~0.5 s, so keep this out of request
handlers.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from notifications.rendering import TEMPLATES_DIR

__all__ = [
    "LetterNameInvalid",
    "LetterResourceError",
    "letter_file",
    "render_letter_pdf",
    "stored_letter_path",
]

LETTERS_FOLDER = "letters"  # under the var folder (Settings.letters_dir)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


class LetterNameInvalid(ValueError):
    """The file name would escape the output folder or is not a plain name."""


class LetterResourceError(RuntimeError):
    """The HTML links something that cannot be loaded (a missing file, or a non-``file:`` URL).

    WeasyPrint raises ``FatalURLFetchingError``, a ``BaseException``; it is re-raised as this so
    that ordinary ``except Exception`` handlers (Prefect tasks, the dispatcher) see it.
    """


def render_letter_pdf(html: str, out_dir: Path, name: str) -> tuple[Path, str]:
    """Write ``<out_dir>/<name>.pdf`` and return (its path, sha256 of the PDF bytes).

    ``name`` is a plain file stem (letters, digits, ``.``, ``_``, ``-``). The file is written
    to a temporary name and renamed, so a reader never sees half a PDF.
    """
    if not _NAME_RE.match(name) or ".." in name:
        raise LetterNameInvalid(f"not a plain file name: {name!r}")
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    # file: only, and a missing stylesheet is an error rather than an unstyled letter.
    fetcher = URLFetcher(allowed_protocols=("file",), fail_on_errors=True)
    try:
        pdf: bytes | None = HTML(
            string=html, base_url=str(TEMPLATES_DIR) + os.sep, url_fetcher=fetcher
        ).write_pdf()
    except FatalURLFetchingError as exc:
        raise LetterResourceError(str(exc)) from exc
    if pdf is None:  # only when a target is given; kept for the type checker
        raise RuntimeError("WeasyPrint returned no PDF")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.pdf"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path, hashlib.sha256(pdf).hexdigest()


def stored_letter_path(var_dir: Path, path: Path) -> str:
    """What a `letters` row keeps: the PDF's path relative to the var folder when it lies inside
    it (`letters/message-12.pdf`), so the row still finds its file from any working directory and
    after the var folder moves; an absolute path otherwise."""
    try:
        return path.resolve().relative_to(var_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def letter_file(var_dir: Path, stored: str | None) -> Path | None:
    """The PDF a `letters` row names, if it is on disk inside the var folder's letters folder.

    Rows store the path relative to the var folder; older rows hold a bare file name (in the
    letters folder) or an absolute path. Nothing outside the letters folder is ever returned.
    """
    if not stored:
        return None
    letters_dir = (var_dir / LETTERS_FOLDER).resolve()
    given = Path(stored)
    candidates = [given] if given.is_absolute() else [var_dir / given, letters_dir / given]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_relative_to(letters_dir) and resolved.is_file():
            return resolved
    return None
