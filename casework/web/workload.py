"""The count cards at the top of the task queue: each role's work, each count a link to its list.

A school's staff see their queue, what is overdue and the letters to post; a headteacher also the
decisions waiting; the LA attendance officer the referrals, decisions and penalty-notice payments
waiting across the LA. Each count uses the same conditions as the list it links to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from casework.core.ladder.proposals import TaskKind
from casework.core.lifecycle import DecisionStatus
from casework.core.permissions import Role, may_work_tasks
from casework.db.tables import Decision
from casework.service.referrals import waiting_referrals
from casework.service.tasks.letters import count_letters_due
from casework.web.deps import Viewer
from casework.web.queue import OWNER_ALL, OWNER_MINE, QueueFilters, count_open

DECIDERS = frozenset({Role.HEADTEACHER, Role.LA_OFFICER, Role.ADMIN})
LA_WORK = frozenset({Role.LA_OFFICER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class CountCard:
    label: str
    count: int
    href: str
    urgent: bool = False


def _decisions_waiting(session: Session, viewer: Viewer) -> int:
    stmt = (
        select(sa.func.count())
        .select_from(Decision)
        .where(col(Decision.status) == DecisionStatus.REQUESTED.value)
    )
    return int(session.exec(viewer.scope.where(stmt, Decision.urn)).one())


def _task_cards(session: Session, viewer: Viewer, today: date) -> list[CountCard]:
    mine = QueueFilters(owner=OWNER_MINE)
    overdue = QueueFilters(owner=OWNER_MINE, due="overdue")
    return [
        CountCard(
            "My tasks",
            count_open(session, viewer, today, owner=OWNER_MINE),
            f"/tasks?{mine.query()}",
        ),
        CountCard(
            "Overdue in my queue",
            count_open(session, viewer, today, owner=OWNER_MINE, due="overdue"),
            f"/tasks?{overdue.query()}",
            urgent=True,
        ),
    ]


def _la_cards(session: Session, engine: Engine, viewer: Viewer, today: date) -> list[CountCard]:
    _, referrals = waiting_referrals(
        engine, scope_urn=viewer.scope.urn, urn=None, today=today, limit=0
    )
    payments = QueueFilters(owner=OWNER_ALL, kind=TaskKind.NOTICE_PAYMENT.value)
    paying = count_open(session, viewer, today, owner=OWNER_ALL, kind=TaskKind.NOTICE_PAYMENT.value)
    return [
        CountCard("Referrals waiting", referrals, "/referrals"),
        CountCard("Penalty notices awaiting payment", paying, f"/tasks?{payments.query()}"),
    ]


def count_cards(session: Session, engine: Engine, viewer: Viewer, today: date) -> list[CountCard]:
    """The cards for this viewer's role, in the order they are worked."""
    cards: list[CountCard] = []
    if may_work_tasks(viewer.role):
        cards += _task_cards(session, viewer, today)
    if viewer.role in LA_WORK:
        cards += _la_cards(session, engine, viewer, today)
    if viewer.role in DECIDERS:
        cards.append(
            CountCard("Decisions waiting", _decisions_waiting(session, viewer), "/decisions")
        )
    if may_work_tasks(viewer.role):
        letters = count_letters_due(engine, scope_urn=viewer.scope.urn, on=today)
        cards.append(CountCard("Letters to post", letters, "/letters-to-post"))
    return cards
