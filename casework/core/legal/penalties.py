"""The law's arithmetic for legal steps, pure: notice counts, rates, receipt, clocks, school age.

DOMAIN.md Part 1 rules 21–26 and Part 2 §1.2, §8, §9. A penalty notice is per parent, per child:
that parent's earlier notices for that child (issued on or after the framework start, not
withdrawn, within the 3 years before the new issue) decide whether the new one is a first notice
(reduced rate within 21 days of receipt, full rate within 28), a second (full rate, no
reduction), or cannot be issued at all. Receipt of a posted notice is deemed after a number of
working days (Monday to Friday, not an England bank holiday). Prosecution must be laid within 6
months of the last absence. Every number comes from the policy's [legal] section.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from casework.core.lifecycle import NoticeStatus
from casework.core.policy import LegalSection

_DAY = timedelta(days=1)
_FRIDAY = 4
# The Education (Start of Compulsory School Age) Order 1998: 31 March, 31 August, 31 December.
_PRESCRIBED_DAYS: tuple[tuple[int, int], ...] = ((3, 31), (8, 31), (12, 31))


class ServiceMethod(StrEnum):
    POST = "post"
    HAND = "hand"


class Rate(StrEnum):
    REDUCED = "reduced"
    FULL = "full"


class WithdrawalGround(StrEnum):
    """DOMAIN Part 2 §8.5; `not_prosecuted` is reg 9's duty to withdraw an unpaid notice."""

    OUGHT_NOT_TO_HAVE_BEEN_ISSUED = "ought_not_to_have_been_issued"
    WRONG_RECIPIENT = "wrong_recipient"
    MATERIAL_ERROR = "material_error"
    LOCAL_CODE_NOT_FOLLOWED = "local_code_not_followed"
    NOT_PROSECUTED = "not_prosecuted"


WITHDRAWAL_WORDING: dict[WithdrawalGround, str] = {
    WithdrawalGround.OUGHT_NOT_TO_HAVE_BEEN_ISSUED: "the notice ought not to have been issued",
    WithdrawalGround.WRONG_RECIPIENT: "the notice should not have been issued to you",
    WithdrawalGround.MATERIAL_ERROR: "the notice contains a material error",
    WithdrawalGround.LOCAL_CODE_NOT_FOLLOWED: (
        "the notice was not issued in line with the local code of conduct"
    ),
    WithdrawalGround.NOT_PROSECUTED: (
        "the notice was not paid and the local authority decided not to prosecute"
    ),
}


@dataclass(frozen=True, slots=True)
class PriorNotice:
    """An earlier notice, as far as the 3-year count needs it."""

    upn: str
    contact_id: str
    issued_date: date
    status: NoticeStatus


@dataclass(frozen=True, slots=True)
class NoticeTerms:
    sequence: int  # 1 or 2 within 3 years
    amount_pence: int
    reduced_amount_pence: int | None  # None: no reduced rate (a second notice)
    issued_date: date
    receipt_date: date
    reduced_pay_by_date: date | None
    pay_by_date: date

    @property
    def expires_on(self) -> date:
        """The first day on which the notice is unpaid after its payment period."""
        return self.pay_by_date + _DAY


@dataclass(frozen=True, slots=True)
class Payment:
    rate: Rate
    amount_pence: int
    day: int  # day of the payment period; the day of receipt is day 1


@dataclass(frozen=True, slots=True)
class ProsecutionClock:
    """Magistrates' Courts Act 1980 s127: lay the information within 6 months of the offence."""

    last_absence_date: date
    lay_by_date: date
    warn_from_date: date

    def is_warning(self, on: date) -> bool:
        return self.warn_from_date <= on <= self.lay_by_date

    def is_expired(self, on: date) -> bool:
        return on > self.lay_by_date


# --- calendar arithmetic ---------------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    year, month_index = divmod(d.year * 12 + d.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    """The anniversary `years` later (or earlier); 29 February becomes 28 February."""
    return add_months(d, 12 * years)


def is_working_day(d: date, bank_holidays: frozenset[date]) -> bool:
    return d.weekday() < 5 and d not in bank_holidays


def add_working_days(d: date, n: int, bank_holidays: frozenset[date]) -> date:
    """The n-th working day after d (n=0: d itself)."""
    day = d
    remaining = n
    while remaining > 0:
        day += _DAY
        if is_working_day(day, bank_holidays):
            remaining -= 1
    return day


def deemed_receipt(
    issued: date, method: ServiceMethod, legal: LegalSection, bank_holidays: frozenset[date]
) -> date:
    """When the notice counts as received: handed over the same day; posted, working days later."""
    if method is ServiceMethod.HAND:
        return issued
    return add_working_days(issued, legal.deemed_receipt_working_days, bank_holidays)


# --- the 3-year count and the rate ------------------------------------------------------------


def counted_notices(
    history: Iterable[PriorNotice],
    upn: str,
    contact_id: str,
    issue_date: date,
    legal: LegalSection,
) -> list[PriorNotice]:
    """That parent's notices for that child that count towards the limit (DOMAIN rule 21)."""
    window_start = add_years(issue_date, -legal.notice_lookback_years)
    return [
        n
        for n in history
        if n.upn == upn
        and n.contact_id == contact_id
        and n.status is not NoticeStatus.WITHDRAWN
        and n.issued_date >= legal.framework_start_date
        and window_start < n.issued_date <= issue_date
    ]


def three_year_flag(
    history: Iterable[PriorNotice],
    upn: str,
    contact_id: str,
    issue_date: date,
    legal: LegalSection,
) -> bool:
    """Part 2 §8.2: the sources differ when that parent's first notice is older than 3 years but
    a later one is not (a rolling count allows a new notice; "within 3 years of the first" may
    not): flag it for the person deciding."""
    window_start = add_years(issue_date, -legal.notice_lookback_years)
    dates = [
        n.issued_date
        for n in history
        if n.upn == upn
        and n.contact_id == contact_id
        and n.status is not NoticeStatus.WITHDRAWN
        and legal.framework_start_date <= n.issued_date <= issue_date
    ]
    return any(d <= window_start for d in dates) and any(d > window_start for d in dates)


def notice_terms(
    prior: int, issued: date, receipt: date, legal: LegalSection
) -> NoticeTerms | None:
    """First or second notice with its amounts and dates; None when no notice may be issued."""
    last_day = receipt + timedelta(days=legal.pay_within_days - 1)
    if prior == 0:
        reduced_last = receipt + timedelta(days=legal.reduced_within_days - 1)
        return NoticeTerms(
            1,
            legal.first_notice_pence,
            legal.first_notice_reduced_pence,
            issued,
            receipt,
            reduced_last,
            last_day,
        )
    if prior == 1:
        return NoticeTerms(2, legal.second_notice_pence, None, issued, receipt, None, last_day)
    return None  # DOMAIN rule 21: a third notice within 3 years is never allowed


def payment_day(receipt: date, paid_on: date) -> int:
    """Day of the payment period on which `paid_on` falls (receipt day is 1; before it, <= 0)."""
    return (paid_on - receipt).days + 1


def payment_due(terms: NoticeTerms, paid_on: date) -> Payment | None:
    """The rate and amount due on `paid_on`; None when the payment period has ended."""
    if paid_on < terms.issued_date:
        raise ValueError("a notice cannot be paid before it is issued")
    day = payment_day(terms.receipt_date, paid_on)
    reduced, reduced_by = terms.reduced_amount_pence, terms.reduced_pay_by_date
    if reduced is not None and reduced_by is not None and paid_on <= reduced_by:
        return Payment(Rate.REDUCED, reduced, day)
    if paid_on <= terms.pay_by_date:
        return Payment(Rate.FULL, terms.amount_pence, day)
    return None


def is_unpaid_after_period(status: NoticeStatus, pay_by_date: date, on: date) -> bool:
    """Rule 25: still merely issued once the payment period has ended."""
    return status is NoticeStatus.ISSUED and on > pay_by_date


def format_pence(pence: int) -> str:
    """Money as letters print it: £80.00."""
    pounds, rest = divmod(pence, 100)
    return f"£{pounds:,}.{rest:02d}"


# --- prosecution clock --------------------------------------------------------------------------


def prosecution_clock(last_absence: date, legal: LegalSection) -> ProsecutionClock:
    """The date by which the information must be laid, and when to start warning."""
    lay_by = add_months(last_absence, legal.prosecution_limit_months)
    return ProsecutionClock(
        last_absence, lay_by, lay_by - timedelta(weeks=legal.prosecution_warning_weeks)
    )


# --- compulsory school age (DOMAIN Part 2 §1.2) -------------------------------------------------


def csa_start(date_of_birth: date) -> date:
    """The first prescribed day on or after the fifth birthday."""
    fifth = add_years(date_of_birth, 5)
    for year in (fifth.year, fifth.year + 1):
        for month, day in _PRESCRIBED_DAYS:
            candidate = date(year, month, day)
            if candidate >= fifth:
                return candidate
    raise AssertionError("unreachable: 31 December always follows")  # pragma: no cover


def last_friday_of_june(year: int) -> date:
    last = date(year, 6, 30)
    return last - timedelta(days=(last.weekday() - _FRIDAY) % 7)


def csa_end(date_of_birth: date) -> date:
    """Last Friday in June of the school year (September to August) in which the child is 16."""
    sixteenth = add_years(date_of_birth, 16)
    year = sixteenth.year + 1 if sixteenth.month >= 9 else sixteenth.year
    return last_friday_of_june(year)


@lru_cache(maxsize=65536)
def is_compulsory_school_age(date_of_birth: date, on: date) -> bool:
    """Only these children can be the subject of a notice, an ESO or a prosecution."""
    return csa_start(date_of_birth) <= on <= csa_end(date_of_birth)
