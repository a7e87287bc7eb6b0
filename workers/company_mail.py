"""Mail to companies (queue ``default``): a new invite link, and the reminder 24 h before a
duel's video deadline for every company whose team has sent nothing yet.

The invite job gets the company and the new token, never the address: it reads the
contact address at run time and refuses a token that was replaced or revoked meanwhile.
The reminder job is scheduled with ``enqueue_at`` (the worker runs RQ's scheduler) under
an id stored per duel; a newer deadline replaces (deletes) the old job, and the job
re-checks everything when it runs, so a changed deadline or a video sent meanwhile
means no mail, and no company is reminded twice of one deadline.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from duels import company_invites, store, videos
from duels.connection import connect_queue
from duels.settings import Settings
from workers import context, queues
from workers.mail import send_plain

log = logging.getLogger(__name__)

INVITE_JOB = "workers.company_mail.send_invite"
REMINDER_JOB = "workers.company_mail.send_reminders"
REMINDER_LEAD_SECONDS = 24 * 3600
FAILURE_TTL = 600
ACTOR = "Erinnerung (Worker)"
_BERLIN = ZoneInfo("Europe/Berlin")

INVITE_SUBJECT = "Euer Link zum Firmenportal – {competition}"
INVITE_BODY = """\
Hallo {company},

hier ist euer Link zum Firmenportal von „{competition}“. Dort seht ihr eure Duelle und
ladet die Videos eurer Azubi-Teams hoch (oder schickt einen Link zu eurem Beitrag):

{link}

Der Link ist nur für euch: Wer ihn hat, kann für eure Teams Videos einreichen. Ein
früher verschickter Link funktioniert ab jetzt nicht mehr.

Viele Grüße
Das Orga-Team
"""
REMINDER_SUBJECT = "Erinnerung: Video für „{team}“ bis {deadline}"
REMINDER_BODY = """\
Hallo {company},

für das Duell „{team}“ gegen „{opponent}“ bei „{competition}“ fehlt noch euer Video.
Einsendeschluss ist {deadline}.

Ladet es über den Link aus eurer Einladung zum Firmenportal hoch. Habt ihr den Link
nicht mehr, fragt das Orga-Team nach einem neuen.

Viele Grüße
Das Orga-Team
"""


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, _BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def _send(settings: Settings, to: str, subject: str, body: str) -> None:
    """One plain-text mail; without SMTP outside production it goes to the log."""
    send_plain(settings, to, subject, body, what="mail to companies")


# Invite links ------------------------------------------------------------------------------


def enqueue_invite(settings: Settings, cid: str, company_id: str, token: str) -> None:
    connection = connect_queue(settings, decode=False)
    try:
        Queue(queues.DEFAULT, connection=connection).enqueue(
            INVITE_JOB, cid, company_id, token,
            description="company invite mail", result_ttl=0, failure_ttl=FAILURE_TTL,
            retry=Retry(max=2, interval=[15, 60]),
        )  # fmt: skip
    finally:
        connection.close()


def send_invite(cid: str, company_id: str, token: str) -> bool:
    """The RQ job; False when there is nothing (left) to send."""
    settings, client = context.settings(), context.redis_client()
    company = store.company_for_token(client, token)
    email = company_invites.contact(client, cid, company_id)
    if company is None or company.id != company_id or not email:
        log.warning("invite mail for %s skipped: link replaced or no contact address", company_id)
        return False
    competition = store.get_competition(client, cid)
    body = INVITE_BODY.format(
        company=company.name,
        competition=competition.title,
        link=f"{settings.public_url}/company/{token}",
    )
    _send(settings, email, INVITE_SUBJECT.format(competition=competition.title), body)
    company_invites.note_mailed(client, cid, company_id)
    return True


# Deadline reminders ------------------------------------------------------------------------


def _drop_job(connection: redis.Redis, job_id: str) -> None:
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=connection).delete()


def schedule_reminder(
    settings: Settings, client: redis.Redis, did: str, *, lead: float = REMINDER_LEAD_SECONDS
) -> str | None:
    """(Re)plan the duel's reminder after its deadline changed; the new job's id, or None
    when there is nothing to plan (no SMTP, no deadline, deadline passed, voting started)."""
    duel = store.get_duel(client, did)
    deadline = videos.deadline_of(duel)
    connection = connect_queue(settings, decode=False)
    try:
        old = company_invites.reminder_job(client, did)
        if old:
            _drop_job(connection, old)
        if (
            settings.smtp_url is None
            or deadline is None
            or deadline <= time.time()
            or duel.status != "pending"
        ):
            company_invites.set_reminder(client, did, "", None)
            return None
        job_id = f"machmal-reminder-{did}-{secrets.token_hex(6)}"
        company_invites.set_reminder(client, did, job_id, deadline)
        at = datetime.fromtimestamp(max(deadline - lead, time.time()), UTC)
        Queue(queues.DEFAULT, connection=connection).enqueue_at(
            at, REMINDER_JOB, did, deadline, job_id,
            job_id=job_id, description="video deadline reminder", result_ttl=0,
            failure_ttl=FAILURE_TTL, retry=Retry(max=2, interval=[60, 300]),
        )  # fmt: skip
        return job_id
    finally:
        connection.close()


def send_reminders(did: str, deadline: float, job_id: str) -> int:
    """The RQ job: mail the companies still without a video; how many were mailed."""
    settings, client = context.settings(), context.redis_client()
    if not company_invites.reminder_due(client, did, job_id, deadline):
        return 0
    duel = store.get_duel(client, did)
    competition = store.get_competition(client, duel.competition)
    sent = 0
    for due in company_invites.reminders(client, did, deadline):
        values = {
            "company": due.company.name,
            "competition": competition.title,
            "team": due.team_name,
            "opponent": due.opponent,
            "deadline": _when(deadline),
        }
        subject = REMINDER_SUBJECT.format(**values)
        _send(settings, due.email, subject, REMINDER_BODY.format(**values))
        company_invites.note_reminded(client, did, due.company.id, deadline, ACTOR)
        sent += 1
    return sent
