"""Education Supervision Orders (DOMAIN rule 38; Part 2 §9.3), pure.

Before prosecuting the LA must consider applying for an ESO (EA 1996 s447), so every
prosecution decision the engine asks for comes with a decision on applying for one — never for
a looked-after pupil (Children Act 1989 s36(6): no ESO for a child in the LA's care). Only an LA
officer decides it. The family court's answer is recorded on an `eso_hearing` task: `made`, with
the supervisor's directions written in the task's note, or `refused`. A made order lasts
`eso_months`; a review falls due `eso_review_months_before` its end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from casework.core.ladder.proposals import RequestDecision
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilFacts
from casework.core.legal.penalties import add_months, is_compulsory_school_age
from casework.core.policy import LegalSection

ESO_OUTCOMES = ("made", "refused")
OFFENCE_KEYS = ("period_start", "period_end", "sessions", "last_absence_date")


def eso_problems(pupil: PupilFacts) -> list[str]:
    """Rule 38: what stands in the way of applying for an ESO for this pupil."""
    if pupil.looked_after:
        return [
            f"pupil {pupil.upn} is looked after: an Education Supervision Order cannot be made "
            "for a child in the care of a local authority (Children Act 1989 s36(6))"
        ]
    return []


def eso_request(
    pupil: PupilFacts, on: date, prosecution: RequestDecision
) -> RequestDecision | None:
    """The ESO decision asked for beside a prosecution decision, where one may be made."""
    if eso_problems(pupil) or not is_compulsory_school_age(pupil.date_of_birth, on):
        return None
    reason = (
        "before prosecuting, the LA must consider applying for an Education Supervision Order "
        "(Education Act 1996 s447): decide whether to apply for one instead of, or before, "
        "prosecuting"
    )
    context = {k: v for k, v in prosecution.context.items() if k in OFFENCE_KEYS}
    context["prosecution_key"] = prosecution.key
    return RequestDecision(
        Stage.EDUCATION_SUPERVISION_ORDER, f"{prosecution.key}:eso", reason, context
    )


@dataclass(frozen=True, slots=True)
class EsoOrder:
    """A made order: its dates and the supervisor's directions."""

    made_date: date
    ends_date: date
    review_date: date
    directions: str


def read_eso_outcome(
    outcome: str, note: str, on: date, legal: LegalSection
) -> EsoOrder | list[str] | None:
    """`made` -> the order (directions from the note, required); `refused` -> None."""
    if outcome == "refused":
        return None
    if outcome != "made":
        return [f"outcome {outcome!r} is not one of {', '.join(ESO_OUTCOMES)}"]
    directions = note.strip()
    if not directions:
        return ["an ESO made records the supervisor's directions: write them in the note"]
    ends = add_months(on, legal.eso_months)
    review = add_months(ends, -legal.eso_review_months_before)
    return EsoOrder(on, ends, review, directions)
