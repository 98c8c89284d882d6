"""The pivot nurse's journey in a real browser, as the issue tells it.

"Log in as `infirmiere`, create a patient with a bad NAM, read the error, fix it, find the patient
by file number, switch the interface to English." The visible text is asserted in French, the
portal's default language, as written in locale/fr/LC_MESSAGES/django.po. Fields are found by their
label and buttons by their role and name, so the test also checks that the pages are accessible.
"""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from demo.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from directory import nam
from directory.models import Patient, User
from directory.sign_in import has_second_factor
from tests import factories
from tests.second_factor import TEST_TOTP_SECRET, enrol, fresh_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

SOPHIE = {
    "last_name": "Lapointe",
    "first_name": "Sophie",
    "date_of_birth": date(1967, 10, 5),
    "sex": "F",
    "sex_shown": "Féminin",
    "file_number": "054321",
    "phone": "450-555-0142",
}
SOPHIE_NAM = nam.build(SOPHIE["last_name"], SOPHIE["first_name"], SOPHIE["date_of_birth"], SOPHIE["sex"])

CHECK_DIGIT_ERROR = "Le dernier chiffre de ce NAM ne concorde pas avec les autres."


def test_a_nurse_fixes_a_wrong_nam_finds_her_patient_by_file_number_and_switches_to_english(
    page: Page, live_server, browser_errors, static_responses
):
    # Given the demo data, with the oncology clinic's pivot nurse
    seed_demo_data()

    # When she signs in, on a workstation whose browser asks for English
    sign_in(page, live_server, "infirmiere", DEMO_PASSWORD)

    # Then the portal greets her in French
    then_the_interface_is_in_french(page)
    expect(main_heading(page)).to_have_text("Bonjour, Julie")

    # When she registers a patient whose NAM has a wrong last digit
    open_patients(page)
    page.get_by_role("button", name="Nouveau patient").click()  # a link, shown as a button (Pico's role="button")
    fill_patient_form(page, SOPHIE, nam=with_wrong_check_digit(SOPHIE_NAM))
    page.get_by_role("button", name="Inscrire le patient").click()

    # Then the form comes back saying what is wrong, next to the NAM, and nothing is saved
    then_the_form_shows_the_check_digit_error(page, typed=with_wrong_check_digit(SOPHIE_NAM))
    assert not Patient.objects.filter(file_number=SOPHIE["file_number"]).exists()

    # When she types the NAM again, as printed on the card
    nam_field(page).fill(SOPHIE_NAM)
    page.get_by_role("button", name="Inscrire le patient").click()

    # Then the patient is registered and her record is shown
    expect(page.locator(".messages").get_by_role("status")).to_have_text("Le patient est inscrit.")
    then_the_record_of_sophie_is_shown(page)
    registered = Patient.objects.get(file_number=SOPHIE["file_number"])
    assert registered.nam == SOPHIE_NAM
    assert Patient.objects.filter(nam=SOPHIE_NAM).count() == 1
    assert [clinic.name for clinic in registered.clinics.all()] == ["Clinique d'oncologie"]

    # When she looks her up by file number
    open_patients(page)
    search = search_patients(page, SOPHIE["file_number"])

    # Then exactly that patient is found, without reloading the page
    assert search.header_value("hx-request") == "true", "the search should go through htmx"
    expect(page.locator(".result-count")).to_have_text("1 patient trouvé")
    results = page.locator("#patient-results tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text(SOPHIE["file_number"])
    results.get_by_role("link", name="Lapointe, Sophie").click()
    then_the_record_of_sophie_is_shown(page)

    # When she switches the interface to English
    page.get_by_role("button", name="English").click()

    # Then the same page speaks English
    then_the_interface_is_in_english(page)
    expect(main_heading(page)).to_have_text("Lapointe, Sophie")
    expect(page.get_by_role("heading", name="Ready for video")).to_be_visible()

    # And the choice is remembered: after a reload, on other pages, on her account, after signing out
    page.reload()
    then_the_interface_is_in_english(page)
    open_patients(page)
    then_the_interface_is_in_english(page)
    expect(page.get_by_role("button", name="New patient")).to_be_visible()
    expect(page.get_by_role("button", name="Search")).to_be_visible()
    assert User.objects.get(username="infirmiere").preferred_language == "en"
    page.get_by_role("button", name="Sign out").click()
    expect(main_heading(page)).to_have_text("Sign in to Télésanté")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # And nothing went wrong in the browser: no CSP violation, no script error, every file served
    assert browser_errors == []
    then_the_stylesheets_and_scripts_were_served(static_responses)


def test_a_nurse_of_another_clinic_finds_no_record_of_a_patient_outside_her_clinics(page: Page, live_server):
    # Given a patient of the demo oncology clinic, and a nurse of a clinic of another establishment
    seed_demo_data()
    louise = Patient.objects.get(file_number="012345")
    rimouski = factories.ClinicFactory(name="Clinique d'oncologie de Rimouski")
    factories.staff(rimouski, "professional", username="infirmiere_rimouski", first_name="Annie")

    # When she signs in and opens the address of that patient's record
    sign_in(page, live_server, "infirmiere_rimouski", factories.PASSWORD)
    response = page.goto(live_server.url + reverse("patient_detail", kwargs={"public_id": louise.public_id}))

    # Then the portal answers "not found", in French, and shows nothing of the patient
    assert response.status == 404
    expect(main_heading(page)).to_have_text("Page introuvable")
    expect(page.get_by_text("Cette page n'existe pas ou ne relève pas de vos cliniques.")).to_be_visible()
    expect(page.get_by_text("Côté")).to_have_count(0)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PATIENT_ACCESS_DENIED, actor__username="infirmiere_rimouski"
    ).exists()


# Given


def seed_demo_data() -> None:
    with override_settings(DEBUG=True):  # seed_demo refuses to create known passwords otherwise
        call_command("seed_demo", stdout=io.StringIO())


def with_wrong_check_digit(valid_nam: str) -> str:
    return valid_nam[:-1] + str((int(valid_nam[-1]) + 1) % 10)


# When


def sign_in(page: Page, live_server, username: str, password: str) -> None:
    """Password, then the code of the authenticator app: the demo's published secret for the demo
    accounts, the tests' own for the others (set up here when the account has none yet)."""
    user = User.objects.get(username=username)
    secret = DEMO_TOTP_SECRET if password == DEMO_PASSWORD else TEST_TOTP_SECRET
    if not has_second_factor(user):
        enrol(user, secret)
    page.goto(live_server.url + reverse("login"))
    expect(main_heading(page)).to_have_text("Se connecter à Télésanté")
    field(page, "Nom d'utilisateur").fill(username)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + reverse("login_code"))
    code = page.locator("input[name=code]")
    code.fill(fresh_code(user, secret))
    code.press("Enter")
    expect(page).to_have_url(live_server.url + reverse("home"))


def open_patients(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Patients").click()
    expect(main_heading(page)).to_have_text("Patients")


def fill_patient_form(page: Page, patient: dict, *, nam: str) -> None:
    field(page, "Nom").fill(patient["last_name"])
    field(page, "Prénom").fill(patient["first_name"])
    field(page, "Date de naissance").fill(patient["date_of_birth"].isoformat())
    field(page, "Sexe").select_option(label=patient["sex_shown"])
    field(page, "Numéro de dossier").fill(patient["file_number"])
    nam_field(page).fill(nam)
    field(page, "Téléphone").fill(patient["phone"])


def field(page: Page, label: str):
    """The form field whose label is exactly this (a required field's label ends with an asterisk)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def nam_field(page: Page):
    return page.get_by_label(re.compile(r"^Numéro d'assurance maladie \(NAM\)$"))


def search_patients(page: Page, query: str):
    """Search from the patients page; the search request, to tell how it was sent."""
    field(page, "Nom, numéro de dossier ou NAM").fill(query)
    with page.expect_request(lambda request: request.method == "POST") as search:
        page.get_by_role("button", name="Rechercher").click()
    return search.value


# Then


def main_heading(page: Page):
    return page.get_by_role("heading", level=1)


def then_the_form_shows_the_check_digit_error(page: Page, *, typed: str) -> None:
    expect(main_heading(page)).to_have_text("Nouveau patient")
    expect(page.locator(".form-errors")).to_have_text("Veuillez corriger les éléments signalés ci-dessous.")
    field_of_nam = nam_field(page)
    expect(field_of_nam).to_have_value(typed)
    expect(field_of_nam).to_have_attribute("aria-invalid", "true")
    # Next to the field, and read out with it by a screen reader
    expect(page.locator(".field", has=field_of_nam).locator(".errorlist")).to_contain_text(CHECK_DIGIT_ERROR)
    expect(field_of_nam).to_have_accessible_description(re.compile(re.escape(CHECK_DIGIT_ERROR)))


def then_the_record_of_sophie_is_shown(page: Page) -> None:
    expect(main_heading(page)).to_have_text("Lapointe, Sophie")
    shown_nam = page.locator("dd.nam")
    expect(shown_nam).to_have_text(nam.display(SOPHIE_NAM))
    expect(shown_nam).to_have_text(re.compile(r"^[A-Z]{4} \d{4} \d{4}$"))
    expect(page.locator("dd", has_text=SOPHIE["file_number"])).to_be_visible()


def then_the_interface_is_in_french(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(navigation.get_by_role("button", name="English")).to_be_visible()


def then_the_interface_is_in_english(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Patients")).to_be_visible()
    expect(navigation.get_by_role("button", name="Sign out")).to_be_visible()
    expect(navigation.get_by_role("button", name="Français")).to_be_visible()
    expect(page.get_by_text("Times are shown in Montréal time.")).to_be_visible()


def then_the_stylesheets_and_scripts_were_served(statuses: dict[str, int]) -> None:
    served = {url.rsplit("/", 1)[-1]: status for url, status in statuses.items()}
    for name in ("pico.min.css", "portal.css", "htmx.min.js", "portal.js"):
        assert served.get(name) == 200, f"{name} was not served: {statuses}"
