"""The registers as CSV files, for the Commission d'accès à l'information and the archives."""

import csv
from collections.abc import Iterable
from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _

from common.time import local

from .models import CommunicationRecord, ConfidentialityIncident
from .services import INCIDENT_FIELDS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """Plain text a spreadsheet will not run: a leading formula character gets a quote (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(file_name: str, header: list[str], rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.write("\ufeff")  # Excel opens UTF-8 (accents) only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response


INCIDENT_COLUMNS = ("public_id", *INCIDENT_FIELDS, "recorded_by", "created_at", "changed_by", "updated_at")


def incidents_csv(incidents: Iterable[ConfidentialityIncident]) -> HttpResponse:
    fields = ConfidentialityIncident._meta
    header = [str(fields.get_field(name).verbose_name) for name in INCIDENT_COLUMNS]
    rows = ([getattr(incident, name) for name in INCIDENT_COLUMNS] for incident in incidents)
    return csv_response("registre-incidents-confidentialite.csv", header, rows)


def communications_csv(rows: Iterable[CommunicationRecord]) -> HttpResponse:
    header = [
        _("Date"),
        _("Patient (identifier)"),
        _("File number"),
        _("Information (form)"),
        _("Category"),
        _("Recipient kind"),
        _("Recipient"),
        _("Purpose"),
        _("Justification"),
        _("Channel"),
        _("Communicated by"),
    ]
    lines = (
        [
            row.communicated_at,
            row.patient.public_id,
            row.patient.file_number,
            row.get_document_kind_display(),
            row.get_document_category_display(),
            row.get_recipient_kind_display(),
            row.recipient_name,
            row.get_purpose_display(),
            row.get_legal_basis_display(),
            row.get_channel_display(),
            row.communicated_by.get_full_name() or row.communicated_by.get_username(),
        ]
        for row in rows
    )
    return csv_response("registre-communications.csv", header, lines)
