"""One task as the person doing it reads it: the pupil, who to contact and how, the letter to
post with its address, and each outcome with what recording it sets going.

The web app's task page is one call to `read_task`; it reads in the reader's school scope, so a
task outside it is NotFound, exactly like a task that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.labels import outcome_label
from casework.core.ladder.outcomes import OUTCOMES
from casework.core.ladder.proposals import TaskKind
from casework.core.next_steps import next_step
from casework.core.permissions import in_scope
from casework.db.session import read_snapshot
from casework.db.tables import Contact, Letter, Message, Pupil, School, Task
from casework.service.errors import NotFound

# Tasks done by talking to the family: their page leads with who to call and how.
CALL_KINDS: frozenset[str] = frozenset(
    {
        TaskKind.CALL_PARENT,
        TaskKind.HOME_VISIT,
        TaskKind.ATTENDANCE_CONVERSATION,
        TaskKind.ATTENDANCE_MEETING,
        TaskKind.SEVERE_ABSENCE_MEETING,
        TaskKind.LATENESS_MEETING,
        TaskKind.CONSENT_REQUEST,
        TaskKind.CONTRACT_OFFER,
        TaskKind.CME_ENQUIRY,
    }
)


@dataclass(frozen=True, slots=True)
class OutcomeChoice:
    value: str
    label: str
    next_step: str


@dataclass(frozen=True, slots=True)
class LetterToPost:
    """A rendered letter waiting in the office: what it is, who it is for, where it goes."""

    task: Task
    letter: Letter | None
    recipient: str
    address: str
    pupil: Pupil | None


@dataclass(frozen=True)
class TaskView:
    task: Task
    pupil: Pupil | None
    school: School | None
    contacts: list[Contact]
    letter: LetterToPost | None
    outcomes: list[OutcomeChoice]

    @property
    def is_call(self) -> bool:
        return self.task.kind in CALL_KINDS


def outcome_choices(kind: str) -> list[OutcomeChoice]:
    """The outcomes a task of `kind` may record, each with its label and what it sets going."""
    return [OutcomeChoice(o, outcome_label(o), next_step(kind, o)) for o in OUTCOMES.get(kind, ())]


def _letter_id(task: Task) -> int | None:
    raw = (task.context or {}).get("letter_id")
    return int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None


def letter_to_post(db: Session, task: Task, pupil: Pupil | None) -> LetterToPost:
    """The letter behind a `letter_to_post` task, its addressee and postal address."""
    letter_id = _letter_id(task)
    letter = db.get(Letter, letter_id) if letter_id is not None else None
    contact = db.get(Contact, letter.recipient_ref) if letter and letter.recipient_ref else None
    address = contact.address if contact else ""
    if not address and letter is not None:
        message = db.exec(select(Message).where(Message.idempotency_key == letter.key)).first()
        address = message.normalised_to if message else ""
    recipient = contact.name if contact else "The parent or carer"
    return LetterToPost(task, letter, recipient, address, pupil)


def read_task(engine: Engine, task_id: int, *, scope_urn: str | None) -> TaskView:
    """The task and what doing it needs; NotFound outside the reader's scope."""
    with read_snapshot(engine) as db:
        task = db.get(Task, task_id)
        if task is None or not in_scope(scope_urn, task.urn):
            raise NotFound(f"no task {task_id}")
        pupil = db.get(Pupil, task.upn) if task.upn else None
        contacts = (
            list(
                db.exec(
                    select(Contact).where(Contact.upn == pupil.upn).order_by(col(Contact.priority))
                )
            )
            if pupil
            else []
        )
        letter = letter_to_post(db, task, pupil) if task.kind == TaskKind.LETTER_TO_POST else None
        return TaskView(
            task, pupil, db.get(School, task.urn), contacts, letter, outcome_choices(task.kind)
        )
