"""The second sign-in factor: the password alone opens nothing, a code works once, wrong codes are
throttled, audited and count toward the lockout, recovery codes, set-up, renewal and reset."""

import re
import time
from base64 import b32decode

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from directory.sign_in_views import PENDING
from tests.conftest import api_as
from tests.factories import PASSWORD
from tests.second_factor import code_now, enrol, sign_in

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def password_step(client, user, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": password, **extra})


def actions(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def english() -> Client:
    """A workstation set to English (the French catalogue gets this work's sentences later)."""
    client = Client()
    client.cookies["portal_language"] = "en"
    return client


def recovery_codes_of(user) -> list[str]:
    return list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def test_the_password_alone_opens_no_page_but_the_code_step(client, nurse_a, patient_a):
    enrol(nurse_a)

    answer = password_step(client, nurse_a)

    assert answer.status_code == 302 and answer["Location"] == reverse("login_code")
    assert "_auth_user_id" not in client.session
    for page in (reverse("home"), reverse("patient_list"), reverse("account"), "/admin/"):
        assert client.get(page).status_code == 302, page
        assert not client.get(page)["Location"].startswith(reverse("login_code"))
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert client.get(reverse("login_code")).status_code == 200
    assert actions(action=Action.LOGIN) == []


def test_the_right_code_signs_in_and_goes_where_the_person_was_going(client, nurse_a, patient_a):
    enrol(nurse_a)
    detail = reverse("patient_detail", kwargs={"public_id": patient_a.public_id})

    password_step(client, nurse_a, next=detail)
    answer = client.post(reverse("login_code"), {"code": code_now()})

    assert answer.status_code == 302 and answer["Location"] == detail
    assert client.get(detail).status_code == 200
    assert PENDING not in client.session
    assert actions(actor=nurse_a, action=Action.LOGIN) == [Action.LOGIN]


def test_a_code_works_once(nurse_a):
    enrol(nurse_a)
    code = code_now()
    first, second = Client(), english()
    password_step(first, nurse_a)
    password_step(second, nurse_a)

    accepted = first.post(reverse("login_code"), {"code": code})
    replayed = second.post(reverse("login_code"), {"code": code})

    assert accepted.status_code == 302
    assert replayed.status_code == 200
    assert "not right, or was already used" in replayed.content.decode()
    assert "_auth_user_id" not in second.session


def test_a_code_from_two_steps_ago_is_refused_but_the_previous_step_is_tolerated(client, nurse_a):
    enrol(nurse_a)
    password_step(client, nurse_a)

    too_old = client.post(reverse("login_code"), {"code": code_now(steps=-2)})
    still_out = "_auth_user_id" not in client.session
    time.sleep(1.1)  # django-otp makes the account wait 1 s after a wrong code
    previous = client.post(reverse("login_code"), {"code": code_now(steps=-1)})

    assert too_old.status_code == 200 and still_out
    assert previous.status_code == 302 and "_auth_user_id" in client.session


def test_a_wrong_code_is_audited_and_the_next_try_must_wait(nurse_a):
    enrol(nurse_a)
    client = english()
    password_step(client, nurse_a)

    wrong = client.post(reverse("login_code"), {"code": "000000" if code_now() != "000000" else "111111"})
    at_once = client.post(reverse("login_code"), {"code": code_now()})

    assert wrong.status_code == 200
    assert at_once.status_code == 429 and int(at_once["Retry-After"]) >= 1
    assert "Too many wrong codes" in at_once.content.decode()
    assert actions(action=Action.SECOND_FACTOR_FAILED) == [Action.SECOND_FACTOR_FAILED]
    assert AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED).actor == nurse_a
    time.sleep(1.1)
    assert client.post(reverse("login_code"), {"code": code_now()}).status_code == 302


def test_wrong_codes_count_toward_the_account_lockout(client, nurse_a, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout alone, without the waits between codes
    enrol(nurse_a)
    password_step(client, nurse_a)

    answers = [client.post(reverse("login_code"), {"code": "000000"}) for _ in range(settings.AXES_FAILURE_LIMIT)]
    right_code = client.post(reverse("login_code"), {"code": code_now()})

    assert answers[-1].status_code == 429 and "verrouillé" in answers[-1].content.decode()
    assert right_code.status_code == 429
    assert "_auth_user_id" not in client.session
    assert password_step(Client(), nurse_a).status_code == 429


def test_the_code_step_expires(nurse_a):
    enrol(nurse_a)
    client = english()
    password_step(client, nurse_a)
    session = client.session
    session[PENDING] = {**session[PENDING], "since": time.time() - settings.SECOND_FACTOR_PENDING_MINUTES * 60 - 1}
    session.save()

    answer = client.post(reverse("login_code"), {"code": code_now()}, follow=True)

    assert answer.redirect_chain[0][0] == reverse("login")
    assert "The sign-in took too long" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(client, nurse_a):
    enrol(nurse_a)
    code = recovery_codes_of(nurse_a)[0]

    password_step(client, nurse_a)
    accepted = client.post(reverse("login_code"), {"code": f" {code[:4].upper()}-{code[4:]} "}, follow=True)
    again = Client()
    password_step(again, nurse_a)
    refused = again.post(reverse("login_code"), {"code": code})

    assert accepted.status_code == 200 and "9 codes" in accepted.content.decode()
    assert refused.status_code == 200 and "_auth_user_id" not in again.session
    assert len(recovery_codes_of(nurse_a)) == 9
    assert AuditEvent.objects.get(action=Action.RECOVERY_CODE_USED).details == {"remaining": 9}


def test_the_first_sign_in_sets_up_the_app_and_shows_ten_recovery_codes_once(client, archivist_a):
    first = password_step(client, archivist_a)
    page = client.get(reverse("login_enrol"))
    html = page.content.decode()
    secret = re.search(r'class="secret" translate="no">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    totp = TOTP(b32decode(secret))
    totp.time = time.time()

    done = client.post(reverse("login_enrol"), {"code": f"{totp.token():06d}"})

    assert first["Location"] == reverse("login_enrol")
    assert 'src="data:image/svg+xml' in html
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert "_auth_user_id" in client.session
    assert TOTPDevice.objects.get(user=archivist_a).confirmed
    assert actions(actor=archivist_a) == [Action.SECOND_FACTOR_ENROLLED, Action.LOGIN]
    # Shown once: the account page only counts them
    account = client.get(reverse("account")).content.decode()
    assert "10" in account and codes[0] not in account


def test_a_wrong_code_at_set_up_keeps_the_person_out(client, manager_a):
    password_step(client, manager_a)
    client.get(reverse("login_enrol"))

    answer = client.post(reverse("login_enrol"), {"code": "12345"})

    assert answer.status_code == 200 and "_auth_user_id" not in client.session
    assert not TOTPDevice.objects.filter(user=manager_a, confirmed=True).exists()
    assert actions(action=Action.SECOND_FACTOR_FAILED) == [Action.SECOND_FACTOR_FAILED]


def test_renewing_the_recovery_codes_replaces_them(nurse_a):
    enrol(nurse_a)
    before = set(recovery_codes_of(nurse_a))
    client = Client()
    client.force_login(nurse_a)

    page = client.post(reverse("recovery_codes_renew"))

    shown = {code.replace("-", "") for code in re.findall(r"<code>([a-z2-7-]{9})</code>", page.content.decode())}
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert shown == set(recovery_codes_of(nurse_a)) and len(shown) == 10
    assert not shown & before
    assert actions(action=Action.RECOVERY_CODES_RENEWED) == [Action.RECOVERY_CODES_RENEWED]


def test_an_administrator_resets_a_second_factor_and_the_next_sign_in_sets_up_a_new_app(nurse_a, administrator):
    enrol(nurse_a)
    desk = Client()
    assert sign_in(desk, nurse_a).status_code == 302
    admin = Client()
    admin.force_login(administrator)

    admin.post(
        reverse("admin:directory_user_changelist"),
        {"action": "reset_second_factor_action", "_selected_action": [nurse_a.pk]},
    )

    assert not TOTPDevice.objects.filter(user=nurse_a).exists() and recovery_codes_of(nurse_a) == []
    assert AuditEvent.objects.get(action=Action.SECOND_FACTOR_RESET).actor == administrator
    assert desk.get(reverse("home")).status_code == 302  # her open sessions ended
    assert password_step(Client(), nurse_a)["Location"] == reverse("login_enrol")


def test_the_admins_own_sign_in_form_is_not_a_way_around(client, administrator):
    enrol(administrator)

    posted = client.post("/admin/login/", {"username": administrator.username, "password": PASSWORD})
    opened = client.get("/admin/login/?next=/admin/")

    assert posted.status_code == 405 and "_auth_user_id" not in client.session
    assert opened.status_code == 302 and opened["Location"].startswith(reverse("login"))
    assert client.get("/admin/").status_code == 302


def test_without_the_setting_the_password_is_enough(client, nurse_a, settings):
    settings.SECOND_FACTOR_REQUIRED = False

    answer = password_step(client, nurse_a)

    assert answer.status_code == 302 and answer["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


# -- the API token ---------------------------------------------------------------------------------


def test_the_api_token_asks_for_the_code_before_looking_at_the_password(api, nurse_a):
    enrol(nurse_a)

    right_password = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": PASSWORD})
    wrong_password = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": "faux"})

    assert right_password.status_code == wrong_password.status_code == 400
    assert right_password.json() == wrong_password.json()
    assert right_password.json()["code"] == "second_factor_required" and right_password.json()["field"] == "otp"
    assert "otp" in right_password.json()["detail"]
    assert actions(action=Action.LOGIN_FAILED) == []


def test_the_api_token_refuses_a_wrong_or_replayed_code_and_takes_a_recovery_code(api, nurse_a, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    enrol(nurse_a)
    code = code_now()

    wrong = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": PASSWORD, "otp": "999999x"})
    good = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": PASSWORD, "otp": code})
    replay = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": PASSWORD, "otp": code})
    recovery = api.post(
        "/api/v1/auth/token/",
        {"username": "infirmiere_a", "password": PASSWORD, "otp": recovery_codes_of(nurse_a)[0]},
    )

    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_second_factor"
    assert good.status_code == 200
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_second_factor"
    assert recovery.status_code == 200
    assert actions(action=Action.SECOND_FACTOR_FAILED) == [Action.SECOND_FACTOR_FAILED] * 2


def test_the_api_token_needs_an_app_set_up_on_the_web_first(api, nurse_a):
    answer = api.post("/api/v1/auth/token/", {"username": "infirmiere_a", "password": PASSWORD, "otp": "123456"})

    assert answer.status_code == 403 and answer.json()["code"] == "second_factor_not_set_up"


def test_the_api_schema_shows_the_code_field(administrator):
    schema = yaml.safe_load(api_as(administrator).get("/api/schema/").content)

    fields = schema["components"]["schemas"]["TokenRequestRequest"]["properties"]
    assert "otp" in fields and "second_factor_required" in fields["otp"]["description"]
