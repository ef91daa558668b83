"""`pathway decide`, the human gate for legal steps, and `pathway notices ...` for notices.

`notices list|waiting|withdraw|deadlines`: the notices, the legal decisions waiting (with any
prosecution time limit), withdrawal on statutory grounds, and the payment-window step on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from casework.cli.actors import resolve_actor
from casework.cli.app import app, now, policy, settings, today
from casework.cli.leave import decide_headteacher_decision
from casework.cli.types import DATE_METAVAR, parse_day_time
from casework.core.legal.penalties import WithdrawalGround, format_pence
from casework.core.permissions import may_decide
from casework.db.database import open_database
from casework.db.tables import Decision
from casework.service.errors import NotFound, ServiceError
from casework.service.leave.decisions import is_headteacher_decision
from casework.service.legal.context import notice_reference
from casework.service.legal.decisions import (
    Choice,
    decide_with_outcome,
    find_requested_decision,
    waiting_decisions,
)
from casework.service.legal.notices import list_notices
from casework.service.legal.payments import run_notice_deadlines
from casework.service.legal.steps import DecisionOutcome, clock_of
from casework.service.legal.withdrawal import withdraw_notice

notices_app = typer.Typer(
    help="Penalty notices: list, legal decisions waiting, withdraw, deadlines.",
    rich_markup_mode=None,
)
app.add_typer(notices_app, name="notices")

Upn = Annotated[str | None, typer.Option("--upn", help="Pupil UPN.")]
On = Annotated[
    datetime | None,
    typer.Option(
        "--on", parser=parse_day_time, metavar=DATE_METAVAR, help="School date it takes effect."
    ),
]
As = Annotated[str | None, typer.Option("--as", help="The user acting (default: cli).")]


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _day(on: datetime | None) -> date:
    return on.date() if on else today()


def parse_factors(items: list[str]) -> dict[str, str]:
    """`--factor NAME=VALUE` pairs; a pair without `=` is refused."""
    factors: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--factor takes NAME=VALUE, not {item!r}")
        factors[name.strip()] = value.strip()
    return factors


def _decision(engine: Engine, decision_id: int) -> Decision:
    with Session(engine) as db:
        found = db.get(Decision, decision_id)
    if found is None:
        raise NotFound(f"no decision {decision_id}")
    return found


def _print_clock(decision: Decision, on: date) -> None:
    clock = clock_of(decision)
    if clock is None:
        return
    print(
        f"time limit: information must be laid by {clock.lay_by_date} "
        f"(last absence in the period {clock.last_absence_date})"
    )
    if clock.is_expired(on):
        print(f"WARNING: the time limit passed on {clock.lay_by_date}")
    elif clock.is_warning(on):
        print(
            f"WARNING: less than {policy().legal.prosecution_warning_weeks} weeks left "
            f"(from {clock.warn_from_date})"
        )


def _print_outcome(outcome: DecisionOutcome) -> None:
    verb = "approved" if outcome.approved else "declined"
    print(f"decision {outcome.decision_id} ({outcome.stage}) {verb}")
    for n in outcome.notices:
        rates = f"{format_pence(n.amount_pence)} by {n.pay_by_date}"
        if n.reduced_amount_pence is not None:
            rates = f"{format_pence(n.reduced_amount_pence)} by {n.reduced_pay_by_date} or {rates}"
        print(
            f"  {notice_reference(n.notice_id)} to {n.contact_id}: notice {n.sequence}, "
            f"{rates} (received {n.receipt_date})"
        )
    if outcome.gaps:
        print(f"  support gaps confirmed: {'; '.join(outcome.gaps)}")
    for contact in outcome.flagged:
        print(
            f"  FLAG: {contact}'s first notice is older than 3 years and a later one is not: "
            "the sources differ on whether this notice may be issued (DOMAIN.md Part 2 §8.2)"
        )
    for contact in outcome.barred_contacts:
        print(f"  no notice may go to {contact}: a decision on prosecution is requested")
    for notice_id in outcome.withdrawn_notices:
        print(f"  {notice_reference(notice_id)} withdrawn (not prosecuted)")
    if outcome.bundle_path:
        print(f"evidence bundle: {outcome.bundle_path}")


DecisionId = Annotated[int | None, typer.Argument(help="Decision id (or --upn and --kind).")]
Approve = Annotated[bool, typer.Option("--approve", help="Approve the legal step.")]
Decline = Annotated[bool, typer.Option("--decline", help="Decline it.")]
Reason = Annotated[str, typer.Option("--reason", help="Why; kept in the record.")]
Kind = Annotated[
    str | None,
    typer.Option(
        "--kind",
        help=(
            "notice_to_improve, penalty_notice, prosecution or education_supervision_order "
            "(with --upn)."
        ),
    ),
]
Factors = Annotated[
    list[str] | None,
    typer.Option("--factor", help="A factor weighed, NAME=VALUE (repeatable)."),
]
ConfirmGaps = Annotated[
    bool,
    typer.Option(
        "--confirm-gaps",
        help="Go ahead over open or overdue support tasks and support never held (recorded).",
    ),
]
Recipients = Annotated[
    list[str] | None,
    typer.Option(
        "--recipient",
        help="Penalty notice: a parent (contact id) to receive one (repeatable; default: every "
        "parent with a postal address).",
    ),
]
SupportConsidered = Annotated[
    str | None,
    typer.Option("--support-considered", help="How support was considered (EHCP, SW, LAC)."),
]


def _resolve(engine: Engine, decision_id: int | None, upn: str | None, kind: str | None) -> int:
    if decision_id is not None:
        return decision_id
    if not (upn and kind):
        raise ServiceError("name a decision by its id, or by --upn and --kind")
    return find_requested_decision(engine, upn.strip().upper(), kind)


def _decide(
    engine: Engine, decision: Decision, actor: str, day: date, choice: Choice, note: str | None
) -> DecisionOutcome:
    return decide_with_outcome(
        engine,
        decision.id or 0,
        approve=choice.approve,
        reason=choice.reason,
        actor=actor,
        on=day,
        now=now(),
        factors=choice.factors,
        policy=policy(),
        var_dir=settings().var_dir,
        support_considered=note,
        confirm_gaps=choice.confirm_gaps,
        recipients=choice.recipients,
    )


@app.command("decide")
def decide_command(
    decision_id: DecisionId = None,
    approve: Approve = False,
    decline: Decline = False,
    reason: Reason = "",
    upn: Upn = None,
    kind: Kind = None,
    on: On = None,
    as_: As = None,
    factor: Factors = None,
    confirm_gaps: ConfirmGaps = False,
    recipient: Recipients = None,
    support_considered: SupportConsidered = None,
) -> None:
    """Approve or decline a legal step with a reason: only a person ever takes one."""
    if approve == decline:
        typer.echo("error: choose exactly one of --approve and --decline", err=True)
        raise typer.Exit(1)
    factors, day = parse_factors(factor or []), _day(on)
    engine = open_database(settings())

    def act() -> None:
        decision = _decision(engine, _resolve(engine, decision_id, upn, kind))
        if is_headteacher_decision(decision):  # leave, deletion: no legal factors (rules 32, 34)
            decide_headteacher_decision(
                decision, approve=approve, reason=reason, day=day, as_email=as_
            )
            return
        # resolve_actor checks the school scope; may_decide then needs only the role.
        actor = resolve_actor(
            engine,
            as_,
            decision.urn,
            lambda role: may_decide(role, decision.urn, decision.urn),
            "decide legal steps",
        )
        _print_clock(decision, day)
        chosen = tuple(r.strip() for r in recipient or () if r.strip())
        choice = Choice(approve, reason, factors, confirm_gaps, chosen)
        _print_outcome(_decide(engine, decision, actor, day, choice, support_considered))

    _run(act)


@notices_app.command("list")
def list_command(upn: Upn = None) -> None:
    """Penalty notices with their amounts, dates and status."""
    engine = open_database(settings())
    rows = list_notices(engine, upn=upn)
    for n in rows:
        reduced = format_pence(n.reduced_amount_pence) if n.reduced_amount_pence else "-"
        print(
            f"{notice_reference(n.id or 0)}  {n.upn}  {n.contact_id:<20} #{n.sequence} "
            f"{format_pence(n.amount_pence)} (reduced {reduced}) issued {n.issued_date} "
            f"pay by {n.pay_by_date}  {n.status}"
        )
    print(f"{len(rows)} notice(s)")


@notices_app.command("waiting")
def waiting_command(upn: Upn = None, on: On = None) -> None:
    """Legal decisions waiting for a person, with any prosecution time limit."""
    engine = open_database(settings())
    rows = waiting_decisions(engine, upn=upn)
    for d in rows:
        print(
            f"decision {d.id}  {d.upn}  {d.stage:<18} requested {d.requested_date}: "
            f"{d.context.get('reason', '')}"
        )
        _print_clock(d, _day(on))
    print(f"{len(rows)} decision(s) waiting")


@notices_app.command("withdraw")
def withdraw_command(
    notice_id: Annotated[int, typer.Argument(help="Penalty notice id (PN-000012 is 12).")],
    grounds: Annotated[
        str, typer.Option("--grounds", help=" | ".join(g.value for g in WithdrawalGround))
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in the record.")] = "",
    on: On = None,
    as_: As = None,
) -> None:
    """Withdraw a notice on statutory grounds: any payment refunded, proceedings barred."""
    engine = open_database(settings())

    def act() -> None:
        actor = as_ or "cli"
        withdraw_notice(
            engine,
            notice_id,
            grounds=grounds,
            reason=reason,
            actor=actor,
            on=_day(on),
            now=now(),
            policy=policy(),
        )
        print(f"{notice_reference(notice_id)} withdrawn ({grounds})")

    _run(act)


@notices_app.command("deadlines")
def deadlines_command(on: On = None) -> None:
    """Expire notices unpaid after their payment period (the deadlines run's legal step)."""
    engine = open_database(settings())
    written = run_notice_deadlines(engine, _day(on), policy=policy(), now=now())
    print(f"audit entries written: {written}")
