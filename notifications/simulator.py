"""Simulator recipients: reserved addresses with scripted delivery outcomes (Notify research mode).

Ofcom's drama range 07700 900000–900999 (+447700900xxx) and any address @simulator.invalid never
reach a person. The demo and the tests send to them through the real pipeline; the file outbox
and the loopback Twilio server then report the scripted outcome as a delivery receipt.

    +447700900000 – +447700900599   delivered
    +447700900600 – +447700900799   temporary_failure (phone off)
    +447700900800 – +447700900999   permanent_failure (number does not exist)
    temporary-failure…@simulator.invalid   temporary_failure
    permanent-failure…@simulator.invalid   permanent_failure
    anything else @simulator.invalid       delivered

`phonenumbers` calls the drama range invalid, so contact validation names these as an
exception (`is_simulator_address`) rather than weakening the check for everyone.
"""

from __future__ import annotations

from notifications.messages import MessageStatus

SMS_PREFIX = "+447700900"
EMAIL_DOMAIN = "simulator.invalid"

# (lowest last-three-digits, outcome), highest first: the first range a number reaches wins.
_SMS_RANGES: tuple[tuple[int, MessageStatus], ...] = (
    (800, MessageStatus.PERMANENT_FAILURE),
    (600, MessageStatus.TEMPORARY_FAILURE),
    (0, MessageStatus.DELIVERED),
)
_EMAIL_PREFIXES: tuple[tuple[str, MessageStatus], ...] = (
    ("permanent-failure", MessageStatus.PERMANENT_FAILURE),
    ("temporary-failure", MessageStatus.TEMPORARY_FAILURE),
)

# Twilio error codes the loopback server reports with each scripted failure.
TWILIO_ERROR_FOR: dict[MessageStatus, str] = {
    MessageStatus.TEMPORARY_FAILURE: "30003",  # unreachable destination handset
    MessageStatus.PERMANENT_FAILURE: "30005",  # unknown destination handset
}


def is_simulator_address(address: str) -> bool:
    """Whether `address` (E.164 or email) is a reserved simulator recipient."""
    if address.startswith(SMS_PREFIX):
        suffix = address[len(SMS_PREFIX) :]
        return len(suffix) == 3 and suffix.isdigit()
    return address.lower().endswith("@" + EMAIL_DOMAIN)


def scripted_outcome(address: str) -> MessageStatus | None:
    """The delivery outcome scripted for a simulator recipient, None for anyone else."""
    if not is_simulator_address(address):
        return None
    if address.startswith(SMS_PREFIX):
        number = int(address[len(SMS_PREFIX) :])
        return next(status for low, status in _SMS_RANGES if number >= low)
    local = address.lower().split("@", 1)[0]
    return next(
        (status for prefix, status in _EMAIL_PREFIXES if local.startswith(prefix)),
        MessageStatus.DELIVERED,
    )


def simulator_number(n: int, outcome: MessageStatus = MessageStatus.DELIVERED) -> str:
    """A simulator phone number with the given outcome; `n` picks one of its range."""
    bounds = {
        MessageStatus.DELIVERED: (0, 600),
        MessageStatus.TEMPORARY_FAILURE: (600, 800),
        MessageStatus.PERMANENT_FAILURE: (800, 1000),
    }[outcome]
    low, high = bounds
    return f"{SMS_PREFIX}{low + n % (high - low):03d}"
