"""What completing a task of some kinds records beyond the ladder's follow-ups, as one table.

A static table rather than hooks registering themselves on import: a reader sees here every
kind whose completion writes more than the task, and the imports keep no cycle (ADR 0007).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime

from sqlmodel import Session

from casework.core.audit import AuditDraft
from casework.core.ladder.proposals import TaskKind
from casework.core.policy import Policy
from casework.db.tables import Task
from casework.service.legal.court import record_court_outcome, record_laying
from casework.service.legal.eso import record_eso_outcome
from casework.service.legal.payments import record_payment
from casework.service.legal.posting import record_posting

CompletionHook = Callable[[Session, Task, str, str, date, datetime, Policy], list[AuditDraft]]

COMPLETION_HOOKS: Mapping[str, CompletionHook] = {
    TaskKind.NOTICE_PAYMENT.value: record_payment,
    TaskKind.LETTER_TO_POST.value: record_posting,  # rule 22: a notice posted late
    TaskKind.LAY_INFORMATION.value: record_laying,  # rule 37: within the 6-month limit
    TaskKind.COURT_OUTCOME.value: record_court_outcome,  # rule 37
    TaskKind.ESO_HEARING.value: record_eso_outcome,  # rule 38: made (directions) or refused
}
