"""Typed errors that services raise and that views and the API turn into responses.

Each carries a stable code for programs and a translated sentence for people.
"""

from django.utils.translation import gettext_lazy as _


class PortalError(Exception):
    status_code = 400
    default_code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.field = field
        super().__init__(str(self.message))


class Invalid(PortalError):
    status_code = 400
    default_code = "invalid"


class NotAllowed(PortalError):
    status_code = 403
    default_code = "not_allowed"
    default_message = _("You are not allowed to do this.")


class NotFound(PortalError):
    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(PortalError):
    status_code = 409
    default_code = "conflict"


class TemporaryFailure(Exception):
    """An external effect that failed but may work later; `retry_after` in seconds when known."""

    def __init__(self, reason: str, *, retry_after: float | None = None):
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class PermanentDeliveryError(Exception):
    """A message the mail service refused for good (a refused sender, a malformed message)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
