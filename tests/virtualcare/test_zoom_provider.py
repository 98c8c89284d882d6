"""The Zoom provider against the fake Zoom: meetings, finding a meeting again instead of making a
second one, and how each kind of failure reaches the agenda."""

import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from virtualcare.providers.base import MeetingRequest, PermanentProviderError, TemporaryProviderError
from virtualcare.providers.zoom import ZoomProvider

CLINIC = "Clinique de cardiologie, Hôpital de Chicoutimi"
ORGANIZER = "dr.bouchard@ciusss-slsj.test"
START = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
EXTERNAL_ID = "9b2e7c4a-1d35-4f8e-a6c0-5e3f2d1b7a94"

# A patient as the portal knows him; none of it may reach Zoom.
PATIENT_TRACES = ["Gauthier", "Réjean", "GAUR44041719", "GAUR 4404 1719", "1944-04-17", "012351"]


def meeting_request(**changes) -> MeetingRequest:
    values = {
        "external_id": EXTERNAL_ID,
        "subject": CLINIC,
        "start": START,
        "end": START + timedelta(minutes=30),
        "organizer_email": ORGANIZER,
        "organizer_name": "Dr Bouchard",
    }
    return MeetingRequest(**{**values, **changes})


def test_creating_a_meeting_schedules_it_behind_a_waiting_room_and_a_passcode(zoom_fake):
    details = ZoomProvider().create(meeting_request())

    lookup, create = zoom_fake.requests_to(path_contains="/meetings")
    assert (lookup.method, lookup.path, lookup.query["type"], lookup.status) == (
        "GET",
        f"/v2/users/{ORGANIZER}/meetings",
        ["scheduled"],
        200,
    )
    assert (create.method, create.path, create.status) == ("POST", f"/v2/users/{ORGANIZER}/meetings", 201)
    body = create.body
    assert {key: body[key] for key in ("topic", "type", "start_time", "timezone", "duration", "agenda")} == {
        "topic": CLINIC,
        "type": 2,
        "start_time": "2026-12-03T19:00:00Z",
        "timezone": "America/Montreal",
        "duration": 30,
        "agenda": f"telesante:{EXTERNAL_ID}",
    }
    assert re.fullmatch(r"\d{10}", body["password"])
    assert body["settings"]["waiting_room"] is True
    assert body["settings"]["join_before_host"] is False
    assert body["settings"]["auto_recording"] == "none"
    assert "language_interpretation" not in body["settings"]
    meeting = zoom_fake.meetings[int(details.provider_meeting_id)]
    assert len(details.provider_meeting_id) == 11
    assert details.join_url == meeting["join_url"]
    assert details.host_url == create.response_body["start_url"]
    assert details.passcode == body["password"] == meeting["password"]
    assert details.dial_in == "+1 514 555 0199"


def test_creating_twice_finds_the_first_meeting_instead_of_making_another(zoom_fake):
    first = ZoomProvider().create(meeting_request())
    second = ZoomProvider().create(meeting_request())

    assert second.provider_meeting_id == first.provider_meeting_id
    assert second.passcode == first.passcode
    assert len(zoom_fake.requests_to("POST", "/meetings")) == 1
    assert len(zoom_fake.meetings) == 1


def test_a_create_retried_after_the_appointment_moved_moves_the_meeting(zoom_fake):
    first = ZoomProvider().create(meeting_request())
    later = START + timedelta(hours=3)

    again = ZoomProvider().create(meeting_request(start=later, end=later + timedelta(minutes=30)))

    assert again.provider_meeting_id == first.provider_meeting_id
    assert len(zoom_fake.requests_to("POST", "/meetings")) == 1
    assert zoom_fake.meetings[int(first.provider_meeting_id)]["start_time"] == "2026-12-03T22:00:00Z"


def test_a_create_whose_answer_was_lost_is_not_made_twice(zoom_fake, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    zoom_fake.slow_next(0.6, method="POST", path="/meetings")

    with pytest.raises(TemporaryProviderError) as timed_out:
        ZoomProvider().create(meeting_request())
    deadline = time.monotonic() + 3
    while not zoom_fake.meetings and time.monotonic() < deadline:
        time.sleep(0.05)  # Zoom goes on creating the meeting after the portal stopped waiting
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    found = ZoomProvider().create(meeting_request())

    assert timed_out.value.code == "timeout"
    assert len(zoom_fake.requests_to("POST", "/meetings")) == 1
    assert found.provider_meeting_id == str(next(iter(zoom_fake.meetings)))


def test_interpreters_switch_interpretation_on(zoom_fake):
    ZoomProvider().create(meeting_request(interpreter_languages=("es", "fr")))

    create = zoom_fake.requests_to("POST", "/meetings")[0]
    assert create.body["settings"]["language_interpretation"] == {"enable": True}


def test_updating_moves_the_meeting_and_reads_it_back(zoom_fake):
    created = ZoomProvider().create(meeting_request())
    later = START + timedelta(days=1, hours=2)

    updated = ZoomProvider().update(
        created.provider_meeting_id,
        meeting_request(subject="Clinique de la douleur", start=later, end=later + timedelta(minutes=45)),
    )

    patch, read = zoom_fake.requests_to(path_contains=f"/meetings/{created.provider_meeting_id}")
    assert (patch.method, patch.status, read.method, read.status) == ("PATCH", 204, "GET", 200)
    assert patch.body == {
        "topic": "Clinique de la douleur",
        "type": 2,
        "start_time": "2026-12-04T21:00:00Z",
        "timezone": "America/Montreal",
        "duration": 45,
    }
    meeting = zoom_fake.meetings[int(created.provider_meeting_id)]
    assert (meeting["topic"], meeting["start_time"], meeting["duration"]) == (
        "Clinique de la douleur",
        "2026-12-04T21:00:00Z",
        45,
    )
    assert updated.provider_meeting_id == created.provider_meeting_id
    assert updated.passcode == created.passcode
    assert updated.host_url and updated.host_url != created.host_url  # a fresh start link


def test_deleting_removes_the_meeting_and_deleting_it_again_is_harmless(zoom_fake):
    created = ZoomProvider().create(meeting_request())

    ZoomProvider().delete(created.provider_meeting_id)
    ZoomProvider().delete(created.provider_meeting_id)

    assert zoom_fake.meetings == {}
    assert [call.status for call in zoom_fake.requests_to("DELETE")] == [204, 404]


def test_updating_a_meeting_zoom_no_longer_has_is_permanent(zoom_fake):
    with pytest.raises(PermanentProviderError) as refused:
        ZoomProvider().update("81234567890", meeting_request())

    assert refused.value.status == 404
    assert "3001" in refused.value.reason


def test_per_second_throttling_is_temporary_and_says_when_to_come_back(zoom_fake):
    zoom_fake.fail_next(429, retry_after="1.5", method="POST", path="/meetings")

    with pytest.raises(TemporaryProviderError) as throttled:
        ZoomProvider().create(meeting_request())

    assert throttled.value.code == "rate_limit"
    assert throttled.value.retry_after == 1.5


def test_the_daily_limit_is_a_clear_temporary_failure(zoom_fake):
    zoom_fake.daily_limit = 0

    with pytest.raises(TemporaryProviderError) as limited:
        ZoomProvider().create(meeting_request())

    assert limited.value.code == "daily_limit"
    assert "daily limit" in limited.value.reason and "00:00 GMT" in limited.value.reason
    assert 0 < limited.value.retry_after <= 3600


def test_the_daily_limit_is_recognised_even_without_its_headers(zoom_fake):
    zoom_fake.fail_next_with_daily_limit(with_headers=False)

    with pytest.raises(TemporaryProviderError) as limited:
        ZoomProvider().create(meeting_request())

    assert limited.value.code == "daily_limit"
    assert 0 < limited.value.retry_after <= 3600


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_temporary(zoom_fake, status):
    zoom_fake.fail_next(status, method="POST", path="/meetings")

    with pytest.raises(TemporaryProviderError) as failed:
        ZoomProvider().create(meeting_request())

    assert failed.value.status == status


def test_a_malformed_answer_is_temporary(zoom_fake):
    zoom_fake.malformed_next(method="POST", path="/meetings")

    with pytest.raises(TemporaryProviderError) as garbled:
        ZoomProvider().create(meeting_request())

    assert garbled.value.code == "malformed_response"


def test_a_slow_answer_is_a_temporary_timeout(zoom_fake, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    zoom_fake.slow_next(3, path="/meetings")

    with pytest.raises(TemporaryProviderError) as timed_out:
        ZoomProvider().create(meeting_request())

    assert timed_out.value.code == "timeout"


def test_an_expired_token_is_replaced_once_and_the_call_goes_through(zoom_fake):
    created = ZoomProvider().create(meeting_request())
    zoom_fake.revoke_tokens()

    ZoomProvider().delete(created.provider_meeting_id)

    assert [call.status for call in zoom_fake.requests_to("DELETE")] == [401, 204]
    assert len(zoom_fake.requests_to("POST", "/oauth/token")) == 2


def test_the_token_is_reused_between_calls(zoom_fake):
    created = ZoomProvider().create(meeting_request())
    ZoomProvider().delete(created.provider_meeting_id)

    assert len(zoom_fake.requests_to("POST", "/oauth/token")) == 1


def test_a_token_refused_even_after_a_refresh_is_permanent(zoom_fake):
    zoom_fake.fail_next(401, times=5, path="/v2/")

    with pytest.raises(PermanentProviderError) as refused:
        ZoomProvider().create(meeting_request())

    assert refused.value.status == 401
    assert "124" in refused.value.reason
    assert len(zoom_fake.requests_to("POST", "/oauth/token")) == 2


def test_a_missing_permission_is_permanent(zoom_fake):
    zoom_fake.fail_next(403, method="POST", path="/meetings")

    with pytest.raises(PermanentProviderError) as refused:
        ZoomProvider().create(meeting_request())

    assert refused.value.status == 403
    assert refused.value.reason == (
        "Zoom refused the operation; check the application's permissions and access policy (403 200: No permission.)."
    )


def test_a_wrong_client_secret_is_permanent(zoom_fake, settings):
    settings.ZOOM_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(PermanentProviderError) as refused:
        ZoomProvider().create(meeting_request())

    assert refused.value.code == "invalid_client"
    assert "Invalid client_id or client_secret" in refused.value.reason
    assert "not-the-secret" not in refused.value.reason


def test_a_throttled_token_endpoint_is_temporary(zoom_fake):
    zoom_fake.fail_next(429, retry_after="2", path="/oauth/token")

    with pytest.raises(TemporaryProviderError) as throttled:
        ZoomProvider().create(meeting_request())

    assert throttled.value.retry_after == 2


def test_a_validation_error_names_the_field_but_not_its_value(zoom_fake):
    zoom_fake.fail_next(
        400,
        method="POST",
        path="/meetings",
        body={"code": 300, "message": "Validation Failed.", "errors": [{"field": "password", "message": "Invalid"}]},
    )

    with pytest.raises(PermanentProviderError) as refused:
        ZoomProvider().create(meeting_request())

    assert refused.value.code == "300"
    assert "password" in refused.value.reason
    assert CLINIC not in refused.value.reason


def test_nothing_about_the_patient_reaches_zoom(zoom_fake):
    provider = ZoomProvider()
    request = meeting_request(interpreter_languages=("es",))
    created = provider.create(request)
    later = START + timedelta(hours=1)
    provider.update(created.provider_meeting_id, replace(request, start=later, end=later + timedelta(minutes=30)))
    provider.delete(created.provider_meeting_id)

    for call in zoom_fake.requests:
        wire = call.raw_path + call.raw_body.decode() + repr(dict(call.headers))
        assert not [trace for trace in PATIENT_TRACES if trace in wire]
        assert not re.search(r"[A-Z]{4} ?\d{4} ?\d{4}", wire)  # anything shaped like a NAM
    bodies = [call.body for call in zoom_fake.requests_to(path_contains="/meetings") if call.body]
    assert {key for body in bodies for key in body} <= {
        "topic",
        "type",
        "start_time",
        "timezone",
        "duration",
        "agenda",
        "password",
        "default_password",
        "settings",
    }
    assert {body["topic"] for body in bodies} == {CLINIC}
    assert {body["agenda"] for body in bodies if "agenda" in body} == {f"telesante:{EXTERNAL_ID}"}
