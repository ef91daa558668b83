"""Contract tests for letter_templates/ and notifications.rendering (Notify's fragment_count and
missing_data tests, scaled down): every template on disk renders with a full sample context."""

from __future__ import annotations

import hashlib
import re

import pytest
from jinja2 import Environment, UndefinedError, meta

from notifications.rendering import (
    TEMPLATES_DIR,
    Rendered,
    TemplateMissing,
    html_to_text,
    is_gsm7,
    render,
    sms_fragment_count,
    template_ids,
)

BASE_KEYS = frozenset(
    {
        "pupil_forename",
        "pupil_surname",
        "school_name",
        "school_date",
        "school_date_long",
        "recipient_name",
        "recipient_address",
        "reference",
        "stage_title",
        "school_phone",
        "school_email",
    }
)

# The documented contract (letter_templates/README.md): extra keys per template id.
EXTRA_KEYS: dict[str, frozenset[str]] = {
    "first_day_call/parent": frozenset({"session"}),
    "first_day_call/retraction": frozenset(),
    "home_visit/calling_card": frozenset({"episode_days"}),
    "attendance_concern/parent": frozenset(
        {"attendance_percent", "sessions_missed", "possible_sessions"}
    ),
    "attendance_plan/parent": frozenset({"attendance_percent", "meeting_by_date_long"}),
    "strengths_and_needs/parent": frozenset(),
    "team_around_family/parent": frozenset({"meeting_by_date_long"}),
    "severe_absence_plan/parent": frozenset({"attendance_percent", "meeting_by_date_long"}),
    "persistent_lateness/parent": frozenset({"late_sessions", "weeks"}),
    "parenting_contract/parent": frozenset({"meeting_by_date_long"}),
    "recovery/parent": frozenset({"attendance_percent", "closed_stage_title"}),
    "professional/social_worker": frozenset({"event", "event_detail"}),
    "professional/yot_worker": frozenset({"event", "event_detail"}),
    "professional/virtual_school": frozenset({"event", "event_detail"}),
    "la/referral": frozenset({"referral_reason", "attendance_percent"}),
    "school/register_incomplete": frozenset({"session", "missing_count"}),
    "notice_payment/reminder": frozenset({"amount", "pay_by_date_long", "notice_reference"}),
    "prosecution/warning": frozenset({"meeting_by_date_long"}),
    "attendance_update/parent": frozenset(
        {
            "attendance_percent",
            "attended_sessions",
            "possible_sessions",
            "sessions_missed",
            "band",
            "target_percent",
            "period_end_long",
        }
    ),
    "leave_of_absence/refusal": frozenset(
        {
            "applied_on_long",
            "leave_from_long",
            "leave_to_long",
            "school_days",
            "threshold_sessions",
            "threshold_weeks",
            "amount",
            "reduced_amount",
            "reduced_within_days",
            "return_days",
        }
    ),
}

EN_ONLY = ("en",)
EN_PL = ("en", "pl")
EXPECTED_FILES: dict[tuple[str, str], tuple[str, ...]] = {
    ("first_day_call/parent", "sms"): EN_PL,
    ("first_day_call/parent", "email"): EN_PL,
    ("first_day_call/parent", "letter"): EN_ONLY,
    ("first_day_call/retraction", "sms"): EN_PL,
    ("first_day_call/retraction", "email"): EN_PL,
    ("home_visit/calling_card", "letter"): EN_ONLY,
    ("attendance_concern/parent", "email"): EN_PL,
    ("attendance_concern/parent", "letter"): EN_ONLY,
    ("attendance_plan/parent", "email"): EN_PL,
    ("attendance_plan/parent", "letter"): EN_ONLY,
    ("strengths_and_needs/parent", "email"): EN_PL,
    ("strengths_and_needs/parent", "letter"): EN_ONLY,
    ("team_around_family/parent", "email"): EN_PL,
    ("team_around_family/parent", "letter"): EN_ONLY,
    ("severe_absence_plan/parent", "letter"): EN_ONLY,
    ("persistent_lateness/parent", "email"): EN_PL,
    ("persistent_lateness/parent", "letter"): EN_ONLY,
    ("parenting_contract/parent", "letter"): EN_ONLY,
    ("recovery/parent", "email"): EN_PL,
    ("recovery/parent", "letter"): EN_ONLY,
    ("professional/social_worker", "email"): EN_ONLY,
    ("professional/yot_worker", "email"): EN_ONLY,
    ("professional/virtual_school", "email"): EN_ONLY,
    ("la/referral", "email"): EN_ONLY,
    ("school/register_incomplete", "email"): EN_ONLY,
    ("notice_payment/reminder", "sms"): EN_PL,
    ("notice_payment/reminder", "email"): EN_PL,
    ("notice_payment/reminder", "letter"): EN_ONLY,
    ("prosecution/warning", "letter"): EN_ONLY,
    ("attendance_update/parent", "sms"): EN_PL,
    ("attendance_update/parent", "email"): EN_PL,
    ("attendance_update/parent", "letter"): EN_PL,
    ("leave_of_absence/refusal", "email"): EN_PL,
    ("leave_of_absence/refusal", "letter"): EN_PL,
}

# Long but realistic: a 49-character school name and double-barrelled names.
SAMPLE: dict[str, str] = {
    "pupil_forename": "Maximilian-Alexander",
    "pupil_surname": "Fitzgerald-Okonkwo",
    "school_phone": "01865 123456",
    "school_email": "office@st-bartholomews-primary.example.org",
    "school_name": "St Bartholomew's Church of England Primary School",
    "school_date": "2025-09-08",
    "school_date_long": "8 September 2025",
    "recipient_name": "Mrs Adaeze Fitzgerald-Okonkwo",
    "recipient_address": (
        "Flat 12, Larkspur House\n147 Queen Elizabeth Road\nNewcastle upon Tyne\nNE6 5XY"
    ),
    "reference": "123456-20250908",
    "stage_title": "Attendance plan",
    "session": "afternoon",
    "episode_days": "3",
    "attendance_percent": "87.5",
    "sessions_missed": "24",
    "possible_sessions": "192",
    "meeting_by_date_long": "22 September 2025",
    "late_sessions": "11",
    "weeks": "6",
    "closed_stage_title": "Attendance plan",
    "event": "unexplained absence",
    "event_detail": "No reason given for the afternoon session; a call to the family is open.",
    "referral_reason": "Persistent absence: attendance below 90%",
    "missing_count": "4",
    "amount": "£160.00",
    "pay_by_date_long": "30 September 2025",
    "notice_reference": "PN-2025-004711",
    "applied_on_long": "15 September 2025",
    "leave_from_long": "29 September 2025",
    "leave_to_long": "10 October 2025",
    "school_days": "10",
    "threshold_sessions": "10",
    "threshold_weeks": "10",
    "reduced_amount": "£80.00",
    "reduced_within_days": "21",
    "return_days": "10",
    "attended_sessions": "168",
    "band": "at_risk",
    "target_percent": "95",
    "period_end_long": "24 October 2025",
}
POLISH_NAMES = {
    "pupil_forename": "Małgorzata-Weronika",
    "pupil_surname": "Wiśniewska-Szczepańska",
    "recipient_name": "Pani Żaneta Wiśniewska",
}

ALL_IDS = template_ids()
# Parsing only (to list the keys a file reads); rendering always goes through render().
_SOURCE_ENV = Environment()
_SOURCE_ENV.filters.update({"local_date": str, "address_lines": str})


def _file_for(template: str, channel: str, language: str) -> str:
    middle = "" if language == "en" else f".{language}"
    return f"{template}{middle}.{channel}.j2"


def _used_keys(template: str, channel: str, language: str) -> set[str]:
    """Context keys the template file itself reads (not its _base layout)."""
    source = (TEMPLATES_DIR / _file_for(template, channel, language)).read_text("utf-8")
    return set(meta.find_undeclared_variables(_SOURCE_ENV.parse(source)))


def _context(template: str, channel: str, language: str, **overrides: str) -> dict[str, str]:
    keys = BASE_KEYS | EXTRA_KEYS.get(template, frozenset(_used_keys(template, channel, language)))
    context = {key: SAMPLE.get(key, f"sample {key}") for key in keys}
    context.update(overrides)
    return context


def test_every_documented_template_is_on_disk_and_nothing_else() -> None:
    on_disk = {(t, c, lang) for t, c, lang in ALL_IDS if t in EXTRA_KEYS}
    expected = {(t, c, lang) for (t, c), langs in EXPECTED_FILES.items() for lang in langs}
    assert on_disk == expected
    assert {t for t, _ in EXPECTED_FILES} == set(EXTRA_KEYS)


def test_base_layouts_are_not_template_ids() -> None:
    assert all(not t.startswith("_") for t, _, _ in ALL_IDS)
    assert (TEMPLATES_DIR / "_base" / "letter.html.j2").is_file()
    assert (TEMPLATES_DIR / "_base" / "email.html.j2").is_file()


@pytest.mark.parametrize("template", sorted(EXTRA_KEYS))
def test_templates_use_exactly_their_documented_keys(template: str) -> None:
    used_by_channel = [
        _used_keys(t, c, lang) - BASE_KEYS for t, c, lang in ALL_IDS if t == template
    ]
    assert used_by_channel, f"{template} has no files"
    for used in used_by_channel:
        assert used <= EXTRA_KEYS[template]
    assert set().union(*used_by_channel) == EXTRA_KEYS[template]


def _assert_no_template_syntax(*parts: str | None) -> None:
    for part in parts:
        if part is not None:
            assert not re.search(r"\{\{|\}\}|\{%|%\}|\{#", part), part


@pytest.mark.parametrize(("template", "channel", "language"), ALL_IDS)
def test_every_template_renders_with_a_full_context(
    template: str, channel: str, language: str
) -> None:
    r = render(template, channel, language, _context(template, channel, language))
    path = _file_for(template, channel, language)
    assert r.template_path == path
    assert r.template_sha256 == hashlib.sha256((TEMPLATES_DIR / path).read_bytes()).hexdigest()
    assert r.text.strip()
    _assert_no_template_syntax(r.subject, r.text, r.html)
    if template != "school/register_incomplete":
        assert SAMPLE["pupil_forename"] in r.text
    if channel == "sms":
        assert r.subject == ""
        assert r.html is None
        return
    assert r.subject
    assert "\n" not in r.subject
    assert r.html is not None
    assert r.html.startswith("<!DOCTYPE html>")
    assert SAMPLE["reference"] in r.text
    if channel == "email":
        assert f'<html lang="{language}">' in r.html
        assert "<p>" in r.html
    else:
        assert 'href="_base/letter.css"' in r.html
        assert "Newcastle upon Tyne" in r.text
        assert SAMPLE["recipient_name"] in r.text
        greeting = {"en": "Dear", "pl": "Szanowni"}[language]
        assert r.text.index(greeting) < r.text.index(r.subject)


@pytest.mark.parametrize(("template", "channel", "language"), ALL_IDS)
def test_each_missing_key_raises(template: str, channel: str, language: str) -> None:
    keys = _used_keys(template, channel, language)
    if channel == "letter":
        keys |= BASE_KEYS - {"school_date"}  # the letter layout shows all but the ISO date
    # The school's phone and email are shown when known: base_context always gives them ("" for
    # a school with neither), and a context built without them still renders.
    keys -= {"school_phone", "school_email"}
    assert keys
    for key in sorted(keys):
        context = _context(template, channel, language)
        del context[key]
        with pytest.raises(UndefinedError):
            render(template, channel, language, context)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("pl", "first_day_call/parent.pl.sms.j2"),
        ("pl-PL", "first_day_call/parent.pl.sms.j2"),
        ("PL", "first_day_call/parent.pl.sms.j2"),
        ("en", "first_day_call/parent.sms.j2"),
        ("fr", "first_day_call/parent.sms.j2"),
        ("", "first_day_call/parent.sms.j2"),
        ("../../etc", "first_day_call/parent.sms.j2"),
    ],
)
def test_language_picks_translation_or_falls_back_to_english(language: str, expected: str) -> None:
    r = render(
        "first_day_call/parent", "sms", language, _context("first_day_call/parent", "sms", "en")
    )
    assert r.template_path == expected
    if expected.endswith(".pl.sms.j2"):
        assert "nieobecność" in r.text
    else:
        assert "is not in school" in r.text


def test_polish_falls_back_to_english_where_no_translation_exists() -> None:
    context = _context("home_visit/calling_card", "letter", "en")
    r = render("home_visit/calling_card", "letter", "pl", context)
    assert r.template_path == "home_visit/calling_card.letter.j2"
    assert "We called today" in r.text


def test_polish_email_words_dates_and_numbers_in_polish() -> None:
    context = _context("attendance_plan/parent", "email", "pl")
    r = render("attendance_plan/parent", "email", "pl", context)
    assert "22 września 2025" in r.text
    assert "87,5%" in r.text
    retraction = render(
        "first_day_call/retraction",
        "email",
        "pl",
        _context("first_day_call/retraction", "email", "pl"),
    )
    assert retraction.subject.endswith("8 września 2025")


def test_polish_session_word_must_be_known() -> None:
    context = _context("first_day_call/parent", "sms", "pl", session="evening")
    with pytest.raises(UndefinedError):
        render("first_day_call/parent", "sms", "pl", context)


@pytest.mark.parametrize(
    ("template", "channel"),
    [
        ("first_day_call/nobody", "sms"),
        ("home_visit/calling_card", "sms"),
        ("first_day_call/parent", "fax"),
        ("../pyproject", "sms"),
        ("_base/letter", "letter"),
        ("audit/trail", "letter"),
    ],
)
def test_unknown_template_or_channel_is_template_missing(template: str, channel: str) -> None:
    with pytest.raises(TemplateMissing):
        render(template, channel, "en", dict(SAMPLE))


SMS_IDS = sorted({(t, lang) for t, c, lang in ALL_IDS if c == "sms"})


@pytest.mark.parametrize(("template", "language"), SMS_IDS)
@pytest.mark.parametrize("session", ["morning", "afternoon"])
def test_sms_is_at_most_two_fragments_with_long_names(
    template: str, language: str, session: str
) -> None:
    overrides = {"session": session} | (POLISH_NAMES if language == "pl" else {})
    context = _context(template, "sms", language, **overrides)
    text = render(template, "sms", language, context).text
    # Polish is UCS-2 (67 characters a part): with the school's phone and email it takes 3.
    assert sms_fragment_count(text) <= (2 if language == "en" else 3), (len(text), text)
    if language == "en":
        assert is_gsm7(text), "English SMS must stay GSM-7 (no curly quotes or dashes)"


def test_sms_with_long_names_really_is_long() -> None:
    """Guards the test above: the sample does push messages past one fragment."""
    context = _context("first_day_call/parent", "sms", "en")
    assert sms_fragment_count(render("first_day_call/parent", "sms", "en", context).text) == 2
    context = _context("first_day_call/parent", "sms", "pl", **POLISH_NAMES)
    assert sms_fragment_count(render("first_day_call/parent", "sms", "pl", context).text) == 3


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("£@é" * 53 + "x", 1),  # GSM-7 basic letters outside ASCII: 160 septets
        ("€" * 80, 1),  # extension characters count two septets
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # the escape pair is not split across parts
        ("ł" * 70, 1),
        ("ł" * 71, 2),
        ("ł" * 134, 2),
        ("ł" * 135, 3),
        ("a" * 159 + "’", 3),  # one curly apostrophe makes the whole message UCS-2
        ("😀" * 35, 1),  # a surrogate pair is two UTF-16 units
        ("😀" * 36, 2),
    ],
)
def test_sms_fragment_count(text: str, parts: int) -> None:
    assert sms_fragment_count(text) == parts


EVIL = "<script>alert('x')</script>"


def test_html_escapes_names_but_sms_and_text_do_not() -> None:
    sms = render(
        "first_day_call/parent",
        "sms",
        "en",
        _context("first_day_call/parent", "sms", "en", pupil_forename=EVIL),
    )
    assert EVIL in sms.text

    email = render(
        "first_day_call/parent",
        "email",
        "en",
        _context("first_day_call/parent", "email", "en", pupil_forename=EVIL),
    )
    assert EVIL in email.text
    assert EVIL in email.subject
    assert email.html is not None
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html

    letter = render(
        "first_day_call/parent",
        "letter",
        "en",
        _context("first_day_call/parent", "letter", "en", pupil_forename=EVIL, school_name=EVIL),
    )
    assert letter.html is not None
    assert "<script>" not in letter.html
    assert "&lt;script&gt;" in letter.html
    assert EVIL in letter.text


def test_email_html_keeps_paragraphs_lists_and_line_breaks() -> None:
    r = render(
        "attendance_plan/parent", "email", "en", _context("attendance_plan/parent", "email", "en")
    )
    assert r.html is not None
    assert r.html.count("<li>") == 3
    assert "<ul>" in r.html
    assert "From the attendance team<br>" in r.html
    assert f"<title>{r.subject.replace(chr(39), '&#39;')}</title>" in r.html
    assert "Please come to a meeting about Maximilian-Alexander&#39;s attendance" in r.html


def test_empty_recipient_name_gets_a_polite_fallback() -> None:
    pro = render(
        "professional/social_worker",
        "email",
        "en",
        _context("professional/social_worker", "email", "en", recipient_name=""),
    )
    assert pro.text.startswith("Dear colleague,")
    letter = render(
        "home_visit/calling_card",
        "letter",
        "en",
        _context("home_visit/calling_card", "letter", "en", recipient_name=""),
    )
    assert "Dear parent or carer," in letter.text
    assert "The parent or carer of Maximilian-Alexander Fitzgerald-Okonkwo" in letter.text


def test_register_incomplete_works_with_empty_pupil_keys() -> None:
    context = _context(
        "school/register_incomplete", "email", "en", pupil_forename="", pupil_surname=""
    )
    r = render("school/register_incomplete", "email", "en", context)
    assert "4 pupils" in r.subject
    assert "afternoon register for 8 September 2025" in r.text


def test_professional_emails_carry_no_address() -> None:
    for template in ("professional/social_worker", "professional/yot_worker"):
        r = render(template, "email", "en", _context(template, "email", "en"))
        assert "Larkspur" not in r.text
        assert SAMPLE["event_detail"] in r.text


def test_contract_letter_never_says_parenting_contract() -> None:
    context = _context("parenting_contract/parent", "letter", "en")
    r = render("parenting_contract/parent", "letter", "en", context)
    assert "attendance contract" in r.text
    assert "parenting contract" not in r.text.lower()
    assert "voluntary" in r.text


def test_letter_text_keeps_address_lines_and_lists() -> None:
    context = _context("attendance_plan/parent", "letter", "en")
    r = render("attendance_plan/parent", "letter", "en", context)
    assert "147 Queen Elizabeth Road\nNewcastle upon Tyne\nNE6 5XY" in r.text
    assert "\n* talk about what makes coming to school hard" in r.text
    assert "\n\n\n" not in r.text


def test_html_to_text() -> None:
    page = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<h1>Hi &amp; bye</h1>\n  <p>One\n two</p><ul><li>a</li><li>b</li></ul>"
        "<div>x</div><div>y</div><p>line<br>break</p></body></html>"
    )
    assert html_to_text(page) == "Hi & bye\n\nOne two\n\n* a\n* b\n\nx\ny\n\nline\nbreak"


def test_rendering_is_repeatable() -> None:
    context = _context("recovery/parent", "email", "pl")
    first = render("recovery/parent", "email", "pl", context)
    second = render("recovery/parent", "email", "pl", dict(context))
    assert isinstance(first, Rendered)
    assert first == second
    assert "plan poprawy frekwencji" in first.text  # the closed stage title is translated
