"""The AH-251 layout rendered by WeasyPrint, offline, like the AH-253 (documentation/pdf.py)."""

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import translation

from documentation.pdf import html_to_pdf

from .models import Prescription


def render_prescription_pdf(prescription: Prescription, *, header: dict, signed_at: datetime) -> bytes:
    with translation.override("fr"):
        html = render_to_string(
            "pdf/ah251.html",
            {
                "prescription": prescription,
                "header": header,
                "lines": list(prescription.lines.all()),
                "signed_at": signed_at,
            },
        )
    return html_to_pdf(html)
