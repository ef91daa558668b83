"""An attendance contract after it is signed: its reviews, and a breach (pure; DOMAIN rule 18).

Signed -> a first review in `contract_review_school_weeks`. At each review the reviewer records
`kept` (the next review follows in the same number of school weeks: the contract runs on until a
review records it `ended`), `ended` (the contract closes as kept) or `breached`: the contract
closes, the breach recorded as evidence (Part 2 §7.1), and the breach opens a decision on the
next legal step for a person (rules 19-20): a Notice to Improve, or a penalty notice where one
was already given or the policy has none — weighing the unauthorised sessions the threshold
would count. No decision is asked for a pupil below compulsory school age, while another legal
decision waits, or when there is no unauthorised absence to weigh.
"""

from __future__ import annotations

from casework.core.codes import HOLIDAY_UNAUTHORISED
from casework.core.ladder.legal import (
    has_pending_legal_decision,
    is_of_compulsory_school_age,
    offence_context,
    threshold_sessions,
    threshold_step,
)
from casework.core.ladder.proposals import (
    CloseStage,
    OpenTask,
    OwnerRole,
    Proposal,
    RequestDecision,
    TaskKind,
)
from casework.core.ladder.stages import Stage
from casework.core.ladder.view import PupilView
from casework.core.policy import Policy

REVIEW = ":review"


def review_number(task_key: str) -> int:
    """1 for the first review (`<offer>:review`), n for `<offer>:review:n`."""
    head, sep, tail = task_key.rpartition(f"{REVIEW}:")
    return int(tail) if sep and head and tail.isdigit() else 1


def _offer_key(task_key: str) -> str:
    head, sep, tail = task_key.rpartition(f"{REVIEW}:")
    if sep and tail.isdigit():
        return head
    return task_key.removesuffix(REVIEW)


def contract_review(view: PupilView, policy: Policy, task_key: str, number: int) -> OpenTask:
    """Review `number` of the contract whose offer task is `task_key`'s root."""
    due = view.calendar.add_school_weeks(
        view.on.school_date, policy.support.contract_review_school_weeks
    )
    root = _offer_key(task_key)
    key = f"{root}{REVIEW}" if number == 1 else f"{root}{REVIEW}:{number}"
    return OpenTask(
        TaskKind.CONTRACT_REVIEW,
        key,
        due,
        OwnerRole.ATTENDANCE_OFFICER,
        Stage.PARENTING_CONTRACT,
        context={"review": str(number)},
    )


def first_review(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    """The contract is signed: its first review."""
    return [contract_review(view, policy, task_key, 1)]


def next_review(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    """Kept at a review: the contract runs on to its next review."""
    return [contract_review(view, policy, task_key, review_number(task_key) + 1)]


def _close(view: PupilView, reason: str) -> list[Proposal]:
    entry = view.case.open_stage(Stage.PARENTING_CONTRACT)
    return [CloseStage(Stage.PARENTING_CONTRACT, entry.key, reason)] if entry else []


def contract_ended(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    """The reviewer ends the contract as kept."""
    n = review_number(task_key)
    return _close(view, f"attendance contract ended at review {n}: kept")


def _next_decision(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    if not is_of_compulsory_school_age(view) or has_pending_legal_decision(view):
        return []
    since, sessions = threshold_sessions(view, policy)
    if not sessions:
        return []
    all_holiday = all(m.code in HOLIDAY_UNAUTHORISED for m in sessions)
    stage, why = threshold_step(view, policy, all_holiday)
    on = view.on.school_date.isoformat()
    reason = (
        f"attendance contract breached (review {review_number(task_key)} on {on}); "
        f"{len(sessions)} unauthorised session(s) in the last "
        f"{policy.legal.threshold_school_weeks} school weeks{why}"
    )
    context = {
        **offence_context(sessions),
        "window_start": since.isoformat(),
        "all_holiday": str(all_holiday).lower(),
        "source": "contract_breach",
        "contract_breached_date": on,
    }
    return [RequestDecision(stage, f"{task_key}:breach:decision", reason, context)]


def contract_breached(view: PupilView, policy: Policy, task_key: str) -> list[Proposal]:
    """Breached: closed and recorded as evidence; a person decides on the next legal step."""
    on = view.on.school_date.isoformat()
    closing = _close(view, f"attendance contract breached on {on} (recorded as evidence)")
    return closing + _next_decision(view, policy, task_key)
