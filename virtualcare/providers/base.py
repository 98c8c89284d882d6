"""What every meeting provider offers the portal, and how it says that something went wrong.

A provider never sees who the patient is: the request carries the clinic's name as subject, the
organizer's work address, times and an external id, nothing else.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class MeetingRequest:
    external_id: str  # the portal's idempotency key for this meeting (a UUID string)
    subject: str  # names the clinic, never the patient
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    organizer_email: str  # the professional's network account: Teams user id, Zoom user id
    organizer_name: str = ""
    interpreter_languages: tuple[str, ...] = ()  # ISO 639-1 codes of interpreters invited
    lobby_bypass: str = "organization"  # Teams: who skips the lobby (patients always wait)


@dataclass(frozen=True)
class MeetingDetails:
    provider_meeting_id: str
    join_url: str  # what participants receive
    host_url: str = ""  # what the professional opens to start it (Zoom's start_url); join_url if empty
    passcode: str = ""
    dial_in: str = ""
    extra: dict = field(default_factory=dict)


class ProviderError(Exception):
    """A failure at the provider, with a sentence for the agenda (no health information inside)."""

    def __init__(self, reason: str, *, status: int | None = None, code: str = ""):
        self.reason = reason
        self.status = status
        self.code = code
        super().__init__(reason)


class TemporaryProviderError(ProviderError):
    """Worth retrying: 429, 5xx, a timeout, a broken connection, a malformed answer."""

    def __init__(self, reason: str, *, status: int | None = None, code: str = "", retry_after: float | None = None):
        super().__init__(reason, status=status, code=code)
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """Not worth retrying until someone fixes something: 400, 401 (after one token refresh), 403, 404."""


class MeetingProvider(Protocol):
    name: str

    def create(self, request: MeetingRequest) -> MeetingDetails: ...

    def update(self, provider_meeting_id: str, request: MeetingRequest) -> MeetingDetails: ...

    def delete(self, provider_meeting_id: str) -> None: ...
