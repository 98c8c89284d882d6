"""Sign-ins and sign-outs are hooks Django hands us: they go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEvent
from .services import record


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs) -> None:
    record(actor=user, action=AuditEvent.Action.LOGIN)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(actor=user, action=AuditEvent.Action.LOGOUT)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs) -> None:
    # The username typed is kept (it is not health information) so that attacks can be traced.
    record(
        actor=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        details={"username": credentials.get("username", "")[:150]},
    )
