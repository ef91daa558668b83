"""The law's arithmetic for legal steps (casework.core.legal): DOMAIN rules 21–26, §1.2, §8."""

from __future__ import annotations

from datetime import date

import pytest

from casework.core.calendar import england_bank_holidays
from casework.core.legal.penalties import (
    PriorNotice,
    Rate,
    ServiceMethod,
    add_months,
    add_working_days,
    counted_notices,
    csa_end,
    csa_start,
    deemed_receipt,
    format_pence,
    is_compulsory_school_age,
    is_unpaid_after_period,
    last_friday_of_june,
    notice_terms,
    payment_day,
    payment_due,
    prosecution_clock,
    three_year_flag,
)
from casework.core.lifecycle import NoticeStatus
from casework.core.policy import LegalSection, Policy

LEGAL = Policy().legal
HOLIDAYS = england_bank_holidays(2024, 2028)
UPN, MUM, DAD = "A123456789012", "A123456789012-1", "A123456789012-2"


def prior(
    issued: str, status: NoticeStatus = NoticeStatus.PAID, contact: str = MUM, upn: str = UPN
) -> PriorNotice:
    return PriorNotice(upn, contact, date.fromisoformat(issued), status)


def count(history: list[PriorNotice], issue: str, contact: str = MUM) -> int:
    return len(counted_notices(history, UPN, contact, date.fromisoformat(issue), LEGAL))


class TestThreeYearCount:
    def test_no_history_counts_nothing_when_first_notice(self) -> None:
        """A parent with no notices for this child gets a first notice."""
        assert count([], "2025-11-17") == 0

    def test_notice_before_framework_start_is_not_counted_when_issued_2024_08_18(self) -> None:
        """Notices issued before 19 August 2024 do not count (DOMAIN §8.2)."""
        assert count([prior("2024-08-18")], "2025-11-17") == 0

    def test_notice_on_framework_start_counts_when_issued_2024_08_19(self) -> None:
        """The framework's first day counts."""
        assert count([prior("2024-08-19")], "2025-11-17") == 1

    def test_withdrawn_notice_does_not_count(self) -> None:
        """Withdrawn notices do not count towards the 3-year limit (rule 24)."""
        assert count([prior("2025-01-10", NoticeStatus.WITHDRAWN)], "2025-11-17") == 0

    @pytest.mark.parametrize(
        "status", [NoticeStatus.PAID, NoticeStatus.ISSUED, NoticeStatus.EXPIRED]
    )
    def test_paid_unpaid_and_expired_notices_count(self, status: NoticeStatus) -> None:
        """Every notice not withdrawn counts, paid or not."""
        assert count([prior("2025-01-10", status)], "2025-11-17") == 1

    @pytest.mark.parametrize(
        ("issued", "new_issue", "expected"),
        [
            ("2024-09-02", "2027-09-01", 1),  # the last day of the 3 years
            ("2024-09-02", "2027-09-02", 0),  # 3 years to the day: outside
            ("2024-09-02", "2027-09-03", 0),
            ("2025-02-28", "2028-02-27", 1),
            ("2025-02-28", "2028-02-28", 0),
        ],
    )
    def test_three_year_window_edges(self, issued: str, new_issue: str, expected: int) -> None:
        """Counted: issued within the 3 years before the new issue date."""
        assert count([prior(issued)], new_issue) == expected

    def test_other_parent_and_other_child_do_not_count(self) -> None:
        """Per parent, per child (DOMAIN §7.4)."""
        history = [prior("2025-01-10", contact=DAD), prior("2025-01-10", upn="B123456789012")]
        assert count(history, "2025-11-17") == 0

    def test_later_notice_does_not_count_towards_an_earlier_issue(self) -> None:
        """Only notices issued on or before the new one count."""
        assert count([prior("2026-01-10")], "2025-11-17") == 0


class TestRates:
    def test_first_notice_has_reduced_and_full_rate(self) -> None:
        """0 prior: £80 within 21 days of receipt, £160 within 28 (rule 21)."""
        terms = notice_terms(0, date(2025, 11, 17), date(2025, 11, 19), LEGAL)
        assert terms is not None
        assert (terms.sequence, terms.reduced_amount_pence, terms.amount_pence) == (1, 8000, 16000)
        assert terms.reduced_pay_by_date == date(2025, 12, 9)  # 21 days beginning with receipt
        assert terms.pay_by_date == date(2025, 12, 16)  # 28 days beginning with receipt
        assert terms.expires_on == date(2025, 12, 17)

    def test_second_notice_is_full_rate_without_reduction(self) -> None:
        """1 prior: £160 within 28 days, no reduced rate."""
        terms = notice_terms(1, date(2025, 11, 17), date(2025, 11, 19), LEGAL)
        assert terms is not None
        assert (terms.sequence, terms.amount_pence) == (2, 16000)
        assert terms.reduced_amount_pence is None
        assert terms.reduced_pay_by_date is None
        assert terms.pay_by_date == date(2025, 12, 16)

    @pytest.mark.parametrize("prior_count", [2, 3])
    def test_no_third_notice_when_two_already_count(self, prior_count: int) -> None:
        """2 or more prior: no notice may be issued."""
        assert notice_terms(prior_count, date(2025, 11, 17), date(2025, 11, 19), LEGAL) is None

    def test_rates_come_from_the_policy(self) -> None:
        """Every number lives in the policy file."""
        legal = LegalSection(
            first_notice_pence=12000,
            first_notice_reduced_pence=6000,
            reduced_within_days=14,
            pay_within_days=21,
        )
        terms = notice_terms(0, date(2025, 11, 17), date(2025, 11, 17), legal)
        assert terms is not None
        assert (terms.reduced_amount_pence, terms.amount_pence) == (6000, 12000)
        assert terms.pay_by_date == date(2025, 12, 7)


class TestPayment:
    RECEIPT = date(2025, 11, 19)

    def _terms(self, prior_count: int = 0):  # type: ignore[no-untyped-def]
        terms = notice_terms(prior_count, date(2025, 11, 17), self.RECEIPT, LEGAL)
        assert terms is not None
        return terms

    @pytest.mark.parametrize(
        ("day", "rate", "pence"),
        [
            (1, Rate.REDUCED, 8000),
            (20, Rate.REDUCED, 8000),
            (21, Rate.REDUCED, 8000),
            (22, Rate.FULL, 16000),
            (25, Rate.FULL, 16000),
            (28, Rate.FULL, 16000),
        ],
    )
    def test_first_notice_rate_on_day(self, day: int, rate: Rate, pence: int) -> None:
        """Day 20 is £80 and day 25 is £160; receipt day is day 1."""
        paid_on = date.fromordinal(self.RECEIPT.toordinal() + day - 1)
        payment = payment_due(self._terms(), paid_on)
        assert payment is not None
        assert (payment.rate, payment.amount_pence, payment.day) == (rate, pence, day)

    def test_payment_before_receipt_is_at_the_reduced_rate(self) -> None:
        """Paying as soon as the notice arrives early is still within the period."""
        payment = payment_due(self._terms(), date(2025, 11, 18))
        assert payment is not None
        assert payment.amount_pence == 8000

    def test_no_payment_after_day_28(self) -> None:
        """Day 29: the payment period is over; the notice is unpaid."""
        assert payment_due(self._terms(), date(2025, 12, 17)) is None

    def test_second_notice_is_160_on_day_1(self) -> None:
        """No reduced rate on a second notice."""
        payment = payment_due(self._terms(prior_count=1), self.RECEIPT)
        assert payment is not None
        assert (payment.rate, payment.amount_pence) == (Rate.FULL, 16000)

    def test_payment_before_issue_is_refused(self) -> None:
        """A notice cannot be paid before it exists."""
        with pytest.raises(ValueError, match="before it is issued"):
            payment_due(self._terms(), date(2025, 11, 16))

    def test_payment_day_counts_receipt_as_day_one(self) -> None:
        assert payment_day(self.RECEIPT, self.RECEIPT) == 1
        assert payment_day(self.RECEIPT, date(2025, 12, 8)) == 20

    @pytest.mark.parametrize(
        ("status", "on", "unpaid"),
        [
            (NoticeStatus.ISSUED, date(2025, 12, 16), False),
            (NoticeStatus.ISSUED, date(2025, 12, 17), True),
            (NoticeStatus.PAID, date(2026, 1, 5), False),
            (NoticeStatus.WITHDRAWN, date(2026, 1, 5), False),
        ],
    )
    def test_unpaid_only_when_still_issued_after_the_period(
        self, status: NoticeStatus, on: date, unpaid: bool
    ) -> None:
        """Rule 25: a recorded payment always closes the notice."""
        assert is_unpaid_after_period(status, date(2025, 12, 16), on) is unpaid

    def test_money_is_printed_in_pounds(self) -> None:
        assert format_pence(8000) == "£80.00"
        assert format_pence(123456) == "£1,234.56"


class TestDeemedReceipt:
    @pytest.mark.parametrize(
        ("issued", "received"),
        [
            ("2025-11-17", "2025-11-19"),  # Mon -> Wed
            ("2025-11-20", "2025-11-24"),  # Thu -> Mon over the weekend
            ("2025-11-21", "2025-11-25"),  # Fri -> Tue
            ("2025-11-22", "2025-11-25"),  # Sat -> Tue
            ("2026-04-02", "2026-04-08"),  # Thu before Good Friday and Easter Monday -> Wed
            ("2025-12-24", "2025-12-30"),  # Christmas and Boxing Day are not working days
            ("2026-05-22", "2026-05-27"),  # Fri before the spring bank holiday -> Wed
        ],
    )
    def test_posted_notice_received_two_working_days_later(
        self, issued: str, received: str
    ) -> None:
        """Rule 22: working days are Monday to Friday minus England's bank holidays."""
        got = deemed_receipt(date.fromisoformat(issued), ServiceMethod.POST, LEGAL, HOLIDAYS)
        assert got == date.fromisoformat(received)

    def test_handed_notice_is_received_the_same_day(self) -> None:
        got = deemed_receipt(date(2025, 11, 21), ServiceMethod.HAND, LEGAL, HOLIDAYS)
        assert got == date(2025, 11, 21)

    def test_zero_working_days_is_the_day_itself(self) -> None:
        assert add_working_days(date(2025, 11, 22), 0, HOLIDAYS) == date(2025, 11, 22)


class TestProsecutionClock:
    def test_six_months_from_the_last_absence(self) -> None:
        """Rule 26: lay the information within 6 months; warn 4 weeks before."""
        clock = prosecution_clock(date(2025, 11, 14), LEGAL)
        assert clock.lay_by_date == date(2026, 5, 14)
        assert clock.warn_from_date == date(2026, 4, 16)

    @pytest.mark.parametrize(
        ("on", "warning", "expired"),
        [
            (date(2026, 4, 15), False, False),
            (date(2026, 4, 16), True, False),
            (date(2026, 5, 14), True, False),
            (date(2026, 5, 15), False, True),
        ],
    )
    def test_warning_and_expiry(self, on: date, warning: bool, expired: bool) -> None:
        clock = prosecution_clock(date(2025, 11, 14), LEGAL)
        assert clock.is_warning(on) is warning
        assert clock.is_expired(on) is expired

    def test_six_months_from_31_august_ends_on_28_february(self) -> None:
        """A shorter month clamps to its last day."""
        assert prosecution_clock(date(2025, 8, 31), LEGAL).lay_by_date == date(2026, 2, 28)

    def test_add_months_goes_back_across_years(self) -> None:
        assert add_months(date(2025, 3, 15), -15) == date(2023, 12, 15)


class TestCompulsorySchoolAge:
    @pytest.mark.parametrize(
        ("born", "starts"),
        [
            ("2020-08-31", "2025-08-31"),  # 5 on a prescribed day: that day
            ("2020-09-01", "2025-12-31"),
            ("2020-12-31", "2025-12-31"),
            ("2021-01-01", "2026-03-31"),
            ("2021-03-31", "2026-03-31"),
            ("2021-04-01", "2026-08-31"),
        ],
    )
    def test_starts_on_the_prescribed_day_on_or_after_the_fifth_birthday(
        self, born: str, starts: str
    ) -> None:
        """31 December, 31 March, 31 August (DOMAIN Part 2 §1.2)."""
        assert csa_start(date.fromisoformat(born)) == date.fromisoformat(starts)

    @pytest.mark.parametrize(
        ("born", "ends"),
        [
            ("2009-08-31", "2025-06-27"),  # 16 on 31 Aug 2025: school year 2024/25
            ("2009-09-01", "2026-06-26"),  # 16 on 1 Sep 2025: school year 2025/26
            ("2010-01-15", "2026-06-26"),
            ("2010-06-30", "2026-06-26"),  # 16 after the last Friday: still that year
        ],
    )
    def test_ends_on_the_last_friday_of_june_of_the_year_they_turn_16(
        self, born: str, ends: str
    ) -> None:
        assert csa_end(date.fromisoformat(born)) == date.fromisoformat(ends)

    @pytest.mark.parametrize(
        ("on", "expected"),
        [
            ("2025-12-30", False),
            ("2025-12-31", True),
            ("2037-06-26", True),
            ("2037-06-27", False),
        ],
    )
    def test_is_of_compulsory_school_age_at_both_edges(self, on: str, expected: bool) -> None:
        """Born 1 September 2020: from 31 December 2025 to the last Friday of June 2037."""
        born = date(2020, 9, 1)
        assert is_compulsory_school_age(born, date.fromisoformat(on)) is expected

    def test_last_friday_of_june(self) -> None:
        assert last_friday_of_june(2025) == date(2025, 6, 27)
        assert last_friday_of_june(2026) == date(2026, 6, 26)
        assert last_friday_of_june(2028) == date(2028, 6, 30)


class TestThreeYearFlag:
    """Part 2 §8.2: flag a notice where the first is older than 3 years and the second is not."""

    def flag(self, history: list[PriorNotice], issue: str) -> bool:
        return three_year_flag(history, UPN, MUM, date.fromisoformat(issue), LEGAL)

    def test_first_older_than_three_years_and_second_not_is_flagged(self) -> None:
        history = [prior("2024-09-02"), prior("2026-05-04")]
        assert self.flag(history, "2027-09-06")
        assert count(history, "2027-09-06") == 1  # the rolling count allows a second notice

    def test_both_within_three_years_or_both_older_is_not_flagged(self) -> None:
        assert not self.flag([prior("2024-09-02"), prior("2025-05-04")], "2026-09-07")
        assert not self.flag([prior("2024-09-02"), prior("2024-10-04")], "2028-09-04")

    def test_a_withdrawn_or_another_parents_notice_does_not_count(self) -> None:
        history = [prior("2024-09-02", NoticeStatus.WITHDRAWN), prior("2026-05-04")]
        assert not self.flag(history, "2027-09-06")
        history = [prior("2024-09-02", contact=DAD), prior("2026-05-04")]
        assert not self.flag(history, "2027-09-06")
