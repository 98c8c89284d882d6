"""What our clients send, and what the fakes answer, against the vendors' own API descriptions
(JSON Schema 2020-12 fragments in tests/fakes/vendor_schemas; see the README there).

The fakes would let a client and a fake agree on something the real service refuses; checking both
sides against the vendor's description is what keeps them honest.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.fakes import schemas
from tests.fakes.schemas import ENTRA_TOKEN, GRAPH_MAIL, GRAPH_MEETINGS, ZOOM_MEETINGS
from virtualcare.providers import teams
from virtualcare.providers.base import MeetingRequest, ProviderError
from virtualcare.providers.teams import TeamsProvider
from virtualcare.providers.zoom import ZoomProvider

START = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)

GRAPH_REQUEST_SCHEMAS = [
    ("POST", r"/onlineMeetings/createOrGet$", "request.createOrGet"),
    ("POST", r"/onlineMeetings$", "request.microsoft.graph.onlineMeeting"),
    ("PATCH", r"/onlineMeetings/[^/]+$", "request.onlineMeetingPatch"),
]
ZOOM_REQUEST_SCHEMAS = [
    ("POST", r"^/v2/users/[^/]+/meetings$", "local.meetingCreate.requestBody"),
    ("PATCH", r"^/v2/meetings/\d+$", "local.meetingUpdate.requestBody"),
]


def meeting_request(**changes) -> MeetingRequest:
    values = {
        "external_id": "5c8a1f3e-2b6d-4e9a-8f07-1d4c3b2a6e95",
        "subject": "Clinique de pneumologie",
        "start": START,
        "end": START + timedelta(minutes=30),
        "organizer_email": "dre.gagnon@chum.test",
    }
    return MeetingRequest(**{**values, **changes})


def assert_valid(filename: str, schema: str, instance, what: str) -> None:
    found = schemas.messages(filename, schema, instance)
    assert not found, f"{what} breaks {schema}: {found}"


def schema_for(table, method: str, path: str) -> str | None:
    return next((schema for verb, pattern, schema in table if verb == method and re.search(pattern, path)), None)


def exercise_teams() -> None:
    provider = TeamsProvider()
    created = provider.create(meeting_request(lobby_bypass="invited"))
    provider.create(meeting_request(lobby_bypass="invited"))
    later = START + timedelta(days=1)
    provider.update(created.provider_meeting_id, meeting_request(start=later, end=later + timedelta(minutes=30)))
    provider.delete(created.provider_meeting_id)
    provider.delete(created.provider_meeting_id)


def test_what_the_teams_provider_sends_follows_the_graph_metadata(graph_fake):
    exercise_teams()

    checked = 0
    for call in graph_fake.requests:
        schema = schema_for(GRAPH_REQUEST_SCHEMAS, call.method, call.path)
        if schema is not None:
            assert_valid(GRAPH_MEETINGS, schema, call.body, f"{call.method} {call.path}")
            checked += 1
        else:
            assert call.body is None, f"{call.method} {call.path} carries a body"
    assert checked == 5  # two createOrGet, each followed by the lobby PATCH, then the move


def test_what_the_graph_fake_answers_follows_the_graph_metadata(graph_fake):
    exercise_teams()

    for call in graph_fake.requests:
        what = f"answer {call.status} to {call.method} {call.path}"
        if call.status in (200, 201):
            assert_valid(GRAPH_MEETINGS, "microsoft.graph.onlineMeeting", call.response_body, what)
        elif call.status == 204:
            assert call.response_body is None
        else:
            assert_valid(GRAPH_MEETINGS, "microsoft.graph.ODataErrors.ODataError", call.response_body, what)


def test_msal_and_the_entra_fake_follow_the_token_endpoint_description(graph_fake):
    exercise_teams()

    for call in graph_fake.entra.requests:
        if call.method == "GET":
            assert_valid(ENTRA_TOKEN, "local.OpenIdConfiguration", call.response_body, "discovery document")
        else:
            assert_valid(ENTRA_TOKEN, "local.ClientCredentialsForm", call.body, "msal's token form")
            assert_valid(ENTRA_TOKEN, "local.TokenResponse", call.response_body, "token answer")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504])
def test_the_graph_fakes_injected_errors_follow_the_odata_envelope(graph_fake, status):
    graph_fake.fail_next(status, times=2, path="/onlineMeetings")  # twice: a 401 is retried once

    with pytest.raises(ProviderError):
        TeamsProvider().create(meeting_request())

    answer = graph_fake.requests_to(path_contains="/onlineMeetings")[0].response_body
    assert_valid(GRAPH_MEETINGS, "microsoft.graph.ODataErrors.ODataError", answer, f"injected {status}")


def test_the_graph_fakes_own_refusals_follow_the_odata_envelope(graph_fake):
    graph_fake.deny_user("dre.gagnon@chum.test")
    with pytest.raises(ProviderError):
        TeamsProvider().create(meeting_request())
    graph_fake.policy_denied_users.clear()
    graph_fake.revoke_tokens()
    TeamsProvider().create(meeting_request())

    refusals = [call for call in graph_fake.requests if call.status >= 400]
    assert {call.status for call in refusals} == {401, 403}
    for call in refusals:
        assert_valid(GRAPH_MEETINGS, "microsoft.graph.ODataErrors.ODataError", call.response_body, str(call.status))


def test_entra_fake_refusals_follow_the_token_error_description(graph_fake, settings):
    settings.GRAPH_CLIENT_SECRET = "not-the-secret"
    with pytest.raises(ProviderError):
        TeamsProvider().create(meeting_request())

    refusal = graph_fake.entra.requests_to("POST", "/token")[0]
    assert refusal.status == 401
    assert_valid(ENTRA_TOKEN, "local.TokenError", refusal.response_body, "token refusal")


def test_the_graph_fake_refuses_what_the_metadata_refuses(graph_fake):
    token = teams.acquire_graph_token()
    url = f"{graph_fake.base_url}/users/dre.gagnon@chum.test/onlineMeetings/createOrGet"
    body = {"externalId": "x", "lobbyBypassSettings": {"scope": "organizer"}}

    answer = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5)

    assert schemas.problems(GRAPH_MEETINGS, "request.createOrGet", body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalidRequest"


def test_the_graph_fake_records_mail_that_follows_the_metadata_and_refuses_the_rest(graph_fake):
    token = teams.acquire_graph_token()
    url = f"{graph_fake.base_url}/users/{graph_fake.mail_sender}/sendMail"
    message = {
        "subject": "Votre rendez-vous de téléconsultation",
        "body": {"contentType": "html", "content": "<p>Le lien vous sera envoyé.</p>"},
        "toRecipients": [{"emailAddress": {"address": "personne@example.org"}}],
        "internetMessageHeaders": [{"name": "x-portal-ref", "value": "appt-123"}],
    }
    headers = {"Authorization": f"Bearer {token}"}

    accepted = requests.post(url, json={"message": message, "saveToSentItems": False}, headers=headers, timeout=5)
    shouting = {**message, "body": {"contentType": "HTML", "content": "<p>x</p>"}}
    refused = requests.post(url, json={"message": shouting}, headers=headers, timeout=5)

    assert accepted.status_code == 202 and accepted.content == b""
    assert graph_fake.sent_mail == [{"user": graph_fake.mail_sender, "message": message, "save_to_sent_items": False}]
    assert refused.status_code == 400
    assert_valid(GRAPH_MAIL, "microsoft.graph.ODataErrors.ODataError", refused.json(), "sendMail refusal")


def exercise_zoom() -> None:
    provider = ZoomProvider()
    created = provider.create(meeting_request(interpreter_languages=("es",)))
    provider.create(meeting_request(interpreter_languages=("es",)))
    later = START + timedelta(days=1)
    provider.update(
        created.provider_meeting_id,
        meeting_request(start=later, end=later + timedelta(minutes=30), interpreter_languages=("es",)),
    )
    provider.delete(created.provider_meeting_id)
    provider.delete(created.provider_meeting_id)


def test_what_the_zoom_provider_sends_follows_zooms_description(zoom_fake):
    exercise_zoom()

    checked = 0
    for call in zoom_fake.requests:
        if call.path == "/oauth/token":
            assert_valid(ZOOM_MEETINGS, "local.S2STokenRequestForm", call.body, "token form")
            assert call.header("Authorization").startswith("Basic ")
            continue
        schema = schema_for(ZOOM_REQUEST_SCHEMAS, call.method, call.path)
        if schema is not None:
            assert_valid(ZOOM_MEETINGS, schema, call.body, f"{call.method} {call.path}")
            checked += 1
        else:
            assert call.body is None, f"{call.method} {call.path} carries a body"
    assert checked == 2  # one creation, one move


def test_what_the_zoom_fake_answers_follows_zooms_description(zoom_fake):
    exercise_zoom()

    for call in zoom_fake.requests:
        what = f"answer {call.status} to {call.method} {call.path}"
        if call.path == "/oauth/token":
            assert_valid(ZOOM_MEETINGS, "local.S2STokenResponse", call.response_body, what)
        elif call.method == "POST" and call.status == 201:
            assert_valid(ZOOM_MEETINGS, "zoom.meetingCreate.201", call.response_body, what)
            assert_valid(ZOOM_MEETINGS, "local.MeetingResponseMinimum", call.response_body, what)
        elif call.method == "GET" and re.search(r"/meetings/\d+$", call.path):
            assert_valid(ZOOM_MEETINGS, "zoom.meeting.200", call.response_body, what)
            assert_valid(ZOOM_MEETINGS, "local.MeetingResponseMinimum", call.response_body, what)
        elif call.status == 204:
            assert call.response_body is None
        elif call.status >= 400:
            assert_valid(ZOOM_MEETINGS, "local.ZoomError", call.response_body, what)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 429, 500, 503])
def test_the_zoom_fakes_injected_errors_follow_zooms_error_body(zoom_fake, status):
    zoom_fake.fail_next(status, times=2, method="POST", path="/meetings")  # twice: a 401 is retried once

    with pytest.raises(ProviderError):
        ZoomProvider().create(meeting_request())

    answer = zoom_fake.requests_to("POST", "/meetings")[0].response_body
    assert_valid(ZOOM_MEETINGS, "local.ZoomError", answer, f"injected {status}")


def test_the_zoom_fakes_own_refusals_follow_zooms_descriptions(zoom_fake, settings):
    zoom_fake.daily_limit = 0
    with pytest.raises(ProviderError):
        ZoomProvider().create(meeting_request())
    settings.ZOOM_CLIENT_SECRET = "not-the-secret"
    with pytest.raises(ProviderError):
        ZoomProvider().update("81234567890", meeting_request())

    oauth_refusal = [call for call in zoom_fake.requests_to(path_contains="/oauth/token") if call.status == 401]
    api_refusals = [call for call in zoom_fake.requests if call.status >= 400 and call.path.startswith("/v2/")]
    assert len(oauth_refusal) == 1 and [call.status for call in api_refusals] == [429]
    assert_valid(ZOOM_MEETINGS, "local.OAuthError", oauth_refusal[0].response_body, "token refusal")
    assert_valid(ZOOM_MEETINGS, "local.ZoomError", api_refusals[0].response_body, "daily limit")


def test_the_zoom_fake_refuses_what_zooms_description_refuses(zoom_fake):
    ZoomProvider().create(meeting_request())
    token = zoom_fake.issued_tokens[0]
    body = {"topic": "x", "type": 2, "start_time": "03/12/2026 14:00", "settings": {"waiting_room": "yes"}}

    answer = requests.post(
        f"{zoom_fake.api_base_url}/users/dre.gagnon@chum.test/meetings",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == 300
    assert {error["field"] for error in answer.json()["errors"]} >= {"start_time", "settings.waiting_room"}
