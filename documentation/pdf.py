"""The AH-253 layout rendered by WeasyPrint, offline: no network fetch, fonts from the system."""

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .models import Note


def render_note_pdf(note: Note, *, header: dict, signed_at: datetime) -> bytes:
    # The form is a French document of the network, whatever the author's interface language.
    with translation.override("fr"):
        html = render_to_string(
            "pdf/ah253.html",
            {"note": note, "header": header, "sections": note.section_list(), "signed_at": signed_at},
        )
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    # Only local files may be read: a document must never make the server fetch anything.
    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static"), url_fetcher=fetcher).write_pdf()
