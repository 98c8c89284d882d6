"""A nurse signs in with her network account: the portal sends the browser to Entra ID (the local fake,
over TLS), Entra sends it back with a code, and she lands on her home page, signed in."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audit.models import AuditEvent
from tests import factories
from tests.directory.test_network_sign_in import entra_fake  # noqa: F401  (the fake Entra ID and its settings)

from .test_nurse_journey import main_heading

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


def test_a_nurse_signs_in_with_her_network_account(browser, browser_context_args, live_server, entra_fake):  # noqa: F811
    # Given a nurse whose portal account has the address her network account vouches for
    factories.staff(factories.ClinicFactory(), username="julie", email="Julie.Tremblay@ssss.gouv.qc.ca")
    # (the fake's certificate comes from a test authority the browser does not know)
    context = browser.new_context(**browser_context_args, ignore_https_errors=True)
    page = context.new_page()

    # When she chooses the network account on the sign-in page
    page.goto(live_server.url + reverse("login"))
    page.locator(f"a[href^='{reverse('sso_start')}']").click()

    # Then she went through Entra ID and is back, signed in, without typing a password here
    expect(page).to_have_url(live_server.url + reverse("home"))
    expect(main_heading(page)).to_contain_text("Julie")
    assert [request.path.rsplit("/", 1)[-1] for request in entra_fake.requests_to("GET", "/authorize")] == ["authorize"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SSO_LOGIN, actor__username="julie").count() == 1
    context.close()
