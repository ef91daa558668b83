"""Message statuses, the forward-only transition table, and their plain-English labels.

The lifecycle is Notify's, minus billing (STYLE.md "Notifications"):

    queued ──claim──▶ sending ──accepted──▶ sent ──receipt──▶ delivered | temporary_failure |
       │                 │                                    permanent_failure | technical_failure
       │                 ├─retryable──▶ queued (backoff) … max attempts ──▶ technical_failure
       │                 ├─permanent──▶ permanent_failure (a family is then tried by email/letter)
       │                 └─no answer / crash──▶ unknown ──reconciled──▶ sent | queued
       └─case closed──▶ cancelled

`unknown` is the crash window (docs/decisions/0002): the provider may or may not have the
message. Only a receipt or a reconciliation check moves it on, never a blind resend. A receipt
may also overtake the dispatcher's own record, so `sending` and `unknown` accept receipt outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from casework.core.lifecycle import IllegalTransition


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"
    TECHNICAL_FAILURE = "technical_failure"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


S = MessageStatus
# What a receipt can report; Twilio's "failed" (never left Twilio) is a technical failure.
_RECEIPT_OUTCOMES = frozenset(
    {S.DELIVERED, S.TEMPORARY_FAILURE, S.PERMANENT_FAILURE, S.TECHNICAL_FAILURE}
)

TRANSITIONS: Mapping[MessageStatus, frozenset[MessageStatus]] = MappingProxyType(
    {
        S.QUEUED: frozenset({S.SENDING, S.CANCELLED}),
        # A receipt can overtake the dispatcher's own record of acceptance, hence the outcomes.
        S.SENDING: frozenset({S.SENT, S.QUEUED, S.UNKNOWN} | _RECEIPT_OUTCOMES),
        S.SENT: _RECEIPT_OUTCOMES,
        # Back to queued only when reconciliation has shown the provider never had it.
        S.UNKNOWN: frozenset({S.SENT, S.QUEUED} | _RECEIPT_OUTCOMES),
        S.DELIVERED: frozenset(),
        # Final: Notify's timeout makes it so, and Twilio's "undelivered" is final too.
        S.TEMPORARY_FAILURE: frozenset(),
        S.PERMANENT_FAILURE: frozenset(),
        S.TECHNICAL_FAILURE: frozenset(),
        S.CANCELLED: frozenset(),
    }
)

FINAL_STATUSES: frozenset[MessageStatus] = frozenset(s for s, to in TRANSITIONS.items() if not to)
FAILURE_STATUSES: frozenset[MessageStatus] = frozenset(
    {S.TEMPORARY_FAILURE, S.PERMANENT_FAILURE, S.TECHNICAL_FAILURE}
)


def can_move(current: str, new: str) -> bool:
    """Whether a message in `current` may move to `new`."""
    return MessageStatus(new) in TRANSITIONS[MessageStatus(current)]


def check_move(current: str, new: str) -> MessageStatus:
    """The new status, or IllegalTransition if the table forbids the move."""
    if not can_move(current, new):
        raise IllegalTransition(f"message status {current} -> {new} is not allowed")
    return MessageStatus(new)


_COMMON: Mapping[MessageStatus, str] = {
    S.QUEUED: "Waiting to send",
    S.SENDING: "Sending",
    S.SENT: "Sent",
    S.DELIVERED: "Delivered",
    S.TECHNICAL_FAILURE: "Not sent: technical problem",
    S.CANCELLED: "Cancelled before sending",
    S.UNKNOWN: "Checking whether it was sent",
}

_BY_CHANNEL: Mapping[str, Mapping[MessageStatus, str]] = {
    "sms": {
        S.SENT: "Sent to the phone network",
        S.TEMPORARY_FAILURE: "Phone not accepting messages right now",
        S.PERMANENT_FAILURE: "Phone number does not exist or cannot receive texts",
    },
    "email": {
        S.SENT: "Sent to the mail server",
        S.TEMPORARY_FAILURE: "Inbox not accepting messages right now",
        S.PERMANENT_FAILURE: "Email address does not exist",
    },
    "letter": {
        S.QUEUED: "Waiting to be printed",
        S.SENDING: "Being printed",
        S.SENT: "Printed, ready to post",
        S.DELIVERED: "Posted",
        S.TEMPORARY_FAILURE: "Not posted yet",
        S.PERMANENT_FAILURE: "Returned: address not known",
    },
}


def formatted_status(channel: str, status: str) -> str:
    """Plain English for the UI (Notify's formatted_status); unknown inputs are shown as-is."""
    try:
        key = MessageStatus(status)
    except ValueError:
        return status
    label = _BY_CHANNEL.get(channel, {}).get(key) or _COMMON.get(key)
    return label or key.value.replace("_", " ").capitalize()
