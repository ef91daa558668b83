"""The school office's phone and email (issue 21): optional `schools.csv` columns, checked and
normalised on import, and given to every family template as display-ready context."""

from __future__ import annotations

import dataclasses
from datetime import time

import pytest

from casework.core.imports import schools
from casework.core.imports.rows import read_table
from casework.core.ladder.recipients import base_context, display_phone
from notifications.rendering import render
from tests.ladder_factories import make_view

URN = "100001"
HEADER = "urn,name,la_code,phase,am_register_closes,pm_register_closes,phone,email"


def _validated(
    *rows: str, header: str = HEADER, existing: dict[str, schools.SchoolRecord] | None = None
) -> object:
    return schools.validate_schools(read_table("\n".join([header, *rows]) + "\n"), existing or {})


def test_phone_and_email_are_stored_normalised() -> None:
    found = _validated(f"{URN},S,931,primary,08:55,13:15,01865 123456,Office@School.Example.org")
    [school] = found.fresh  # type: ignore[attr-defined]
    assert (school.phone, school.email) == ("+441865123456", "Office@school.example.org")


@pytest.mark.parametrize(
    ("phone", "email", "reason"),
    [("12", "", "phone is not"), ("", "not-an-email", "email is not a valid email address")],
)
def test_a_bad_phone_or_email_rejects_the_row_with_the_reason(
    phone: str, email: str, reason: str
) -> None:
    found = _validated(f"{URN},S,931,primary,08:55,13:15,{phone},{email}")
    [error] = found.errors  # type: ignore[attr-defined]
    assert error.reason.startswith(reason)
    assert error.row_no == 2


def test_blank_columns_are_allowed_and_absent_columns_keep_what_is_stored() -> None:
    blank = _validated(f"{URN},S,931,primary,08:55,13:15,,")
    assert (blank.fresh[0].phone, blank.fresh[0].email) == ("", "")  # type: ignore[attr-defined]
    stored = schools.SchoolRecord(
        URN, "S", "931", "primary", time(8, 55), time(13, 15), "+441865123456", "o@s.example.org"
    )
    old_header = HEADER.removesuffix(",phone,email")
    again = _validated(
        f"{URN},S,931,primary,08:55,13:15", header=old_header, existing={URN: stored}
    )
    assert (again.fresh, again.unchanged) == ([], 1)  # type: ignore[attr-defined]


def test_every_family_template_gives_the_schools_phone_and_email() -> None:
    view = make_view("Mon N", "Mon 2025-09-15 AM")
    view = dataclasses.replace(view, school_phone="+441865123456", school_email="o@s.example.org")
    context = {
        **base_context(view, None),
        "recipient_name": "Alex",
        "recipient_address": "1 High St",
        "session": "morning",
    }
    assert context["school_phone"] == "01865 123456"
    for channel, language in (
        ("sms", "en"),
        ("sms", "pl"),
        ("email", "en"),
        ("email", "pl"),
        ("letter", "en"),
    ):
        text = render("first_day_call/parent", channel, language, context).text
        assert "01865 123456" in text, (channel, language)
        assert "o@s.example.org" in text, (channel, language)


def test_display_phone_is_national_and_blank_stays_blank() -> None:
    assert display_phone("+441865123456") == "01865 123456"
    assert display_phone("") == ""
