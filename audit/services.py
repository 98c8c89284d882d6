"""The one way to write to the audit trail."""

from typing import Any, Protocol
from uuid import UUID

from django.contrib.auth.base_user import AbstractBaseUser

from . import context
from .chain import ChainBreak, ChainReport, verify_chain
from .models import AuditEvent

__all__ = ["ChainBreak", "ChainReport", "record", "verify_chain"]


class HasPublicId(Protocol):
    public_id: UUID


def record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: HasPublicId | None = None,
    patient: HasPublicId | None = None,
    details: dict[str, Any] | None = None,
    target_id: str = "",
) -> AuditEvent:
    """Append one event. `details` holds identifiers and field names only, never health information.

    The event joins the hash chain (audit.chain) under a lock held until the surrounding transaction ends.
    """
    where = context.current()
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.public_id) if target is not None else target_id,
        patient_id=patient.public_id if patient is not None else None,
        channel=where.channel,
        ip_address=where.ip_address,
        details=details or {},
    )
