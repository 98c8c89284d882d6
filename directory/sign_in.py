"""Actions around signing in: the second factor (an authenticator app and recovery codes, through
django-otp), ending an account's access, and the per-address ceiling on failed sign-ins.

Wrong codes are answered with an outcome, not an exception: the failure counters that django-otp
writes (its throttling) must be committed, not rolled back with the refusal.
"""

import math
import re
from base64 import b32decode
from binascii import hexlify
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from audit.models import AuditEvent
from audit.services import record

from .models import User

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# The code of the current 30-second step, or of the step just before or after (a phone's clock a
# little off); never wider, so a code read two steps ago is refused.
APP_CODE_TOLERANCE = 1

_APP_CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class CodeOutcome:
    """What became of a code: accepted (from the app or a recovery code), wrong, or not even checked
    because the account must wait `retry_after` seconds after its previous wrong codes."""

    accepted: bool
    recovery_code_used: bool = False
    retry_after: int = 0
    remaining_recovery_codes: int | None = None
    recovery_codes: list[str] = field(default_factory=list)  # only when set-up just finished

    @property
    def throttled(self) -> bool:
        return self.retry_after > 0


def has_second_factor(user: User) -> bool:
    """Whether the person finished setting up an authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalize_code(code: str) -> str:
    """Codes are typed with spaces or dashes (123 456, abcd-efgh) and in either case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def format_recovery_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@transaction.atomic
def start_enrolment(user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator-app device with a fresh secret.

    Any earlier unfinished set-up is dropped: a secret shown once, perhaps to someone else, is never
    the one that ends up confirmed later.
    """
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False, tolerance=APP_CODE_TOLERANCE)


@transaction.atomic
def confirm_enrolment(user: User, *, device_id: int, code: str) -> CodeOutcome:
    """Confirm the app shown at set-up with one of its codes; then it replaces any earlier app, and
    ten recovery codes are made (returned once, in the outcome)."""
    device = TOTPDevice.objects.select_for_update(no_key=True).filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        return CodeOutcome(accepted=False)
    wait = _wait_before_checking(device)
    if wait:
        return CodeOutcome(accepted=False, retry_after=wait)
    if not device.verify_token(normalize_code(code)):  # counts the failure for the throttling
        record(actor=user, action=AuditEvent.Action.SECOND_FACTOR_FAILED, details={"step": "set_up"})
        return CodeOutcome(accepted=False)
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _replace_recovery_codes(user)
    record(actor=user, action=AuditEvent.Action.SECOND_FACTOR_ENROLLED, details={"recovery_codes": len(codes)})
    return CodeOutcome(accepted=True, recovery_codes=codes, remaining_recovery_codes=len(codes))


@transaction.atomic
def check_second_factor(user: User, *, code: str) -> CodeOutcome:
    """Check a code of the person's app (single use: the same code, or an older one, is refused once a
    code was accepted) or one of her recovery codes (deleted once used).

    Every wrong code is recorded (SECOND_FACTOR_FAILED) and makes the next check wait longer
    (django-otp's throttling: 1, 2, 4, 8... seconds).
    """
    code = normalize_code(code)
    from_app = bool(_APP_CODE.match(code))
    model = TOTPDevice if from_app else StaticDevice
    # Locked, so that two requests with the same code cannot both be accepted.
    device = model.objects.select_for_update(no_key=True).filter(user=user, confirmed=True).first()
    if device is None:
        record(actor=user, action=AuditEvent.Action.SECOND_FACTOR_FAILED, details={"kind": _kind(from_app)})
        return CodeOutcome(accepted=False)
    wait = _wait_before_checking(device)
    if wait:
        return CodeOutcome(accepted=False, retry_after=wait)
    if not device.verify_token(code):  # counts the failure for the throttling
        record(actor=user, action=AuditEvent.Action.SECOND_FACTOR_FAILED, details={"kind": _kind(from_app)})
        return CodeOutcome(accepted=False)
    if from_app:
        return CodeOutcome(accepted=True)
    remaining = device.token_set.count()
    record(actor=user, action=AuditEvent.Action.RECOVERY_CODE_USED, details={"remaining": remaining})
    return CodeOutcome(accepted=True, recovery_code_used=True, remaining_recovery_codes=remaining)


@transaction.atomic
def enrol_with_published_secret_for_demo(user: User, *, secret_base32: str) -> TOTPDevice:
    """Set up an app whose secret everybody can read (the demo's, and the tests'): never for a real account.

    Idempotent: an account already set up with this secret is left as it is (its codes still work).
    """
    key = hexlify(b32decode(secret_base32)).decode()
    device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key).first()
    if device is not None:
        return device
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name=APP_DEVICE_NAME, key=key, confirmed=True, tolerance=APP_CODE_TOLERANCE
    )
    _replace_recovery_codes(user)
    return device


@transaction.atomic
def renew_recovery_codes(user: User, *, by: User) -> list[str]:
    """Ten new recovery codes; the earlier ones stop working at once."""
    codes = _replace_recovery_codes(user)
    record(actor=by, action=AuditEvent.Action.RECOVERY_CODES_RENEWED, target=user, details={"count": len(codes)})
    return codes


@transaction.atomic
def reset_second_factor(user: User, *, by: User) -> User:
    """Forget the person's app and recovery codes (a lost phone): her next sign-in sets up a new app.

    Her sessions end too, since whoever has the phone may also have one of them open.
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    record(actor=by, action=AuditEvent.Action.SECOND_FACTOR_RESET, target=user)
    return user


@transaction.atomic
def deactivate_account(user: User, *, by: User | None) -> User:
    """Deactivate an account: every session ends and every API token is deleted (SESSIONS_ENDED).

    Also called after the flag was already turned off (the admin's form saves it first), so that
    nothing of the account's access remains either way.
    """
    user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
    if user.is_active:
        user.is_active = False
    user.session_epoch = F("session_epoch") + 1
    user.save(update_fields=["is_active", "session_epoch"])
    tokens, _deleted = Token.objects.filter(user=user).delete()
    record(
        actor=by,
        action=AuditEvent.Action.SESSIONS_ENDED,
        target=user,
        details={"reason": "deactivated", "api_tokens_deleted": tokens},
    )
    user.refresh_from_db()
    return user


def address_retry_after(address: str | None) -> int:
    """Seconds before this client address may try to sign in again; 0 when it may now.

    The failed sign-ins of the audit trail are the counter: shared by every web process, and kept
    across restarts. The address is blocked while LOGIN_ADDRESS_FAILURE_LIMIT of its failures are
    younger than the window; it is free again when the oldest of them leaves the window.
    """
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    if not address or limit <= 0:
        return 0
    window = timedelta(minutes=settings.LOGIN_ADDRESS_WINDOW_MINUTES)
    now = timezone.now()
    counted = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.LOGIN_FAILED, ip_address=address, occurred_at__gte=now - window
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
    )
    oldest_counted = next(iter(counted[limit - 1 : limit]), None)
    if oldest_counted is None:
        return 0
    return max(1, math.ceil((oldest_counted + window - now).total_seconds()))


def _replace_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _index in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.throttle_reset()
    return codes


def _wait_before_checking(device) -> int:
    allowed, details = device.verify_is_allowed()
    if allowed:
        return 0
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, math.ceil((locked_until - timezone.now()).total_seconds()))


def _kind(from_app: bool) -> str:
    return "app" if from_app else "recovery_code"
