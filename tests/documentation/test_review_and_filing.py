"""The archivist's queue: checks shown, return with a reason, filing through the drop folder or HTTP."""

import json
import threading
from dataclasses import replace
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.urls import reverse

from common.errors import TemporaryFailure
from consent.services import record_consent
from documentation.models import SignedDocument
from documentation.services import (
    add_addendum,
    deliver_filing,
    file_document,
    return_document,
    save_draft,
    sign_note,
    start_note,
)
from scheduling.services import book_appointment, record_outcome
from tests import factories
from tests.conftest import api_as
from tests.scheduling.conftest import video

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_note(nurse, louise, clinic_a):
    nurse.practice_number = "1234567"
    nurse.save()
    appointment = book_appointment(
        by=nurse, patient=louise, clinic=clinic_a, details=replace(video(), kind="immediate")
    )
    record_consent(by=nurse, patient=louise, kind="telehealth", granted=True, language="fr")
    held = record_outcome(appointment, by=nurse, outcome="held")
    note = start_note(by=nurse, appointment=held)
    save_draft(note, by=nurse, structure="free", sections={"body": "Va bien."})
    return sign_note(note, by=nurse)


class RecordSystem(BaseHTTPRequestHandler):
    """A local record system's filing endpoint: fails while `down`, then answers with a receipt."""

    received: list[dict] = []
    down = 0
    refuse = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if RecordSystem.down or RecordSystem.refuse:
            refused = not RecordSystem.down
            RecordSystem.down, RecordSystem.refuse = max(RecordSystem.down - 1, 0), RecordSystem.refuse - refused
            self.send_response(400 if refused else 503)
            self.end_headers()
            return
        RecordSystem.received.append({"key": self.headers["Idempotency-Key"]})
        body = json.dumps({"receipt": f"DPE-{len(RecordSystem.received)}"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def record_system(settings):
    RecordSystem.received, RecordSystem.down, RecordSystem.refuse = [], 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordSystem)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.FILING_CHANNEL = "http"
    settings.FILING_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/filing"
    yield RecordSystem
    server.shutdown()


def test_the_signed_note_waits_in_its_establishments_queue(client, signed_note, archivist_a):
    client.force_login(archivist_a)
    client.post("/langue/", {"language": "en"})

    queue = client.get(reverse("review_queue")).content.decode()
    page = client.get(reverse("review_document", kwargs={"public_id": signed_note.document.public_id})).content.decode()
    pdf = client.get(reverse("review_pdf", kwargs={"public_id": signed_note.document.public_id}))

    assert escape(signed_note.document.file_name) in queue and "All present" in queue
    assert "All mandatory elements are present." in page
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Frame-Options"] == "SAMEORIGIN"


def test_the_queue_flags_a_document_missing_the_nam_and_any_other_identifier(client, signed_note, archivist_a):
    document = signed_note.document
    header = {**document.header, "nam": "", "other_identifier": ""}
    SignedDocument.objects.filter(pk=document.pk).update(header=header)
    client.force_login(archivist_a)
    client.post("/langue/", {"language": "en"})

    queue = client.get(reverse("review_queue")).content.decode()

    assert "Missing: NAM or another identifier" in queue


def test_returned_then_corrected_by_an_addendum_then_both_filed(
    client, nurse, signed_note, archivist_a, settings, tmp_path
):
    settings.FILING_DROP_FOLDER = str(tmp_path / "depot")
    return_document(signed_note.document, by=archivist_a, reason="Le numéro de permis manque à la signature.")
    client.force_login(nurse)
    home = client.get(reverse("returned_to_me")).content.decode()
    addendum = add_addendum(signed_note, by=nurse)
    save_draft(addendum, by=nurse, structure="free", sections={"body": "Permis : 1234567."})
    addendum = sign_note(addendum, by=nurse)

    for document in (signed_note.document, addendum.document):
        file_document(document, by=archivist_a, record_reference="DPE-012345")
        deliver_filing(document.pk)

    assert "Le numéro de permis manque" in home
    filed = SignedDocument.objects.order_by("id")
    assert [d.review_status for d in filed] == ["filed", "filed"]
    assert sorted(p.suffix for p in Path(tmp_path / "depot").iterdir()) == [".json", ".json", ".pdf", ".pdf"]
    assert all(d.receipt.startswith("drop-folder:") and d.pdf is None and d.copy_removed_at for d in filed)


def test_filing_through_http_with_the_endpoint_down_then_up_files_once(signed_note, archivist_a, record_system):
    record_system.down = 2
    document = file_document(signed_note.document, by=archivist_a)

    for _attempt in range(2):
        with pytest.raises(TemporaryFailure):
            deliver_filing(document.pk)
    delivered = deliver_filing(document.pk)
    deliver_filing(document.pk)

    assert delivered.delivery_status == "done" and delivered.receipt == "http:DPE-1"
    assert record_system.received == [{"key": str(document.public_id)}]


def test_an_archivist_of_another_establishment_gets_404(client, signed_note, clinic_b):
    other = factories.staff(clinic_b, "archivist", username="archiviste_b")
    client.force_login(other)

    for name in ("review_document", "review_pdf"):
        assert client.get(reverse(name, kwargs={"public_id": signed_note.document.public_id})).status_code == 404
    assert escape(signed_note.document.file_name) not in client.get(reverse("review_queue")).content.decode()


def test_a_nurse_has_no_archives_queue_and_downloads_are_audited(client, nurse, signed_note):
    from audit.models import AuditEvent

    client.force_login(nurse)

    assert client.get(reverse("review_queue")).status_code == 403
    client.get(reverse("note_pdf", kwargs={"public_id": signed_note.public_id}))
    assert AuditEvent.objects.filter(action="note.download", actor=nurse).count() == 1


def test_batch_filing(client, signed_note, archivist_a, settings, tmp_path):
    settings.FILING_DROP_FOLDER = str(tmp_path)
    client.force_login(archivist_a)

    client.post(reverse("review_batch"), {"documents": [str(signed_note.document.public_id)]})

    signed_note.document.refresh_from_db()
    assert signed_note.document.review_status == "filed"
    assert api_as(archivist_a).get(f"/api/v1/notes/{signed_note.public_id}/").json()["review_status"] == "filed"


def test_a_refused_filing_shows_its_reason_and_retry_delivers_it(
    client, signed_note, archivist_a, record_system, django_capture_on_commit_callbacks
):
    from tests.conftest import app

    record_system.refuse = 1
    document = file_document(signed_note.document, by=archivist_a)
    refused = deliver_filing(document.pk)
    client.force_login(archivist_a)
    client.post("/langue/", {"language": "en"})
    page = client.get(reverse("review_document", kwargs={"public_id": document.public_id})).content.decode()

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("review_document", kwargs={"public_id": document.public_id}), {"action": "retry"})
    finally:
        app.conf.task_always_eager = False

    document.refresh_from_db()
    assert refused.delivery_status == "failed" and "refused the document (400)" in page
    assert document.delivery_status == "done" and len(record_system.received) == 1


def test_returning_needs_a_reason(signed_note, archivist_a):
    from common.errors import Invalid

    with pytest.raises(Invalid):
        return_document(signed_note.document, by=archivist_a, reason="  ")

    signed_note.document.refresh_from_db()
    assert signed_note.document.review_status == "pending"
