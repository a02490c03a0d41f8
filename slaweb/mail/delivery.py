"""Build one stored message into an email and hand it to the SMTP server.

The outcome says what the outbox does next: sent; bounced (a 5xx for the recipient:
suppress the address); failed (a permanent error that is not the recipient's fault);
retry (4xx, connection refused, timeouts).
"""

from __future__ import annotations

import enum
import smtplib
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection


class Outcome(enum.Enum):
    SENT = "sent"
    BOUNCED = "bounced"
    FAILED = "failed"
    RETRY = "retry"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str = ""


def from_address(from_name: str) -> str:
    if not from_name:
        return settings.DEFAULT_FROM_EMAIL
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((from_name, address))


def build(message, attachments=(), connection=None) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=from_address(message.from_name),
        to=[message.to_address],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=dict(message.headers or {}),
        connection=connection or get_connection(fail_silently=False),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in attachments:
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _describe(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def transmit(email: EmailMultiAlternatives) -> Result:
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        outcome = Outcome.BOUNCED if code >= 500 else Outcome.RETRY
        return Result(outcome, _describe(code, text))
    except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as error:
        # Our side is misconfigured: retry a 4xx, never blame the recipient.
        outcome = Outcome.FAILED if error.smtp_code >= 500 else Outcome.RETRY
        return Result(outcome, _describe(error.smtp_code, error.smtp_error))
    except smtplib.SMTPResponseException as error:
        # One recipient per message, so a 5xx after RCPT (e.g. at DATA) is that recipient's.
        outcome = Outcome.BOUNCED if error.smtp_code >= 500 else Outcome.RETRY
        return Result(outcome, _describe(error.smtp_code, error.smtp_error))
    except (smtplib.SMTPException, OSError) as error:
        return Result(Outcome.RETRY, f"{type(error).__name__}: {error}")
    return Result(Outcome.SENT)
