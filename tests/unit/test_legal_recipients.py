"""Who receives a penalty notice (casework.core.legal.recipients): s576 and Part 2 §18, pure."""

from __future__ import annotations

from casework.core.ladder.view import ContactFacts
from casework.core.legal.recipients import choose_recipients, notice_recipients


def contact(cid: str, relationship: str, pr: bool, priority: int, address: str) -> ContactFacts:
    return ContactFacts(
        cid, cid.title(), relationship, pr, priority, None, None, "letter", "en", address
    )


MUM = contact("mum", "mother", True, 2, "1 High St")
DAD = contact("dad", "father", True, 1, "")
GRAN = contact("gran", "grandparent", False, 3, "9 Low Rd")
CARER = contact("carer", "carer", False, 4, "5 Mill Lane")


def test_parents_are_those_with_responsibility_or_care_in_priority_order() -> None:
    """s576: parental responsibility or care; a grandparent without either is not a parent."""
    assert [c.contact_id for c in notice_recipients((GRAN, CARER, MUM, DAD))] == [
        "dad",
        "mum",
        "carer",
    ]


def test_a_parent_without_an_address_does_not_block_the_other() -> None:
    """Part 2 §18: the notice goes to the parent with an address; the other is recorded why."""
    got = choose_recipients((MUM, DAD))
    assert [c.contact_id for c in got.receive] == ["mum"]
    assert got.left_out == (("dad", "no postal address recorded"),)
    assert got.problems == ()


def test_no_parent_with_an_address_is_a_problem() -> None:
    got = choose_recipients((DAD,))
    assert got.receive == ()
    assert "postal address" in got.problems[0]


def test_no_parent_at_all_is_a_problem() -> None:
    assert "no parent" in choose_recipients((GRAN,)).problems[0]


def test_the_decider_may_name_the_parents() -> None:
    got = choose_recipients((MUM, DAD, CARER), ["carer"])
    assert [c.contact_id for c in got.receive] == ["carer"]
    assert dict(got.left_out) == {
        "dad": "not chosen by the decider",
        "mum": "not chosen by the decider",
    }


def test_a_named_parent_without_an_address_or_a_stranger_is_refused() -> None:
    assert "postal address for dad" in choose_recipients((MUM, DAD), ["dad"]).problems[0]
    assert "gran is not a parent" in choose_recipients((MUM, GRAN), ["gran"]).problems[0]
