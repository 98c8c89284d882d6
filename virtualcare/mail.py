"""Django's e-mail through Microsoft Graph `sendMail` (integration contracts §1.4 and §1.5).

    EMAIL_BACKEND = "virtualcare.mail.GraphEmailBackend"

Each message leaves as the GRAPH_MAIL_SENDER mailbox, with the app-only token of the Teams provider
(one msal application and token cache per process) and the same reading of Graph's answers.

Failures keep Django's contract (`fail_silently=False` raises) and tell retry from refusal:
`deliver_notice` retries `OSError` and `smtplib.SMTPException`, so a temporary failure is an
SMTPException and a refusal is not (nor an OSError, which SMTPException derives from).
"""

import base64
import smtplib
from collections.abc import Sequence
from email.mime.base import MIMEBase
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from common.errors import PermanentDeliveryError

from .providers import teams
from .providers.base import PermanentProviderError, TemporaryProviderError

# Graph takes custom Internet headers only when their names start with "x-", and at most five.
MAX_CUSTOM_HEADERS = 5
# Graph refuses inline attachments of 3 MB or more (after base64); bigger ones need an upload session.
MAX_INLINE_ATTACHMENT_BYTES = 3 * 1024 * 1024


class GraphMailTemporaryError(smtplib.SMTPException):
    """Graph was busy or unreachable (429, 5xx, timeout): try again, after `retry_after` seconds if known."""

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class GraphMailRefused(PermanentDeliveryError):
    """Graph or the portal refused the message (400, 403, a misconfiguration): retrying will not help."""

    def __init__(self, reason: str, *, status: int | None = None, code: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code


class GraphEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue  # as Django's SMTP backend: nothing to send, not an error
            try:
                self._send(message)
            except (GraphMailTemporaryError, GraphMailRefused):
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _send(self, message: EmailMessage) -> None:
        sender = settings.GRAPH_MAIL_SENDER
        if not sender:
            raise GraphMailRefused(
                "Graph mail is not configured: GRAPH_MAIL_SENDER must be set.", code="not_configured"
            )
        payload = {"message": graph_message(message), "saveToSentItems": False}
        try:
            # graph_request fetches the token (cached) and renews it once on a 401.
            teams.graph_request("POST", f"/users/{quote(sender, safe='@')}/sendMail", json_body=payload)
        except TemporaryProviderError as error:
            # 202 only means accepted; a timeout leaves the outcome unknown, so a retry may send twice.
            raise GraphMailTemporaryError(error.reason, retry_after=error.retry_after) from error
        except PermanentProviderError as error:
            raise GraphMailRefused(error.reason, status=error.status, code=error.code) from error


def graph_message(message: EmailMessage) -> dict[str, Any]:
    """Graph's JSON `message` for a Django message; fails before sending what Graph cannot carry."""
    html = next((content for content, mimetype in _alternatives(message) if mimetype == "text/html"), None)
    if html is None and message.content_subtype == "html":
        html = message.body
    body = (
        {"contentType": "html", "content": html}
        if html is not None
        else {"contentType": "text", "content": message.body}
    )
    graph: dict[str, Any] = {
        "subject": message.subject,
        "body": body,
        "toRecipients": _recipients(message.to),
        "ccRecipients": _recipients(message.cc),
        "bccRecipients": _recipients(message.bcc),
    }
    if message.reply_to:
        graph["replyTo"] = _recipients(message.reply_to)
    # The mailbox is the sender: a From header is not passed on (sending as another address needs a
    # Send As grant). Graph sets a message's Internet id only while it is a draft, as here.
    headers = {name.lower(): (name, str(value)) for name, value in message.extra_headers.items()}
    if "message-id" in headers:
        graph["internetMessageId"] = headers["message-id"][1]
    if "disposition-notification-to" in headers:
        # The SMTP way to ask for a read receipt; Graph has its own flag for it.
        graph["isReadReceiptRequested"] = True
    custom = [{"name": name, "value": value} for key, (name, value) in headers.items() if key.startswith("x-")]
    if len(custom) > MAX_CUSTOM_HEADERS:
        # Dropping one could drop the marker that makes Exchange encrypt the message (§1.5).
        raise GraphMailRefused(
            f"Graph accepts at most {MAX_CUSTOM_HEADERS} X- headers; this message has {len(custom)}."
        )
    if custom:
        graph["internetMessageHeaders"] = custom
    # Other headers (Auto-Submitted, ...) cannot be set through Graph's JSON form and are left out.
    if attachments := [_attachment(item) for item in message.attachments]:
        graph["attachments"] = attachments
    return graph


def _alternatives(message: EmailMessage) -> list[tuple[Any, str]]:
    return [(item[0], item[1]) for item in getattr(message, "alternatives", [])]


def _recipients(addresses: Sequence[str]) -> list[dict[str, Any]]:
    recipients = []
    for name, address in getaddresses(addresses):
        email_address = {"address": address, "name": name} if name else {"address": address}
        recipients.append({"emailAddress": email_address})
    return recipients


def _attachment(item: Any) -> dict[str, Any]:
    if isinstance(item, MIMEBase):
        name, content, mimetype = (
            item.get_filename() or "attachment",
            item.get_payload(decode=True),
            item["Content-Type"],
        )
    else:
        name, content, mimetype = item[0], item[1], item[2]
    if isinstance(content, str):
        content = content.encode()  # Django sends text attachments as UTF-8
    encoded = base64.b64encode(content).decode("ascii")
    if len(encoded) >= MAX_INLINE_ATTACHMENT_BYTES:
        raise GraphMailRefused(f"The attachment {name!r} is too large to send inline through Graph (3 MB at most).")
    return {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": name,
        "contentType": mimetype or "application/octet-stream",
        "contentBytes": encoded,
    }
