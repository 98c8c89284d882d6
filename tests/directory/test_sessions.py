"""A session lasts 30 minutes idle and 12 hours at most; signing out ends every session of the person;
a deactivated account is signed out everywhere."""

import time

from django.test import Client
from django.urls import reverse

from directory.middleware import SIGNED_IN_AT
from tests.second_factor import sign_in


def signed_in(user) -> Client:
    client = Client()
    assert sign_in(client, user).status_code == 302
    assert client.get(reverse("patient_list")).status_code == 200
    return client


def test_signing_out_on_one_workstation_ends_the_others(nurse_a):
    desk, home = signed_in(nurse_a), signed_in(nurse_a)

    desk.post(reverse("logout"))

    answer = home.get(reverse("patient_list"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    assert "expired=1" in answer["Location"]
    assert home.get(reverse("patient_list")).status_code == 302  # and it stays signed out
    page = home.get(answer["Location"])
    assert "Votre session a pris fin" in page.content.decode()
    assert signed_in(nurse_a).get(reverse("patient_list")).status_code == 200  # signing in again works


def test_a_session_ends_after_twelve_hours_however_active(nurse_a, settings):
    client = signed_in(nurse_a)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 12 * 3600 - 60
    session.save()

    assert client.get(reverse("patient_list")).status_code == 302
    assert client.get("/api/v1/patients/").status_code in (401, 403)


def test_a_session_is_kept_within_its_twelve_hours(nurse_a):
    client = signed_in(nurse_a)
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 11 * 3600
    session.save()

    assert client.get(reverse("patient_list")).status_code == 200


def test_the_idle_limit_is_thirty_minutes_renewed_by_each_request(nurse_a, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_a_deactivated_account_is_signed_out_at_once(nurse_a):
    client = signed_in(nurse_a)
    nurse_a.is_active = False
    nurse_a.save()

    assert client.get(reverse("patient_list")).status_code == 302
    assert client.get("/api/v1/patients/").status_code in (401, 403)
