"""Writes each leave scenario's CSVs (the scenario folders are what the tests run; this script
is how their registers were made, kept so they can be read and changed)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

UPN = "E931400125012"
BANK = {date(2025, 12, 25), date(2025, 12, 26)}
HALF_TERM = (date(2025, 10, 25), date(2025, 11, 2))  # calendar.csv: term ends 24 Oct


def school_days(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in BANK and not HALF_TERM[0] <= d <= HALF_TERM[1]:
            days.append(d)
        d += timedelta(days=1)
    return days


def marks(start: date, end: date, codes: dict[date, str]) -> str:
    rows = ["upn,urn,date,session,code,minutes_late,recorded_at"]
    for d in school_days(start, end):
        code = codes.get(d)
        am, pm = (code, code) if code else ("/", "\\")
        rows += [f"{UPN},100001,{d},AM,{am},,", f"{UPN},100001,{d},PM,{pm},,"]
    return "\n".join(rows) + "\n"


def part_time(start: date, end: date, last: date) -> str:
    """Present in the mornings throughout; the afternoons coded C2 from `start` to `last`."""
    rows = ["upn,urn,date,session,code,minutes_late,recorded_at"]
    for d in school_days(start, end):
        pm = "C2" if date(2025, 9, 15) <= d <= last else "\\"
        rows += [f"{UPN},100001,{d},AM,/,,", f"{UPN},100001,{d},PM,{pm},,"]
    return "\n".join(rows) + "\n"


def span(start: date, end: date, code: str) -> dict[date, str]:
    return dict.fromkeys(school_days(start, end), code)


SCENARIOS = {
    # Four days of illness in the first half term: the half-term update says 94.x%.
    "half_term_update_to_each_parent": marks(
        date(2025, 9, 3), date(2025, 11, 7), span(date(2025, 10, 6), date(2025, 10, 9), "I")
    ),
    # Absent, no reason, from 15 Sep: the 20-day enquiry, not located, deleted under Ground I.
    "deletion_under_ground_i": marks(
        date(2025, 9, 3), date(2025, 10, 24), span(date(2025, 9, 15), date(2025, 10, 24), "N")
    ),
    # Afternoons C2 from 15 Sep to 7 Nov, full time after: reviewed, escalated, closed.
    "part_time_timetable_reviewed_escalated_closed": part_time(
        date(2025, 9, 3), date(2025, 11, 28), date(2025, 11, 7)
    ),
    # Refused, taken anyway: two weeks of G from 29 Sep, back on 13 Oct.
    "refused_leave_taken_anyway": marks(
        date(2025, 9, 3), date(2025, 10, 17), span(date(2025, 9, 29), date(2025, 10, 10), "G")
    ),
    # Recorded on its first day: only declined; the family goes for three days.
    "recorded_on_first_day_only_declined": marks(
        date(2025, 9, 3), date(2025, 10, 3), span(date(2025, 9, 29), date(2025, 10, 1), "G")
    ),
    # Granted 29 Sep - 1 Oct; the school marks 1 Oct as N; the pupil never comes back.
    "granted_leave_not_back": marks(
        date(2025, 9, 3),
        date(2025, 10, 17),
        {
            **span(date(2025, 9, 29), date(2025, 9, 30), "C"),
            date(2025, 10, 1): "N",
            **span(date(2025, 10, 2), date(2025, 10, 17), "N"),
        },
    ),
}


def main() -> None:
    common = HERE / "_common"
    for name, text in SCENARIOS.items():
        folder = HERE / name
        folder.mkdir(exist_ok=True)
        for csv in common.glob("*.csv"):
            shutil.copy(csv, folder / csv.name)
        (folder / "marks.csv").write_text(text)


if __name__ == "__main__":
    main()
