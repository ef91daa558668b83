"""Request security: the session-bound CSRF token, and which address a request came from.

Every form carries the token held in the signed session cookie; every POST but the Twilio
webhook must send it back (form field or `X-CSRF-Token` header), else 403. Sign-in failures are
counted per account and per client address in the database (casework/service/login_throttle.py);
`client_address` decides the address, believing `X-Forwarded-For` only from named proxies.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

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


def client_address(request: Request, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The address a request came from, for counting sign-in failures.

    `X-Forwarded-For` is believed only when the connection itself comes from one of the
    `trusted` proxies (settings.trusted_proxies); then the client is the rightmost address in it
    that is not itself a trusted proxy. Anyone else could write any address there and so sign
    in from a "new" address after every lockout.
    """
    peer = request.client.host if request.client else "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = [
        a.strip() for h in request.headers.getlist("x-forwarded-for") for a in h.split(",")
    ]
    for candidate in reversed([a for a in forwarded if a]):
        if _parse(candidate) is None:
            return peer  # a malformed chain: believe only the connection
        if not _is_trusted(candidate, trusted):
            return candidate
    return peer


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value)
    except ValueError:
        return None


def _is_trusted(value: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    address = _parse(value)
    return address is not None and any(address in network for network in trusted)
