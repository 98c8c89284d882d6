"""Reading what comes back: the fax gateway's delivery reports and the recipients' read receipts.

Both arrive as emails; the mail system posts each one, raw, to the portal (see views.report_inbound).
A gateway's report names our reference in its subject (`[ref FAX-<id>]`) and says delivered or
failed; the patterns are settings, so another gateway's wording needs no code. A read receipt
(RFC 8098) names the Message-ID we gave the message.
"""

import email
import re
from dataclasses import dataclass
from email.message import Message
from email.policy import default as default_policy

from django.conf import settings

MESSAGE_REF = re.compile(r"<transmission-(?P<ref>[0-9a-f-]{36})\.\d+@")


@dataclass(frozen=True)
class Report:
    ref: str
    delivered: bool
    detail: str


def read_report(raw: bytes) -> Report | None:
    """The transmission a report is about and what it says; None for mail that is neither."""
    message = email.message_from_bytes(raw, policy=default_policy)
    if message.get_content_type() == "multipart/report" and message.get_param("report-type") == (
        "disposition-notification"
    ):
        return _read_receipt(message)
    subject = str(message.get("Subject", ""))
    found = re.search(settings.FAX_REPORT_REF_PATTERN, subject) or re.search(
        settings.FAX_REPORT_REF_PATTERN, _text(message)
    )
    if not found:
        return None
    text = _text(message)
    delivered = bool(re.search(settings.FAX_REPORT_DELIVERED_PATTERN, text))
    reason = re.search(settings.FAX_REPORT_REASON_PATTERN, text)
    pages = re.search(r"(?im)^\s*pages:\s*(\d+)", text)
    if delivered:
        detail = f"Pages: {pages.group(1)}" if pages else "Delivered"
    else:
        detail = reason.group("reason").strip() if reason else subject
    return Report(ref=found.group("ref").lower(), delivered=delivered, detail=detail[:500])


def _read_receipt(message: Message) -> Report | None:
    for part in message.walk():
        if part.get_content_type() != "message/disposition-notification":
            continue
        fields = _notification_fields(part)
        found = MESSAGE_REF.search(fields.get("original-message-id", ""))
        disposition = fields.get("disposition", "")
        if found:
            # "displayed" is a read receipt; "deleted" unread is not a confirmation.
            displayed = "displayed" in disposition.lower()
            return Report(ref=found.group("ref"), delivered=displayed, detail=f"Read receipt: {disposition}"[:500])
    return None


def _notification_fields(part: Message) -> dict[str, str]:
    payload = part.get_payload()
    if isinstance(payload, list):  # parsed as blocks of header fields
        items = [(name, str(value)) for block in payload for name, value in block.items()]
    else:
        text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        parsed = email.message_from_string(text.strip() + "\n\n", policy=default_policy)
        items = [(name, str(value)) for name, value in parsed.items()]
    fields: dict[str, str] = {}
    for name, value in items:
        fields.setdefault(name.strip().lower(), " ".join(value.split()))
    return fields


def _text(message: Message) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        return body.get_content()
    except (LookupError, UnicodeDecodeError):
        return ""
