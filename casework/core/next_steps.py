"""What recording each task outcome sets going, in one line a caseworker reads before choosing.

The lines describe `casework.core.ladder.outcomes.FOLLOW_UPS` and the completion hooks
(a paid notice); tests/unit/test_labels.py holds every follow-up to having its own line here.
"""

from __future__ import annotations

from collections.abc import Mapping

from casework.core.ladder.proposals import TaskKind

K = TaskKind

NEXT_STEPS: Mapping[tuple[str, str], str] = {
    (K.CME_ENQUIRY, "not_located"): (
        "Asks the headteacher to decide on deleting the pupil from the roll (Ground I)."
    ),
    (K.HOME_VISIT, "child_not_seen"): (
        "Opens a safeguarding review for the designated safeguarding lead, due today."
    ),
    (K.CONSENT_REQUEST, "consent_given"): (
        "Opens the Strengths and Needs form for the attendance officer."
    ),
    (K.CONSENT_REQUEST, "consent_declined"): "Closes the Strengths and Needs stage.",
    (K.CONSENT_REQUEST, "consent_withdrawn"): "Closes the Strengths and Needs stage.",
    (K.SNF_COMPLETE, "consent_withdrawn"): "Closes the Strengths and Needs stage.",
    (K.SNF_COMPLETE, "needs_identified"): (
        "Closes the form and starts Team Around the Family, with a meeting to arrange."
    ),
    (K.SNF_COMPLETE, "no_needs_identified"): "Closes the Strengths and Needs stage.",
    (K.TAF_REVIEW, "close"): "Closes Team Around the Family.",
    (K.CONTRACT_OFFER, "signed"): "Opens a review of the attendance contract.",
    (K.CONTRACT_OFFER, "declined"): (
        "Closes the attendance contract stage; the refusal is kept as evidence."
    ),
    (K.CONTRACT_REVIEW, "kept"): "Opens the contract's next review.",
    (K.CONTRACT_REVIEW, "ended"): "Closes the attendance contract as kept; no more reviews.",
    (K.CONTRACT_REVIEW, "breached"): (
        "Closes the attendance contract, keeping the breach as evidence, and asks for a decision "
        "on the next legal step (a Notice to Improve, or a penalty notice if one was given)."
    ),
    (K.ATTENDANCE_MEETING, "not_attended"): (
        "Offers an attendance contract: support was not engaged with."
    ),
    (K.SEVERE_ABSENCE_MEETING, "not_attended"): (
        "Offers an attendance contract: support was not engaged with."
    ),
    (K.PLAN_REVIEW, "not_improving"): (
        "Offers an attendance contract: absence is not improving at review."
    ),
    (K.ESO_HEARING, "made"): (
        "Records the order with the supervisor's directions (write them in the note) and opens "
        "its review three months before it ends."
    ),
    (K.ESO_HEARING, "refused"): "Records the refusal and closes the Education Supervision Order.",
    (K.NOTICE_PAYMENT, "paid"): "Records the penalty notice as paid; reminders stop.",
    (K.LETTER_TO_POST, "posted"): "Records the letter as posted today.",
    (K.FIX_CONTACT, "address_corrected"): (
        "Recorded. Correct it in the school's MIS: the next contacts import brings the new one in, "
        "and messages go to it from then on."
    ),
    (K.FIX_CONTACT, "no_other_address"): (
        "Recorded. Nothing more goes to the failed one; the family is written to by letter."
    ),
}

NOTHING_MORE = "Recorded on the case. Nothing else starts now; the daily check carries on."


def next_step(kind: str, outcome: str) -> str:
    """The line shown beside `outcome` on a task of `kind`."""
    return NEXT_STEPS.get((kind, outcome), NOTHING_MORE)
