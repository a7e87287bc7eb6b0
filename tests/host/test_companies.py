"""Companies' invite links in the console and the API: state (issued -> opened), re-issue,
revoke, contact address, the link by e-mail and the deadline reminder, through a real
SMTP server process and a real RQ worker."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rq import Queue
from rq.job import Job
from starlette.testclient import TestClient

from duels import keys, store, videos
from duels.settings import Settings
from tests.accounts import OWNER_EMAIL, log_in
from tests.mail_sink import Sink
from tests.support import Process, queue_connection, wait_for
from tests.videos.conftest import League, make_league
from web.app import create_app
from workers import company_mail, queues

YT = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
DAY = 24 * 3600


def states(http: TestClient, cid: str, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    answer = http.get(f"/api/competitions/{cid}/companies/state", headers=headers)
    assert answer.status_code == 200, answer.text
    return {row["company"]: row for row in answer.json()}


def form(http: TestClient, path: str, csrf: str, **fields: str) -> str:
    """Post a console form; the Location it answers with."""
    answer = http.post(path, data={"csrf": csrf, **fields}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def shown_link(page: str) -> str:
    found = re.search(r'id="invite-url" readonly value="http://testserver/company/([\w-]+)"', page)
    assert found, "the new link is shown once"
    return found.group(1)


# State, re-issue, revoke, contact -----------------------------------------------------------


def test_invite_state_goes_from_issued_to_opened(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    league = make_league(client, host_headers, redis_client)
    company = league.companies[0]
    path = f"/api/competitions/{league.cid}/companies/state"
    assert client.get(path).status_code == 401
    answer = client.get(path, headers=host_headers)
    assert all(c.token not in answer.text for c in league.companies)
    before = states(client, league.cid, host_headers)[company.id]
    assert before["active"] and before["issued_by"] == "host token" and before["issued_at"]
    assert before["opened_first"] is None and before["opened_last"] is None
    assert [d["duel"] for d in before["duels"]] == [league.duel_of(company).id]
    assert before["duels"][0]["video"] == "missing"

    assert client.get(f"/company/{company.token}").status_code == 200
    opened = states(client, league.cid, host_headers)[company.id]
    assert opened["opened_first"] is not None
    assert opened["opened_last"] == opened["opened_first"]
    assert client.get(f"/company/{company.token}").status_code == 200
    again = states(client, league.cid, host_headers)[company.id]
    assert again["opened_first"] == opened["opened_first"]
    assert again["opened_last"] >= opened["opened_last"]
    others = states(client, league.cid, host_headers)
    assert all(others[c.id]["opened_first"] is None for c in league.companies[1:])


def test_console_reissues_and_revokes_links(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    league = make_league(client, host_headers, redis_client)
    company = league.companies[0]
    csrf = log_in(client)
    client.get(f"/company/{company.token}")
    page = client.get(f"/host/c/{league.cid}").text
    assert 'id="company-invites"' in page and f'data-company="{company.id}"' in page
    assert 'data-note="no-smtp"' in page and 'data-action="mail-invite" disabled' in page

    back = form(client, f"/host/c/{league.cid}/companies/{company.id}/reissue", csrf)
    assert back == f"/host/c/{league.cid}?ok=invite_reissued"
    new = shown_link(client.get(back).text)
    assert "invite-url" not in client.get(back).text  # shown once
    assert new != company.token
    assert client.get(f"/company/{company.token}").status_code == 404
    state = states(client, league.cid, host_headers)[company.id]
    assert state["issued_by"] == OWNER_EMAIL and state["opened_first"] is None
    assert client.get(f"/company/{new}").status_code == 200

    back = form(client, f"/host/c/{league.cid}/companies/{company.id}/revoke", csrf)
    assert back.endswith("?ok=invite_revoked")
    gone = client.get(f"/company/{new}")
    assert gone.status_code == 404 and "ungültig" in gone.text
    state = states(client, league.cid, host_headers)[company.id]
    assert not state["active"] and state["revoked_by"] == OWNER_EMAIL
    page = client.get(f"/host/c/{league.cid}").text
    assert f'data-company="{company.id}" data-link="revoked"' in page
    log = store.audit_log(redis_client, league.cid)
    assert [e["what"] for e in log if e.get("company") == company.id][-2:] == [
        "invite_reissued",
        "invite_revoked",
    ]

    # A new link after revoking works again.
    form(client, f"/host/c/{league.cid}/companies/{company.id}/reissue", csrf)
    newest = shown_link(client.get(f"/host/c/{league.cid}").text)
    assert client.get(f"/company/{newest}").status_code == 200
    assert states(client, league.cid, host_headers)[company.id]["revoked_at"] is None


def test_the_api_revokes_a_link(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    league = make_league(client, host_headers, redis_client)
    company = league.companies[1]
    path = f"/api/competitions/{league.cid}/companies/{company.id}/revoke-invite"
    assert client.post(path).status_code == 401
    answer = client.post(path, headers=host_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked_links"] == 1
    assert client.get(f"/company/{company.token}").status_code == 404
    assert client.get(f"/company/{league.companies[0].token}").status_code == 200
    unknown = f"/api/competitions/{league.cid}/companies/co_nope/revoke-invite"
    assert client.post(unknown, headers=host_headers).status_code == 404


def test_contact_address_is_checked_and_kept_out_of_the_audit_log(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    league = make_league(client, host_headers, redis_client)
    company = league.companies[0]
    csrf = log_in(client)
    path = f"/host/c/{league.cid}/companies/{company.id}/contact"
    for wrong in ("anna", "anna@", "a b@firma.example", "anna@firma..example"):
        assert form(client, path, csrf, email=wrong).endswith("?error=contact_email_invalid")
    assert form(client, path, csrf, email=" anna@firma.example ").endswith("?ok=contact_saved")
    assert states(client, league.cid, host_headers)[company.id]["email"] == "anna@firma.example"
    page = client.get(f"/host/c/{league.cid}").text
    assert 'value="anna@firma.example"' in page
    # Without SMTP the mail button stays disabled, and posting it changes nothing.
    mail = f"/host/c/{league.cid}/companies/{company.id}/mail"
    assert form(client, mail, csrf).endswith("?error=company_mail_needs_smtp")
    assert client.get(f"/company/{company.token}").status_code == 200
    assert "anna@" not in str(store.audit_log(redis_client, league.cid))
    assert form(client, path, csrf, email="").endswith("?ok=contact_saved")
    assert states(client, league.cid, host_headers)[company.id]["email"] == ""


def test_without_smtp_a_company_mail_goes_to_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="workers.company_mail"):
        company_mail._send(settings, "anna@firma.example", "Betreff", "Link: x")
    assert "DEV MAIL" in caplog.text and "Link: x" in caplog.text


# Mail through a real SMTP server and a real worker --------------------------------------------


@pytest.fixture
def mail_client(mail_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(mail_settings)) as http:
        yield http


@pytest.fixture
def mail_league(
    mail_client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> League:
    return make_league(mail_client, host_headers, redis_client)


@pytest.mark.slow
def test_the_link_by_mail_is_a_new_working_link(
    mail_client: TestClient,
    mail_league: League,
    mail_worker: Process,
    sink: Sink,
    host_headers: dict[str, str],
) -> None:
    league, company = mail_league, mail_league.companies[2]
    csrf = log_in(mail_client)
    page = mail_client.get(f"/host/c/{league.cid}").text
    assert 'data-note="no-smtp"' not in page
    contact = f"/host/c/{league.cid}/companies/{company.id}/contact"
    form(mail_client, contact, csrf, email="ausbildung@firma.example")
    back = form(mail_client, f"/host/c/{league.cid}/companies/{company.id}/mail", csrf)
    assert back.endswith("?ok=invite_mailed")

    (message,) = sink.wait(1)
    assert message["To"] == "ausbildung@firma.example"
    assert "Videocup" in message["Subject"]
    body = message.get_content()
    found = re.search(r"http://testserver/company/([\w-]+)", body)
    assert found and "funktioniert ab jetzt nicht mehr" in body
    assert mail_client.get(f"/company/{found.group(1)}").status_code == 200
    assert mail_client.get(f"/company/{company.token}").status_code == 404
    wait_for(lambda: bool(states(mail_client, league.cid, host_headers)[company.id]["mailed_at"]))


@pytest.mark.slow
def test_the_reminder_mails_only_companies_without_a_video_and_only_once(
    mail_client: TestClient,
    mail_league: League,
    mail_worker: Process,
    sink: Sink,
    mail_settings: Settings,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
) -> None:
    league = mail_league
    duel = league.duels[0]
    home, away = (next(c for c in league.companies if c.id == side)
                  for side in (duel.home_company, duel.away_company))  # fmt: skip
    csrf = log_in(mail_client)
    for company, address in ((home, "home@firma.example"), (away, "away@firma.example")):
        path = f"/host/c/{league.cid}/companies/{company.id}/contact"
        form(mail_client, path, csrf, email=address)
    target = videos.submission_target(
        redis_client, store.get_company(redis_client, league.cid, home.id), duel.id
    )
    videos.submit_link(redis_client, target, YT)

    deadline_path = f"/api/duels/{duel.id}/deadline"
    later = time.time() + DAY + 3600
    answer = mail_client.post(deadline_path, json={"submit_until": later}, headers=host_headers)
    assert answer.status_code == 200, answer.text
    first = redis_client.hget(keys.duel_reminder(duel.id), "job")
    soon = time.time() + DAY + 1  # reminder due in about a second
    mail_client.post(deadline_path, json={"submit_until": soon}, headers=host_headers)
    second = redis_client.hget(keys.duel_reminder(duel.id), "job")
    assert first and second and first != second
    connection = queue_connection(mail_settings)
    try:
        assert not Job.exists(str(first), connection=connection)  # replaced, not doubled
        (message,) = sink.wait(1)
        assert message["To"] == "away@firma.example"
        assert duel.away_name in message["Subject"]
        wait_for(lambda: not Job.exists(str(second), connection=connection), timeout=30)
        # Running it again (a retry), or the replaced job, sends nothing more.
        queue = Queue(queues.DEFAULT, connection=connection)
        again = [
            queue.enqueue(company_mail.REMINDER_JOB, duel.id, soon_value, job_id, result_ttl=60)
            for soon_value, job_id in ((float(soon), str(second)), (later, str(first)))
        ]
        wait_for(lambda: all(job.get_status(refresh=True) == "finished" for job in again), 30)
        assert [job.return_value() for job in again] == [0, 0]
    finally:
        connection.close()
    assert len(sink.messages()) == 1
    log = store.audit_log(redis_client, league.cid)
    assert [e["company"] for e in log if e["what"] == "reminder_sent"] == [away.id]
