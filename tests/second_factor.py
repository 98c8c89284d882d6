"""Signing in through the pages as a person does, second factor included, for the tests of every app.

`client.force_login` skips all of this on purpose: the gate is in the sign-in flow, not on each page.
"""

import time
from base64 import b32decode

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

from directory.sign_in import enrol_with_published_secret_for_demo

from .factories import PASSWORD

# A published secret, as the demo's: fine for test accounts, never for a real one.
TEST_TOTP_SECRET = "TESTSECRETFORTELESANTETESTS23456"


def enrol(user, secret: str = TEST_TOTP_SECRET):
    """The person's authenticator app, set up with a secret the test knows."""
    return enrol_with_published_secret_for_demo(user, secret_base32=secret)


def code_now(secret: str = TEST_TOTP_SECRET, *, steps: int = 0) -> str:
    """The code the app shows now (or `steps` 30-second steps from now)."""
    totp = TOTP(b32decode(secret))
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def fresh_code(user, secret: str = TEST_TOTP_SECRET) -> str:
    """A code the account has not used yet: an accepted code cannot be given twice, nor an older one, so
    a test that signs in again within 30 seconds uses the next step's code (one step of tolerance), then
    one of the recovery codes."""
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(b32decode(secret))
    totp.time = time.time()
    if device.last_t < totp.t():
        return code_now(secret)
    if device.last_t == totp.t():
        return code_now(secret, steps=1)
    return StaticToken.objects.filter(device__user=user).values_list("token", flat=True).first()


def sign_in(client: Client, user, password: str = PASSWORD, *, next_url: str | None = None):
    """Password, then code (the account is set up first if it was not): the answer to the code step."""
    from directory.sign_in import has_second_factor

    if not has_second_factor(user):
        enrol(user)
    data = {"username": user.get_username(), "password": password}
    if next_url:
        data["next"] = next_url
    answer = client.post(reverse("login"), data)
    if answer.status_code != 302 or answer["Location"] != reverse("login_code"):
        return answer
    return client.post(reverse("login_code"), {"code": fresh_code(user)})
