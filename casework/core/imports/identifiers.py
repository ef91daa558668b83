"""Identifiers and addresses in import files: UPN, URN, LA code, phone, email, language.

Phones and emails are stored normalised (E.164; email-validator's normalised form). Two named
exceptions let the demo and tests reach the notification simulator without weakening the checks
for anyone else: Ofcom's drama numbers (07700 900000–900999), which `phonenumbers` rightly calls
invalid, and addresses at `simulator.invalid`, a reserved domain email-validator refuses.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.gb import upn as stdnum_upn

from casework.core.imports.rows import RowProblem

# Ofcom reserves 07700 900000–900999 for drama; the notification simulator scripts outcomes on it.
SIMULATOR_MOBILE_PREFIX = "+447700900"
SIMULATOR_EMAIL_DOMAIN = "simulator.invalid"

_URN = re.compile(r"\d{6,8}")
_LA_CODE = re.compile(r"\d{3}")
_UPN_REASONS: dict[type[ValidationError], str] = {
    InvalidLength: "UPN must be 13 characters",
    InvalidFormat: "UPN must be a check letter, 11 digits, then a digit or letter",
    InvalidComponent: "UPN does not carry a known LA number in positions 2-4",
    InvalidChecksum: "UPN check letter is wrong",
}


# DOMAIN.md rule 31: stdnum's LA list predates the LAs created since 2019 (Dorset; Bournemouth,
# Christchurch and Poole; North and West Northamptonshire; Cumberland; Westmorland and Furness).
NEW_LA_CODES = frozenset({"838", "839", "940", "941", "942", "943"})


def _new_la_upn(value: str) -> bool:
    """A UPN of an LA created since 2019, checked as stdnum checks the rest: its check letter."""
    return value[1:4] in NEW_LA_CODES and stdnum_upn.calc_check_digit(value[1:]) == value[0]


def upn_problem(value: str) -> str | None:
    """Why `value` is not a valid UPN (DOMAIN.md rule 31, via stdnum.gb.upn), or None."""
    if not value:
        return "upn is required"
    if value != value.strip().upper() or " " in value:
        return "UPN must be 13 upper-case characters without spaces"
    try:
        stdnum_upn.validate(value)
    except InvalidComponent:
        if value[1:4] in NEW_LA_CODES:
            return None if _new_la_upn(value) else _UPN_REASONS[InvalidChecksum]
        return _UPN_REASONS[InvalidComponent]
    except ValidationError as exc:
        return _UPN_REASONS.get(type(exc), "UPN is not valid")
    return None


class UpnChecker:
    """Validates UPNs, remembering each distinct value (a marks file repeats each many times)."""

    def __init__(self) -> None:
        self._seen: dict[str, str | None] = {}

    def check(self, value: str) -> str:
        """The UPN itself; raises RowProblem if it is not valid."""
        try:
            problem = self._seen[value]
        except KeyError:
            problem = self._seen[value] = upn_problem(value)
        if problem is not None:
            raise RowProblem(problem)
        return value


def check_urn(value: str, name: str = "urn") -> str:
    if not _URN.fullmatch(value):
        raise RowProblem(f"{name} must be 6 to 8 digits, not {value!r}")
    return value


def check_la_code(value: str) -> str:
    if not _LA_CODE.fullmatch(value):
        raise RowProblem(f"la_code must be 3 digits, not {value!r}")
    return value


def normalise_mobile(value: str, name: str = "mobile") -> str:
    """The number in E.164; UK numbers may be written nationally (07911 123456)."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise RowProblem(f"{name} is not a phone number") from None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(number) or is_simulator_mobile(e164):
        return e164
    raise RowProblem(f"{name} is not a valid phone number")


def is_simulator_mobile(e164: str) -> bool:
    """An Ofcom drama number (+447700900000-999): accepted as a simulator recipient."""
    return (
        e164.startswith(SIMULATOR_MOBILE_PREFIX)
        and len(e164) == len(SIMULATOR_MOBILE_PREFIX) + 3
        and e164[len(SIMULATOR_MOBILE_PREFIX) :].isdigit()
    )


def normalise_email(value: str, name: str = "email") -> str:
    """The address as email-validator normalises it (no DNS lookups)."""
    local, at, domain = value.rpartition("@")
    if at and domain.lower() == SIMULATOR_EMAIL_DOMAIN:
        # email-validator refuses reserved domains outright; check the mailbox part against a
        # stand-in domain so simulator addresses meet the same syntax rules as real ones.
        checked = _validated_email(f"{local}@example.org", name)
        return f"{checked.rpartition('@')[0]}@{SIMULATOR_EMAIL_DOMAIN}"
    return _validated_email(value, name)


def _validated_email(value: str, name: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise RowProblem(f"{name} is not a valid email address ({exc})") from None


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").languages)
    return frozenset(code for code in codes if len(code) == 2)


def check_language(value: str) -> str:
    """An ISO 639-1 code such as `en` or `pl` (lower case)."""
    if value not in _languages():
        raise RowProblem(f"language must be an ISO 639-1 code such as en or pl, not {value!r}")
    return value
