"""One definition of each attendance measure, written once and shown beside the number on every
page, report and summary that shows it (DfE definitions; local lines from the policy file).

Two kinds of count appear in the product and are named differently so they are never confused:
a *measure* (from the register marks over a period, as of a date) and a *caseload* (pupils with a
support stage open now). They can differ: a pupil whose attendance recovered stays on an
attendance plan until the recovery period has passed.
"""

from __future__ import annotations

from collections.abc import Mapping

from casework.core.policy import Policy


def definitions(policy: Policy) -> Mapping[str, str]:
    """Measure name -> its one-sentence definition, with this LA's own lines filled in."""
    bands = policy.bands
    return {
        "attendance": "Sessions attended (present or approved educational activity) as a share "
        "of the sessions possible, from the first school day of the academic year.",
        "persistent_absence": "A pupil who missed 10% or more of their possible sessions "
        "(authorised and unauthorised absence), the DfE's persistent absence.",
        "severe_absence": "A pupil who missed 50% or more of their possible sessions.",
        "at_risk": f"A pupil below {bands.concern_below_percent}% attendance but not yet "
        "persistently absent (this LA's own line).",
        "minimum_sessions": f"A pupil is banded only once {bands.min_possible_sessions} sessions "
        "were possible for them.",
        "caseload_persistent": "Pupils with an Attendance plan stage open now: entered when "
        "persistent absence was first measured, closed after "
        f"{bands.recovery_school_weeks} school weeks above the line.",
        "caseload_severe": "Pupils with a Severe absence plan stage open now.",
        "caseload_at_risk": "Pupils with an Attendance concern stage open now.",
    }
