"""Mail to organisers (queue ``default``): invitations and password reset links.

Like the verification mail (workers/mail.py) the address exists in clear only in the
job's arguments: enqueued with ``result_ttl=0``, a short ``failure_ttl`` and a
description naming no address. Without ``smtp_url`` outside production the mail is
logged at WARNING, marked "DEV MAIL"; in production nothing is queued without SMTP.
"""

from __future__ import annotations

import logging

from rq import Queue, Retry

from duels.connection import connect_queue
from duels.settings import Settings
from workers import context, queues
from workers.mail import FAILURE_TTL, send_plain

log = logging.getLogger(__name__)

JOB = "workers.account_mail.send_account_mail"

INVITATION_SUBJECT = "Einladung zu Mach mal / Invitation to Mach mal"
INVITATION = """\
Hallo!

{inviter} lädt dich ein, bei „{place}“ als {role_de} mitzumachen.
Öffne diesen Link, um dein Konto anzulegen oder die Einladung anzunehmen:

{link}

Der Link gilt 7 Tage und funktioniert nur einmal. Wenn du niemanden bei Mach mal
kennst, ignoriere diese Mail einfach.

Hi! {inviter} invites you to join "{place}" as {role_en}. Open the link above to
create your account or accept the invitation. It works for 7 days and only once.
"""

RESET_SUBJECT = "Neues Passwort für Mach mal / New password for Mach mal"
RESET = """\
Hallo!

Für dein Konto bei Mach mal wurde ein neues Passwort angefordert. Öffne diesen Link
und wähle ein neues Passwort:

{link}

Der Link gilt eine Stunde und funktioniert nur einmal. Danach sind alle Anmeldungen
deines Kontos beendet. Wenn du das nicht warst, ignoriere diese Mail einfach.

Hi! Someone asked for a new password for your Mach mal account. Open the link above
to choose one. It works for one hour and only once; all your sessions end then. If
this was not you, just ignore this mail.
"""

ROLES_DE = {
    "owner": "Inhaber·in",
    "host": "Moderation der Veranstaltung (Host)",
    "moderator": "Moderator·in",
    "jury": "Jury",
    "viewer": "Zuschauer·in",
}


def invitation_text(inviter: str, place: str, role: str, link: str) -> str:
    return INVITATION.format(
        inviter=inviter, place=place, role_de=ROLES_DE.get(role, role), role_en=role, link=link
    )


def reset_text(link: str) -> str:
    return RESET.format(link=link)


def send_account_mail(to: str, subject: str, text: str) -> None:
    """The RQ job: send the mail, or log it in development without SMTP."""
    send_plain(context.settings(), to, subject, text, what="account mail")


def enqueue_account_mail(settings: Settings, to: str, subject: str, text: str) -> bool:
    """Queue the mail; False when none can go out (production without SMTP)."""
    if not settings.mail_ready:
        return False
    connection = connect_queue(settings, decode=False)
    try:
        Queue(queues.DEFAULT, connection=connection).enqueue(
            JOB,
            to,
            subject,
            text,
            description="account mail",
            result_ttl=0,
            failure_ttl=FAILURE_TTL,
            retry=Retry(max=2, interval=[15, 60]),
        )
    finally:
        connection.close()
    return True
