"""Jitsi Meet: nothing to call. A room with an unguessable name, and signed links when a secret is set."""

import hashlib
import hmac
import time
from urllib.parse import quote

import jwt
from django.conf import settings

from .base import MeetingDetails, MeetingRequest


class JitsiProvider:
    name = "jitsi"

    def create(self, request: MeetingRequest) -> MeetingDetails:
        # Derived from the meeting's id with the portal's secret: unguessable (128 bits), and the same
        # room however many times a retried task asks. Lower case: Prosody compares rooms lower-cased.
        digest = hmac.new(settings.SECRET_KEY.encode(), request.external_id.encode(), hashlib.sha256).hexdigest()
        room = f"telesante-{digest[:32]}"
        return MeetingDetails(provider_meeting_id=room, join_url=room_url(room))

    def update(self, provider_meeting_id: str, request: MeetingRequest) -> MeetingDetails:
        return MeetingDetails(provider_meeting_id=provider_meeting_id, join_url=room_url(provider_meeting_id))

    def delete(self, provider_meeting_id: str) -> None:
        return None


def room_url(room: str) -> str:
    return f"{settings.JITSI_BASE_URL.rstrip('/')}/{quote(room)}"


def signed_link(room: str, *, name: str, email: str, moderator: bool, expires_at: float) -> str:
    """A personal link for one participant; moderators (the professionals) admit the others."""
    if not (settings.JITSI_APP_ID and settings.JITSI_APP_SECRET):
        return room_url(room)
    now = int(time.time())
    claims = {
        "aud": "jitsi",
        "iss": settings.JITSI_APP_ID,
        "sub": settings.JITSI_BASE_URL.split("://", 1)[-1].split("/", 1)[0],
        "room": room.lower(),
        "nbf": now - 600,
        "exp": int(expires_at),
        "context": {
            "user": {
                "name": name,
                "email": email,
                "moderator": "true" if moderator else "false",
                "affiliation": "owner" if moderator else "member",
            }
        },
    }
    token = jwt.encode(claims, settings.JITSI_APP_SECRET, algorithm="HS256")
    return f"{room_url(room)}?jwt={token}"
