"""Signing in with the network's account (Microsoft Entra ID, OpenID Connect) against the local fake:
the account whose address Entra vouches for is signed in, and nothing else is."""

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from directory import entra
from tests.fakes.entra import EntraSignInFake
from tests.second_factor import code_now, enrol

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


@pytest.fixture
def entra_fake(settings) -> Iterator[EntraSignInFake]:
    fake = EntraSignInFake().start()
    try:
        for name, value in fake.environment().items():
            setattr(settings, name, value)
        entra.reset()
        yield fake
    finally:
        fake.stop()
        entra.reset()
    assert fake.schema_problems == [], fake.schema_problems
    assert fake.handler_errors == []


@pytest.fixture
def julie(nurse_a):
    nurse_a.email = "Julie.Tremblay@SSSS.gouv.qc.ca"  # matched whatever the case
    nurse_a.save()
    return nurse_a


def english() -> Client:
    client = Client()
    client.cookies["portal_language"] = "en"
    return client


def through_entra(client: Client, fake: EntraSignInFake, **start_query) -> tuple[str, object]:
    """The browser's trip: the portal sends it to Entra, Entra sends it back with a code."""
    start = client.get(reverse("sso_start") + (f"?{urlencode(start_query)}" if start_query else ""))
    assert start.status_code == 302 and start["Location"].startswith(fake.url), start
    browser = requests.Session()
    browser.trust_env = False
    back = browser.get(start["Location"], verify=fake.ca_bundle, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    location = urlsplit(back.headers["Location"])
    callback = f"{location.path}?{location.query}"
    return callback, client.get(callback)


def test_the_button_shows_only_when_the_network_sign_in_is_configured(client, settings, entra_fake):
    shown = client.get(reverse("login")).content.decode()
    settings.ENTRA_CLIENT_SECRET = ""
    hidden = client.get(reverse("login")).content.decode()

    assert reverse("sso_start") in shown and reverse("sso_start") not in hidden
    assert client.get(reverse("sso_start")).status_code == 302  # back to the login page
    assert client.get(reverse("sso_start"))["Location"] == reverse("login")


def test_a_network_sign_in_with_multifactor_signs_in_the_matching_account(client, julie, entra_fake, patient_a):
    detail = reverse("patient_detail", kwargs={"public_id": patient_a.public_id})

    _callback, answer = through_entra(client, entra_fake, next=detail)

    assert answer.status_code == 302 and answer["Location"] == detail
    assert client.get(detail).status_code == 200
    assert AuditEvent.objects.get(action=Action.SSO_LOGIN).details == {"second_factor": "entra"}
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=julie).count() == 1
    authorize = entra_fake.requests_to("GET", "/authorize")[0]
    assert authorize.query["code_challenge_method"] == ["S256"] and authorize.query["nonce"][0]


def test_an_unknown_address_is_refused_with_a_clear_message(julie, entra_fake):
    entra_fake.next_person = {**entra_fake.next_person, "email": "quelquun@ailleurs.example", "preferred_username": ""}
    client = english()

    _callback, answer = through_entra(client, entra_fake)

    assert answer.status_code == 403
    assert "does not match an active account" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    refused = AuditEvent.objects.get(action=Action.SSO_REFUSED)
    assert refused.details == {"reason": "unknown_account", "identifier": "quelquun@ailleurs.example"}


def test_a_deactivated_account_is_refused(julie, entra_fake):
    julie.is_active = False
    julie.save()
    client = english()

    _callback, answer = through_entra(client, entra_fake)

    assert answer.status_code == 403 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=Action.SSO_REFUSED).details["reason"] == "inactive_account"


def test_without_multifactor_at_entra_the_portals_code_is_asked(client, julie, entra_fake):
    entra_fake.next_person = {**entra_fake.next_person, "amr": ["pwd"]}
    enrol(julie)

    _callback, answer = through_entra(client, entra_fake)
    before_code = client.get(reverse("home"))
    done = client.post(reverse("login_code"), {"code": code_now()})

    assert answer.status_code == 302 and answer["Location"] == reverse("login_code")
    assert before_code.status_code == 302 and not before_code["Location"].startswith(reverse("login_code"))
    assert done.status_code == 302 and client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.get(action=Action.SSO_LOGIN).details == {"second_factor": "portal"}


def test_a_tenant_declared_to_enforce_multifactor_needs_no_portal_code(client, julie, entra_fake, settings):
    settings.ENTRA_TENANT_ENFORCES_MFA = True
    entra_fake.next_person = {**entra_fake.next_person, "amr": ["pwd"]}

    _callback, answer = through_entra(client, entra_fake)

    assert answer.status_code == 302 and client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    ("switch", "reason"),
    [
        ("wrong_nonce_next", "nonce_mismatch"),
        ("wrong_audience_next", "invalid_id_token:InvalidAudienceError"),
        ("sign_with_other_key_next", "invalid_id_token:InvalidSignatureError"),
    ],
)
def test_a_forged_or_replayed_id_token_is_refused(client, julie, entra_fake, switch, reason):
    setattr(entra_fake, switch, True)

    _callback, answer = through_entra(client, entra_fake)

    assert answer.status_code == 403 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=Action.SSO_REFUSED).details["reason"] == reason


def test_an_answer_for_another_sign_in_is_refused(client, julie, entra_fake):
    start = client.get(reverse("sso_start"))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    answer = client.get(reverse("sso_callback") + f"?code=volé&state={state}x")

    assert answer.status_code == 403 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=Action.SSO_REFUSED).details["reason"] == "state_mismatch"
    assert entra_fake.requests_to("POST", "/token") == []


def test_the_same_answer_cannot_be_used_twice(julie, entra_fake):
    client = Client()
    callback, first = through_entra(client, entra_fake)
    client.post(reverse("logout"))

    again = client.get(callback)

    assert first.status_code == 302
    assert again.status_code == 403 and "_auth_user_id" not in client.session


def test_a_refusal_of_the_token_endpoint_is_refused_and_audited(client, julie, entra_fake):
    entra_fake.fail_next(400, path="/token", body=entra_fake.error_body(400, "AADSTS70008: expired", "invalid_grant"))

    _callback, answer = through_entra(client, entra_fake)

    assert answer.status_code == 403 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=Action.SSO_REFUSED).details["reason"] == "token_error:invalid_grant"


def test_an_unreachable_identity_provider_sends_back_to_the_password(client, julie, settings):
    settings.ENTRA_TENANT_ID, settings.ENTRA_CLIENT_ID, settings.ENTRA_CLIENT_SECRET = "t", "c", "s"
    settings.ENTRA_AUTHORITY_BASE_URL = "https://127.0.0.1:9"  # nothing listens there
    entra.reset()

    answer = client.get(reverse("sso_start"), follow=True)

    assert answer.redirect_chain[-1][0] == reverse("login")
    assert "_auth_user_id" not in client.session
    entra.reset()
