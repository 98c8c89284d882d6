"""HTTP plumbing shared by the meeting providers: one session per process, one timeout, one way of
reading a provider's answer (integration contracts §0.3).

Every failure leaves as a `TemporaryProviderError` (worth retrying) or a `PermanentProviderError`
(someone must fix something). Their reasons are short English sentences for staff; they quote the
provider's error code and message, never what we sent.
"""

import email.utils
import math
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.conf import settings

from .base import PermanentProviderError, TemporaryProviderError

# Graph documents fractional seconds and Zoom a date for its daily limit; either way an hour is the
# longest we let a provider park a task, so a wrong header cannot stall a worker for days.
RETRY_AFTER_CAP_SECONDS = 3600.0

# Long enough for a provider's sentence, short enough for the agenda's failure column.
MESSAGE_LIMIT = 200

# Reads a provider's error body (already parsed JSON, or None when it was not JSON) into
# (code, message); each provider has its own envelope.
ErrorReader = Callable[[Any], tuple[str, str]]

_STATUS_SENTENCES = {
    400: "refused the request as invalid",
    401: "refused the portal's credentials",
    403: "refused the operation; check the application's permissions and access policy",
    404: "does not know this meeting or organizer",
    409: "reported a conflict",
    422: "could not process the request",
}


def provider_timeout() -> float:
    """Seconds to wait for a provider, read at call time so tests can shorten it."""
    return float(settings.PROVIDER_TIMEOUT_SECONDS)


class _ProviderSession(requests.Session):
    """A session that never waits forever: msal calls it without a timeout."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = provider_timeout()
        return super().request(method, url, *args, **kwargs)


def new_session(*, verify: bool | str = True) -> requests.Session:
    """A session that ignores the environment.

    With `trust_env` on, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE silently replace `verify`, and proxy
    variables meant for other tools would route health-network traffic through them.
    """
    session = _ProviderSession()
    session.trust_env = False
    session.verify = verify
    session.headers["User-Agent"] = "telesante-portal"
    return session


_session_lock = threading.Lock()
_session: tuple[int, requests.Session] | None = None


def shared_session() -> requests.Session:
    """The process's session; a forked worker builds its own rather than share its parent's sockets."""
    global _session
    pid = os.getpid()
    with _session_lock:
        if _session is None or _session[0] != pid:
            _session = (pid, new_session())
        return _session[1]


def send(method: str, url: str, *, service: str, **kwargs: Any) -> requests.Response:
    """Send one request through the shared session; no answer in time is a temporary failure."""
    kwargs.setdefault("timeout", provider_timeout())
    try:
        return shared_session().request(method, url, **kwargs)
    except requests.Timeout as exc:
        raise TemporaryProviderError(
            f"{service} did not answer within {kwargs['timeout']:g} seconds.", code="timeout"
        ) from exc
    except requests.ConnectionError as exc:
        raise TemporaryProviderError(f"The portal could not reach {service}.", code="connection_error") from exc
    except requests.RequestException as exc:
        # The exception's text names the URL; the class name is enough for staff.
        raise TemporaryProviderError(
            f"The request to {service} failed ({type(exc).__name__}).", code="request_error"
        ) from exc


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: fractional seconds, an HTTP-date or an ISO
    timestamp; None when absent or unreadable; capped at an hour."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        when = _parse_date(value)
        if when is None:
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    else:
        if not math.isfinite(seconds) or seconds < 0:
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_SECONDS)


def _parse_date(value: str) -> datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    # Zoom's daily-limit timestamps and some HTTP-dates carry no zone; both mean GMT.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def seconds_until_next_utc_midnight(now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def json_object(response: requests.Response, *, service: str) -> dict[str, Any]:
    """The answer's JSON object; anything else is a garbled answer, worth asking again."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TemporaryProviderError(
            f"{service} sent an answer the portal could not read (HTTP {response.status_code}, malformed JSON).",
            status=response.status_code,
            code="malformed_response",
        )
    return body


def parsed_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(status: int, code: str, message: str) -> str:
    """'429 TooManyRequests: Please retry again later.' from what the provider said."""
    parts = [str(status)]
    if code:
        parts.append(shorten(code, 60))
    text = " ".join(parts)
    return f"{text}: {shorten(message)}" if message else text


def raise_for_error(response: requests.Response, *, service: str, read_error: ErrorReader) -> None:
    """Return quietly on 2xx; otherwise raise the error §0.3 prescribes for the status."""
    status = response.status_code
    if 200 <= status < 300:
        return
    code, message = read_error(parsed_body(response))
    if not message:
        message = response.reason or ""
    detail = describe(status, code, message)
    if status == 429 or status == 408 or status >= 500:
        raise TemporaryProviderError(
            f"{service} is busy or unavailable ({detail}); the portal will try again.",
            status=status,
            code=code or str(status),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    sentence = _STATUS_SENTENCES.get(status, "refused the request")
    raise PermanentProviderError(f"{service} {sentence} ({detail}).", status=status, code=code or str(status))
