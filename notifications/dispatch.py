"""Dispatch: send what the outbox has due, one claimed chunk at a time, outside any transaction.

A run first settles what a crashed run left in flight (notifications/recovery.py: stale rows,
texts asked of the provider's ledger, docs/decisions/0002), holds family texts during quiet
hours, then claims due messages in chunks of `CHUNK` (the next chunk while this one is sent) and
sends each chunk on `dispatch_concurrency` worker threads, each with its own providers (so each
keeps one SMTP connection for the whole run) behind a shared rate limiter. Workers write to the
database only to mark an email handed to the relay; the main thread commits outcomes
`RECORD_EVERY` at a time. Letters are rendered to PDF and handed to the school office instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from casework.core.ladder.proposals import Channel, RecipientRole
from casework.core.policy import load_policy
from casework.db.session import unit_of_work
from casework.db.tables import Message
from casework.settings import Settings
from notifications.bounces import NOT_SENT, bounced
from notifications.email_smtp import SmtpEmail
from notifications.file_outbox import FileOutbox
from notifications.outbox import (
    OutcomeKind,
    SendOutcome,
    claim_due,
    hold_family_sms,
    load_messages,
    mark_handed,
    record_results,
    release_claimed,
)
from notifications.pacing import RateLimiter, RetryPolicy, outcome_for_error, quiet_until
from notifications.postroom import post_letter
from notifications.providers import (
    EmailProvider,
    OutgoingEmail,
    OutgoingSms,
    SendError,
    SmsLedger,
    SmsProvider,
)
from notifications.recovery import Recovery, settle_in_flight
from notifications.sms_twilio import TwilioSms

log = logging.getLogger(__name__)
CHUNK = 100  # claimed at once: a crash strands at most two chunks in `sending` (one claimed ahead)
RECORD_EVERY = 25  # outcomes committed together


@dataclass(frozen=True)
class DispatchStats:
    """What one dispatch run did, as counts (nothing personal: Prefect may persist it)."""

    claimed: int
    sent: int
    retried: int
    failed: int
    letters: int
    unknown: int = 0  # sends whose fate the provider did not tell us (reconciled later)
    held: int = 0  # family texts claimed in quiet hours and put back
    reconciled: int = 0  # unknown texts settled by asking the provider
    recovery: Recovery = field(default_factory=Recovery)  # what a crashed run left, settled


@dataclass
class _Tally:
    claimed: int = 0
    letters: int = 0
    held: int = 0
    recovery: Recovery = field(default_factory=Recovery)
    outcomes: dict[OutcomeKind, int] = field(default_factory=dict)

    def count(self, kind: OutcomeKind) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1

    def stats(self) -> DispatchStats:
        got = self.outcomes.get
        return DispatchStats(
            claimed=self.claimed,
            sent=got(OutcomeKind.SENT, 0),
            retried=got(OutcomeKind.RETRY, 0),
            failed=got(OutcomeKind.PERMANENT, 0) + got(OutcomeKind.TECHNICAL, 0),
            letters=self.letters,
            unknown=got(OutcomeKind.UNCERTAIN, 0),
            held=self.held,
            reconciled=self.recovery.reconciled,
            recovery=self.recovery,
        )


@dataclass
class Providers:
    """The providers one run uses; `ledger` answers the reconciliation check for texts.

    `sms_rate` and `email_rate` are messages a second (0 = unlimited): the limit protects a
    remote provider, so the file outbox runs unlimited.
    """

    sms: SmsProvider
    email: EmailProvider
    ledger: SmsLedger | None
    sms_rate: float = 0.0
    email_rate: float = 0.0


def build_providers(settings: Settings) -> Providers:
    """Providers chosen by settings: Twilio or the file outbox, SMTP or the file outbox."""
    files = FileOutbox(settings.outbox_dir, settings.smtp_from)
    rate = settings.dispatch_rate_per_second
    providers = Providers(sms=files, email=files, ledger=files)
    if settings.sms_provider == "twilio":
        twilio = TwilioSms(settings)
        providers.sms, providers.ledger, providers.sms_rate = twilio, twilio, rate
    if settings.email_provider == "smtp":
        providers.email, providers.email_rate = SmtpEmail(settings), rate
    return providers


class _ProviderPool:
    """One set of providers per worker thread (so one SMTP connection each), closed together."""

    def __init__(self, factory: Callable[[], Providers]) -> None:
        self.factory = factory
        self.local = threading.local()
        self.made: list[Providers] = []
        self.lock = threading.Lock()

    def get(self) -> Providers:
        providers: Providers | None = getattr(self.local, "providers", None)
        if providers is None:
            providers = self.local.providers = self.factory()
            with self.lock:
                self.made.append(providers)
        return providers

    def close(self) -> None:
        for providers in self.made:
            providers.email.close()


def _is_family_sms(message: Message) -> bool:
    return message.channel == Channel.SMS and message.recipient_role == RecipientRole.PARENT


def _send(
    providers: Providers, message: Message, policy: RetryPolicy, now: datetime
) -> SendOutcome:
    message_id = message.id or 0
    provider: SmsProvider | EmailProvider
    try:
        if message.channel == Channel.SMS:
            provider = providers.sms
            receipt = provider.send(OutgoingSms(message_id, message.normalised_to, message.body))
        else:
            provider = providers.email
            email = OutgoingEmail(
                message_id, message.normalised_to, message.subject, message.body, message.body_html
            )
            receipt = provider.send(email)
    except SendError as error:
        log.info("send failed: %s", error.reason, extra={"message_id": message_id})
        return outcome_for_error(
            error, provider.name, message.attempts, policy, now, message.created_at
        )
    return SendOutcome(
        OutcomeKind.SENT, receipt.provider, reference=receipt.reference, settled=receipt.settled
    )


@dataclass
class _Run:
    engine: Engine
    settings: Settings
    now: datetime
    pool: _ProviderPool
    executor: ThreadPoolExecutor
    pacers: dict[str, RateLimiter]
    quiet_end: datetime | None
    policy: RetryPolicy
    recover_after: timedelta
    tally: _Tally = field(default_factory=_Tally)

    def send_one(self, message: Message) -> tuple[int, SendOutcome]:
        """On a worker thread: wait for the rate limit, call the provider. No database here."""
        self.pacers[message.channel].wait()
        if message.channel == Channel.EMAIL:
            # SMTP has no ledger to ask after a crash: say first that the relay may get it.
            mark_handed(self.engine, message.id or 0, self.now)
        return message.id or 0, _send(self.pool.get(), message, self.policy, self.now)

    def record(self, results: list[tuple[int, SendOutcome]]) -> None:
        record_results(self.engine, results, self.now)
        for _, outcome in results:
            self.tally.count(outcome.kind)
        results.clear()

    def skip_bounced(self, sends: list[Message]) -> list[Message]:
        """Fail, without sending, the messages to an address that already failed permanently."""
        blocked = bounced(self.engine, (m.normalised_to for m in sends))
        if not blocked:
            return sends
        skipped = [
            (m.id or 0, SendOutcome(OutcomeKind.PERMANENT, "pathway", reason=NOT_SENT))
            for m in sends
            if m.normalised_to in blocked
        ]
        self.record(skipped)
        return [m for m in sends if m.normalised_to not in blocked]

    def handle_chunk(self, messages: list[Message]) -> None:
        held = [m.id or 0 for m in messages if self.quiet_end and _is_family_sms(m)]
        if held and self.quiet_end is not None:
            self.tally.held += release_claimed(self.engine, held, self.quiet_end)
        for letter in (m for m in messages if m.channel == Channel.LETTER):
            self.tally.letters += post_letter(self.engine, self.settings, letter, self.now)
        sends = [m for m in messages if m.channel != Channel.LETTER and (m.id or 0) not in held]
        sends = self.skip_bounced(sends)
        futures = [self.executor.submit(self.send_one, m) for m in sends]
        results: list[tuple[int, SendOutcome]] = []
        for future in as_completed(futures):
            results.append(future.result())
            # Committed in small batches: a crash strands at most these, settled later by
            # reconciliation (docs/decisions/0002).
            if len(results) >= RECORD_EVERY:
                self.record(results)
        self.record(results)


def _claimed_messages(engine: Engine, ids: list[int]) -> list[Message]:
    with unit_of_work(engine) as session:
        return load_messages(session, ids)


def chunk_size(rates: list[float], stale_after_seconds: float) -> int:
    """How many to claim at once, so that a rate-limited chunk ends well inside the stale window."""
    # Otherwise `requeue_stale` would take rows this run still means to send for crashed ones.
    limited = [rate for rate in rates if rate > 0]
    if not limited:
        return CHUNK
    return max(1, min(CHUNK, int(min(limited) * stale_after_seconds / 4)))


# Texts and emails are claimed before letters: a first-day text is for this morning, while a
# letter catches the same post whichever minute it is rendered (a letter takes ~0.2 s to render,
# and claimed in id order the morning's letters held the texts behind them).
SENDS = (Channel.SMS.value, Channel.EMAIL.value)
LETTERS = (Channel.LETTER.value,)


def _run(run: _Run, limit: int, channels: Sequence[str] | None) -> DispatchStats:
    main = run.pool.get()
    ledger = None if main.ledger is None else (main.ledger, main.sms.name)
    run.tally.recovery = settle_in_flight(
        run.engine, ledger, run.now, run.recover_after, run.policy.horizon
    )
    if run.quiet_end is not None:
        hold_family_sms(run.engine, run.now, run.quiet_end)
    rates = [main.sms_rate, main.email_rate]
    chunk = chunk_size(rates, run.settings.dispatch_stale_after_seconds)
    with ThreadPoolExecutor(1, "claim-ahead") as ahead:
        for group in (SENDS, LETTERS):
            wanted = [c for c in group if channels is None or c in channels]
            if wanted:
                _claim_and_handle(run, ahead, limit, chunk, wanted)
    return run.tally.stats()


def _claim_and_handle(
    run: _Run, ahead: ThreadPoolExecutor, limit: int, chunk: int, wanted: list[str]
) -> None:
    """Claim a chunk, then claim the next while this one is sent: a claim commits, and beside a
    sweep's writes that commit took 0.1-0.6 s, time the rate-limited texts otherwise lost."""

    def claim() -> Future[list[int]] | None:
        room = min(chunk, limit - run.tally.claimed)
        return ahead.submit(claim_due, run.engine, run.now, room, wanted) if room > 0 else None

    pending, begun_after_last_chunk = claim(), True
    while pending is not None:
        ids = pending.result()
        if not ids:
            if begun_after_last_chunk:
                return
            # The chunk it overlapped may have queued more (a text's fallback email): look again.
            pending, begun_after_last_chunk = claim(), True
            continue
        run.tally.claimed += len(ids)
        messages = _claimed_messages(run.engine, ids)
        pending, begun_after_last_chunk = claim(), False
        run.handle_chunk(messages)


def run_dispatch(
    engine: Engine,
    settings: Settings,
    now: datetime,
    limit: int = 500,
    providers: Callable[[Settings], Providers] = build_providers,
    recover_after: timedelta | None = None,
    channels: Sequence[str] | None = None,
) -> DispatchStats:
    """One dispatch run; `providers` builds one set of providers per worker thread.

    It first settles rows left in `sending` for longer than `recover_after` (default: the
    `dispatch_stale_after_seconds` setting) by a run that crashed; then sends texts and emails,
    then renders letters (only those of `channels` when given).
    """
    pool = _ProviderPool(lambda: providers(settings))
    first = pool.get()
    pacers = {
        Channel.SMS.value: RateLimiter(first.sms_rate),
        Channel.EMAIL.value: RateLimiter(first.email_rate),
    }
    quiet_end = quiet_until(now, settings.sms_quiet_start, settings.sms_quiet_end, settings.tz)
    policy = RetryPolicy.from_settings(settings, load_policy(settings.policy_file).messages)
    stale = recover_after or timedelta(seconds=settings.dispatch_stale_after_seconds)
    try:
        with ThreadPoolExecutor(max(settings.dispatch_concurrency, 1), "dispatch") as executor:
            run = _Run(engine, settings, now, pool, executor, pacers, quiet_end, policy, stale)
            return _run(run, limit, channels)
    finally:
        pool.close()


def dispatch_due(
    engine: Engine,
    settings: Settings,
    now: datetime,
    limit: int = 500,
    recover_after: timedelta | None = None,
    channels: Sequence[str] | None = None,
) -> DispatchStats:
    """Settle a crashed run's leftovers, then send up to `limit` due messages (of `channels`)."""
    stats = run_dispatch(
        engine, settings, now, limit, recover_after=recover_after, channels=channels
    )
    log.info("dispatch run: %s", stats)
    return stats
