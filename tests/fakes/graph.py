"""A fake Microsoft Entra ID (token endpoint, over TLS as msal requires) and Microsoft Graph
(online meetings and sendMail, plain HTTP), following integration contracts §1.6.

Run by hand:  python -m tests.fakes.graph --port 8081
"""

import argparse
import base64
import binascii
import itertools
import secrets
import string
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from . import schemas
from .server import FakeServer, RecordedRequest, Reply, wait_for_interrupt

TENANT_ID = "7d3c1a52-5b1e-4f65-9c61-2f0a8b7e4d10"
CLIENT_ID = "c2b8f6e4-0a7d-4e53-8f19-6d4b2a9e1c37"
CLIENT_SECRET = "fake-graph-client-secret"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
MAIL_SENDER = "notifications@telesante.test"

GRAPH_ERRORS = {
    400: ("BadRequest", "Invalid request."),
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("Forbidden", "Insufficient privileges to complete the operation."),
    404: ("itemNotFound", "The requested resource does not exist."),
    409: ("conflict", "The request conflicts with the current state of the resource."),
    422: ("UnprocessableEntity", "The request could not be processed."),
    429: ("TooManyRequests", "Please retry again later."),
    500: ("generalException", "General exception while processing."),
    502: ("BadGateway", "Bad gateway."),
    503: ("serviceNotAvailable", "Service Unavailable."),
    504: ("gatewayTimeout", "Gateway timeout."),
}

ENTRA_ERRORS = {
    400: ("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'."),
    401: ("invalid_client", "AADSTS7000215: Invalid client secret provided."),
    429: ("temporarily_unavailable", "AADSTS90033: A transient error has occurred. Please try again."),
    500: ("server_error", "AADSTS90033: A transient error has occurred. Please try again."),
    503: ("temporarily_unavailable", "AADSTS90033: A transient error has occurred. Please try again."),
}

# What Graph says when the Teams application access policy does not cover the organizer.
ACCESS_POLICY_MESSAGE = "No application access policy found for this app."

# Members after Graph's unknownFutureValue sentinel, returned only to requests that opt in.
EVOLVABLE_LOBBY_SCOPES = {"invited", "organizationExcludingGuests"}
PREFER_EVOLVABLE = "include-unknown-enum-members"


def _now() -> datetime:
    return datetime.now(UTC)


def _graph_timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def _parse_time(value: str) -> datetime:
    # Graph writes seven fractional digits; Python reads at most six.
    head, dot, rest = value.partition(".")
    if dot:
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        value = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    return datetime.fromisoformat(value)


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


class EntraFake(FakeServer):
    """The v2.0 token endpoint of one tenant, client-credentials grant only."""

    name = "entra"
    routes = [
        ("GET", r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$", "openid_configuration"),
        ("POST", r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$", "token"),
    ]

    def __init__(
        self,
        *,
        tenant_id: str = TENANT_ID,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        port: int = 0,
        validate_requests: bool = True,
        token_lifetime: int = 3599,
    ) -> None:
        super().__init__(tls=True, port=port)
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.validate_requests = validate_requests
        self.token_lifetime = token_lifetime
        self._tokens: dict[str, datetime] = {}
        self._revoked: set[str] = set()

    @property
    def authority(self) -> str:
        return f"{self.url}/{self.tenant_id}"

    @property
    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def token_is_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and token not in self._revoked and _now() < expiry

    def revoke_tokens(self) -> None:
        """Make every token issued so far unusable, as an expiry would."""
        with self._lock:
            self._revoked.update(self._tokens)

    def error_body(self, status: int, message: str | None = None, error: str | None = None) -> Any:
        default_error, default_description = ENTRA_ERRORS.get(status, ("invalid_request", "AADSTS90000: Error."))
        description = message or default_description
        return {
            "error": error or default_error,
            "error_description": f"{description}\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: {uuid.uuid4()}"
            f"\r\nTimestamp: {_now():%Y-%m-%d %H:%M:%SZ}",
            "error_codes": [int(description[6:].split(":")[0])] if description.startswith("AADSTS") else [],
            "timestamp": f"{_now():%Y-%m-%d %H:%M:%SZ}",
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }

    def _refuse(self, status: int, error: str, description: str) -> Reply:
        return Reply(status, self.error_body(status, description, error))

    def openid_configuration(self, request: RecordedRequest, tenant: str) -> Reply:
        if tenant != self.tenant_id:
            return self._refuse(400, "invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")
        base = f"{self.url}/{tenant}"
        return Reply(
            200,
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "NA",
            },
        )

    def token(self, request: RecordedRequest, tenant: str) -> Reply:
        form = request.body if isinstance(request.body, dict) else {}
        basic = request.header("Authorization")
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if basic.lower().startswith("basic "):
            decoded = base64.b64decode(basic[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        if self.validate_requests:
            schema = "local.ClientCredentialsFormBasicAuth" if basic else "local.ClientCredentialsForm"
            if found := schemas.problems(schemas.ENTRA_TOKEN, schema, form):
                return self._refuse(400, "invalid_request", f"AADSTS900144: Invalid token request: {found[0]}")
        if tenant != self.tenant_id:
            return self._refuse(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return self._refuse(
                400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
            )
        if client_id != self.client_id:
            return self._refuse(
                400, "unauthorized_client", f"AADSTS700016: Application with identifier '{client_id}' was not found."
            )
        if secret != self.client_secret:
            return self._refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != GRAPH_DEFAULT_SCOPE:
            return self._refuse(400, "invalid_scope", "AADSTS70011: The provided value for scope is not valid.")
        token = f"fake-graph-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = _now() + timedelta(seconds=self.token_lifetime)
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            },
        )


_USER = r"(?P<user>[^/]+)"


class GraphFake(FakeServer):
    """Graph's online meetings and sendMail, with its own Entra fake (`.entra`) for tokens.

    Bodies are checked against the vendor's request schemas (400 `BadRequest` when they break
    them) unless `validate_requests=False`. Meetings are keyed by organizer and id; `createOrGet`
    by organizer and externalId.
    """

    name = "graph"
    routes = [
        ("POST", rf"^/v1\.0/users/{_USER}/onlineMeetings/createOrGet$", "create_or_get"),
        ("POST", rf"^/v1\.0/users/{_USER}/onlineMeetings$", "create_meeting"),
        ("GET", rf"^/v1\.0/users/{_USER}/onlineMeetings/(?P<meeting_id>[^/]+)$", "get_meeting"),
        ("PATCH", rf"^/v1\.0/users/{_USER}/onlineMeetings/(?P<meeting_id>[^/]+)$", "update_meeting"),
        ("DELETE", rf"^/v1\.0/users/{_USER}/onlineMeetings/(?P<meeting_id>[^/]+)$", "delete_meeting"),
        ("POST", rf"^/v1\.0/users/{_USER}/sendMail$", "send_mail"),
    ]

    def __init__(
        self,
        *,
        port: int = 0,
        entra_port: int = 0,
        tenant_id: str = TENANT_ID,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        mail_sender: str = MAIL_SENDER,
        validate_requests: bool = True,
    ) -> None:
        super().__init__(tls=False, port=port)
        self.entra = EntraFake(
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            port=entra_port,
            validate_requests=validate_requests,
        )
        self.mail_sender = mail_sender
        self.validate_requests = validate_requests
        self.meetings: dict[str, dict[str, Any]] = {}
        self._organizers: dict[str, str] = {}  # meeting id → organizer, lower case
        self._by_external_id: dict[tuple[str, str], str] = {}
        self.sent_mail: list[dict[str, Any]] = []
        self.policy_denied_users: set[str] = set()
        self._state_lock = threading.Lock()

    # -- life cycle and addresses -----------------------------------------------------------------

    def start(self) -> Self:
        self.entra.start()
        super().start()
        self.ca_bundle = self.entra.ca_bundle
        return self

    def stop(self) -> None:
        super().stop()
        self.entra.stop()

    @property
    def tenant_id(self) -> str:
        return self.entra.tenant_id

    @property
    def client_id(self) -> str:
        return self.entra.client_id

    @property
    def client_secret(self) -> str:
        return self.entra.client_secret

    @property
    def authority(self) -> str:
        return self.entra.authority

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1.0"

    def environment(self) -> dict[str, str]:
        """The settings that point the portal at this fake."""
        return {
            "GRAPH_TENANT_ID": self.tenant_id,
            "GRAPH_CLIENT_ID": self.client_id,
            "GRAPH_CLIENT_SECRET": self.client_secret,
            "GRAPH_AUTHORITY": self.authority,
            "GRAPH_BASE_URL": self.base_url,
            "GRAPH_CA_BUNDLE": self.ca_bundle,
            "GRAPH_MAIL_SENDER": self.mail_sender,
        }

    # -- behaviour switches -----------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        """Every token issued so far now gets 401 InvalidAuthenticationToken, as after an expiry."""
        self.entra.revoke_tokens()

    def deny_user(self, user: str) -> None:
        """Answer 403 for this organizer, as when the Teams application access policy misses them."""
        self.policy_denied_users.add(user.lower())

    # -- envelope ---------------------------------------------------------------------------------

    def error_body(self, status: int, message: str | None = None, code: str | None = None) -> Any:
        default_code, default_message = GRAPH_ERRORS.get(status, ("generalException", "Error."))
        return {
            "error": {
                "code": code or default_code,
                "message": message or default_message,
                "innerError": {
                    "date": _now().strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": str(uuid.uuid4()),
                    "client-request-id": str(uuid.uuid4()),
                },
            }
        }

    def _error(self, status: int, message: str | None = None, code: str | None = None) -> Reply:
        return Reply(status, self.error_body(status, message, code))

    def _refusal(self, request: RecordedRequest, user: str, schema: tuple[str, str] | None = None) -> Reply | None:
        authorization = request.header("Authorization")
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        if not token or not self.entra.token_is_valid(token):
            return self._error(401)
        if user.lower() in self.policy_denied_users:
            return self._error(403, ACCESS_POLICY_MESSAGE)
        if schema is not None:
            if not isinstance(request.body, dict):
                return self._error(400, "The request body is not a JSON object.")
            if self.validate_requests and (found := schemas.problems(*schema, request.body)):
                return self._error(400, f"Invalid request body: {found[0]}", "invalidRequest")
        return None

    # -- online meetings --------------------------------------------------------------------------

    def _new_meeting(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        start = _parse_time(body["startDateTime"]) if body.get("startDateTime") else _now().replace(microsecond=0)
        end = _parse_time(body["endDateTime"]) if body.get("endDateTime") else start + timedelta(hours=1)
        thread = f"19:meeting_{secrets.token_urlsafe(30)}@thread.v2"
        meeting_id = base64.b64encode(f"1*{user}*0**{thread}".encode()).decode()
        return {
            "id": meeting_id,
            "creationDateTime": _graph_timestamp(_now()),
            "startDateTime": _graph_timestamp(start.astimezone(UTC)),
            "endDateTime": _graph_timestamp(end.astimezone(UTC)),
            "subject": body.get("subject"),
            "externalId": body.get("externalId"),
            "joinWebUrl": f"{self.url}/l/meetup-join/{thread.replace(':', '%3a').replace('@', '%40')}/0",
            "videoTeleconferenceId": _digits(10),
            "isEntryExitAnnounced": True,
            "allowedPresenters": "everyone",
            "allowMeetingChat": "enabled",
            "recordAutomatically": False,
            "lobbyBypassSettings": {"scope": "organization", "isDialInBypassEnabled": False},
            "joinMeetingIdSettings": {
                "isPasscodeRequired": True,
                "joinMeetingId": _digits(12),
                "passcode": secrets.token_urlsafe(6)[:6],
            },
            "audioConferencing": {
                "conferenceId": _digits(9),
                "tollNumber": "+15145550100",
                "tollNumbers": ["+15145550100"],
                "tollFreeNumber": None,
                "tollFreeNumbers": [],
                "dialinUrl": f"{self.url}/dialin",
            },
            "chatInfo": {"threadId": thread, "messageId": "0", "replyChainMessageId": None},
            "joinInformation": {"content": "data:text/html,%3cp%3eTeams%3c%2fp%3e", "contentType": "html"},
            "participants": {
                "organizer": {
                    "upn": user,
                    "role": "presenter",
                    "identity": {"user": {"id": user, "displayName": None}},
                },
                "attendees": [],
            },
        }

    def _times_are_ordered(self, meeting: dict[str, Any]) -> bool:
        return _parse_time(meeting["startDateTime"]) < _parse_time(meeting["endDateTime"])

    def _present(self, request: RecordedRequest, meeting: dict[str, Any]) -> dict[str, Any]:
        shown = {**meeting, "lobbyBypassSettings": dict(meeting.get("lobbyBypassSettings") or {})}
        if shown["lobbyBypassSettings"].get(
            "scope"
        ) in EVOLVABLE_LOBBY_SCOPES and PREFER_EVOLVABLE not in request.header("Prefer"):
            shown["lobbyBypassSettings"]["scope"] = "unknownFutureValue"
        return shown

    def _owned(self, user: str, meeting_id: str) -> dict[str, Any] | None:
        with self._state_lock:
            if self._organizers.get(meeting_id) != user.lower():
                return None
            return self.meetings.get(meeting_id)

    def create_or_get(self, request: RecordedRequest, user: str) -> Reply:
        if refusal := self._refusal(request, user, (schemas.GRAPH_MEETINGS, "request.createOrGet")):
            return refusal
        body = request.body
        key = (user.lower(), body["externalId"])
        with self._state_lock:
            existing = self._by_external_id.get(key)
            if existing is not None:
                return Reply(200, self._present(request, self.meetings[existing]))
            meeting = self._new_meeting(user, body)
            if not self._times_are_ordered(meeting):
                return self._error(400, "endDateTime must be later than startDateTime.", "invalidRequest")
            self.meetings[meeting["id"]] = meeting
            self._organizers[meeting["id"]] = user.lower()
            self._by_external_id[key] = meeting["id"]
        return Reply(201, self._present(request, meeting))

    def create_meeting(self, request: RecordedRequest, user: str) -> Reply:
        if refusal := self._refusal(request, user, (schemas.GRAPH_MEETINGS, "request.microsoft.graph.onlineMeeting")):
            return refusal
        meeting = self._new_meeting(user, request.body)
        for name, value in request.body.items():
            if name not in ("startDateTime", "endDateTime"):
                meeting[name] = value
        with self._state_lock:
            self.meetings[meeting["id"]] = meeting
            self._organizers[meeting["id"]] = user.lower()
        return Reply(201, self._present(request, meeting))

    def get_meeting(self, request: RecordedRequest, user: str, meeting_id: str) -> Reply:
        if refusal := self._refusal(request, user):
            return refusal
        meeting = self._owned(user, meeting_id)
        return self._error(404) if meeting is None else Reply(200, self._present(request, meeting))

    def update_meeting(self, request: RecordedRequest, user: str, meeting_id: str) -> Reply:
        if refusal := self._refusal(request, user, (schemas.GRAPH_MEETINGS, "request.onlineMeetingPatch")):
            return refusal
        with self._state_lock:
            if self._organizers.get(meeting_id) != user.lower():
                return self._error(404)
            meeting = self.meetings[meeting_id]
            changed = {**meeting, **request.body}
            for name in ("startDateTime", "endDateTime"):
                if name in request.body:
                    changed[name] = _graph_timestamp(_parse_time(request.body[name]).astimezone(UTC))
            if not self._times_are_ordered(changed):
                return self._error(400, "endDateTime must be later than startDateTime.", "invalidRequest")
            self.meetings[meeting_id] = changed
        return Reply(200, self._present(request, changed))

    def delete_meeting(self, request: RecordedRequest, user: str, meeting_id: str) -> Reply:
        if refusal := self._refusal(request, user):
            return refusal
        with self._state_lock:
            if self._organizers.get(meeting_id) != user.lower():
                return self._error(404)
            meeting = self.meetings.pop(meeting_id)
            del self._organizers[meeting_id]
            self._by_external_id.pop((user.lower(), meeting.get("externalId")), None)
        return Reply(204)

    # -- mail -------------------------------------------------------------------------------------

    def send_mail(self, request: RecordedRequest, user: str) -> Reply:
        content_type = request.header("Content-Type").split(";")[0].strip().lower()
        if content_type == "text/plain":
            if refusal := self._refusal(request, user):
                return refusal
            try:
                mime = base64.b64decode(request.raw_body, validate=True)
            except (binascii.Error, ValueError):
                return self._error(
                    400, "Invalid base64 string for MIME content.", "ErrorMimeContentInvalidBase64String"
                )
            with self._state_lock:
                self.sent_mail.append({"user": user, "mime": mime})
            return Reply(202)
        if refusal := self._refusal(request, user, (schemas.GRAPH_MAIL, "request.sendMail")):
            return refusal
        body = request.body
        message = body.get("message", body.get("Message"))
        save = body.get("saveToSentItems", body.get("SaveToSentItems"))
        with self._state_lock:
            self.sent_mail.append({"user": user, "message": message, "save_to_sent_items": save})
        return Reply(202)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Microsoft Entra ID and Graph by hand.")
    parser.add_argument("--port", type=int, default=8081, help="Graph's port (plain HTTP)")
    parser.add_argument("--entra-port", type=int, default=0, help="the token endpoint's port (TLS); 0 picks one")
    parser.add_argument("--lenient", action="store_true", help="accept bodies the vendor schemas refuse")
    arguments = parser.parse_args()
    fake = GraphFake(port=arguments.port, entra_port=arguments.entra_port, validate_requests=not arguments.lenient)
    fake.start()
    print("# Fake Microsoft Graph running. Point the portal at it with:")
    for name, value in fake.environment().items():
        print(f"export {name}={value}")
    print("# Ctrl-C stops it (and deletes its certificate).")
    try:
        wait_for_interrupt()
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
