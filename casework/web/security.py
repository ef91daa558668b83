"""Request security: the session-bound CSRF token, and the sign-in failure limit.

Every form carries the token held in the signed session cookie; every POST but the Twilio
webhook must send it back (form field or `X-CSRF-Token` header), else 403. Sign-in failures are
counted per (email, client address): after `max_failures` in `window` the pair gets 429 until
the oldest failure ages out, whatever the password.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from datetime import datetime, timedelta

from fastapi import HTTPException, Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def renew_csrf_token(request: Request) -> str:
    """A fresh token (after sign-in, so a token seen before sign-in is worthless)."""
    token = secrets.token_urlsafe(32)
    request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Router dependency: refuse an unsafe request whose token is missing or wrong."""
    if request.method in _SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    supplied: object = request.headers.get(CSRF_HEADER)
    if supplied is None:
        form = await request.form()
        supplied = form.get(CSRF_FIELD)
    if (
        not isinstance(expected, str)
        or not expected
        or not isinstance(supplied, str)
        or not secrets.compare_digest(expected.encode(), supplied.encode())
    ):
        raise HTTPException(
            status_code=403,
            detail="This form has expired or did not come from this site. "
            "Go back, reload the page and try again.",
        )


class LoginLimiter:
    """Counts recent sign-in failures per key; thread-safe, in memory (one per process)."""

    def __init__(self, max_failures: int = 5, window: timedelta = timedelta(minutes=15)) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def is_blocked(self, key: tuple[str, str], now: datetime) -> bool:
        """True when `key` has used up its failures in the window ending `now`."""
        with self._lock:
            return len(self._recent(key, now)) >= self.max_failures

    def record_failure(self, key: tuple[str, str], now: datetime) -> None:
        with self._lock:
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            if len(self._failures) > 10_000:
                self._prune(now)

    def clear(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, now: datetime) -> None:
        for key in list(self._failures):
            if not self._recent(key, now):
                del self._failures[key]
