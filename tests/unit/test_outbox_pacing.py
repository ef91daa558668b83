"""When dispatch sends: quiet hours, backoff, the retry policy and the rate limiter (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.dispatch import chunk_size
from notifications.email_smtp import classify_smtp_error
from notifications.outbox import OutcomeKind
from notifications.pacing import RateLimiter, RetryPolicy, backoff, outcome_for_error, quiet_until
from notifications.providers import (
    PermanentSendError,
    RetryableSendError,
    UncertainSendError,
)

LONDON = ZoneInfo("Europe/London")
NINE_PM, EIGHT_AM = time(21, 0), time(8, 0)


def _london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


class TestQuietHours:
    @pytest.mark.parametrize(
        ("now", "until"),
        [
            ("2025-09-08 20:59", None),  # Mon, before the window
            ("2025-09-08 21:00", "2025-09-09 08:00"),
            ("2025-09-08 23:30", "2025-09-09 08:00"),
            ("2025-09-09 00:10", "2025-09-09 08:00"),
            ("2025-09-09 07:59", "2025-09-09 08:00"),
            ("2025-09-09 08:00", None),
            ("2025-10-25 22:00", "2025-10-26 08:00"),  # Sat night the clocks go back: 08:00 GMT
            ("2025-03-29 23:00", "2025-03-30 08:00"),  # clocks go forward: 08:00 BST
        ],
    )
    def test_family_texts_wait_until_eight_london_time(self, now: str, until: str | None) -> None:
        """21:00-08:00 Europe/London, across midnight and both clock changes."""
        expected = _london(until).astimezone(UTC) if until else None
        assert quiet_until(_london(now).astimezone(UTC), NINE_PM, EIGHT_AM, LONDON) == expected

    def test_a_window_inside_one_day_also_works(self) -> None:
        """A policy of 12:00-13:00 holds texts over lunch and ends at 13:00."""
        lunch = _london("2025-09-08 12:30").astimezone(UTC)
        assert quiet_until(lunch, time(12), time(13), LONDON) == _london("2025-09-08 13:00")
        assert quiet_until(lunch, time(13), time(14), LONDON) is None


class TestRetryPolicy:
    NOW = datetime(2025, 9, 8, 9, 0, tzinfo=UTC)
    POLICY = RetryPolicy(max_attempts=4, backoff_seconds=30, recheck_after_seconds=600)

    def test_backoff_doubles_and_is_capped_at_a_day(self) -> None:
        """30 s, 60 s, 120 s ... never more than 24 h."""
        assert [backoff(n, 30).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
        assert backoff(40, 30) == timedelta(days=1)

    def test_retryable_errors_back_off_until_attempts_run_out(self) -> None:
        """Attempts 1-3 retry later; the fourth is a technical failure."""
        error = RetryableSendError("HTTP 503")
        third = outcome_for_error(error, "twilio", 3, self.POLICY, self.NOW)
        assert (third.kind, third.retry_at) == (
            OutcomeKind.RETRY,
            self.NOW + timedelta(seconds=120),
        )
        fourth = outcome_for_error(error, "twilio", 4, self.POLICY, self.NOW)
        assert fourth.kind is OutcomeKind.TECHNICAL

    def test_retries_go_on_hourly_until_the_horizon_when_attempts_are_uncapped(self) -> None:
        """No cap: the 12th try backs off one hour; a try past 72 h from queueing gives up."""
        policy = RetryPolicy(backoff_seconds=60)
        error = RetryableSendError("HTTP 503")
        twelfth = outcome_for_error(error, "twilio", 12, policy, self.NOW, queued_at=self.NOW)
        assert (twelfth.kind, twelfth.retry_at) == (
            OutcomeKind.RETRY,
            self.NOW + timedelta(hours=1),
        )
        late = self.NOW + timedelta(hours=71, minutes=30)
        last = outcome_for_error(error, "twilio", 80, policy, late, queued_at=self.NOW)
        assert last.kind is OutcomeKind.TECHNICAL
        assert last.reason == "HTTP 503; gave up after 80 attempts"

    def test_permanent_errors_never_retry_and_uncertain_ones_are_rechecked(self) -> None:
        """Permanent keeps the provider's code; uncertain is checked with the provider later."""
        permanent = outcome_for_error(
            PermanentSendError("bad", "21211"), "twilio", 1, self.POLICY, self.NOW
        )
        assert (permanent.kind, permanent.code) == (OutcomeKind.PERMANENT, "21211")
        uncertain = outcome_for_error(
            UncertainSendError("timeout"), "twilio", 1, self.POLICY, self.NOW
        )
        assert (uncertain.kind, uncertain.retry_at) == (
            OutcomeKind.UNCERTAIN,
            self.NOW + timedelta(minutes=10),
        )


class TestRateLimiter:
    def test_calls_are_spaced_to_the_rate(self) -> None:
        """Ten calls at 5/s on a fake clock: spaced 0.2 s apart, 1.8 s of sleeping in all."""
        clock = [0.0]
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            clock[0] += seconds

        limiter = RateLimiter(5, clock=lambda: clock[0], sleep=sleep)
        starts = []
        for _ in range(10):
            limiter.wait()
            starts.append(round(clock[0], 6))
        assert starts == [round(0.2 * i, 6) for i in range(10)]
        assert sum(slept) == pytest.approx(1.8)

    def test_no_limit_never_sleeps(self) -> None:
        """Rate 0 means unlimited."""
        limiter = RateLimiter(0, clock=lambda: 0.0, sleep=lambda s: pytest.fail("slept"))
        for _ in range(5):
            limiter.wait()


class TestSmtpErrors:
    def test_smtp_codes_follow_rfc_5321(self) -> None:
        """5xx on a recipient is permanent, 4xx retryable, a dropped connection uncertain."""
        import aiosmtplib

        refused = aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@y")]
        )
        busy = aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(452, "mailbox full", "x@y")]
        )
        assert type(classify_smtp_error(refused)) is PermanentSendError
        assert type(classify_smtp_error(busy)) is RetryableSendError
        assert (
            type(classify_smtp_error(aiosmtplib.SMTPDataError(451, "later"))) is RetryableSendError
        )
        assert (
            type(classify_smtp_error(aiosmtplib.SMTPDataError(554, "rejected")))
            is PermanentSendError
        )
        dropped = aiosmtplib.SMTPServerDisconnected("gone")
        assert type(classify_smtp_error(dropped)) is UncertainSendError


class TestChunkSize:
    def test_a_slow_rate_claims_less_than_the_stale_window_can_send(self) -> None:
        """At 0.1/s a claimed row must not wait 600 s and be taken for a crashed one."""
        assert chunk_size([0.1, 0.0], 600) == 15
        assert chunk_size([50.0, 50.0], 600) == 100  # the usual case: a full chunk
        assert chunk_size([0.0, 0.0], 600) == 100  # unlimited
        assert chunk_size([0.001], 600) == 1
