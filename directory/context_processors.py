"""What every page needs to draw the navigation that fits the person's roles."""

from functools import partial

from django.conf import settings

from .permissions import Capability, has_capability
from .selectors import emergency_accesses_to_review_count


def portal(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "portal_languages": settings.LANGUAGES,
        "nav": {
            "patients": signed_in and has_capability(user, Capability.VIEW_PATIENT),
            "agenda": signed_in and has_capability(user, Capability.VIEW_APPOINTMENT),
            "archives": signed_in and has_capability(user, Capability.REVIEW_DOCUMENTS),
            "transmissions": signed_in
            and (has_capability(user, Capability.PRESCRIBE) or has_capability(user, Capability.REVIEW_DOCUMENTS)),
            "dashboard": signed_in and has_capability(user, Capability.VIEW_DASHBOARD),
            "admin": signed_in and user.is_staff,
            "api_docs": signed_in,
            "emergency_accesses": signed_in and has_capability(user, Capability.REVIEW_EMERGENCY_ACCESS),
            # A callable: the count is asked of the database only when the navigation shows it.
            "emergency_accesses_to_review": partial(emergency_accesses_to_review_count, user),
        },
        "session_idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
