"""The public privacy page names the person in charge of the protection of personal information, in
French and in English, and shows no health information."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGE = reverse("privacy_notice")


def test_the_page_names_the_officer_in_french(client, officer):
    response = client.get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Me Hélène Bouchard" in page and "confidentialite@ssss.gouv.qc.ca" in page and "poste 2100" in page
    assert 'lang="fr"' in page


def test_the_page_names_the_officer_in_english(client, officer):
    client.post(reverse("set_language"), {"language": "en", "next": PAGE})

    response = client.get(PAGE)

    page = response.content.decode()
    assert 'lang="en"' in page
    assert "Me Hélène Bouchard" in page and "confidentialite@ssss.gouv.qc.ca" in page
    assert "Person in charge of the protection of personal information" in page


def test_without_an_officer_configured_the_page_says_whom_to_ask(client, settings):
    settings.PRIVACY_OFFICER_NAME = settings.PRIVACY_OFFICER_EMAIL = settings.PRIVACY_OFFICER_PHONE = ""
    client.post(reverse("set_language"), {"language": "en", "next": PAGE})

    assert "Contact your establishment's privacy office" in client.get(PAGE).content.decode()


def test_every_page_links_to_it_from_the_footer(client, nurse_a):
    assert PAGE in client.get(reverse("login")).content.decode()
    client.force_login(nurse_a)
    assert PAGE in client.get(reverse("home")).content.decode()


def test_the_archives_find_the_register_there(client, archivist_a, nurse_a):
    client.force_login(archivist_a)
    assert reverse("communications_register") in client.get(PAGE).content.decode()
    client.force_login(nurse_a)
    assert reverse("communications_register") not in client.get(PAGE).content.decode()
