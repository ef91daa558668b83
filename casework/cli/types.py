"""Command-line value types with plain errors: dates as YYYY-MM-DD, and the lists of valid task
kinds and outcomes that `--help` shows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import typer

from casework.core.ladder.outcomes import OUTCOMES
from casework.core.ladder.proposals import TaskKind
from casework.core.ladder.stages import Stage

DATE_HINT = "use YYYY-MM-DD, for example 2025-09-08"
DATE_METAVAR = "YYYY-MM-DD"


def parse_day(value: str | date) -> date:
    """A calendar date written YYYY-MM-DD; a plain error naming the format otherwise."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: {DATE_HINT}") from None


def parse_day_time(value: str | datetime) -> datetime:
    """`parse_day` as a midnight datetime, for the options whose callers take `.date()`."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(parse_day(value), datetime.min.time(), UTC)


KIND_CHOICES = ", ".join(k.value for k in TaskKind)


class DecisionKind(StrEnum):
    """The stages a person decides on (`pathway decide --kind`): the legal steps, an education
    supervision order, leave of absence and a Ground I deletion."""

    NOTICE_TO_IMPROVE = Stage.NOTICE_TO_IMPROVE.value
    PENALTY_NOTICE = Stage.PENALTY_NOTICE.value
    PROSECUTION = Stage.PROSECUTION.value
    EDUCATION_SUPERVISION_ORDER = Stage.EDUCATION_SUPERVISION_ORDER.value
    LEAVE_OF_ABSENCE = Stage.LEAVE_OF_ABSENCE.value
    DELETION_GROUND_I = Stage.DELETION_GROUND_I.value


DECISION_KIND_CHOICES = ", ".join(k.value for k in DecisionKind)


def outcomes_help() -> str:
    """Each task kind with the outcomes it records, one line each (for a command's epilog)."""
    lines = [f"{kind}: {', '.join(values)}" for kind, values in OUTCOMES.items()]
    return "\b\nOutcomes by task kind:\n" + "\n".join(f"  {line}" for line in lines)
