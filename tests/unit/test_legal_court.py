"""Laying the information and the court's outcome (casework.core.legal.court): rule 37, pure."""

from __future__ import annotations

from datetime import date

from casework.core.legal.court import CourtOutcome, laying_problems, read_court_outcome

ON = date(2026, 3, 2)


def test_information_laid_on_or_before_the_limit_is_accepted() -> None:
    assert laying_problems(date(2026, 5, 14), date(2026, 5, 14)) == []


def test_information_laid_after_the_limit_is_refused_with_the_reason() -> None:
    problems = laying_problems(date(2026, 5, 15), date(2026, 5, 14))
    assert len(problems) == 1
    assert "limit ended on 2026-05-14" in problems[0]


def test_a_conviction_with_a_parenting_order_reads_its_fine_and_term() -> None:
    got = read_court_outcome("convicted", "fine_pence=20000 parenting_order=yes term_months=6", ON)
    assert got == CourtOutcome("convicted", 20000, True, 6)


def test_a_conviction_without_an_order() -> None:
    got = read_court_outcome("convicted", "fine_pence=0; parenting_order=no", ON)
    assert got == CourtOutcome("convicted", 0)


def test_a_conviction_needs_its_fine_and_a_term_of_at_most_12_months() -> None:
    assert "fine_pence" in read_court_outcome("convicted", "parenting_order=no", ON)[0]  # type: ignore[index]
    too_long = read_court_outcome(
        "convicted", "fine_pence=1 parenting_order=yes term_months=13", ON
    )
    assert isinstance(too_long, list)
    assert "1 to 12 months" in too_long[0]


def test_an_adjournment_needs_a_later_hearing_date() -> None:
    got = read_court_outcome("adjourned", "next_hearing=2026-04-13", ON)
    assert got == CourtOutcome("adjourned", next_hearing=date(2026, 4, 13))
    early = read_court_outcome("adjourned", "next_hearing=2026-03-02", ON)
    assert isinstance(early, list)
    missing = read_court_outcome("adjourned", "", ON)
    assert isinstance(missing, list)
    assert "next_hearing" in missing[0]


def test_the_other_outcomes_need_no_details() -> None:
    for outcome in ("conditional_discharge", "acquitted", "withdrawn"):
        assert read_court_outcome(outcome, "", ON) == CourtOutcome(outcome)
    assert isinstance(read_court_outcome("fined", "", ON), list)
