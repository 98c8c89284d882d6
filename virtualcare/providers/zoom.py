"""Zoom meetings through the Meetings API, with a server-to-server OAuth token.

Zoom has no idempotency key (integration contracts §2.7). The portal's external id goes in the
meeting's agenda, and every create first looks through the host's scheduled meetings for it, so a
task retried after a lost answer finds the meeting instead of making a second one. The look-up is a
read; it does not count against the host's 100 creations and changes a day.
"""

import math
import os
import secrets
import string
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from . import http
from .base import MeetingDetails, MeetingRequest, PermanentProviderError, TemporaryProviderError

SERVICE = "Zoom"
TIME_ZONE = "America/Montreal"
AGENDA_PREFIX = "telesante:"
PASSCODE_DIGITS = 10

# Zoom tokens last an hour; asking for a new one five minutes early keeps a slow call from
# carrying a token that expires on the way.
TOKEN_SAFETY_MARGIN_SECONDS = 300

# Enough pages for a host's whole calendar (Zoom's page maximum is 300); past that, creating a
# duplicate is better than walking an endless listing.
LOOKUP_PAGE_SIZE = 300
LOOKUP_MAX_PAGES = 10

_token_lock = threading.Lock()
_token: tuple[tuple[Any, ...], str, float] | None = None  # (settings key, token, monotonic expiry)


def reset_token_cache() -> None:
    """Forget the cached access token."""
    global _token
    with _token_lock:
        _token = None


def _token_key() -> tuple[Any, ...]:
    return (
        settings.ZOOM_OAUTH_TOKEN_URL,
        settings.ZOOM_ACCOUNT_ID,
        settings.ZOOM_CLIENT_ID,
        settings.ZOOM_CLIENT_SECRET,
        os.getpid(),
    )


def read_oauth_error(body: Any) -> tuple[str, str]:
    """(code, message) from the token endpoint's {"error", "reason"} body."""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("reason") or body.get("error_description") or "")


def read_zoom_error(body: Any) -> tuple[str, str]:
    """(code, message) from the API's {"code", "message", "errors"} body."""
    if not isinstance(body, dict):
        return "", ""
    code = body.get("code")
    message = str(body.get("message") or "")
    fields = [
        str(item.get("field")) for item in body.get("errors") or [] if isinstance(item, dict) and item.get("field")
    ]
    if fields:
        message = f"{message} Fields: {', '.join(fields)}."
    return ("" if code is None else str(code)), message


def access_token() -> str:
    """A server-to-server token, reused until shortly before it expires."""
    global _token
    key = _token_key()
    with _token_lock:
        if _token is not None and _token[0] == key and time.monotonic() < _token[2]:
            return _token[1]
    token_url, account_id, client_id, secret, _ = key
    if not account_id or not client_id or not secret:
        raise PermanentProviderError(
            "Zoom is not configured: ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET must be set.",
            code="not_configured",
        )
    # In the form body, not the query string: Zoom staff point there when query parameters get a 400.
    response = http.send(
        "POST",
        token_url,
        service=f"{SERVICE} sign-in",
        auth=(client_id, secret),
        data={"grant_type": "account_credentials", "account_id": account_id},
    )
    if response.status_code in (400, 401):
        code, message = read_oauth_error(http.parsed_body(response))
        raise PermanentProviderError(
            f"{SERVICE} refused the portal's credentials ({http.describe(response.status_code, code, message)}).",
            status=response.status_code,
            code=code,
        )
    http.raise_for_error(response, service=f"{SERVICE} sign-in", read_error=read_oauth_error)
    body = http.json_object(response, service=f"{SERVICE} sign-in")
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise TemporaryProviderError(f"{SERVICE} sign-in answered without a token.", code="malformed_response")
    try:
        lifetime = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600.0
    with _token_lock:
        _token = (key, token, time.monotonic() + max(lifetime - TOKEN_SAFETY_MARGIN_SECONDS, 0.0))
    return token


def zoom_request(
    method: str,
    path: str,
    *,
    json_body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    missing_ok: bool = False,
) -> requests.Response | None:
    """Call the API with the cached token; on a 401 get a new token and try once more.

    Returns the 2xx answer, or None for a 404 when `missing_ok`; raises for everything else.
    """
    url = f"{settings.ZOOM_API_BASE_URL.rstrip('/')}{path}"
    for attempt in (1, 2):
        headers = {"Authorization": f"Bearer {access_token()}"}
        response = http.send(method, url, service=SERVICE, headers=headers, json=json_body, params=params)
        if response.status_code == 401 and attempt == 1:
            reset_token_cache()
            continue
        break
    if response.status_code == 429:
        _raise_rate_limited(response)
    if response.status_code == 404 and missing_ok:
        return None
    http.raise_for_error(response, service=SERVICE, read_error=read_zoom_error)
    return response


def _zoom_json(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = zoom_request(method, path, **kwargs)
    assert response is not None  # type narrowing: only None when missing_ok  # nosec B101
    return http.json_object(response, service=SERVICE)


def _raise_rate_limited(response: requests.Response) -> None:
    code, message = read_zoom_error(http.parsed_body(response))
    retry_after = http.parse_retry_after(response.headers.get("Retry-After"))
    is_daily = response.headers.get("X-RateLimit-Type", "").lower() == "daily-limit" or "daily" in message.lower()
    if not is_daily:
        raise TemporaryProviderError(
            f"{SERVICE} is receiving too many requests ({http.describe(429, code, message)}); "
            "the portal will try again.",
            status=429,
            code="rate_limit",
            retry_after=retry_after,
        )
    # The daily limit's Retry-After is a timestamp and sometimes missing; Zoom resets it at 00:00 GMT.
    if retry_after is None:
        retry_after = min(http.seconds_until_next_utc_midnight(), http.RETRY_AFTER_CAP_SECONDS)
    raise TemporaryProviderError(
        f"{SERVICE}'s daily limit of 100 meeting creations and changes for this host is used up; Zoom accepts "
        f"more after 00:00 GMT ({http.describe(429, code, message)}).",
        status=429,
        code="daily_limit",
        retry_after=retry_after,
    )


def _zoom_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Meeting times must be aware datetimes.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration_minutes(request: MeetingRequest) -> int:
    return max(1, math.ceil((request.end - request.start).total_seconds() / 60))


def _agenda(external_id: str) -> str:
    # Opaque and short: Zoom shows the agenda to participants and truncates it to 250 characters
    # in listings, where the look-up reads it.
    return f"{AGENDA_PREFIX}{external_id}"


def _new_passcode() -> str:
    # Digits only, so a patient dialling in by phone can type it; ten is Zoom's maximum length.
    return "".join(secrets.choice(string.digits) for _ in range(PASSCODE_DIGITS))


def _schedule(request: MeetingRequest) -> dict[str, Any]:
    return {
        "topic": request.subject,
        "type": 2,  # scheduled
        "start_time": _zoom_time(request.start),
        "timezone": TIME_ZONE,
        "duration": _duration_minutes(request),
    }


def _is_scheduled_as(meeting: dict[str, Any], request: MeetingRequest) -> bool:
    wanted = _schedule(request)
    return all(meeting.get(name) == wanted[name] for name in ("topic", "start_time", "duration"))


def _settings(request: MeetingRequest) -> dict[str, Any]:
    meeting_settings: dict[str, Any] = {
        # Patients wait until the professional admits them; the waiting room also overrides
        # join-before-host, which stays off in case an account lock disables the waiting room.
        "waiting_room": True,
        "join_before_host": False,
        "host_video": True,
        "participant_video": True,
        # Patients unsure where the unmute button is would sit in silence; a consultation is small.
        "mute_upon_entry": False,
        # §2.6: nothing is recorded by default, and legacy BAA accounts forbid cloud recording anyway.
        "auto_recording": "none",
        # Patients have no Zoom account; the passcode and the waiting room protect the meeting.
        "meeting_authentication": False,
        "approval_type": 2,  # no registration
        # Enhanced, not end-to-end: end-to-end encryption disables dialling in by phone.
        "encryption_type": "enhanced_encryption",
        "audio": "both",
        "private_meeting": True,
    }
    if request.interpreter_languages:
        # Zoom lists each interpreter by e-mail address and two Zoom language ids; the portal has
        # neither, so interpretation is switched on and the host assigns interpreters in the meeting.
        meeting_settings["language_interpretation"] = {"enable": True}
    return meeting_settings


def _details(meeting: dict[str, Any]) -> MeetingDetails:
    meeting_id = meeting.get("id")
    join_url = meeting.get("join_url")
    if meeting_id is None or isinstance(meeting_id, bool) or not isinstance(join_url, str) or not join_url:
        raise TemporaryProviderError(
            f"{SERVICE} answered without the meeting's id or join link.", code="malformed_response"
        )
    numbers = (meeting.get("settings") or {}).get("global_dial_in_numbers") or []
    canadian = [entry for entry in numbers if isinstance(entry, dict) and entry.get("country") == "CA"]
    chosen = (canadian or [entry for entry in numbers if isinstance(entry, dict)] or [{}])[0]
    return MeetingDetails(
        # Meeting numbers can pass 10 digits: keep them as text, never as a 32-bit integer.
        provider_meeting_id=str(meeting_id),
        join_url=join_url,
        host_url=meeting.get("start_url") or "",
        passcode=meeting.get("password") or "",
        dial_in=chosen.get("number") or "",
        extra={"uuid": meeting.get("uuid") or "", "pstn_password": meeting.get("pstn_password") or ""},
    )


def _meeting_path(provider_meeting_id: str) -> str:
    if not provider_meeting_id.isdigit():
        raise PermanentProviderError("This Zoom meeting reference is not a Zoom meeting number.", code="bad_meeting_id")
    return f"/meetings/{provider_meeting_id}"


def find_meeting(organizer: str, external_id: str) -> dict[str, Any] | None:
    """The host's scheduled meeting carrying this external id in its agenda, with full details."""
    agenda = _agenda(external_id)
    page_token = ""  # a page cursor, not a password  # nosec B105
    for _ in range(LOOKUP_MAX_PAGES):
        params = {"type": "scheduled", "page_size": LOOKUP_PAGE_SIZE}
        if page_token:
            params["next_page_token"] = page_token
        listing = _zoom_json("GET", f"/users/{quote(organizer, safe='@')}/meetings", params=params)
        for item in listing.get("meetings") or []:
            if isinstance(item, dict) and str(item.get("agenda") or "").strip() == agenda:
                response = zoom_request("GET", _meeting_path(str(item.get("id"))), missing_ok=True)
                # Deleted between the listing and now: there is nothing to find.
                return None if response is None else http.json_object(response, service=SERVICE)
        page_token = str(listing.get("next_page_token") or "")
        if not page_token:
            break
    return None


class ZoomProvider:
    name = "zoom"

    def create(self, request: MeetingRequest) -> MeetingDetails:
        """Create the meeting, or return the one an earlier attempt made for this external id."""
        existing = find_meeting(request.organizer_email, request.external_id)
        if existing is not None:
            if _is_scheduled_as(existing, request):
                return _details(existing)
            # Made by a lost first attempt, before the appointment moved: move it too.
            return self.update(str(existing.get("id")), request)
        body = {
            **_schedule(request),
            "agenda": _agenda(request.external_id),
            "password": _new_passcode(),
            "default_password": False,  # Zoom's flag: no default passcode  # nosec B105
            "settings": _settings(request),
        }
        meeting = _zoom_json("POST", f"/users/{quote(request.organizer_email, safe='@')}/meetings", json_body=body)
        return _details(meeting)

    def update(self, provider_meeting_id: str, request: MeetingRequest) -> MeetingDetails:
        """Move and rename the meeting, then read it back: Zoom's PATCH answers with no body."""
        path = _meeting_path(provider_meeting_id)
        body = _schedule(request)
        if request.interpreter_languages:
            body["settings"] = {"language_interpretation": {"enable": True}}
        zoom_request("PATCH", path, json_body=body)
        return _details(_zoom_json("GET", path))

    def delete(self, provider_meeting_id: str) -> None:
        """Delete the meeting; one that is already gone counts as deleted."""
        zoom_request("DELETE", _meeting_path(provider_meeting_id), missing_ok=True)
