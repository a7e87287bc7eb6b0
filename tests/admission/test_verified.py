"""Verified admission: one vote per confirmed e-mail address and duel, end to end through
a real SMTP server process and a real RQ worker."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import SecretStr
from starlette.testclient import TestClient

from duels import errors, keys, privacy
from duels.settings import Settings
from tests.mail_sink import MAIL_TIMEOUT, Sink
from tests.support import (
    Process,
    child_env,
    queue_connection,
    store_client,
    wait_for,
)
from tests.voting.factories import make_duel
from voting import verify
from voting.admission import ADMISSION_COOKIE, AdmissionSecrets
from voting.email import is_disposable, parse
from web.app import create_app
from workers.mail import MailError, SmtpTarget, build_message, deliver, parse_smtp_url

pytestmark = pytest.mark.slow


# Pure parts: the normal form one vote is counted for -----------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("  Ada@Example.ORG ", "ada@example.org"),
        ("ada+duel7@example.org", "ada@example.org"),
        ("Ada.Love.Lace+x@GoogleMail.com", "adalovelace@gmail.com"),
        ("a.d.a@gmail.com", "ada@gmail.com"),
        ("ada.lovelace@web.de", "ada.lovelace@web.de"),
        ("ada@bücher.example", "ada@xn--bcher-kva.example"),
    ],
)
def test_addresses_are_normalised_to_one_mailbox(typed: str, normalised: str) -> None:
    assert parse(typed).normalised == normalised


@pytest.mark.parametrize(
    "typed",
    ["", "ada", "ada@", "@example.org", "ada@@example.org", "a b@example.org", "ada@example",
     ".ada@example.org", "ada.@example.org", "a..da@example.org", "ada@-example.org",
     "ada@example.o", "+tag@example.org", "ada@example.org\r\nBcc: x@example.org",
     "x" * 65 + "@example.org", "ada@" + "a" * 250 + ".org"],
)  # fmt: skip
def test_malformed_addresses_are_refused(typed: str) -> None:
    with pytest.raises(errors.Invalid) as refused:
        parse(typed)
    assert refused.value.code == "email_invalid"


def test_disposable_domains_and_their_subdomains_are_refused() -> None:
    assert is_disposable("mailinator.com") and is_disposable("inbox.mailinator.com")
    assert not is_disposable("gmail.com") and not is_disposable("example.org")
    with pytest.raises(errors.Invalid) as refused:
        parse("Someone@Mailinator.com")
    assert refused.value.code == "email_disposable"


def test_smtp_urls() -> None:
    assert parse_smtp_url("smtp://mailer:p%40ss@mail.example.org:2525?starttls=require") == (
        SmtpTarget("mail.example.org", 2525, False, True, "mailer", "p@ss")
    )
    assert parse_smtp_url("smtps://mail.example.org") == (
        SmtpTarget("mail.example.org", 465, True, False, "", "")
    )
    for wrong in ("http://{}@mail.example.org", "smtp://{}@", "smtp://{}@h:99999",
                  "smtp://{}@h?starttls=x"):  # fmt: skip
        with pytest.raises(MailError) as refused:
            parse_smtp_url(wrong.format("mailer:secret-password"))
        assert "secret-password" not in str(refused.value)


# Processes: a real SMTP server and a real worker ------------------------------------------


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    """The web process only queues mails: it needs no SMTP server (development)."""
    return settings


class Phone:
    """One browser seen from ``address``: its own cookies."""

    def __init__(self, settings: Settings, address: str = "198.51.100.7") -> None:
        self.http = TestClient(
            create_app(settings), client=(address, 5000), follow_redirects=False
        ).__enter__()

    def close(self) -> None:
        self.http.__exit__(None, None, None)

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, "no form on " + path
        return found.group(1)

    def ask_link(self, did: str, address: str) -> str:
        """Send the e-mail form; the Location it answers."""
        answer = self.http.post(
            f"/vote/{did}/email", data={"csrf": self.csrf(f"/vote/{did}"), "email": address}
        )
        assert answer.status_code == 303, answer.text
        return answer.headers["location"]

    def confirm(self, path: str) -> Any:
        return self.http.post(path, data={"csrf": self.csrf(path)})

    def vote(self, did: str, team: str) -> Any:
        return self.http.post(f"/api/duels/{did}/votes", json={"team_id": team})


@pytest.fixture
def phones(app_settings: Settings) -> Iterator[Any]:
    opened: list[Phone] = []

    def build(address: str = "198.51.100.7") -> Phone:
        phone = Phone(app_settings, address)
        opened.append(phone)
        return phone

    yield build
    for phone in opened:
        phone.close()


@pytest.fixture
def duel(redis_client: redis.Redis) -> dict[str, str]:
    return make_duel(redis_client, extra={"admission": "verified"})


def link_path(message: email.message.EmailMessage, settings: Settings) -> str:
    body = message.get_content()
    found = re.search(re.escape(settings.public_url) + r"(/verify/[A-Za-z0-9_.\-]+)", body)
    assert found, body
    return found.group(1)


# The flow ------------------------------------------------------------------------------


def test_round_trip_from_the_form_to_a_counted_vote(
    mail_worker: Process, sink: Sink, phones: Any, duel: dict[str, str], app_settings: Settings
) -> None:
    phone = phones()
    page = phone.http.get(f"/vote/{duel['id']}")
    assert 'id="email-form"' in page.text
    assert phone.vote(duel["id"], duel["home"]).json()["detail"]["code"] == "email_required"
    location = phone.ask_link(duel["id"], " Ada.Lovelace@Example.org ")
    assert location == f"/vote/{duel['id']}?status=email_sent"
    assert "Öffne ihn auf diesem Handy" in phone.http.get(location).text

    [message] = sink.wait(1)
    assert message["To"] == "Ada.Lovelace@example.org"
    assert message["From"] == app_settings.mail_from
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    body = message.get_content()
    assert "Der Link gilt 15 Minuten" in body and "The link works for 15 minutes" in body
    path = link_path(message, app_settings)

    # Opening the link (as a mail scanner would) confirms nothing: one button, a POST.
    page = phone.http.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert ADMISSION_COOKIE not in phone.http.cookies
    assert phone.vote(duel["id"], duel["home"]).status_code == 403

    confirmed = phone.confirm(path)
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/vote/{duel['id']}?status=email_confirmed"
    assert ADMISSION_COOKIE in confirmed.cookies
    assert phone.vote(duel["id"], duel["home"]).status_code == 202
    assert phone.vote(duel["id"], duel["away"]).json()["detail"]["code"] == "already_voted"


def test_one_vote_per_address_even_from_another_phone_and_spelling(
    mail_worker: Process, sink: Sink, phones: Any, duel: dict[str, str], app_settings: Settings
) -> None:
    first, second = phones("198.51.100.7"), phones("203.0.113.50")
    first.ask_link(duel["id"], "ada.lovelace@gmail.com")
    [mail] = sink.wait(1)
    assert first.confirm(link_path(mail, app_settings)).status_code == 303
    assert first.vote(duel["id"], duel["home"]).status_code == 202

    second.ask_link(duel["id"], "Ada.Love.Lace+duel@GoogleMail.com")
    _, mail = sink.wait(2)
    assert mail["To"] == "Ada.Love.Lace+duel@googlemail.com"  # sent where it was typed
    assert second.confirm(link_path(mail, app_settings)).status_code == 303
    refused = second.vote(duel["id"], duel["away"])
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "already_voted"


def test_a_disposable_address_is_refused_and_no_mail_goes_out(
    mail_worker: Process, sink: Sink, phones: Any, duel: dict[str, str]
) -> None:
    phone = phones()
    location = phone.ask_link(duel["id"], "quick.vote@mailinator.com")
    assert location == f"/vote/{duel['id']}?status=email_disposable"
    assert "Wegwerf-Adressen" in phone.http.get(location).text
    # The worker serves the queue in order: a later mail arriving alone proves no earlier one.
    phone.ask_link(duel["id"], "ada@example.org")
    [only] = sink.wait(1)
    assert only["To"] == "ada@example.org"


def test_the_form_needs_its_csrf_token_and_a_verified_duel(
    phones: Any, duel: dict[str, str], redis_client: redis.Redis, rq_connection: redis.Redis
) -> None:
    from rq import Queue

    phone = phones()
    phone.csrf(f"/vote/{duel['id']}")
    forged = phone.http.post(
        f"/vote/{duel['id']}/email", data={"csrf": "forged", "email": "ada@example.org"}
    )
    assert forged.status_code == 403
    open_duel = make_duel(redis_client, extra={"admission": "open"})
    elsewhere = phone.ask_link(open_duel["id"], "ada@example.org")
    assert elsewhere == f"/vote/{open_duel['id']}"
    assert phone.ask_link(duel["id"], "ada@").endswith("status=email_invalid")
    unknown = phone.http.post(
        "/vote/nope/email", data={"csrf": phone.csrf(f"/vote/{duel['id']}"), "email": "a@b.de"}
    )
    assert unknown.status_code == 404
    assert Queue("default", connection=rq_connection).count == 0  # no worker runs: none queued
    assert phone.ask_link(duel["id"], "ada@example.org").endswith("status=email_sent")
    assert Queue("default", connection=rq_connection).count == 1


def test_an_expired_or_forged_link_is_refused(
    phones: Any, duel: dict[str, str], app_settings: Settings
) -> None:
    secret = app_settings.secret_key_value()
    subject = AdmissionSecrets(secret).subject_hash("e", "ada@example.org")
    link = verify.VerifyLink(duel["competition"], duel["id"], subject, "l1", int(time.time()) - 1)
    expired = "/verify/" + verify.LinkSigner(secret).sign(link)
    phone = phones()
    page = phone.http.get(expired)
    assert page.status_code == 410 and "abgelaufen" in page.text
    assert f'href="/vote/{duel["id"]}"' in page.text  # back to ask for a new one
    refused = phone.http.post(expired, data={"csrf": phone.csrf(f"/vote/{duel['id']}")})
    assert refused.status_code == 410 and ADMISSION_COOKIE not in phone.http.cookies

    forged = "/verify/" + verify.LinkSigner("another-secret-key-" + "q" * 20).sign(
        verify.VerifyLink(duel["competition"], duel["id"], subject, "l2", int(time.time()) + 600)
    )
    assert phone.http.get(forged).status_code == 403
    assert phone.http.get(expired[:-3] + "abc").status_code == 403


def test_a_link_works_once(
    mail_worker: Process, sink: Sink, phones: Any, duel: dict[str, str], app_settings: Settings
) -> None:
    phone, other = phones(), phones("203.0.113.9")
    phone.ask_link(duel["id"], "ada@example.org")
    path = link_path(sink.wait(1)[0], app_settings)
    csrf = other.csrf(path)  # a second phone opened it too, before the first used it
    assert phone.confirm(path).status_code == 303
    again = other.http.post(path, data={"csrf": csrf})
    assert again.status_code == 409 and "schon benutzt" in again.text
    assert ADMISSION_COOKIE not in other.http.cookies
    assert other.http.get(path).status_code == 409


def test_mails_per_address_are_limited(
    mail_worker: Process, sink: Sink, phones: Any, duel: dict[str, str], app_settings: Settings
) -> None:
    phone = phones()
    limit = app_settings.verify_mails_per_address_per_hour
    for n in range(limit):
        assert phone.ask_link(duel["id"], f"ada+{n}@example.org").endswith("status=email_sent")
    throttled = phone.ask_link(duel["id"], "ADA@example.org")
    status, _, retry = throttled.partition("&retry=")
    assert status == f"/vote/{duel['id']}?status=email_throttled"
    assert 0 < int(retry) <= 3600
    assert "Minuten noch einmal" in phone.http.get(throttled).text
    # Another address from the same phone still gets its mail; ada got exactly ``limit``.
    phone.ask_link(duel["id"], "ben@example.org")
    received = sink.wait(limit + 1)
    assert sorted(str(message["To"]) for message in received) == sorted(
        [f"ada+{n}@example.org" for n in range(limit)] + ["ben@example.org"]
    )


def _everything(client: redis.Redis) -> bytes:
    """Every key name and value of a Redis, as one blob to search."""
    parts: list[bytes] = []
    for key in client.scan_iter(count=1000):
        parts.append(key)
        kind = client.type(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"hash":
            parts.extend(b"%s=%s" % item for item in client.hgetall(key).items())
        elif kind == b"set":
            parts.extend(client.smembers(key))
        elif kind == b"zset":
            parts.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
        elif kind == b"list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == b"stream":
            for _, fields in client.xrange(key):
                parts.extend(b"%s=%s" % item for item in fields.items())
    return b"\n".join(parts).lower()


def test_redis_never_holds_the_address_after_the_mail_went_out(
    mail_worker: Process, sink: Sink, phones: Any, duel: dict[str, str], app_settings: Settings
) -> None:
    phone = phones()
    phone.ask_link(duel["id"], "Grace.Hopper+vote@example.org")
    assert phone.confirm(link_path(sink.wait(1)[0], app_settings)).status_code == 303
    assert phone.vote(duel["id"], duel["home"]).status_code == 202
    queue, store = queue_connection(app_settings), store_client(app_settings, decode=False)
    try:
        wait_for(lambda: not list(queue.scan_iter(match="rq:job:*")), timeout=MAIL_TIMEOUT)
        blob = _everything(queue) + _everything(store)
    finally:
        queue.close()
        store.close()
    for needle in (b"grace.hopper", b"hopper+vote", b"grace.hopper@example.org"):
        assert needle not in blob
    assert b"mail-rate" in blob and b"verify-used" in blob  # the scan saw the store


def test_without_smtp_the_worker_logs_the_link_in_development(
    settings: Settings, phones: Any, duel: dict[str, str], tmp_path: Path
) -> None:
    assert settings.smtp_url is None and settings.mode == "development"
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        popen = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker"], env=child_env(settings),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    worker = Process(popen)
    try:
        phone = phones()
        phone.ask_link(duel["id"], "ada.lovelace@example.org")
        marker = "DEV MAIL (MACHMAL_SMTP_URL not set)"
        wait_for(lambda: marker in log_path.read_text("utf-8"), timeout=MAIL_TIMEOUT)
    finally:
        worker.stop()
    text = log_path.read_text("utf-8")
    line = next(line for line in text.splitlines() if marker in line)
    assert "a***@example.org" in line and "ada.lovelace" not in text
    path = re.search(r"http://testserver(/verify/\S+)", line)
    assert path and phone.http.get(path.group(1)).status_code == 200


@pytest.fixture
def production(settings: Settings) -> Settings:
    return settings.model_copy(update={"mode": "production"}).with_secrets()


def test_production_without_smtp_refuses_verified_voting(
    production: Settings, host_headers: dict[str, str]
) -> None:
    assert not production.mail_ready
    with TestClient(create_app(production)) as host:
        cid = host.post("/api/competitions", json={"title": "Online"}, headers=host_headers)
        cid = cid.json()["id"]
        refused = host.post(
            f"/api/competitions/{cid}/admission", json={"mode": "verified"}, headers=host_headers
        )
        assert refused.status_code == 409
        assert refused.json()["detail"]["code"] == "smtp_required"
    ready = production.model_copy(update={"smtp_url": SecretStr("smtps://mail.example.org")})
    with TestClient(create_app(ready)) as host:
        chosen = host.post(
            f"/api/competitions/{cid}/admission", json={"mode": "verified"}, headers=host_headers
        )
        assert chosen.status_code == 200, chosen.text


def test_starttls_required_but_not_offered_sends_nothing(sink: Sink) -> None:
    target = parse_smtp_url(f"smtp://127.0.0.1:{sink.port}?starttls=require")
    message = build_message("Mach mal <noreply@example.org>", "ada@example.org", "http://x/", 15)
    with pytest.raises(MailError) as refused:
        deliver(target, message, timeout=5)
    assert "STARTTLS" in str(refused.value) and "ada@" not in str(refused.value)
    deliver(parse_smtp_url(f"smtp://127.0.0.1:{sink.port}"), message, timeout=5)
    assert len(sink.wait(1)) == 1


def test_purge_removes_mail_limits_and_spent_links(
    settings: Settings, redis_client: redis.Redis, duel: dict[str, str]
) -> None:
    other = make_duel(redis_client, extra={"admission": "verified"})
    admission = AdmissionSecrets(settings.secret_key_value())
    signer = verify.LinkSigner(settings.secret_key_value())
    for target in (duel, other):
        order = verify.request_link(
            redis_client, settings, admission, target["id"], "ada@example.org", "net1"
        )
        verify.confirm(redis_client, signer.read(order.link.rpartition("/")[2]))
    cid = duel["competition"]
    ours = [
        key
        for pattern in (keys.mail_rate_pattern(cid), keys.verify_used_pattern(cid))
        for key in redis_client.scan_iter(match=pattern)
    ]
    assert len(ours) == 4  # address, domain, network, one spent link

    report = privacy.purge(redis_client, cid, force=True)
    assert report.keys_removed >= 4
    assert not any(redis_client.exists(key) for key in ours)
    theirs = keys.mail_rate_pattern(other["competition"])
    assert len(list(redis_client.scan_iter(match=theirs))) == 3
