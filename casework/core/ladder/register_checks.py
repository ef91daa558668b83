"""Register-level checks for a school's session: missing or incomplete registers (rule 7).

A missing register is a data alert to the school and never a reason to message a family.
"""

from __future__ import annotations

from casework.core.ladder.proposals import DataAlert, Proposal
from casework.core.ladder.view import SchoolView


def register_missing(school: SchoolView) -> bool:
    return school.pupils_on_roll > 0 and len(school.pupils_without_mark) == school.pupils_on_roll


def check_register(school: SchoolView) -> list[Proposal]:
    """One alert for a session with no marks at all, or one listing pupils without a mark."""
    on = school.on
    stamp = f"{on.school_date.isoformat()}:{on.session.value}"
    if register_missing(school):
        key = f"{school.urn}:register_missing:{stamp}"
        reason = "register_missing"
    elif school.pupils_without_mark:
        key = f"{school.urn}:register_incomplete:{stamp}"
        reason = "register_incomplete"
    else:
        return []
    if key in school.keys:
        return []
    context = {
        "missing_count": str(len(school.pupils_without_mark)),
        "pupils_on_roll": str(school.pupils_on_roll),
        "upns": " ".join(school.pupils_without_mark[:200]),
    }
    return [DataAlert(key, reason, on.session.value, context)]
