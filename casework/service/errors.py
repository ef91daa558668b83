"""Errors the use cases raise; the CLI prints them and exits 1, the web maps them to 4xx pages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: a request that cannot be carried out, with a message fit to show the user."""


class NotFound(ServiceError):
    """The thing named does not exist (or is outside the caller's scope)."""


class NotAllowed(ServiceError):
    """The actor's role or scope does not permit this action."""


class InvalidRequest(ServiceError):
    """The request is malformed or breaks a rule (illegal transition, unknown outcome, ...)."""


class Conflict(InvalidRequest):
    """Someone else changed the same record first (two officers at once); nothing was written."""
