"""Retry conditions for tasks: retry what may pass on its own, fail fast on everything else.

Prefect calls a `retry_condition_fn` with the failed task run's state; returning False ends the
run as Failed without spending its retries. Retrying a sweep task is safe only because
`sweep_school` is idempotent, and retrying a dispatch batch only because each message is claimed
(and committed as `sending`) before its provider is called.
"""

from __future__ import annotations

from typing import Any

from prefect import Task
from prefect.client.schemas.objects import State, TaskRun
from sqlalchemy.exc import OperationalError

from notifications.providers import RetryableSendError

# Connection refused or reset, and timeouts, before any answer: the provider never took the message.
# Not UncertainSendError: a request that may have been accepted is reconciled, never re-sent.
_TRANSIENT_SEND_ERRORS = (RetryableSendError, ConnectionError, TimeoutError, OperationalError)


def _failure_of(state: State[Any]) -> BaseException | None:
    outcome = state.result(raise_on_failure=False)
    return outcome if isinstance(outcome, BaseException) else None


def is_transient_db_error(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """True for a database that was briefly unreachable, locked or failed over."""
    return isinstance(_failure_of(state), OperationalError)


def is_transient_send_error(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """True for provider and network errors that trying again later may cure."""
    return isinstance(_failure_of(state), _TRANSIENT_SEND_ERRORS)
