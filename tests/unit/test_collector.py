"""The collector is held off while schools are swept and comes back as it was."""

from __future__ import annotations

import gc
import threading

from casework.service.sweeping.collector import collector_paused


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_error() -> None:
    try:
        with collector_paused():
            raise RuntimeError("a school's sweep failed")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_left_off_if_it_was_off_before() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_threads_side_by_side_share_it_until_the_last_leaves() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first has left; this one still holds it
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False, True]


def test_a_decorated_function_runs_with_it_paused_every_call() -> None:
    @collector_paused()
    def enabled() -> bool:
        return gc.isenabled()

    assert [enabled(), enabled()] == [False, False]
    assert gc.isenabled()
