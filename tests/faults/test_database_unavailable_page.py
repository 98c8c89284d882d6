"""Fault 2, in the test's own process: what a person gets when the database cannot be reached, whether
a view or a middleware (the session is read before any view) meets the error. Runs on every backend;
test_database_restart.py does it for real, with gunicorn and a PostgreSQL restart."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from rest_framework.authtoken.models import Token

from .conftest import FAULTS

pytestmark = [FAULTS, pytest.mark.django_db]


def test_a_page_whose_session_cannot_be_read_is_a_503_in_the_persons_language(client, settings):
    client.raise_request_exception = False
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("connection refused")):
        response = client.get("/agenda/")

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Language"] == "en"
    assert "cannot reach its database" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "connection refused" not in response.content.decode()


def test_an_api_call_meeting_a_closed_connection_is_a_503_in_json(client, nurse):
    client.raise_request_exception = False
    token = Token.objects.create(user=nurse).key
    with mock.patch(
        "common.authentication.TokenAuthenticationInUserLanguage.authenticate_credentials",
        side_effect=InterfaceError("connection already closed"),
    ):
        response = client.get("/api/v1/appointments/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["code"] == "service_unavailable"
    assert "base de données" in response.json()["detail"] or "database" in response.json()["detail"]


def test_any_other_error_is_still_the_generic_500_page(client):
    client.raise_request_exception = False
    with mock.patch.object(SessionStore, "load", side_effect=RuntimeError("boom")):
        client.cookies["sessionid"] = "x" * 32
        response = client.get("/agenda/")

    assert response.status_code == 500
    assert "boom" not in response.content.decode()
