"""Verification mail of the ``verified`` admission mode (queue ``default``).

The job's arguments are the only place the address exists in clear: the job is enqueued
with ``result_ttl=0`` (deleted once sent), a short ``failure_ttl`` and a description that
names no address, and its errors never carry the address (RQ keeps and logs them).
Without ``smtp_url`` outside production the link is logged at WARNING instead.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from rq import Queue, Retry

from duels.connection import connect_queue
from duels.settings import Settings
from voting.email import masked
from voting.verify import MailOrder
from workers import context, queues

log = logging.getLogger(__name__)

JOB = "workers.mail.send_verification"
FAILURE_TTL = 600
SUBJECT = "Deine Stimme bei Mach mal bestätigen / Confirm your vote"
BODY = """\
Hallo!

Du möchtest bei Mach mal abstimmen. Öffne diesen Link auf dem Handy, mit dem du
abstimmen willst, und tippe dort auf „Bestätigen“:

{link}

Der Link gilt {minutes} Minuten und funktioniert nur einmal. Wenn du das nicht warst,
ignoriere diese Mail einfach. Wir speichern deine Adresse nicht.

Hi! You asked to vote at Mach mal. Open the link above on the phone you want to vote
with and tap "Bestätigen" (confirm). The link works for {minutes} minutes and only
once. If this was not you, just ignore this mail. We do not store your address.
"""


class MailError(Exception):
    """Sending failed; the message names no address and no SMTP password."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    require_tls: bool
    user: str
    password: str


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://user:pass@host:587[?starttls=require]`` or ``smtps://user:pass@host:465``."""
    parts = urlsplit(url)
    starttls = parse_qs(parts.query).get("starttls", ["auto"])[-1]
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1:
        raise MailError("MACHMAL_SMTP_URL must look like smtp://user:pass@host:587")
    if starttls not in ("auto", "require"):
        raise MailError("MACHMAL_SMTP_URL: starttls is auto or require")
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        require_tls=starttls == "require",
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def plain_message(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    """Plain text only: nothing in it is markup, so nothing needs escaping."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    return message


def build_message(sender: str, to: str, link: str, minutes: int) -> EmailMessage:
    return plain_message(sender, to, SUBJECT, BODY.format(link=link, minutes=minutes))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        return f"the SMTP server refused the recipient ({', '.join(codes)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc.strerror or exc}" if isinstance(exc, OSError) else ""


def deliver(target: SmtpTarget, message: EmailMessage, timeout: float) -> None:
    tls = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=tls)
            if target.implicit_tls
            else smtplib.SMTP(target.host, target.port, timeout=timeout)
        )
        with smtp:
            smtp.ehlo()
            secure = target.implicit_tls
            if not secure and smtp.has_extn("starttls"):
                smtp.starttls(context=tls)
                smtp.ehlo()
                secure = True
            if target.require_tls and not secure:
                raise MailError("the SMTP server does not offer STARTTLS (starttls=require)")
            if target.user:
                if not secure and not _loopback(target.host):
                    raise MailError("refusing to send the SMTP password without TLS")
                smtp.login(target.user, target.password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        # Not chained: the original may quote the recipient address.
        raise MailError(f"sending the mail failed: {_describe(exc)}") from None


def send_plain(
    settings: Settings, to: str, subject: str, text: str, *, what: str, dev_note: str = ""
) -> None:
    """Send one plain-text mail (every kind of mail of the product). Without SMTP outside
    production it goes to the log instead, marked DEV MAIL, the address masked; in
    production that is an error (the job fails and RQ keeps it)."""
    if settings.smtp_url is None:
        if settings.mode == "production":
            raise MailError(f"MACHMAL_SMTP_URL is not set; no {what} can go out")
        note = dev_note or f"{what} for {masked(to)}: {subject}\n{text}"
        log.warning("DEV MAIL (MACHMAL_SMTP_URL not set) – %s", note)
        return
    target = parse_smtp_url(settings.smtp_url.get_secret_value())
    message = plain_message(settings.mail_from, to, subject, text)
    deliver(target, message, settings.smtp_timeout_seconds)


def send_verification(to: str, link: str, minutes: int) -> None:
    """The RQ job: send the link, or log it in development without SMTP."""
    send_plain(
        context.settings(), to, SUBJECT, BODY.format(link=link, minutes=minutes),
        what="verification mail", dev_note=f"verification link for {masked(to)}: {link}",
    )  # fmt: skip


def enqueue_verification(settings: Settings, order: MailOrder) -> None:
    connection = connect_queue(settings, decode=False)
    try:
        Queue(queues.DEFAULT, connection=connection).enqueue(
            JOB,
            order.to,
            order.link,
            order.minutes,
            description="verification mail",
            result_ttl=0,
            failure_ttl=FAILURE_TTL,
            retry=Retry(max=2, interval=[15, 60]),
        )
    finally:
        connection.close()
