"""Which failures the flows retry: transient database and provider errors only.

A retried sweep is safe because sweep_school is idempotent, a retried dispatch batch because each
message is claimed before it is sent; anything else (a bug, a refused message, a send that may
have gone out) must fail at once rather than spend retries. No server needed: Prefect calls these
functions with the failed state, and so do the tests.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy.exc as sa_exc

from notifications.providers import PermanentSendError, RetryableSendError, UncertainSendError
from tests.integration.orchestration_data import isolate_prefect_env


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The Prefect pieces, imported after the test session's PREFECT_HOME is set."""
    isolate_prefect_env(tmp_path_factory.getbasetemp())
    from prefect.client.schemas.objects import TaskRun
    from prefect.states import Completed, Failed

    from flows import daily_sweep, dispatch, retries

    return SimpleNamespace(
        run=TaskRun(task_key="sweep-school", dynamic_key="0"),
        Completed=Completed,
        failed=lambda exc: Failed(data=exc, message=repr(exc)),
        sweep_task=daily_sweep.sweep_school_task,
        dispatch_task=dispatch.dispatch_batch_task,
        db=retries.is_transient_db_error,
        send=retries.is_transient_send_error,
    )


def _locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", {}, Exception("database is locked"))


def _duplicate() -> sa_exc.IntegrityError:
    return sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))


class TestSweepRetries:
    def test_sweep_task_retries_when_the_database_is_briefly_unavailable(
        self, prefect: Any
    ) -> None:
        """A locked or dropped database connection is worth another try."""
        assert prefect.db(prefect.sweep_task, prefect.run, prefect.failed(_locked()))

    @pytest.mark.parametrize(
        "exc", [_duplicate(), ValueError("bad policy"), KeyError("urn")], ids=repr
    )
    def test_sweep_task_fails_at_once_when_the_error_is_not_transient(
        self, prefect: Any, exc: BaseException
    ) -> None:
        """A constraint violation or a bug fails now; retrying would only repeat it."""
        assert not prefect.db(prefect.sweep_task, prefect.run, prefect.failed(exc))

    def test_sweep_task_is_configured_with_the_condition(self, prefect: Any) -> None:
        """The sweep task carries retries and the database condition (not Prefect's default)."""
        assert prefect.sweep_task.retries > 0
        assert prefect.sweep_task.retry_condition_fn is prefect.db
        assert prefect.sweep_task.persist_result is False

    def test_condition_is_false_for_a_completed_state(self, prefect: Any) -> None:
        """Nothing to retry when nothing failed."""
        assert not prefect.db(prefect.sweep_task, prefect.run, prefect.Completed(data=[]))


class TestDispatchRetries:
    @pytest.mark.parametrize(
        "exc",
        [
            RetryableSendError("429", code="20429"),
            ConnectionRefusedError(),
            TimeoutError(),
            _locked(),
        ],
        ids=repr,
    )
    def test_dispatch_retries_when_the_provider_or_network_is_away(
        self, prefect: Any, exc: BaseException
    ) -> None:
        """The provider never took the message, so sending it later cannot duplicate it."""
        assert prefect.send(prefect.dispatch_task, prefect.run, prefect.failed(exc))

    @pytest.mark.parametrize(
        "exc",
        [
            UncertainSendError("read timeout"),
            PermanentSendError("invalid", code="21211"),
            ValueError("bug"),
        ],
        ids=repr,
    )
    def test_dispatch_fails_at_once_when_a_retry_could_duplicate_or_cannot_help(
        self, prefect: Any, exc: BaseException
    ) -> None:
        """A send that may have been accepted is reconciled, never retried blindly."""
        assert not prefect.send(prefect.dispatch_task, prefect.run, prefect.failed(exc))

    def test_dispatch_task_is_configured_with_the_condition(self, prefect: Any) -> None:
        """The dispatch task retries only through the provider/network condition."""
        assert prefect.dispatch_task.retries > 0
        assert prefect.dispatch_task.retry_condition_fn is prefect.send
