from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task
def clear_expired_sessions_task() -> int:
    """Remove sessions past their expiry, so an abandoned sign-in leaves nothing behind. Idempotent."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
