"""Running `pathway` commands as child processes and SIGKILLing them at a random point.

A kill fires when the soak's trigger says so (for instance: the child has just committed
something, or the loopback Twilio server has just taken a text) or at a random deadline,
whichever is first, after a further random few milliseconds. Only a kill that finds the child
still running counts as landed. Everything is bounded: no loop here waits for ever.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

PATHWAY = str(Path(sys.executable).with_name("pathway"))
ROOT = Path(__file__).resolve().parents[1]


class SoakError(RuntimeError):
    """A step the soak relies on failed outright (not a fault it injected)."""


def run_to_end(args: list[str], env: Mapping[str, str], timeout: float = 600) -> str:
    """Run `pathway ARGS` to completion; its stdout (SoakError if it failed)."""
    done = subprocess.run(
        [PATHWAY, *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise SoakError(f"pathway {' '.join(args)} failed: {done.stderr[-1500:]}")
    return done.stdout


def run_and_kill(
    args: list[str],
    env: Mapping[str, str],
    fire: Callable[[], bool],
    deadline_seconds: float,
    rng: random.Random,
) -> bool:
    """Start `pathway ARGS`, SIGKILL it when `fire()` or the deadline says; True if it landed."""
    child = subprocess.Popen(
        [PATHWAY, *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the kill reaches any process it started
    )
    started = time.monotonic()
    while child.poll() is None:
        if fire() or time.monotonic() - started > deadline_seconds:
            time.sleep(rng.uniform(0, 0.03))
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    child.wait(60)
    return child.returncode == -signal.SIGKILL
