from datetime import date, datetime, time, timedelta

from common.time import MONTREAL
from directory.models import User

from .permissions import communications_visible_to


def communications_for(user: User, *, start: date | None, end: date | None, recipient_kind: str = ""):
    """The register as the user may read it, for whole Montréal days from `start` to `end`."""
    rows = communications_visible_to(user).order_by("-communicated_at", "-id")
    if start:
        rows = rows.filter(communicated_at__gte=datetime.combine(start, time.min, tzinfo=MONTREAL))
    if end:
        rows = rows.filter(communicated_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=MONTREAL))
    if recipient_kind:
        rows = rows.filter(recipient_kind=recipient_kind)
    return rows
