"""After a prosecution is approved (DOMAIN.md rule 37), pure: laying the information in time and
what the court decided, read from the caseworker's recorded outcome and note.

The information must be laid within the 6-month limit: a date laid after it is refused, with the
reason. The court's outcome is `convicted` (the fine in pence; a parenting order yes or no, with
its term of at most 12 months), `conditional_discharge`, `acquitted`, `withdrawn` or `adjourned`
(the next hearing's date). Its details are written in the task's note as `name=value` pairs, e.g.
`fine_pence=20000 parenting_order=yes term_months=6` or `next_hearing=2026-03-02`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MAX_ORDER_MONTHS = 12  # Crime and Disorder Act 1998 s8-9: a parenting order lasts up to 12 months
COURT_OUTCOMES = ("convicted", "conditional_discharge", "acquitted", "withdrawn", "adjourned")


def laying_problems(laid: date, lay_by: date) -> list[str]:
    """Rule 37: a date laid past the limit is refused."""
    if laid > lay_by:
        return [
            f"the information cannot be laid on {laid.isoformat()}: the 6-month limit ended on "
            f"{lay_by.isoformat()} (Magistrates' Courts Act 1980 s127), so no prosecution can "
            "follow for this period"
        ]
    return []


@dataclass(frozen=True, slots=True)
class CourtOutcome:
    outcome: str
    fine_pence: int | None = None
    parenting_order: bool = False
    term_months: int | None = None
    next_hearing: date | None = None


def _fields(note: str) -> dict[str, str]:
    pairs = (item.partition("=") for item in note.replace(";", " ").replace(",", " ").split())
    return {name.strip().lower(): value.strip() for name, sep, value in pairs if sep}


def _convicted(fields: dict[str, str]) -> CourtOutcome | list[str]:
    fine = fields.get("fine_pence", "")
    order = fields.get("parenting_order", "").lower()
    if not fine.isdigit():
        return [
            "a conviction records the fine in pence: write fine_pence=N in the note (0 if none)"
        ]
    if order not in ("yes", "no"):
        return ["a conviction records whether a parenting order was made: parenting_order=yes|no"]
    if order == "no":
        return CourtOutcome("convicted", int(fine))
    term = fields.get("term_months", "")
    if not term.isdigit() or not 1 <= int(term) <= MAX_ORDER_MONTHS:
        return [f"a parenting order's term is 1 to {MAX_ORDER_MONTHS} months: term_months=N"]
    return CourtOutcome("convicted", int(fine), True, int(term))


def _adjourned(fields: dict[str, str], on: date) -> CourtOutcome | list[str]:
    try:
        hearing = date.fromisoformat(fields.get("next_hearing", ""))
    except ValueError:
        return ["an adjournment records the next hearing: next_hearing=YYYY-MM-DD in the note"]
    if hearing <= on:
        return [f"the next hearing ({hearing.isoformat()}) must be after {on.isoformat()}"]
    return CourtOutcome("adjourned", next_hearing=hearing)


def read_court_outcome(outcome: str, note: str, on: date) -> CourtOutcome | list[str]:
    """The court's outcome with its details, or the problems with what was written."""
    fields = _fields(note)
    if outcome == "convicted":
        return _convicted(fields)
    if outcome == "adjourned":
        return _adjourned(fields, on)
    if outcome in COURT_OUTCOMES:
        return CourtOutcome(outcome)
    return [f"outcome {outcome!r} is not one of {', '.join(COURT_OUTCOMES)}"]
