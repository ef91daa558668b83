"""Wording: dates the UK way with the year, money, languages, letters and census codes in words.

Used with casework.core.labels (the vocabulary of stored codes) by every page, letter and report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from babel import Locale, UnknownLocaleError

from casework.core.ladder.stages import SPECS, Stage


def _stage_title(value: str) -> str:
    try:
        return SPECS[Stage(value)].title
    except ValueError:
        return value.replace("_", " ").capitalize()


# Letter and message templates are `folder/name`: the folder is a stage (or one of these), the
# name says who it is for or what it is.
TEMPLATE_FOLDERS: Mapping[str, str] = {
    "la": "LA referral",
    "professional": "Note to a professional",
    "notice_payment": "Penalty notice",
    "legal": "",
}
TEMPLATE_NAMES: Mapping[str, str] = {
    "parent": "letter to the parent or carer",
    "calling_card": "calling card",
    "retraction": "correction",
    "referral": "referral",
    "social_worker": "social worker",
    "yot_worker": "youth offending team worker",
    "virtual_school": "virtual school head",
    "reminder": "payment reminder",
    "penalty_notice": "Penalty notice",
    "prosecution_decision": "Decision to prosecute",
    "prosecution_limit": "Prosecution time limit",
    "notice_to_improve": "Notice to Improve",
    "notice_withdrawn": "Penalty notice withdrawn",
}


# The DfE's ethnicity codes (school census, main and extended headings).
ETHNICITY_LABELS: Mapping[str, str] = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy or Roma",
    "WOTH": "Any other White background",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}


def template_label(value: object) -> str:
    """`home_visit/calling_card` -> `Home visit: calling card`; `legal/penalty_notice` ->
    `Penalty notice`."""
    folder, _, name = str(value or "").partition("/")
    part = TEMPLATE_NAMES.get(name) or name.replace("_", " ").lower()
    title = TEMPLATE_FOLDERS[folder] if folder in TEMPLATE_FOLDERS else _stage_title(folder)
    if not title:
        return part[:1].upper() + part[1:]
    return f"{title}: {part}" if part else title


def language_label(code: object) -> str:
    """`pl` -> `Polish` (the language letters and messages are sent in)."""
    text = str(code or "en")
    try:
        name = Locale.parse(text.replace("-", "_")).get_display_name("en_GB")
    except (ValueError, UnknownLocaleError):
        return text
    return str(name or text)


def ethnicity_label(code: str) -> str:
    """`WBRI` -> `White British (WBRI)`: the census heading with its code."""
    name = ETHNICITY_LABELS.get(code.upper())
    return f"{name} ({code})" if name else f"Ethnicity {code}"


def format_money(pence: int | None) -> str:
    """`£160.00`."""
    return "" if pence is None else f"£{pence / 100:,.2f}"


def day_label(value: date | None) -> str:
    """`Tue 23 Sep 2025`: the date in lists and tables, always with the year."""
    if value is None:
        return ""
    return f"{value:%a} {value.day} {value:%b %Y}"


def long_date(value: date | None) -> str:
    """`23 September 2025`: the date in a sentence (GOV.UK style)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def days_overdue(due: date, today: date) -> str:
    """`3 days overdue`, `1 day overdue`, or `` when not yet due."""
    days = (today - due).days
    if days <= 0:
        return ""
    return f"{days} day{'s' if days != 1 else ''} overdue"
