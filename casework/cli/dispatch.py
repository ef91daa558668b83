"""`pathway dispatch`: settle what a crashed run left in flight, send what is due, print counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from casework.cli.app import app, now, settings
from casework.db.database import open_database

MAX_BATCHES = 1000  # bounded: a queue that keeps refilling cannot keep one run alive forever
BATCH = 500


def _when(value: str | None) -> datetime:
    if value is None:
        return now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO date-time", param_hint="--now") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _print(totals: Counter[str]) -> None:
    print(
        "recovered from a crashed run: "
        f"{totals['requeued']} queued again (never left), "
        f"{totals['to_check']} to check with the provider, "
        f"{totals['found']} found at the provider (recorded sent, not resent), "
        f"{totals['not_found']} not at the provider (queued again), "
        f"{totals['timed_out']} timed out"
    )
    print(
        f"sent: {totals['sent']}, retry later: {totals['retried']}, "
        f"failed: {totals['failed']}, letters: {totals['letters']}, "
        f"unknown: {totals['unknown']}, held for quiet hours: {totals['held']}"
    )


@app.command("dispatch")
def dispatch(
    recover_after: Annotated[
        float | None,
        typer.Option(
            "--recover-after",
            min=0,
            help="Seconds in `sending` after which a message counts as left by a crashed run "
            "(default: PATHWAY_DISPATCH_STALE_AFTER_SECONDS).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--now", help="Run as if it were this ISO date-time (replays, soak tests)."),
    ] = None,
) -> None:
    """Send every due outbox message, after settling what a crashed run left in flight."""
    from notifications.dispatch import dispatch_due  # providers import twilio: only when used

    engine = open_database(settings())
    when = _when(at)
    stale = None if recover_after is None else timedelta(seconds=recover_after)
    totals: Counter[str] = Counter()
    for _ in range(MAX_BATCHES):
        stats = dispatch_due(engine, settings(), when, limit=BATCH, recover_after=stale)
        recovery = stats.recovery
        totals.update(
            requeued=recovery.requeued,
            to_check=recovery.to_check,
            found=recovery.found,
            not_found=recovery.not_found,
            timed_out=recovery.timed_out,
            sent=stats.sent,
            retried=stats.retried,
            failed=stats.failed,
            letters=stats.letters,
            unknown=stats.unknown,
            held=stats.held,
        )
        if stats.claimed - stats.held + stats.letters == 0:
            break
    _print(totals)
