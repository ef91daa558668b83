"""What a parent's letter says about why a legal step was taken: plain words for that reader.

A decision's `reason` is written for the person deciding ("penalty notice(s) PN-000001,
PN-000002 unpaid 28 days after receipt: decide whether to prosecute…"): it names every
parent's notice and tells the decider what to do. Nothing of it may reach a parent (issue 19).
Each letter goes to one parent, so the wording speaks of "the notice issued to you" and names
no other person, notice or internal reference.
"""

from __future__ import annotations

from casework.core.policy import LegalSection


def prosecution_grounds(source: str, forename: str, legal: LegalSection) -> str:
    """Why this parent is being prosecuted, by what started the prosecution decision."""
    if source == "unpaid_notice":
        return (
            f"The penalty notice issued to you about {forename}'s absence was not paid in full "
            f"within {legal.pay_within_days} days of your receiving it."
        )
    if source == "notice_limit":
        return (
            f"No further penalty notice can be issued to you about {forename}'s absence, "
            f"because you have already received the number the law allows within "
            f"{legal.notice_lookback_years} years."
        )
    return f"{forename}'s attendance has not improved despite the support offered."
