"""Render message and letter templates from ``letter_templates/``.

Start here: ``render("first_day_call/parent", "sms", "pl", context)`` returns a ``Rendered``.

Files and ids
    A template id is ``<stage>/<audience>`` (``first_day_call/parent``). The file for a channel is
    ``letter_templates/<id>.<channel>.j2``; a translation sits beside it as
    ``<id>.<lang>.<channel>.j2`` (``parent.pl.sms.j2``). ``render`` picks the translation when it
    exists and falls back to English otherwise. ``language`` may be ``"pl"``, ``"pl-PL"`` or
    ``"PL"``; only the primary subtag is used. Translations re-word dates with the
    ``local_date`` filter: ``{{ school_date | local_date("pl") }}`` -> "8 września 2025" (it takes
    the ISO form or the English long form, e.g. ``pay_by_date_long``). ``address_lines`` splits an
    address held as one string into lines.

Two Jinja environments, both ``StrictUndefined`` (a missing context key raises
``jinja2.UndefinedError``; nothing is ever rendered as an empty string by accident):
    * text: no autoescape. SMS bodies and the body of every email.
    * html: autoescape on. Letters (which extend ``_base/letter.html.j2``) and the email layout.

Subjects
    Emails (and letters, where it is the heading line) declare ``{% set subject = "..." %}`` at the
    top level. It is read from the rendered template module, so the template renders once. An
    email without a subject is a ``TemplateBroken`` error. SMS has ``subject == ""``.

How an email becomes text *and* HTML
    An email template is written as plain text (it is the ``text/plain`` part, exactly as
    rendered). The HTML part is made from that text: the *whole* text is HTML-escaped (template
    words and values alike, because nothing in a plain-text body is markup), then blank-line
    separated blocks become ``<p>`` (single newlines become ``<br>``), and a block whose lines all
    start with ``* `` becomes a ``<ul>``. The result is placed into ``_base/email.html.j2``. So a
    ``<script>`` in a pupil's name shows as text in the HTML part and is untouched in the text
    part, and the two parts always say the same thing (GOV.UK Notify works the same way).

Letters
    ``html`` is the complete HTML page (give it to ``notifications.letters.render_letter_pdf``;
    its stylesheet ``_base/letter.css`` is resolved against ``TEMPLATES_DIR``). ``text`` is a
    plain-text version of the page's ``<body>`` for search, previews and the audit trail.

Caching and hashes
    Each (id, channel, language) resolves once to a compiled template, its path and the sha256 of
    the template file's bytes (the file itself; a change to a shared ``_base`` layout does not
    change a template's hash). Template files are read at first use and not reloaded.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from html.parser import HTMLParser
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

__all__ = [
    "CHANNELS",
    "TEMPLATES_DIR",
    "Rendered",
    "TemplateBroken",
    "TemplateMissing",
    "html_to_text",
    "is_gsm7",
    "render",
    "sms_fragment_count",
    "template_ids",
]

TEMPLATES_DIR: Path = Path(__file__).resolve().parent.parent / "letter_templates"
CHANNELS: tuple[str, ...] = ("sms", "email", "letter")
ENGLISH = "en"
EMAIL_LAYOUT = "_base/email.html.j2"

_ID_RE = re.compile(r"^[a-z0-9_]+(?:/[a-z0-9_]+)+$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str | None
    template_path: str  # relative to TEMPLATES_DIR, e.g. "first_day_call/parent.pl.sms.j2"
    template_sha256: str
    plain: str | None = None  # the text as rendered; None for a letter (made from its page)

    @cached_property
    def text(self) -> str:
        """The plain text: an SMS or email as rendered; a letter's page as text, worked out on
        first use (the outbox keeps a letter's page, so a sweep never needs it)."""
        return self.plain if self.plain is not None else html_to_text(self.html or "")


class TemplateMissing(LookupError):
    """No template file exists for this id and channel (in any language)."""


class TemplateBroken(ValueError):
    """A template exists but breaks its contract (e.g. an email without a subject)."""


_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


def _parse_date(value: str) -> date:
    """An ISO date ("2025-09-08") or the English long form the ladder sends ("8 September 2025")."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    parts = value.split()
    if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit():
        month = _MONTHS.get(parts[1].lower())
        if month is not None:
            return date(int(parts[2]), month, int(parts[0]))
    raise ValueError(f"not a date: {value!r}")


def _local_date(value: object, language: str, pattern: str = "d MMMM yyyy") -> str:
    """Filter ``local_date``: re-word a date for a translation, e.g. "30 września 2025"."""
    # str() first: on a StrictUndefined it raises UndefinedError, like any other missing key.
    return format_date(_parse_date(str(value)), pattern, locale=language)


def _address_lines(value: object) -> list[str]:
    """Split an address kept as one string into lines (newlines, else commas)."""
    text = str(value)  # raises UndefinedError for a missing key
    parts = text.splitlines() if "\n" in text else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def _make_env(*, autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        # The text env is for SMS and plain-text bodies only; the HTML email part escapes the
        # whole rendered text itself (see the module docstring).
        autoescape=autoescape,  # noqa: S701
        auto_reload=False,
        cache_size=-1,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["address_lines"] = _address_lines
    env.filters["local_date"] = _local_date
    return env


_TEXT_ENV = _make_env(autoescape=False)
_HTML_ENV = _make_env(autoescape=True)


@dataclass(frozen=True)
class _Resolved:
    template: Template
    path: str
    sha256: str
    language: str  # the language of the file picked (after any fallback)


def _primary_language(language: str) -> str:
    primary = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    return primary if _LANG_RE.match(primary) else ENGLISH


@lru_cache(maxsize=1024)
def _resolve(template: str, channel: str, language: str) -> _Resolved:
    if not _ID_RE.match(template) or template.startswith("_base/"):
        raise TemplateMissing(f"not a template id: {template!r}")
    if channel not in CHANNELS:
        raise TemplateMissing(f"unknown channel {channel!r} (expected one of {CHANNELS})")
    candidates = [(f"{template}.{channel}.j2", ENGLISH)]
    if language != ENGLISH:
        candidates.insert(0, (f"{template}.{language}.{channel}.j2", language))
    for rel, picked in candidates:
        path = TEMPLATES_DIR / rel
        if path.is_file():
            env = _HTML_ENV if channel == "letter" else _TEXT_ENV
            return _Resolved(
                template=env.get_template(rel),
                path=rel,
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                language=picked,
            )
    raise TemplateMissing(f"no template {template!r} for channel {channel!r}")


def render(template: str, channel: str, language: str, context: Mapping[str, str]) -> Rendered:
    """Render template id ``template`` for ``channel`` in ``language`` (English fallback)."""
    resolved = _resolve(template, channel, _primary_language(language))
    module = resolved.template.make_module(dict(context))
    body = str(module)
    subject = str(getattr(module, "subject", "")).strip()
    if channel == "sms":
        return Rendered("", None, resolved.path, resolved.sha256, _tidy_sms(body))
    if not subject:
        raise TemplateBroken(f"{resolved.path} has no top-level {{% set subject = ... %}}")
    if channel == "email":
        text = _tidy_text(body)
        layout = _HTML_ENV.get_template(EMAIL_LAYOUT)
        page = layout.render(
            subject=subject,
            language=resolved.language,
            school_name=context.get("school_name", ""),
            body_html=_text_to_html(text),
        )
        return Rendered(subject, page, resolved.path, resolved.sha256, text)
    return Rendered(subject, body, resolved.path, resolved.sha256)


def _tidy_sms(body: str) -> str:
    """An SMS is one paragraph per line, no trailing spaces, no blank runs."""
    lines = [" ".join(line.split()) for line in body.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _tidy_text(body: str) -> str:
    lines = [line.rstrip() for line in body.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _text_to_html(text: str) -> Markup:
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.splitlines()
        if lines and all(line.startswith("* ") for line in lines):
            items = "".join(f"<li>{html_lib.escape(line[2:])}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append("<p>" + "<br>\n".join(html_lib.escape(line) for line in lines) + "</p>")
    return Markup("\n".join(parts))  # noqa: S704 - every piece of text above is escaped


class _TextExtractor(HTMLParser):
    _PARAGRAPH = frozenset(
        {"p", "h1", "h2", "h3", "h4", "h5", "h6", "address", "header", "footer", "section"}
        | {"table", "ul", "ol", "main", "article", "blockquote", "dl"}
    )
    _LINE = frozenset({"div", "tr", "dt", "dd"})
    _SKIP = frozenset({"head", "style", "script", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skipping = 0

    def _break(self, lines: int) -> None:
        """End the current line; ``lines=2`` also leaves a blank line. Breaks never stack."""
        text = "".join(self.out[-3:])
        have = len(text) - len(text.rstrip("\n")) if self.out else lines
        if lines > have:
            self.out.append("\n" * (lines - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self._break(1)
            self.out.append("* ")
        elif tag in ("td", "th"):
            self.out.append("  ")
        elif tag in self._PARAGRAPH:
            self._break(2)
        elif tag in self._LINE:
            self._break(1)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._PARAGRAPH:
            self._break(2)
        elif tag in self._LINE:
            self._break(1)

    def handle_data(self, data: str) -> None:
        if self._skipping or (not data.strip() and (not self.out or self.out[-1].endswith("\n"))):
            return  # layout whitespace between block tags
        self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(page: str) -> str:
    """Plain text of an HTML page: blocks become paragraphs, list items ``* `` lines."""
    parser = _TextExtractor()
    parser.feed(page)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# GSM 03.38 default alphabet (one septet each) and its extension table (escape + char = two).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def _segments(costs: list[int], single: int, multi: int) -> int:
    if sum(costs) <= single:
        return 1
    count, used = 1, 0
    for cost in costs:  # an escape pair or a surrogate pair is never split across parts
        if used + cost > multi:
            count, used = count + 1, 0
        used += cost
    return count


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 alphabet (so parts hold 160/153, not 70/67)."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def sms_fragment_count(text: str) -> int:
    """How many SMS parts ``text`` is billed as: GSM-7 160 then 153 each, UCS-2 70 then 67.

    One character outside GSM-7 (e.g. ``ł``, ``’``, an emoji) makes the whole message UCS-2.
    Empty text is 0 parts.
    """
    if not text:
        return 0
    if is_gsm7(text):
        return _segments([2 if ch in _GSM7_EXTENDED else 1 for ch in text], 160, 153)
    return _segments([2 if ord(ch) > 0xFFFF else 1 for ch in text], 70, 67)


_FILE_RE = re.compile(r"^(?P<name>[a-z0-9_]+)(?:\.(?P<lang>[a-z]{2,3}))?\.(?P<channel>[a-z]+)\.j2$")


def template_ids() -> list[tuple[str, str, str]]:
    """Every (template id, channel, language) on disk, sorted; ``_base`` layouts excluded."""
    found: list[tuple[str, str, str]] = []
    for path in TEMPLATES_DIR.rglob("*.j2"):
        rel = path.relative_to(TEMPLATES_DIR)
        if any(part.startswith("_") for part in rel.parts):
            continue
        match = _FILE_RE.match(rel.name)
        if not match or match["channel"] not in CHANNELS:
            continue
        template = "/".join((*rel.parent.parts, match["name"]))
        found.append((template, match["channel"], match["lang"] or ENGLISH))
    return sorted(found)
