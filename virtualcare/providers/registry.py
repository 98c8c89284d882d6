"""Which provider serves a platform."""

from .base import MeetingDetails, MeetingProvider, MeetingRequest, PermanentProviderError
from .jitsi import JitsiProvider


class PastedLinkProvider:
    """Platforms without an API (REACTS): the professional pastes the link the platform gave her."""

    def __init__(self, name: str, pasted_link: str):
        self.name = name
        self.pasted_link = pasted_link

    def create(self, request: MeetingRequest) -> MeetingDetails:
        if not self.pasted_link.startswith("https://"):
            raise PermanentProviderError("The pasted meeting link must start with https://.")
        return MeetingDetails(provider_meeting_id=self.pasted_link, join_url=self.pasted_link)

    def update(self, provider_meeting_id: str, request: MeetingRequest) -> MeetingDetails:
        return MeetingDetails(provider_meeting_id=provider_meeting_id, join_url=provider_meeting_id)

    def delete(self, provider_meeting_id: str) -> None:
        return None


def provider_named(name: str, *, pasted_link: str = "") -> MeetingProvider:
    if name == "teams":
        from .teams import TeamsProvider

        return TeamsProvider()
    if name == "zoom":
        from .zoom import ZoomProvider

        return ZoomProvider()
    if name == "jitsi":
        return JitsiProvider()
    return PastedLinkProvider(name, pasted_link)
