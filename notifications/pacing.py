"""When to send: quiet hours for family texts, retry backoff, and an in-process rate limit.

The first three functions are pure (the clock is a parameter). `RateLimiter` takes its clock and
sleep as arguments so a test can drive it without waiting.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from casework.core.policy import MessagesSection
from casework.settings import Settings
from notifications.outbox import OutcomeKind, SendOutcome
from notifications.providers import PermanentSendError, RetryableSendError, SendError


def quiet_until(now: datetime, start: time, end: time, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet window `now` falls in (aware, UTC), or None outside it.

    The window runs from `start` to `end` local time and may cross midnight (21:00-08:00).
    """
    local = now.astimezone(tz)
    clock = local.time()
    crosses_midnight = start > end
    inside = (clock >= start or clock < end) if crosses_midnight else (start <= clock < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if crosses_midnight and clock >= start else local.date()
    # Built from the wall-clock date and time, so 08:00 stays 08:00 across a clock change.
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Delay before the next try after `attempts` tries: base, 2x, 4x ... capped at a day."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 86_400.0))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a message is tried (settings, and the policy's horizon).

    A retryable failure is tried again, backing off to at most `max_interval`, until the next
    try would fall after `horizon` from when the message was queued; `max_attempts` (0 = none)
    is an optional cap on top.
    """

    max_attempts: int = 0
    backoff_seconds: float = 60.0
    recheck_after_seconds: float = 600.0  # an uncertain send is checked with the provider after
    horizon: timedelta = timedelta(hours=72)
    max_interval: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(
        cls, settings: Settings, messages: MessagesSection | None = None
    ) -> RetryPolicy:
        section = messages or MessagesSection()
        return cls(
            max_attempts=settings.dispatch_max_attempts,
            backoff_seconds=settings.dispatch_backoff_seconds,
            recheck_after_seconds=settings.dispatch_stale_after_seconds,
            horizon=timedelta(hours=section.retry_horizon_hours),
            max_interval=timedelta(minutes=section.retry_max_interval_minutes),
        )

    def is_exhausted(self, attempts: int, retry_at: datetime, queued_at: datetime | None) -> bool:
        """Whether a message tried `attempts` times should stop rather than retry at `retry_at`."""
        if self.max_attempts and attempts >= self.max_attempts:
            return True
        return queued_at is not None and retry_at > queued_at + self.horizon


def outcome_for_error(
    error: SendError,
    provider: str,
    attempts: int,
    policy: RetryPolicy,
    now: datetime,
    queued_at: datetime | None = None,
) -> SendOutcome:
    """What a provider error means for a message queued at `queued_at` with `attempts` tries."""
    reason, code = error.reason, error.code
    if isinstance(error, PermanentSendError):
        return SendOutcome(OutcomeKind.PERMANENT, provider, reason=reason, code=code)
    if isinstance(error, RetryableSendError):
        retry_at = now + min(backoff(attempts, policy.backoff_seconds), policy.max_interval)
        if policy.is_exhausted(attempts, retry_at, queued_at):
            reason = f"{reason}; gave up after {attempts} attempts"
            return SendOutcome(OutcomeKind.TECHNICAL, provider, reason=reason, code=code)
        return SendOutcome(OutcomeKind.RETRY, provider, reason=reason, code=code, retry_at=retry_at)
    # Not before the request can no longer be in flight anywhere do we ask the provider.
    recheck_at = now + timedelta(seconds=policy.recheck_after_seconds)
    return SendOutcome(
        OutcomeKind.UNCERTAIN, provider, reason=reason, code=code, retry_at=recheck_at
    )


class RateLimiter:
    """At most `per_second` calls a second, evenly spaced, across threads (0 = no limit)."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = _time.monotonic,
        sleep: Callable[[float], None] = _time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.next_at: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's slot comes round."""
        if self.interval == 0.0:
            return
        with self._lock:
            now = self.clock()
            slot = now if self.next_at is None else max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            self.sleep(slot - now)
