"""Letters to PDF through the real WeasyPrint, read back with pypdfium2."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from notifications.letters import LetterNameInvalid, LetterResourceError, render_letter_pdf
from notifications.rendering import render, template_ids
from tests.unit.test_templates import SAMPLE, _context

LETTERS = sorted(t for t, channel, _ in template_ids() if channel == "letter")


def _pdf_text(path: Path) -> tuple[int, str]:
    pdf = pdfium.PdfDocument(path)
    try:
        pages = len(pdf)
        text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(pages))
    finally:
        pdf.close()
    return pages, text


def test_letter_pdf_is_a_valid_pdf_with_the_pupil_name(tmp_path: Path) -> None:
    context = _context(
        "attendance_plan/parent", "letter", "en", pupil_forename="Zoë <script>alert(1)</script>"
    )
    rendered = render("attendance_plan/parent", "letter", "en", context)
    assert rendered.html is not None

    path, sha = render_letter_pdf(rendered.html, tmp_path / "letters", "msg-0001")

    data = path.read_bytes()
    assert path == tmp_path / "letters" / "msg-0001.pdf"
    assert data.startswith(b"%PDF-")
    assert sha == hashlib.sha256(data).hexdigest()
    pages, text = _pdf_text(path)
    assert pages >= 1
    assert "Zoë <script>alert(1)</script>" in text  # escaped in HTML, so printed as text
    assert SAMPLE["pupil_surname"] in text
    assert f"Page 1 of {pages}" in text  # @page counters
    assert f"Ref: {SAMPLE['reference']}" in text  # running footer from string-set
    assert [p.name for p in path.parent.iterdir()] == ["msg-0001.pdf"]  # no temp file left


@pytest.mark.parametrize("template", LETTERS)
def test_every_letter_template_makes_a_pdf(tmp_path: Path, template: str) -> None:
    rendered = render(template, "letter", "en", _context(template, "letter", "en"))
    assert rendered.html is not None
    path, _ = render_letter_pdf(rendered.html, tmp_path, template.replace("/", "__"))
    pages, text = _pdf_text(path)
    # A penalty notice must carry every item of DOMAIN.md Part 2 §8.4; family letters stay short.
    assert 1 <= pages <= (3 if template.startswith("legal/") else 2)
    assert SAMPLE["pupil_forename"] in text
    assert SAMPLE["reference"] in text
    assert "Newcastle upon Tyne" in text


def test_same_html_gives_the_same_name_and_replaces_the_file(tmp_path: Path) -> None:
    html = render(
        "recovery/parent", "letter", "en", _context("recovery/parent", "letter", "en")
    ).html
    assert html is not None
    first, _ = render_letter_pdf(html, tmp_path, "again")
    second, sha = render_letter_pdf(html, tmp_path, "again")
    assert first == second
    assert hashlib.sha256(second.read_bytes()).hexdigest() == sha
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x y", "a..b"])
def test_name_must_be_a_plain_file_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(LetterNameInvalid):
        render_letter_pdf("<p>x</p>", tmp_path, name)


@pytest.mark.parametrize(
    "link",
    [
        '<link rel="stylesheet" href="_base/no-such.css">',
        '<link rel="stylesheet" href="http://127.0.0.1:9/remote.css">',
        '<img src="https://example.invalid/logo.png">',
    ],
)
def test_missing_or_remote_resources_stop_the_render(tmp_path: Path, link: str) -> None:
    with pytest.raises(LetterResourceError):
        render_letter_pdf(f"<html><head>{link}</head><body><p>x</p></body></html>", tmp_path, "r")
    assert not list(tmp_path.glob("*.pdf"))
