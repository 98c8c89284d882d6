"""Ceilings on failed sign-ins: per account (axes, ASVS 2.2.1) and per client address; and a deactivated
account keeps no way in (sessions, API tokens)."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from audit.models import AuditEvent
from directory.sign_in import deactivate_account
from tests.factories import PASSWORD
from tests.second_factor import code_now, enrol, sign_in

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def from_address(address: str, language: str = "en") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.cookies["portal_language"] = language
    return client


def password_step(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_101st_failure_within_an_hour_is_refused_even_with_the_right_password(nurse_a):
    """ASVS 2.2.1: at most 100 failed attempts per hour on one account (here far fewer: 5, then a lockout
    that each further attempt extends)."""
    enrol(nurse_a)
    client = from_address("198.51.100.7")
    answers = [password_step(client, "infirmiere_a", f"mauvais-{attempt}") for attempt in range(100)]

    right_password = password_step(client, "infirmiere_a", PASSWORD)

    assert sum(answer.status_code == 200 for answer in answers) == settings.AXES_FAILURE_LIMIT - 1
    assert right_password.status_code == 429
    assert int(right_password["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session and "portal_pending_sign_in" not in client.session


def test_the_lockout_answer_does_not_tell_whether_the_account_exists(nurse_a):
    known, unknown = from_address("198.51.100.8"), from_address("198.51.100.9")
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        password_step(known, "infirmiere_a", f"mauvais-{attempt}")
        password_step(unknown, "personne_inconnue", f"mauvais-{attempt}")

    for_known = password_step(known, "infirmiere_a", PASSWORD)
    for_unknown = password_step(unknown, "personne_inconnue", PASSWORD)

    assert for_known.status_code == for_unknown.status_code == 429
    assert for_known["Retry-After"] == for_unknown["Retry-After"]
    assert without_csrf(for_known.content.decode()) == without_csrf(for_unknown.content.decode())


def test_an_address_past_its_ceiling_of_failures_waits_and_others_do_not(nurse_a, archivist_a, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    enrol(archivist_a)
    shared_nat = from_address("203.0.113.10")
    for username in ("inconnu1", "inconnu2", "inconnu3"):  # different accounts: no account lockout
        assert password_step(shared_nat, username, "mauvais").status_code == 200

    refused = password_step(shared_nat, "archiviste_a", PASSWORD)
    api_refused = shared_nat.post(
        "/api/v1/auth/token/", {"username": "archiviste_a", "password": PASSWORD, "otp": code_now()}
    )
    elsewhere = sign_in(from_address("203.0.113.99"), archivist_a)

    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many failed sign-ins from this connection" in refused.content.decode()
    assert api_refused.status_code == 429 and api_refused.json()["code"] == "too_many_failures"
    assert "Retry-After" in api_refused
    assert elsewhere.status_code == 302


def test_successful_sign_ins_never_count_toward_the_address_ceiling(clinic_a, settings):
    """A clinic behind one NAT address signing in at 8:00: only failures count."""
    from tests import factories

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 2
    nurses = [factories.staff(clinic_a, username=f"infirmiere_{index}") for index in range(6)]

    answers = [sign_in(from_address("203.0.113.20"), nurse) for nurse in nurses]

    assert [answer.status_code for answer in answers] == [302] * 6


def test_the_address_ceiling_is_answered_in_french_by_default(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1
    client = Client(REMOTE_ADDR="203.0.113.30")
    password_step(client, "inconnu", "mauvais")

    refused = password_step(client, "inconnu", "mauvais")

    assert refused.status_code == 429 and refused.headers["Content-Language"] == "fr"


# -- deactivation ------------------------------------------------------------------------------------


def test_deactivating_an_account_in_the_admin_ends_its_sessions_and_deletes_its_api_tokens(nurse_a, administrator):
    enrol(nurse_a)
    desk = Client()
    assert sign_in(desk, nurse_a).status_code == 302
    token = Token.objects.create(user=nurse_a)
    admin = Client()
    admin.force_login(administrator)
    form = admin.get(reverse("admin:directory_user_change", args=[nurse_a.pk])).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    data.pop("groups", None)
    data.pop("user_permissions", None)

    answer = admin.post(reverse("admin:directory_user_change", args=[nurse_a.pk]), data)

    assert answer.status_code == 302, answer.context["adminform"].form.errors if answer.context else answer
    nurse_a.refresh_from_db()
    assert not nurse_a.is_active
    assert desk.get(reverse("patient_list")).status_code == 302
    assert not Token.objects.filter(user=nurse_a).exists()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
    ended = AuditEvent.objects.get(action=Action.SESSIONS_ENDED)
    assert ended.actor == administrator and ended.details == {"reason": "deactivated", "api_tokens_deleted": 1}


def test_the_deactivation_service_is_the_same_from_anywhere(nurse_a):
    Token.objects.create(user=nurse_a)
    epoch = nurse_a.session_epoch

    deactivate_account(nurse_a, by=None)

    nurse_a.refresh_from_db()
    assert not nurse_a.is_active and nurse_a.session_epoch == epoch + 1
    assert not Token.objects.filter(user=nurse_a).exists()
    assert AuditEvent.objects.filter(action=Action.SESSIONS_ENDED, target_id=str(nurse_a.public_id)).count() == 1
