"""The Teams provider against the fake Entra ID and Graph: meetings, idempotency, and how each
kind of failure reaches the agenda."""

import re
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.graph import ACCESS_POLICY_MESSAGE
from virtualcare.providers.base import MeetingRequest, PermanentProviderError, TemporaryProviderError
from virtualcare.providers.teams import TeamsProvider

CLINIC = "Clinique d'oncologie, Hôpital de Saint-Jérôme"
ORGANIZER = "dre.tremblay@cisss-lau.test"
START = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)

# A patient as the portal knows her; none of it may reach Microsoft.
PATIENT_TRACES = ["Gauthier", "Réjean", "GAUR44041719", "GAUR 4404 1719", "1944-04-17", "012351"]


def meeting_request(**changes) -> MeetingRequest:
    values = {
        "external_id": "3f6d2c1e-8a47-4b0e-9c15-7e2a9b6d4f80",
        "subject": CLINIC,
        "start": START,
        "end": START + timedelta(minutes=30),
        "organizer_email": ORGANIZER,
        "organizer_name": "Dre Tremblay",
    }
    return MeetingRequest(**{**values, **changes})


def meeting_calls(graph_fake):
    return graph_fake.requests_to(path_contains="/onlineMeetings")


def test_creating_a_meeting_gives_its_links_and_keeps_patients_in_the_lobby(graph_fake):
    details = TeamsProvider().create(meeting_request())

    create, patch = meeting_calls(graph_fake)
    assert (create.method, create.path, create.status) == (
        "POST",
        f"/v1.0/users/{ORGANIZER}/onlineMeetings/createOrGet",
        201,
    )
    assert create.body == {
        "externalId": "3f6d2c1e-8a47-4b0e-9c15-7e2a9b6d4f80",
        "subject": CLINIC,
        "startDateTime": "2026-12-03T19:00:00Z",
        "endDateTime": "2026-12-03T19:30:00Z",
    }
    assert (patch.method, patch.status) == ("PATCH", 200)
    assert patch.body["lobbyBypassSettings"] == {"scope": "organization", "isDialInBypassEnabled": False}
    assert patch.body["allowedPresenters"] == "organizer"
    meeting = graph_fake.meetings[details.extra["graph_meeting_id"]]
    assert meeting["lobbyBypassSettings"]["scope"] == "organization"
    assert meeting["allowedPresenters"] == "organizer"
    assert details.provider_meeting_id == f"{ORGANIZER}|{meeting['id']}"
    assert details.join_url == details.host_url == meeting["joinWebUrl"]
    assert details.passcode == meeting["joinMeetingIdSettings"]["passcode"]
    assert details.dial_in == f"+15145550100,,{meeting['audioConferencing']['conferenceId']}#"


def test_creating_twice_with_the_same_external_id_gives_the_same_meeting(graph_fake):
    first = TeamsProvider().create(meeting_request())
    second = TeamsProvider().create(meeting_request())

    assert second == first
    assert [call.status for call in graph_fake.requests_to("POST", "createOrGet")] == [201, 200]
    assert len(graph_fake.meetings) == 1


def test_a_create_retried_after_the_appointment_moved_moves_the_meeting(graph_fake):
    first = TeamsProvider().create(meeting_request())
    later = START + timedelta(hours=3)

    again = TeamsProvider().create(meeting_request(start=later, end=later + timedelta(minutes=30)))

    assert again.provider_meeting_id == first.provider_meeting_id
    meeting = graph_fake.meetings[first.extra["graph_meeting_id"]]
    assert meeting["startDateTime"].startswith("2026-12-03T22:00:00")
    assert meeting["endDateTime"].startswith("2026-12-03T22:30:00")


def test_the_invited_scope_is_sent_with_the_header_graph_needs_to_accept_it(graph_fake):
    details = TeamsProvider().create(meeting_request(lobby_bypass="invited"))

    patch = graph_fake.requests_to("PATCH")[0]
    assert patch.header("Prefer") == "include-unknown-enum-members"
    assert patch.response_body["lobbyBypassSettings"]["scope"] == "invited"
    assert graph_fake.meetings[details.extra["graph_meeting_id"]]["lobbyBypassSettings"]["scope"] == "invited"


def test_letting_everyone_skip_the_lobby_is_refused_without_calling_graph(graph_fake):
    with pytest.raises(PermanentProviderError) as refused:
        TeamsProvider().create(meeting_request(lobby_bypass="everyone"))

    assert "lobby" in refused.value.reason
    assert graph_fake.requests == []


def test_updating_moves_and_renames_the_meeting(graph_fake):
    created = TeamsProvider().create(meeting_request())
    later = START + timedelta(days=1, hours=2)

    updated = TeamsProvider().update(
        created.provider_meeting_id,
        meeting_request(subject="Clinique de la douleur", start=later, end=later + timedelta(minutes=45)),
    )

    patch = graph_fake.requests_to("PATCH")[-1]
    assert patch.body == {
        "subject": "Clinique de la douleur",
        "startDateTime": "2026-12-04T21:00:00Z",
        "endDateTime": "2026-12-04T21:45:00Z",
    }
    meeting = graph_fake.meetings[created.extra["graph_meeting_id"]]
    assert meeting["subject"] == "Clinique de la douleur"
    assert meeting["startDateTime"].startswith("2026-12-04T21:00:00")
    assert updated.provider_meeting_id == created.provider_meeting_id
    assert updated.join_url == created.join_url


def test_deleting_removes_the_meeting_and_deleting_it_again_is_harmless(graph_fake):
    created = TeamsProvider().create(meeting_request())

    TeamsProvider().delete(created.provider_meeting_id)
    TeamsProvider().delete(created.provider_meeting_id)

    assert graph_fake.meetings == {}
    assert [call.status for call in graph_fake.requests_to("DELETE")] == [204, 404]


def test_a_meeting_reference_without_its_organizer_is_refused(graph_fake):
    with pytest.raises(PermanentProviderError):
        TeamsProvider().delete("MSpkYzE3Njc0Yy04MWQ5")


def test_throttling_is_temporary_and_says_when_to_come_back(graph_fake):
    graph_fake.fail_next(429, retry_after="2.128", path="/onlineMeetings")

    with pytest.raises(TemporaryProviderError) as throttled:
        TeamsProvider().create(meeting_request())

    assert throttled.value.status == 429
    assert throttled.value.retry_after == pytest.approx(2.128)
    assert "TooManyRequests" in throttled.value.reason


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_temporary(graph_fake, status):
    graph_fake.fail_next(status, path="/onlineMeetings")

    with pytest.raises(TemporaryProviderError) as failed:
        TeamsProvider().create(meeting_request())

    assert failed.value.status == status


def test_an_unavailable_service_passes_on_its_retry_after(graph_fake):
    graph_fake.fail_next(503, retry_after="7", path="/onlineMeetings")

    with pytest.raises(TemporaryProviderError) as failed:
        TeamsProvider().create(meeting_request())

    assert failed.value.retry_after == 7


def test_a_malformed_answer_is_temporary_and_the_retry_finds_the_meeting(graph_fake):
    graph_fake.malformed_next(path="createOrGet")

    with pytest.raises(TemporaryProviderError) as garbled:
        TeamsProvider().create(meeting_request())
    details = TeamsProvider().create(meeting_request())

    assert garbled.value.code == "malformed_response"
    assert details.join_url


def test_a_slow_answer_is_a_temporary_timeout(graph_fake, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    graph_fake.slow_next(3, path="/onlineMeetings")

    with pytest.raises(TemporaryProviderError) as timed_out:
        TeamsProvider().create(meeting_request())

    assert timed_out.value.code == "timeout"
    assert "0.3 seconds" in timed_out.value.reason


def test_an_unreachable_graph_is_temporary(graph_fake, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.GRAPH_BASE_URL = f"http://127.0.0.1:{port}/v1.0"

    with pytest.raises(TemporaryProviderError) as unreachable:
        TeamsProvider().create(meeting_request())

    assert unreachable.value.code == "connection_error"


def test_an_expired_token_is_replaced_once_and_the_call_goes_through(graph_fake):
    created = TeamsProvider().create(meeting_request())
    graph_fake.revoke_tokens()

    TeamsProvider().update(created.provider_meeting_id, meeting_request(subject="Clinique de la douleur"))

    assert [call.status for call in graph_fake.requests_to("PATCH")][-2:] == [401, 200]
    assert len(graph_fake.entra.requests_to("POST", "/token")) == 2


def test_a_token_refused_even_after_a_refresh_is_permanent(graph_fake):
    graph_fake.fail_next(401, times=5, path="/onlineMeetings")

    with pytest.raises(PermanentProviderError) as refused:
        TeamsProvider().create(meeting_request())

    assert refused.value.status == 401
    assert "InvalidAuthenticationToken" in refused.value.reason
    assert len(graph_fake.requests_to("POST", "createOrGet")) == 2
    assert len(graph_fake.entra.requests_to("POST", "/token")) == 2


def test_a_missing_access_policy_is_permanent_and_says_so(graph_fake):
    graph_fake.deny_user(ORGANIZER)

    with pytest.raises(PermanentProviderError) as refused:
        TeamsProvider().create(meeting_request())

    assert refused.value.status == 403
    assert ACCESS_POLICY_MESSAGE in refused.value.reason


def test_a_wrong_client_secret_is_permanent_with_entras_explanation(graph_fake, settings):
    settings.GRAPH_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(PermanentProviderError) as refused:
        TeamsProvider().create(meeting_request())

    assert refused.value.code == "invalid_client"
    assert "AADSTS7000215" in refused.value.reason
    assert "not-the-secret" not in refused.value.reason
    assert graph_fake.requests == []


def test_a_throttled_token_endpoint_is_temporary(graph_fake):
    graph_fake.entra.fail_next(429, retry_after="3", path="/token")

    with pytest.raises(TemporaryProviderError) as throttled:
        TeamsProvider().create(meeting_request())

    assert throttled.value.status == 429
    assert throttled.value.retry_after == 3


def test_an_unavailable_token_endpoint_is_temporary(graph_fake):
    graph_fake.entra.fail_next(503, path="/token")

    with pytest.raises(TemporaryProviderError):
        TeamsProvider().create(meeting_request())


def test_a_slow_token_endpoint_is_a_temporary_timeout(graph_fake, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    graph_fake.entra.slow_next(3, path="/token")

    with pytest.raises(TemporaryProviderError) as timed_out:
        TeamsProvider().create(meeting_request())

    assert timed_out.value.code == "timeout"


def test_an_authority_over_plain_http_is_a_configuration_error(graph_fake, settings):
    settings.GRAPH_AUTHORITY = graph_fake.authority.replace("https://", "http://")

    with pytest.raises(PermanentProviderError) as refused:
        TeamsProvider().create(meeting_request())

    assert refused.value.code == "authority"


def test_a_refusal_quotes_graph_but_never_the_request(graph_fake):
    graph_fake.fail_next(400, path="createOrGet")

    with pytest.raises(PermanentProviderError) as refused:
        TeamsProvider().create(meeting_request())

    assert refused.value.reason == "Microsoft Graph refused the request as invalid (400 BadRequest: Invalid request.)."
    assert CLINIC not in refused.value.reason and ORGANIZER not in refused.value.reason


def test_nothing_about_the_patient_reaches_microsoft(graph_fake):
    provider = TeamsProvider()
    request = meeting_request(interpreter_languages=("es",))
    created = provider.create(request)
    later = START + timedelta(hours=1)
    provider.update(created.provider_meeting_id, replace(request, start=later, end=later + timedelta(minutes=30)))
    provider.delete(created.provider_meeting_id)

    sent = graph_fake.requests + graph_fake.entra.requests
    for call in sent:
        wire = call.raw_path + call.raw_body.decode() + repr(dict(call.headers))
        assert not [trace for trace in PATIENT_TRACES if trace in wire]
        assert not re.search(r"[A-Z]{4} ?\d{4} ?\d{4}", wire)  # anything shaped like a NAM
    bodies = [call.body for call in graph_fake.requests if call.body]
    assert {key for body in bodies for key in body} <= {
        "externalId",
        "subject",
        "startDateTime",
        "endDateTime",
        "lobbyBypassSettings",
        "allowedPresenters",
        "recordAutomatically",
    }
    assert {body["subject"] for body in bodies if "subject" in body} == {CLINIC}
