"""Where the current request or task comes from, so that every audit row says it without help."""

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    channel: str
    ip_address: str | None = None


OUTSIDE_REQUESTS = AuditContext(channel="command")
_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


def current() -> AuditContext:
    return _current.get() or OUTSIDE_REQUESTS


def activate(context: AuditContext) -> contextvars.Token:
    return _current.set(context)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)
