from datetime import datetime, timedelta

from django.utils import timezone

from scheduling.services import BookingDetails, ParticipantDetails


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.localtime() + timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def video(platform: str = "jitsi", *, start=None, minutes: int = 30, **more) -> BookingDetails:
    return BookingDetails(
        kind="scheduled",
        modality="video",
        platform=platform,
        reason="between_cycles",
        start=start or tomorrow_at(10),
        duration_minutes=minutes,
        **more,
    )


def caregiver(language: str = "en") -> ParticipantDetails:
    return ParticipantDetails(role="caregiver", name="Paul Côté", email="paul.cote@example.com", language=language)
