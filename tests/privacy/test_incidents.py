"""The register of confidentiality incidents: every regulated field, audited creation and change, no
deletion anywhere, a CSV export for the Commission d'accès à l'information, untouched by the purge."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import InternalError, connection, transaction
from django.urls import reverse
from django.utils.translation import gettext

from audit.models import AuditEvent
from common.errors import Invalid
from common.models import AppendOnlyError
from privacy.models import ConfidentialityIncident
from privacy.services import change_incident, purge_past_retention, record_incident

pytestmark = pytest.mark.django_db

REGULATED_FIELDS = {
    # (1) information concerned, or why unknown
    "information_concerned",
    "information_unknown_reason",
    # (2) circumstances
    "circumstances",
    # (3) date or period of the incident
    "occurred_from",
    "occurred_until",
    # (4) date or period the body learned of it
    "learned_from",
    "learned_until",
    # (5) number of persons concerned, or an estimate
    "persons_concerned",
    "persons_estimated",
    # (6) assessment of the risk of serious injury and its conclusion
    "risk_sensitivity",
    "risk_misuse",
    "risk_consequences",
    "risk_likelihood",
    "serious_injury_risk",
    "risk_conclusion",
    # (7) if serious: notices to the CAI, the Minister, the persons, any public notice
    "cai_notified_on",
    "minister_notified_on",
    "persons_notified_on",
    "public_notice_on",
    "public_notice_details",
    # (8) measures taken
    "measures_taken",
}

A_FAX_TO_THE_WRONG_NUMBER = {
    "information_concerned": "Une ordonnance AH-251 : nom, date de naissance, NAM, médicaments.",
    "circumstances": "Télécopie envoyée à un mauvais numéro (chiffre inversé dans le répertoire).",
    "occurred_from": date(2026, 3, 2),
    "learned_from": date(2026, 3, 3),
    "persons_concerned": 1,
    "risk_sensitivity": "Renseignements de santé : élevée.",
    "risk_misuse": "Peu probable : le destinataire est un commerce qui a rappelé.",
    "risk_consequences": "Atteinte à la vie privée.",
    "risk_likelihood": "Faible : document détruit par le destinataire, confirmation écrite.",
    "serious_injury_risk": False,
    "risk_conclusion": "Pas de risque de préjudice sérieux.",
    "measures_taken": "Numéro corrigé; confirmation de destruction obtenue.",
}


def test_the_model_holds_every_regulated_field():
    fields = {field.name for field in ConfidentialityIncident._meta.get_fields()}

    assert fields >= REGULATED_FIELDS
    assert fields >= {"recorded_by", "created_at"}


def test_recording_and_changing_an_incident_are_audited(administrator):
    incident = record_incident(by=administrator, values=A_FAX_TO_THE_WRONG_NUMBER)

    change_incident(
        incident,
        by=administrator,
        values={**A_FAX_TO_THE_WRONG_NUMBER, "persons_concerned": 2, "persons_estimated": True},
    )
    change_incident(incident, by=administrator, values={"persons_concerned": 2})  # nothing differs: no row

    incident.refresh_from_db()
    assert incident.recorded_by == administrator and incident.changed_by == administrator
    events = AuditEvent.objects.filter(target_id=str(incident.public_id)).order_by("occurred_at", "id")
    assert [event.action for event in events] == [AuditEvent.Action.INCIDENT_RECORD, AuditEvent.Action.INCIDENT_CHANGE]
    assert events[1].details == {"fields": ["persons_concerned", "persons_estimated"]}


def test_an_incident_names_the_information_or_why_it_is_unknown(administrator):
    values = {**A_FAX_TO_THE_WRONG_NUMBER, "information_concerned": ""}
    with pytest.raises(Invalid) as refused:
        record_incident(by=administrator, values=values)
    assert gettext("Describe the information concerned, or say why it is not known.") in str(refused.value.message)

    incident = record_incident(
        by=administrator, values={**values, "information_unknown_reason": "Portable volé, contenu non inventorié."}
    )
    assert incident.pk


def test_an_incident_period_cannot_end_before_it_starts(administrator):
    with pytest.raises(Invalid):
        record_incident(
            by=administrator,
            values={**A_FAX_TO_THE_WRONG_NUMBER, "occurred_until": date(2026, 3, 1)},
        )


def test_no_incident_can_be_deleted(administrator):
    incident = record_incident(by=administrator, values=A_FAX_TO_THE_WRONG_NUMBER)

    with pytest.raises(AppendOnlyError):
        incident.delete()
    with pytest.raises(AppendOnlyError):
        ConfidentialityIncident.objects.all().delete()
    assert ConfidentialityIncident.objects.count() == 1


def test_the_admin_records_an_incident_through_the_service_and_offers_no_deletion(client, administrator):
    client.force_login(administrator)
    form = {
        **{
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in A_FAX_TO_THE_WRONG_NUMBER.items()
        },
        "serious_injury_risk": "",
    }
    form.pop("serious_injury_risk")

    added = client.post(reverse("admin:privacy_confidentialityincident_add"), form)

    assert added.status_code == 302
    incident = ConfidentialityIncident.objects.get()
    assert incident.recorded_by == administrator
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INCIDENT_RECORD, actor=administrator).count() == 1
    delete_page = client.get(reverse("admin:privacy_confidentialityincident_delete", args=[incident.pk]))
    assert delete_page.status_code == 403
    changelist = client.get(reverse("admin:privacy_confidentialityincident_changelist"))
    actions = [value for value, _label in changelist.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions and "export_incidents_csv" in actions

    changed = client.post(
        reverse("admin:privacy_confidentialityincident_change", args=[incident.pk]),
        {**form, "cai_notified_on": "2026-03-04", "serious_injury_risk": "on"},
    )
    assert changed.status_code == 302
    incident.refresh_from_db()
    assert incident.serious_injury_risk and incident.cai_notified_on == date(2026, 3, 4)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INCIDENT_CHANGE).count() == 1


def test_the_register_exports_as_csv_for_the_cai(client, administrator):
    incident = record_incident(
        by=administrator,
        values={**A_FAX_TO_THE_WRONG_NUMBER, "circumstances": '=HYPERLINK("http://x") courriel mal adressé'},
    )
    client.force_login(administrator)

    response = client.post(
        reverse("admin:privacy_confidentialityincident_changelist"),
        {"action": "export_incidents_csv", "_selected_action": [incident.pk]},
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(header) == len(row) >= len(REGULATED_FIELDS)
    assert str(incident.public_id) in row
    assert "2026-03-02" in row and "2026-03-03" in row
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")  # a spreadsheet will not run it


def test_the_purge_never_touches_the_register(administrator):
    record_incident(by=administrator, values={**A_FAX_TO_THE_WRONG_NUMBER, "occurred_from": date(2001, 1, 1)})

    purge_past_retention(now=ConfidentialityIncident.objects.get().created_at + timedelta(days=365 * 20))

    assert ConfidentialityIncident.objects.count() == 1


def test_staff_without_the_admin_cannot_reach_the_register(client, archivist_a):
    client.force_login(archivist_a)

    response = client.get(reverse("admin:privacy_confidentialityincident_changelist"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (SQLite's flush deletes)")
def test_the_database_refuses_to_delete_an_incident_even_in_raw_sql(administrator):
    incident = record_incident(by=administrator, values=A_FAX_TO_THE_WRONG_NUMBER)

    with pytest.raises(InternalError, match="kept"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM privacy_confidentialityincident WHERE id = %s", [incident.pk])

    assert ConfidentialityIncident.objects.filter(pk=incident.pk).exists()
