"""Where filed documents go: a drop folder the record system watches, or its HTTP endpoint."""

import json
import os
from pathlib import Path

import requests
from django.conf import settings

from common.errors import TemporaryFailure

from .models import SignedDocument


class FilingRefused(Exception):
    """The record system refused the document for good (a 4xx): someone must look at it."""


class DropFolderChannel:
    """Writes the PDF and a metadata file, atomically (a temporary name, then a rename)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def deliver(self, document: SignedDocument) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{document.public_id}"
        pdf_path = self.folder / f"{stem}.pdf"
        if not pdf_path.exists():  # already there from an earlier attempt: the same bytes
            _write_atomically(pdf_path, bytes(document.pdf))
        _write_atomically(self.folder / f"{stem}.json", json.dumps(metadata(document), ensure_ascii=False).encode())
        return f"drop-folder:{pdf_path.name}"


class HttpChannel:
    """POSTs the PDF with its metadata; the document's id is the idempotency key."""

    def __init__(self, url: str, token: str, timeout: float):
        self.url, self.token, self.timeout = url, token, timeout

    def deliver(self, document: SignedDocument) -> str:
        headers = {"Idempotency-Key": str(document.public_id)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = requests.post(
                self.url,
                headers=headers,
                data={"metadata": json.dumps(metadata(document), ensure_ascii=False)},
                files={"document": (document.file_name, bytes(document.pdf), "application/pdf")},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise TemporaryFailure(f"Record system unreachable: {error.__class__.__name__}") from error
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            raise TemporaryFailure(
                f"Record system answered {response.status_code}",
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        if response.status_code >= 400:
            raise FilingRefused(f"Record system refused the document ({response.status_code})")
        try:
            return f"http:{response.json().get('receipt', response.status_code)}"
        except ValueError:
            return f"http:{response.status_code}"


def filing_channel():
    if settings.FILING_CHANNEL == "http":
        return HttpChannel(settings.FILING_HTTP_URL, settings.FILING_HTTP_TOKEN, settings.PROVIDER_TIMEOUT_SECONDS)
    return DropFolderChannel(Path(settings.FILING_DROP_FOLDER))


def metadata(document: SignedDocument) -> dict:
    return {
        "document_id": str(document.public_id),
        "form": document.kind,
        "file_name": document.file_name,
        "sha256": document.pdf_sha256,
        "record_reference": document.record_reference,
        "establishment": document.header.get("establishment", ""),
        "file_number": document.header.get("file_number", ""),
        "signed_at": document.signed_at.isoformat(),
    }


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(content)
    os.replace(temporary, path)
