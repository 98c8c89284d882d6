"""Signing in: lockout after repeated failures, the language choice remembered, sessions that expire."""

import pytest
from django.conf import settings
from django.urls import reverse

from directory.models import User
from tests.factories import PASSWORD
from tests.second_factor import code_now, enrol
from tests.second_factor import sign_in as sign_in_with_code

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    """The password step, then the code step when the password was accepted."""
    user = User.objects.filter(username=username).first()
    if user is not None and password == PASSWORD:
        return sign_in_with_code(client, user, password)
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_account_locks_after_the_configured_number_of_failures(client, nurse_a):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "infirmiere_a", "mauvais").status_code == 200

    locked = sign_in(client, "infirmiere_a", "mauvais")
    even_with_the_right_password = sign_in(client, "infirmiere_a", PASSWORD)

    assert locked.status_code == 429
    assert even_with_the_right_password.status_code == 429
    assert "verrouillé" in even_with_the_right_password.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_api_token_is_locked_too(api, nurse_a):
    enrol(nurse_a)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": "mauvais", "otp": "000000"})

    response = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": PASSWORD, "otp": code_now()})

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_another_account_is_not_locked_by_a_colleagues_failures(client, nurse_a, archivist_a):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "infirmiere_a", "mauvais")

    assert sign_in(client, "archiviste_a", PASSWORD).status_code == 302


def test_the_interface_is_french_by_default_even_for_an_english_browser(client):
    response = client.get(reverse("login"), headers={"Accept-Language": "en-US,en"})

    assert response.headers["Content-Language"] == "fr"
    assert "Se connecter" in response.content.decode()


def test_english_is_one_click_away_and_remembered_on_the_account(client, nurse_a):
    client.force_login(nurse_a)

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("patient_list")}, follow=True)

    nurse_a.refresh_from_db()
    assert response.redirect_chain[-1][0] == reverse("patient_list")
    assert "Patients" in response.content.decode() and "Sign out" in response.content.decode()
    assert nurse_a.preferred_language == "en"


def test_the_language_follows_the_person_to_another_workstation(client, nurse_a):
    nurse_a.preferred_language = "en"
    nurse_a.save()

    sign_in(client, "infirmiere_a", PASSWORD)
    response = client.get(reverse("home"))

    assert response.headers["Content-Language"] == "en"


def test_the_language_switch_refuses_to_send_elsewhere(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://ailleurs.example.com/"})

    assert response["Location"] == reverse("home")


def test_sessions_expire_after_the_idle_time_and_are_renewed_on_activity(client, nurse_a):
    sign_in(client, "infirmiere_a", PASSWORD)

    client.get(reverse("home"))

    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert 29 * 60 < client.session.get_expiry_age() <= 30 * 60


def test_an_expired_session_sends_back_to_the_login_page(client, nurse_a):
    sign_in(client, "infirmiere_a", PASSWORD)
    session = client.session
    session.set_expiry(-1)
    session.save()

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_signing_out_is_a_post_and_ends_the_session(client, nurse_a):
    sign_in(client, "infirmiere_a", PASSWORD)

    client.post(reverse("logout"))

    assert client.get(reverse("home")).status_code == 302


def test_pages_for_signed_in_people_are_never_cached(client, nurse_a, patient_a):
    client.force_login(nurse_a)

    response = client.get(reverse("patient_detail", kwargs={"public_id": patient_a.public_id}))

    assert "no-store" in response["Cache-Control"]


def test_navigation_fits_the_role(client, nurse_a, administrator):
    client.force_login(nurse_a)
    nurse_page = client.get(reverse("home")).content.decode()
    client.force_login(administrator)
    admin_page = client.get(reverse("home")).content.decode()

    assert reverse("patient_list") in nurse_page and reverse("admin:index") not in nurse_page
    assert reverse("admin:index") in admin_page
