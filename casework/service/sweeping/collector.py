"""Python's cyclic garbage collector held off while a school is swept.

A sweep builds hundreds of thousands of short-lived objects (rows, marks, views), and each
allocation burst set off collections that walked every live object, the process's imported
modules included: at 10,000 pupils a quarter of the sweep's CPU time. Reference counting still
frees what a sweep drops; cycles wait until the collector runs again after the school.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Automatic collection off for the block; back as it was when the last holder leaves
    (schools swept on threads side by side share the one collector)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
