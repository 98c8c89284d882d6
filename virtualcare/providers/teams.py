"""Microsoft Teams meetings through Microsoft Graph, with an app-only token from msal.

A meeting is created with `createOrGet`, keyed by the portal's external id, so a retried task finds
the meeting its first attempt made. `createOrGet` takes no lobby or presenter settings (the Graph
metadata's action parameters are a closed list), so a PATCH follows; both calls are idempotent.

Graph addresses a meeting through its organizer (`/users/{organizer}/onlineMeetings/{id}`), and
`delete()` only receives the meeting's id, so the id we hand the portal is
`"{organizer}|{graph meeting id}"`. Graph ids are base64 and never contain "|".
"""

import json
import os
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import msal
import requests
from django.conf import settings
from msal.exceptions import MsalServiceError

from . import http
from .base import MeetingDetails, MeetingRequest, PermanentProviderError, TemporaryProviderError

SERVICE = "Microsoft Graph"
IDENTITY_SERVICE = "Microsoft Entra ID"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MICROSOFT_AUTHORITY_HOST = "login.microsoftonline.com"
ID_SEPARATOR = "|"

# Who may skip the lobby. "everyone" is left out on purpose: patients join from a link without an
# account and must wait until the professional admits them.
LOBBY_BYPASS_SCOPES = frozenset(
    {"organizer", "organization", "organizationAndFederated", "invited", "organizationExcludingGuests"}
)

# "invited" and "organizationExcludingGuests" come after Graph's unknownFutureValue sentinel; Graph
# ignores them (and hides them in answers) unless the request opts in with this header.
PREFER_EVOLVABLE_ENUMS = {"Prefer": "include-unknown-enum-members"}


# msal keeps its token cache inside the application object, so one object per process is what makes
# the cache work; it is rebuilt when the settings change (tests point it at a new fake each time).
_app_lock = threading.Lock()
_app: msal.ConfidentialClientApplication | None = None
_app_key: tuple[Any, ...] | None = None

# msal turns the token endpoint's answer into a dict and drops its status; the session msal uses
# records it here so a 429 or a 5xx can be told apart from a refused secret.
_token_answer = threading.local()


def reset_token_cache() -> None:
    """Forget the msal application and its tokens (and msal's replay of throttled answers)."""
    global _app, _app_key
    with _app_lock:
        _app = None
        _app_key = None


def _remember_answer(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    _token_answer.status = response.status_code
    _token_answer.retry_after = response.headers.get("Retry-After")


def _confidential_app() -> msal.ConfidentialClientApplication:
    global _app, _app_key
    client_id = settings.GRAPH_CLIENT_ID
    secret = settings.GRAPH_CLIENT_SECRET
    authority = settings.GRAPH_AUTHORITY
    ca_bundle = settings.GRAPH_CA_BUNDLE
    if not client_id or not secret:
        raise PermanentProviderError(
            "Teams is not configured: GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET must be set.", code="not_configured"
        )
    key = (client_id, secret, authority, ca_bundle, os.getpid())
    with _app_lock:
        if _app is None or _app_key != key:
            session = http.new_session(verify=ca_bundle or True)
            session.hooks["response"].append(_remember_answer)
            is_microsoft = urlsplit(authority).hostname == MICROSOFT_AUTHORITY_HOST
            _app = msal.ConfidentialClientApplication(
                client_id,
                client_credential=secret,
                authority=authority,
                http_client=session,
                # Instance discovery asks login.microsoftonline.com about the authority, which
                # means nothing for another host (and reaches the internet from a test).
                instance_discovery=None if is_microsoft else False,
            )
            _app_key = key
        return _app


def acquire_graph_token() -> str:
    """An app-only Graph token, from msal's cache when it is still good for five minutes.

    Shared with anything else that calls Graph (mail), so the process keeps one application object.
    """
    _token_answer.status = None
    _token_answer.retry_after = None
    try:
        result = _confidential_app().acquire_token_for_client(scopes=[GRAPH_SCOPE])
    except requests.Timeout as exc:
        raise TemporaryProviderError(
            f"{IDENTITY_SERVICE} did not answer within {http.provider_timeout():g} seconds.", code="timeout"
        ) from exc
    except requests.RequestException as exc:
        raise TemporaryProviderError(
            f"The portal could not reach {IDENTITY_SERVICE}.", code="connection_error"
        ) from exc
    except MsalServiceError as exc:
        # msal raises this for a 5xx from the token or discovery endpoint.
        raise _temporary_identity_error("unavailable") from exc
    except json.JSONDecodeError as exc:
        raise TemporaryProviderError(
            f"{IDENTITY_SERVICE} sent an answer the portal could not read (malformed JSON).",
            code="malformed_response",
        ) from exc
    except ValueError as exc:
        # msal's way of saying the authority is wrong: not https, unknown tenant, no token endpoint.
        raise PermanentProviderError(
            f"The Microsoft Entra authority is misconfigured: {http.shorten(str(exc))}", code="authority"
        ) from exc
    if "access_token" in result:
        return result["access_token"]
    error = str(result.get("error", ""))
    description = str(result.get("error_description", "")).splitlines()[0] if result.get("error_description") else ""
    status = getattr(_token_answer, "status", None)
    if status == 429 or (status or 0) >= 500 or error in ("temporarily_unavailable", "server_error"):
        raise _temporary_identity_error(error, description)
    raise PermanentProviderError(
        f"{IDENTITY_SERVICE} refused the portal's credentials ({http.shorten(f'{error}: {description}')}).",
        status=status,
        code=error,
    )


def _temporary_identity_error(error: str, description: str = "") -> TemporaryProviderError:
    status = getattr(_token_answer, "status", None)
    detail = http.shorten(f"{status or ''} {error}: {description}".strip(" :"))
    return TemporaryProviderError(
        f"{IDENTITY_SERVICE} is busy or unavailable ({detail}); the portal will try again.",
        status=status,
        code=error,
        retry_after=http.parse_retry_after(getattr(_token_answer, "retry_after", None)),
    )


def read_graph_error(body: Any) -> tuple[str, str]:
    """(code, message) from Graph's envelope {"error": {"code", "message", "innerError"}}."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def graph_request(
    method: str, path: str, *, json_body: dict[str, Any] | None = None, missing_ok: bool = False
) -> requests.Response | None:
    """Call Graph with the app token; on a 401 get a new token and try once more.

    Returns the 2xx answer, or None for a 404 when `missing_ok`; raises for everything else.
    """
    url = f"{settings.GRAPH_BASE_URL.rstrip('/')}{path}"
    for attempt in (1, 2):
        headers = {"Authorization": f"Bearer {acquire_graph_token()}", **PREFER_EVOLVABLE_ENUMS}
        response = http.send(method, url, service=SERVICE, headers=headers, json=json_body)
        if response.status_code == 401 and attempt == 1:
            # An expired or revoked token: drop the application (and its cache) and ask again.
            reset_token_cache()
            continue
        break
    if response.status_code == 404 and missing_ok:
        return None
    http.raise_for_error(response, service=SERVICE, read_error=read_graph_error)
    return response


def _graph_json(method: str, path: str, json_body: dict[str, Any]) -> dict[str, Any]:
    response = graph_request(method, path, json_body=json_body)
    assert response is not None  # type narrowing: only None when missing_ok  # nosec B101
    return http.json_object(response, service=SERVICE)


def _graph_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Meeting times must be aware datetimes.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meetings_path(organizer: str) -> str:
    return f"/users/{quote(organizer, safe='@')}/onlineMeetings"


def _meeting_path(organizer: str, graph_id: str) -> str:
    # Graph ids are base64 and may hold "/" or "+": escape them as the Graph SDKs do.
    return f"{_meetings_path(organizer)}/{quote(graph_id, safe='')}"


def split_meeting_id(provider_meeting_id: str) -> tuple[str, str]:
    """(organizer, Graph meeting id) from the id this provider handed out."""
    organizer, separator, graph_id = provider_meeting_id.rpartition(ID_SEPARATOR)
    if not separator or not organizer or not graph_id:
        raise PermanentProviderError(
            "This Teams meeting reference lacks its organizer; it was not made by this portal's Teams provider.",
            code="bad_meeting_id",
        )
    return organizer, graph_id


def _details(organizer: str, meeting: dict[str, Any]) -> MeetingDetails:
    graph_id = meeting.get("id")
    join_url = meeting.get("joinWebUrl") or meeting.get("joinUrl")
    if not isinstance(graph_id, str) or not graph_id or not isinstance(join_url, str) or not join_url:
        raise TemporaryProviderError(
            f"{SERVICE} answered without the meeting's id or join link.", code="malformed_response"
        )
    join_settings = meeting.get("joinMeetingIdSettings") or {}
    audio = meeting.get("audioConferencing") or {}
    dial_in = audio.get("tollNumber") or audio.get("tollFreeNumber") or ""
    if dial_in and audio.get("conferenceId"):
        # The pause-and-pound form phones dial straight through, as in Teams' own tel: links.
        dial_in = f"{dial_in},,{audio['conferenceId']}#"
    return MeetingDetails(
        provider_meeting_id=f"{organizer}{ID_SEPARATOR}{graph_id}",
        join_url=join_url,
        host_url=join_url,
        passcode=join_settings.get("passcode") or "",
        dial_in=dial_in,
        extra={
            "graph_meeting_id": graph_id,
            "organizer": organizer,
            "join_meeting_id": join_settings.get("joinMeetingId") or "",
        },
    )


class TeamsProvider:
    name = "teams"

    def create(self, request: MeetingRequest) -> MeetingDetails:
        """Create the meeting, or find the one made for this external id, then lock its lobby."""
        if request.lobby_bypass not in LOBBY_BYPASS_SCOPES:
            raise PermanentProviderError(
                f"The Teams lobby setting {request.lobby_bypass!r} is not allowed; patients must wait in the "
                f"lobby. Use one of: {', '.join(sorted(LOBBY_BYPASS_SCOPES))}.",
                code="lobby_bypass",
            )
        organizer = request.organizer_email
        schedule = {
            "subject": request.subject,
            "startDateTime": _graph_time(request.start),
            "endDateTime": _graph_time(request.end),
        }
        meeting = _graph_json(
            "POST", f"{_meetings_path(organizer)}/createOrGet", {"externalId": request.external_id, **schedule}
        )
        graph_id = _details(organizer, meeting).extra["graph_meeting_id"]
        updated = _graph_json(
            "PATCH",
            _meeting_path(organizer, graph_id),
            {
                # createOrGet hands back an existing meeting as it was: if the appointment moved
                # since a lost first attempt, the times are set again here.
                **schedule,
                "lobbyBypassSettings": {"scope": request.lobby_bypass, "isDialInBypassEnabled": False},
                "allowedPresenters": "organizer",
                # A consultation is not recorded unless the professional decides to, in the meeting.
                "recordAutomatically": False,
            },
        )
        # The PATCH answer is the full meeting; fall back on the first answer's fields if it is not.
        return _details(organizer, {**meeting, **updated})

    def update(self, provider_meeting_id: str, request: MeetingRequest) -> MeetingDetails:
        """Move the meeting and rename it; Graph needs both times together."""
        organizer, graph_id = split_meeting_id(provider_meeting_id)
        meeting = _graph_json(
            "PATCH",
            _meeting_path(organizer, graph_id),
            {
                "subject": request.subject,
                "startDateTime": _graph_time(request.start),
                "endDateTime": _graph_time(request.end),
            },
        )
        return _details(organizer, meeting)

    def delete(self, provider_meeting_id: str) -> None:
        """Delete the meeting; one that is already gone counts as deleted."""
        organizer, graph_id = split_meeting_id(provider_meeting_id)
        graph_request("DELETE", _meeting_path(organizer, graph_id), missing_ok=True)
