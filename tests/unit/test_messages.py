"""Message statuses, their labels, the provider maps and the simulator's scripted recipients."""

from __future__ import annotations

import pytest

from casework.core.lifecycle import IllegalTransition
from notifications.messages import (
    FINAL_STATUSES,
    TRANSITIONS,
    MessageStatus,
    check_move,
    formatted_status,
)
from notifications.providers import PermanentSendError, RetryableSendError, SendError
from notifications.simulator import is_simulator_address, scripted_outcome, simulator_number
from notifications.sms_twilio import (
    ERROR_CODE_MAP,
    SEND_ERROR_MAP,
    STATUS_MAP,
    classify_rest_error,
    status_for,
)

S = MessageStatus


class TestTransitions:
    def test_every_status_has_a_row_and_final_ones_go_nowhere(self) -> None:
        """The table covers every status; delivered and the failures are final."""
        assert set(TRANSITIONS) == set(MessageStatus)
        assert {
            S.DELIVERED,
            S.TEMPORARY_FAILURE,
            S.PERMANENT_FAILURE,
            S.TECHNICAL_FAILURE,
            S.CANCELLED,
        } == FINAL_STATUSES

    @pytest.mark.parametrize(
        ("current", "new"),
        [
            (S.DELIVERED, S.SENT),  # a late `sent` receipt
            (S.SENT, S.SENDING),
            (S.SENT, S.QUEUED),  # an accepted text is never queued again
            (S.QUEUED, S.SENT),  # nothing is sent without being claimed
            (S.CANCELLED, S.QUEUED),
            (S.TEMPORARY_FAILURE, S.DELIVERED),  # final once the timeout has spoken
        ],
    )
    def test_backward_and_skipping_moves_are_refused(
        self, current: MessageStatus, new: MessageStatus
    ) -> None:
        """Receipts and sweepers only move a row forward."""
        with pytest.raises(IllegalTransition):
            check_move(current, new)

    @pytest.mark.parametrize(
        ("current", "new"),
        [
            (S.SENDING, S.DELIVERED),  # a receipt overtook the dispatcher's own record
            (S.UNKNOWN, S.SENT),  # reconciliation found it with the provider
            (S.UNKNOWN, S.QUEUED),  # reconciliation proved the provider never had it
            (S.SENDING, S.QUEUED),  # retryable error
        ],
    )
    def test_crash_window_moves_are_allowed(
        self, current: MessageStatus, new: MessageStatus
    ) -> None:
        """The moves that settle the crash window are in the table."""
        assert check_move(current, new) is new


class TestFormattedStatus:
    @pytest.mark.parametrize(
        ("channel", "status", "label"),
        [
            ("sms", "temporary_failure", "Phone not accepting messages right now"),
            ("email", "permanent_failure", "Email address does not exist"),
            ("letter", "sent", "Printed, ready to post"),
            ("sms", "delivered", "Delivered"),
            ("email", "unknown", "Checking whether it was sent"),
            ("sms", "made_up", "made_up"),
        ],
    )
    def test_labels_are_plain_english_per_channel(
        self, channel: str, status: str, label: str
    ) -> None:
        """The UI never shows a raw enum value."""
        assert formatted_status(channel, status) == label

    def test_every_status_has_a_label_on_every_channel(self) -> None:
        """No label falls back to the raw value for a real status."""
        for channel in ("sms", "email", "letter"):
            for status in MessageStatus:
                assert "_" not in formatted_status(channel, status)


class TestTwilioMaps:
    @pytest.mark.parametrize(
        ("status", "code", "expected"),
        [
            ("queued", None, None),
            ("sending", None, None),
            ("sent", None, S.SENT),
            ("delivered", None, S.DELIVERED),
            ("undelivered", "30003", S.TEMPORARY_FAILURE),
            ("undelivered", "30005", S.PERMANENT_FAILURE),
            ("undelivered", None, S.PERMANENT_FAILURE),
            ("failed", None, S.TECHNICAL_FAILURE),
            ("failed", "30008", S.TEMPORARY_FAILURE),
            ("delivered", "30005", S.DELIVERED),  # a code never turns delivery into failure
        ],
    )
    def test_status_callbacks_map_to_our_statuses(
        self, status: str, code: str | None, expected: MessageStatus | None
    ) -> None:
        """Twilio's status, refined by its ErrorCode (Notify's twilio_response_map)."""
        assert status_for(status, code) == expected

    def test_maps_only_name_real_statuses(self) -> None:
        """Every mapped value is one of ours; every error code is a Twilio 30xxx/21xxx code."""
        assert {v for v in STATUS_MAP.values() if v is not None} <= set(MessageStatus)
        assert all(code.isdigit() and len(code) == 5 for code in ERROR_CODE_MAP)
        assert set(SEND_ERROR_MAP.values()) <= {RetryableSendError, PermanentSendError}

    @pytest.mark.parametrize(
        ("status", "code", "error"),
        [
            (400, 21211, PermanentSendError),
            (400, 21610, PermanentSendError),
            (400, 99999, PermanentSendError),  # unknown 4xx: the request itself is wrong
            (401, 20003, RetryableSendError),
            (429, 20429, RetryableSendError),
            (503, None, RetryableSendError),
        ],
    )
    def test_rest_errors_classify(
        self, status: int, code: int | None, error: type[SendError]
    ) -> None:
        """The send-error tree for answers to POST Messages."""
        from twilio.base.exceptions import TwilioRestException

        classified = classify_rest_error(TwilioRestException(status, "/x", "m", code, "POST"))
        assert type(classified) is error


class TestSimulator:
    @pytest.mark.parametrize(
        ("address", "outcome"),
        [
            ("+447700900000", S.DELIVERED),
            ("+447700900599", S.DELIVERED),
            ("+447700900600", S.TEMPORARY_FAILURE),
            ("+447700900799", S.TEMPORARY_FAILURE),
            ("+447700900800", S.PERMANENT_FAILURE),
            ("+447700900999", S.PERMANENT_FAILURE),
            ("anyone@simulator.invalid", S.DELIVERED),
            ("temporary-failure@simulator.invalid", S.TEMPORARY_FAILURE),
            ("Permanent-Failure+7@Simulator.Invalid", S.PERMANENT_FAILURE),
            ("+447400123456", None),  # a real-looking mobile is no simulator
            ("+4477009001234", None),
            ("parent@example.org", None),
        ],
    )
    def test_reserved_recipients_script_their_outcome(
        self, address: str, outcome: MessageStatus | None
    ) -> None:
        """Number ranges and local parts pick delivered, temporary or permanent failure."""
        assert scripted_outcome(address) == outcome
        assert is_simulator_address(address) is (outcome is not None)

    def test_simulator_number_stays_inside_its_outcome_range(self) -> None:
        """`simulator_number(n, outcome)` always scripts `outcome`."""
        for outcome in (S.DELIVERED, S.TEMPORARY_FAILURE, S.PERMANENT_FAILURE):
            assert {scripted_outcome(simulator_number(n, outcome)) for n in range(1200)} == {
                outcome
            }
