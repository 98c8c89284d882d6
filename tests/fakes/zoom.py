"""A fake Zoom: server-to-server OAuth and the Meetings API, following integration contracts §2.8.

Run by hand:  python -m tests.fakes.zoom --port 8082
"""

import argparse
import base64
import hashlib
import re
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import schemas
from .server import FakeServer, RecordedRequest, Reply, wait_for_interrupt

ACCOUNT_ID = "fake-zoom-account"
CLIENT_ID = "fakezoomclientid"
CLIENT_SECRET = "fake-zoom-client-secret"

ZOOM_ERRORS = {
    400: (300, "Validation Failed."),
    401: (124, "Invalid access token."),
    403: (200, "No permission."),
    404: (3001, "Meeting does not exist."),
    409: (409, "Conflict."),
    429: (429, "You have reached the maximum per-second rate limit for this API. Try again later."),
}
DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests permitted for this "
    "particular user. You may resume these requests at GMT 00:00:00."
)
PASSWORD_PATTERN = re.compile(r"^[A-Za-z0-9@\-_*]{1,10}$")
AGENDA_LISTING_LIMIT = 250  # Zoom truncates agendas in listings

DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "cn_meeting": False,
    "in_meeting": False,
    "join_before_host": False,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": 2,
    "audio": "voip",
    "auto_recording": "none",
    "enforce_login": False,
    "enforce_login_domains": "",
    "alternative_hosts": "",
    "close_registration": False,
    "waiting_room": False,
    "registrants_email_notification": True,
    "meeting_authentication": False,
    "encryption_type": "enhanced_encryption",
    "global_dial_in_numbers": [
        {"country": "CA", "country_name": "Canada", "city": "Montreal", "number": "+1 514 555 0199", "type": "toll"},
        {"country": "US", "country_name": "US", "number": "+1 202 555 0143", "type": "toll"},
    ],
}


def _now() -> datetime:
    return datetime.now(UTC)


def _zoom_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_utc_midnight(now: datetime | None = None) -> datetime:
    now = now or _now()
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class ZoomFake(FakeServer):
    """Zoom's token endpoint and meetings, with the 100-a-day limit on creations and changes per host.

    Bodies are checked against the vendor's request schemas (400, code 300) unless
    `validate_requests=False`.
    """

    name = "zoom"
    routes = [
        ("POST", r"^/oauth/token$", "token"),
        ("POST", r"^/v2/users/(?P<user>[^/]+)/meetings$", "create_meeting"),
        ("GET", r"^/v2/users/(?P<user>[^/]+)/meetings$", "list_meetings"),
        ("GET", r"^/v2/meetings/(?P<meeting_id>[^/]+)$", "get_meeting"),
        ("PATCH", r"^/v2/meetings/(?P<meeting_id>[^/]+)$", "update_meeting"),
        ("DELETE", r"^/v2/meetings/(?P<meeting_id>[^/]+)$", "delete_meeting"),
    ]

    def __init__(
        self,
        *,
        port: int = 0,
        account_id: str = ACCOUNT_ID,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        daily_limit: int = 100,
        token_lifetime: int = 3599,
        validate_requests: bool = True,
    ) -> None:
        super().__init__(tls=False, port=port)
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.daily_limit = daily_limit
        self.token_lifetime = token_lifetime
        self.validate_requests = validate_requests
        self.meetings: dict[int, dict[str, Any]] = {}
        self._tokens: dict[str, datetime] = {}
        self._revoked: set[str] = set()
        self._daily_counts: dict[tuple[str, str], int] = {}
        self._state_lock = threading.Lock()

    # -- addresses --------------------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/v2"

    def environment(self) -> dict[str, str]:
        """The settings that point the portal at this fake."""
        return {
            "ZOOM_ACCOUNT_ID": self.account_id,
            "ZOOM_CLIENT_ID": self.client_id,
            "ZOOM_CLIENT_SECRET": self.client_secret,
            "ZOOM_OAUTH_TOKEN_URL": self.token_url,
            "ZOOM_API_BASE_URL": self.api_base_url,
        }

    # -- behaviour switches -----------------------------------------------------------------------

    @property
    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def revoke_tokens(self) -> None:
        """Every token issued so far now gets 401 (code 124), as after an expiry."""
        with self._lock:
            self._revoked.update(self._tokens)

    def fail_next_with_daily_limit(
        self, *, times: int = 1, with_headers: bool = True, method: str | None = "POST", path: str | None = "/meetings"
    ) -> None:
        """The next `times` meeting creations (by default) get the daily-limit 429; without headers,
        as some hosts saw it."""
        headers = self.daily_limit_headers() if with_headers else {}
        self.fail_next(
            429,
            times=times,
            body={"code": 429, "message": DAILY_LIMIT_MESSAGE.format(limit=self.daily_limit)},
            headers=headers,
            method=method,
            path=path,
        )

    def daily_limit_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Category": "Medium",
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": str(self.daily_limit),
            "X-RateLimit-Remaining": "0",
            "Retry-After": _zoom_timestamp(next_utc_midnight()),
        }

    # -- envelope ---------------------------------------------------------------------------------

    def error_body(self, status: int, message: str | None = None, code: int | None = None) -> Any:
        default_code, default_message = ZOOM_ERRORS.get(status, (status, "Internal error."))
        return {"code": default_code if code is None else code, "message": message or default_message}

    def _error(self, status: int, message: str | None = None, code: int | None = None, **extra: Any) -> Reply:
        return Reply(status, {**self.error_body(status, message, code), **extra})

    def _unauthorized(self, request: RecordedRequest) -> Reply | None:
        authorization = request.header("Authorization")
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            expiry = self._tokens.get(token)
            valid = expiry is not None and token not in self._revoked and _now() < expiry
        return None if valid else self._error(401)

    def _invalid(self, request: RecordedRequest, schema: str) -> Reply | None:
        if not isinstance(request.body, dict):
            return self._error(400, "Request Body should be a valid JSON object.")
        if self.validate_requests and (found := schemas.problems(schemas.ZOOM_MEETINGS, schema, request.body)):
            fields = [
                {"field": problem.split(":")[0].removeprefix("$."), "message": "Invalid field."} for problem in found
            ]
            return self._error(400, errors=fields)
        password = request.body.get("password")
        if password is not None and not PASSWORD_PATTERN.match(str(password)):
            return self._error(400, "Invalid password.", errors=[{"field": "password", "message": "Invalid field."}])
        return None

    def _count_against_daily_limit(self, host: str) -> Reply | None:
        key = (host.lower(), _now().date().isoformat())
        with self._state_lock:
            if self._daily_counts.get(key, 0) >= self.daily_limit:
                return Reply(
                    429,
                    {"code": 429, "message": DAILY_LIMIT_MESSAGE.format(limit=self.daily_limit)},
                    self.daily_limit_headers(),
                )
            self._daily_counts[key] = self._daily_counts.get(key, 0) + 1
        return None

    # -- token ------------------------------------------------------------------------------------

    def token(self, request: RecordedRequest) -> Reply:
        # Samples put the parameters in the query string and Zoom staff in the body: take both.
        form = {name: values[-1] for name, values in request.query.items()}
        if isinstance(request.body, dict):
            form.update(request.body)
        authorization = request.header("Authorization")
        client_id, secret = "", ""
        if authorization.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id or secret != self.client_secret:
            return Reply(401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if form.get("grant_type") != "account_credentials":
            return Reply(400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"})
        if self.validate_requests and (
            found := schemas.problems(schemas.ZOOM_MEETINGS, "local.S2STokenRequestForm", form)
        ):
            return Reply(400, {"reason": f"Invalid request: {found[0]}", "error": "invalid_request"})
        if form.get("account_id") != self.account_id:
            return Reply(400, {"reason": "Invalid request : Bad account_id", "error": "invalid_request"})
        token = f"fake-zoom-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = _now() + timedelta(seconds=self.token_lifetime)
        return Reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
                "scope": "meeting:read:admin meeting:write:admin",
                "api_url": self.url,
            },
        )

    # -- meetings ---------------------------------------------------------------------------------

    def _start_time(self, body: dict[str, Any]) -> str:
        value = body.get("start_time")
        if not value:
            return _zoom_timestamp(_now())
        if value.endswith("Z"):
            return value
        try:
            zone = ZoneInfo(body.get("timezone") or "UTC")
        except ZoneInfoNotFoundError:
            zone = ZoneInfo("UTC")
        return _zoom_timestamp(datetime.fromisoformat(value).replace(tzinfo=zone))

    def _listing_item(self, meeting: dict[str, Any]) -> dict[str, Any]:
        names = (
            "uuid",
            "id",
            "host_id",
            "topic",
            "type",
            "start_time",
            "duration",
            "timezone",
            "created_at",
            "join_url",
        )
        item = {name: meeting[name] for name in names if name in meeting}
        if meeting.get("agenda"):
            item["agenda"] = meeting["agenda"][:AGENDA_LISTING_LIMIT]
        return item

    def _fresh(self, meeting: dict[str, Any]) -> dict[str, Any]:
        # start_url expires after two hours at Zoom, so each read hands out a new one.
        return {**meeting, "start_url": f"{self.url}/s/{meeting['id']}?zak={secrets.token_urlsafe(16)}"}

    def _find(self, meeting_id: str) -> dict[str, Any] | None:
        if not meeting_id.isdigit():
            return None
        return self.meetings.get(int(meeting_id))

    def create_meeting(self, request: RecordedRequest, user: str) -> Reply:
        if refusal := self._unauthorized(request) or self._invalid(request, "local.meetingCreate.requestBody"):
            return refusal
        if refusal := self._count_against_daily_limit(user):
            return refusal
        body = request.body
        meeting_id = secrets.randbelow(9 * 10**10) + 10**10  # eleven digits, beyond 32 bits
        password = body.get("password") or "".join(secrets.choice("0123456789") for _ in range(6))
        settings = {**DEFAULT_SETTINGS, **(body.get("settings") or {})}
        if settings.get("waiting_room"):
            settings["join_before_host"] = False  # Zoom: the waiting room overrides it
        encrypted = secrets.token_urlsafe(20)
        meeting = {
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "id": meeting_id,
            "host_id": hashlib.sha256(user.lower().encode()).hexdigest()[:22],
            "host_email": user if "@" in user else f"{user}@zoom.test",
            "topic": body.get("topic", "Zoom Meeting"),
            "type": body.get("type", 2),
            "status": "waiting",
            "start_time": self._start_time(body),
            "duration": body.get("duration", 60),
            "timezone": body.get("timezone", "UTC"),
            "agenda": body.get("agenda", ""),
            "created_at": _zoom_timestamp(_now()),
            "join_url": f"{self.url}/j/{meeting_id}?pwd={encrypted}",
            "password": password,
            "h323_password": password,
            "pstn_password": password,
            "encrypted_password": encrypted,
            "settings": settings,
            "pre_schedule": False,
        }
        if "tracking_fields" in body:
            meeting["tracking_fields"] = body["tracking_fields"]
        with self._state_lock:
            self.meetings[meeting_id] = meeting
        return Reply(201, self._fresh(meeting), {"Content-Location": f"{self.api_base_url}/meetings/{meeting_id}"})

    def list_meetings(self, request: RecordedRequest, user: str) -> Reply:
        if refusal := self._unauthorized(request):
            return refusal
        kind = (request.query.get("type") or ["scheduled"])[-1]
        page_size = min(int((request.query.get("page_size") or ["30"])[-1]), 300)
        offset = int((request.query.get("next_page_token") or ["0"])[-1] or 0)
        now = _now()
        with self._state_lock:
            hosted = [
                meeting
                for meeting in self.meetings.values()
                if meeting["host_email"].lower() == user.lower() or meeting["host_id"] == user
            ]
        if kind in ("upcoming", "upcoming_meetings"):
            hosted = [
                meeting
                for meeting in hosted
                if datetime.fromisoformat(meeting["start_time"]) + timedelta(minutes=meeting["duration"]) >= now
            ]
        page = hosted[offset : offset + page_size]
        more = offset + page_size < len(hosted)
        return Reply(
            200,
            {
                "page_size": page_size,
                "total_records": len(hosted),
                "next_page_token": str(offset + page_size) if more else "",
                "meetings": [self._listing_item(meeting) for meeting in page],
            },
        )

    def get_meeting(self, request: RecordedRequest, meeting_id: str) -> Reply:
        if refusal := self._unauthorized(request):
            return refusal
        meeting = self._find(meeting_id)
        if meeting is None:
            return self._error(404, f"Meeting does not exist: {meeting_id}.")
        return Reply(200, self._fresh(meeting))

    def update_meeting(self, request: RecordedRequest, meeting_id: str) -> Reply:
        if refusal := self._unauthorized(request) or self._invalid(request, "local.meetingUpdate.requestBody"):
            return refusal
        meeting = self._find(meeting_id)
        if meeting is None:
            return self._error(404, f"Meeting does not exist: {meeting_id}.")
        if refusal := self._count_against_daily_limit(meeting["host_email"]):
            return refusal
        body = request.body
        with self._state_lock:
            for name, value in body.items():
                if name == "settings":
                    meeting["settings"] = {**meeting["settings"], **value}
                elif name != "start_time":
                    meeting[name] = value
            if "start_time" in body:
                meeting["start_time"] = self._start_time({**meeting, **body})
        return Reply(204)

    def delete_meeting(self, request: RecordedRequest, meeting_id: str) -> Reply:
        if refusal := self._unauthorized(request):
            return refusal
        with self._state_lock:
            meeting = self._find(meeting_id)
            if meeting is None:
                return self._error(404, f"Meeting does not exist: {meeting_id}.")
            del self.meetings[meeting["id"]]
        return Reply(204)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake Zoom by hand.")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--daily-limit", type=int, default=100, help="creations and changes per host and day")
    parser.add_argument("--lenient", action="store_true", help="accept bodies the vendor schemas refuse")
    arguments = parser.parse_args()
    fake = ZoomFake(port=arguments.port, daily_limit=arguments.daily_limit, validate_requests=not arguments.lenient)
    fake.start()
    print("# Fake Zoom running. Point the portal at it with:")
    for name, value in fake.environment().items():
        print(f"export {name}={value}")
    print("# Ctrl-C stops it.")
    try:
        wait_for_interrupt()
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
