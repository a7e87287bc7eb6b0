"""Attendee codes: printed cards, one vote per code and duel, end to end through the web
app (each phone its own TestClient, address and cookies), the host API and console, and a
real tally worker where the official count matters."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import zxingcpp
from PIL import Image, ImageDraw
from starlette.testclient import TestClient

from duels import codes, errors, keys, privacy
from duels.settings import Settings
from tests.accounts import csrf_of, log_in
from tests.host.helpers import Host
from tests.support import Process, store_client, wait_for
from voting import codes as derived
from voting import qr
from voting.admission import ADMISSION_COOKIE, AdmissionSecrets
from voting.tokens import VOTER_COOKIE, VoteSecrets
from web.app import create_app

VENUE = "203.0.113.7"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Phone:
    """One browser: its own app client, address and cookies."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def csrf(self, path: str) -> str:
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        match = CSRF_FIELD.search(page.text)
        assert match, "page has no CSRF field"
        return str(match.group(1))

    def claim(self, did: str, code: str) -> str:
        """Type ``code`` into the vote page's form; the status the page comes back with."""
        response = self.http.post(
            f"/vote/{did}/code", data={"csrf": self.csrf(f"/vote/{did}"), "code": code}
        )
        assert response.status_code == 303, response.text
        location = str(response.headers["location"])
        assert location.startswith(f"/vote/{did}?status=")
        return location.split("status=", 1)[1].split("&", 1)[0]

    def vote(self, did: str, team: str) -> tuple[int, str]:
        response = self.http.post(f"/api/duels/{did}/votes", json={"team_id": team})
        code = "counted" if response.status_code == 202 else response.json()["detail"]["code"]
        return response.status_code, code


PhoneFactory = Callable[..., Phone]


@pytest.fixture
def phone(settings: Settings) -> Iterator[PhoneFactory]:
    opened: list[TestClient] = []

    def build(address: str = VENUE, **overrides: Any) -> Phone:
        app = create_app(settings.model_copy(update=overrides))
        http = TestClient(app, client=(address, 40000 + len(opened)), follow_redirects=False)
        http.__enter__()
        opened.append(http)
        return Phone(http)

    yield build
    for http in opened:
        http.__exit__(None, None, None)


def codes_duels(host: Host, teams: int = 4) -> tuple[str, list[dict[str, Any]]]:
    """A competition in codes mode, drawn, every first-round duel open."""
    cid, _ = host.competition(teams, admission="codes")
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    duels = [d for d in host.current_duels(cid) if d["away"]]
    for duel in duels:
        assert host.post(f"/api/duels/{duel['id']}/open")["admission"] == "codes"
    return cid, duels


def generate(host: Host, cid: str, count: int) -> list[str]:
    made = host.post(f"/api/competitions/{cid}/codes", {"count": count}, 201)
    assert made["generated"] == count and made["total"] >= count
    rows = host.client.get(f"/api/competitions/{cid}/codes", headers=host.headers).json()
    return [row["code"] for row in rows]


def code_record(redis_client: redis.Redis, settings: Settings, cid: str, code: str) -> Any:
    return codes.find(redis_client, cid, book(settings).subject(derived.normalise(code) or ""))


def book(settings: Settings) -> derived.CodeBook:
    secret = settings.secret_key_value()
    return derived.CodeBook(secret, AdmissionSecrets(secret))


# Pure: what a code looks like ---------------------------------------------------------


def test_codes_are_six_unambiguous_symbols_typed_any_way(settings: Settings) -> None:
    codebook = book(settings)
    made = [codebook.code("c1", n) for n in range(1, 200)]
    assert len(set(made)) == len(made)
    assert all(len(c) == 6 and set(c) <= set(derived.ALPHABET) for c in made)
    assert not set("01OIL") & set(derived.ALPHABET)
    assert codebook.code("c1", 7) == book(settings).code("c1", 7) != codebook.code("c2", 7)
    code = made[0]
    shown = derived.display(code)
    assert shown == f"{code[:3]}-{code[3:]}"
    for typed in (shown, shown.lower(), f" {code[:3]} {code[3:]} ", f"{code[:2]}.{code[2:]}"):
        assert derived.normalise(typed) == code
    for typed in ("K7M4Q", "K7M4QXX", "K7M4Q0", "K7M4QO", "K7M4QI", "K7M4Q1", "", "Ä7M4QX"):
        assert derived.normalise(typed) is None


# The audience ------------------------------------------------------------------------


def test_a_bot_without_a_code_never_votes(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, duels = codes_duels(host, teams=2)
    generate(host, cid, 5)
    duel = duels[0]
    bot = phone()
    answers = []
    for _ in range(200):
        bot.http.cookies.clear()
        assert bot.http.get(f"/vote/{duel['id']}").status_code == 200  # a fresh voter cookie
        answers.append(bot.vote(duel["id"], duel["home"]["id"]))
    assert set(answers) == {(403, "code_required")}
    assert not redis_client.hgetall(keys.provisional(duel["id"]))
    assert redis_client.xlen(keys.votes(duel["id"])) == 0
    assert redis_client.hget(keys.refused(duel["id"]), "code_required") == "200"


def test_one_code_is_one_vote_in_each_duel(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis, settings: Settings, worker: Process,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, (first, second) = codes_duels(host)
    code = generate(host, cid, 3)[0]

    a = phone()
    assert a.claim(first["id"], code) == "code_claimed"
    assert a.http.cookies.get(ADMISSION_COOKIE)
    assert a.claim(first["id"], code.lower()) == "code_claimed"  # same phone again: same pass
    assert a.vote(first["id"], first["home"]["id"]) == (202, "counted")
    assert a.vote(first["id"], first["away"]["id"]) == (409, "already_voted")

    # Clearing the voter cookie but keeping the pass: still the same code.
    a.http.cookies.delete(VOTER_COOKIE)
    a.http.get(f"/vote/{first['id']}")
    assert a.vote(first["id"], first["away"]["id"]) == (409, "already_voted")

    # Another phone cannot take it (policy "refuse"); the code votes once more, elsewhere.
    b = phone("198.51.100.20")
    assert b.claim(first["id"], code) == "code_claimed_elsewhere"
    assert b.vote(first["id"], first["away"]["id"]) == (403, "code_required")
    assert a.vote(second["id"], second["away"]["id"]) == (202, "counted")
    assert a.vote(second["id"], second["home"]["id"]) == (409, "already_voted")

    wait_for(lambda: redis_client.hget(keys.official(second["id"]), second["away"]["id"]) == "1")
    wait_for(lambda: redis_client.hget(keys.official(first["id"]), first["home"]["id"]) == "1")
    assert redis_client.hget(keys.official(first["id"]), first["away"]["id"]) in (None, "0")
    rows = {r["code"]: r for r in client.get(f"/api/competitions/{cid}/codes",
                                              headers=host_headers).json()}  # fmt: skip
    assert rows[code]["claimed"] is True and rows[code]["voted_duels"] == 2
    assert sum(r["voted_duels"] for r in rows.values()) == 2
    record = code_record(redis_client, settings, cid, code)
    assert record.voter and record.gen == 0


def test_a_code_moves_to_a_new_phone_when_the_policy_says_so(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory
) -> None:
    host = Host(client, host_headers)
    cid, (first, second) = codes_duels(host)
    code = generate(host, cid, 2)[1]
    a = phone(code_second_phone="move")
    assert a.claim(first["id"], code) == "code_claimed"
    assert a.vote(first["id"], first["home"]["id"]) == (202, "counted")

    b = phone("198.51.100.20", code_second_phone="move")
    assert b.claim(first["id"], code) == "code_claimed"
    assert b.vote(first["id"], first["away"]["id"]) == (409, "already_voted")  # same code
    assert a.vote(second["id"], second["home"]["id"]) == (403, "admission_revoked")
    assert b.vote(second["id"], second["away"]["id"]) == (202, "counted")

    # The old phone's page offers the code form again; taking it back cuts off B.
    page = a.http.get(f"/vote/{second['id']}?status=admission_revoked").text
    assert 'id="code-form"' in page
    assert a.claim(second["id"], code) == "code_claimed"
    assert b.vote(first["id"], first["away"]["id"]) == (403, "admission_revoked")


def test_two_phones_claiming_at_once_cannot_both_win(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis,
    settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, _ = codes_duels(host, teams=2)
    code = derived.normalise(generate(host, cid, 1)[0]) or ""
    subject = book(settings).subject(code)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def claim(voter: str) -> None:
        start.wait()
        try:
            codes.claim(redis_client, cid, subject, voter, "net", policy="refuse",
                        failures_per_minute=10)  # fmt: skip
            outcomes.append("won")
        except errors.Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=claim, args=(f"voter-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["code_claimed_elsewhere"] * 7 + ["won"]


def test_revoked_codes_vote_nowhere_until_reactivated(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, (first, second) = codes_duels(host)
    code = generate(host, cid, 4)[2]
    number = code_record(redis_client, settings, cid, code).number
    a = phone()
    assert a.claim(first["id"], code) == "code_claimed"

    assert host.post(f"/api/competitions/{cid}/codes/{number}/revoke")["state"] == "revoked"
    assert a.vote(first["id"], first["home"]["id"]) == (403, "admission_revoked")
    assert a.claim(first["id"], code) == "code_revoked"
    assert phone("198.51.100.3").claim(second["id"], code) == "code_revoked"

    assert host.post(f"/api/competitions/{cid}/codes/{code}/reactivate")["state"] == "active"
    assert a.vote(first["id"], first["home"]["id"]) == (202, "counted")

    # Released for a new phone: the old one loses its pass, the new one may claim it.
    assert host.post(f"/api/competitions/{cid}/codes/{number}/release")["claimed"] is False
    assert a.vote(second["id"], second["home"]["id"]) == (403, "admission_revoked")
    b = phone("198.51.100.4")
    assert b.claim(second["id"], code) == "code_claimed"
    assert b.vote(second["id"], second["home"]["id"]) == (202, "counted")
    missing = client.post(f"/api/competitions/{cid}/codes/999/revoke", headers=host_headers)
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "unknown_code"


def test_guessing_codes_is_throttled_per_network(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, (first, _) = codes_duels(host)
    right, other, third = generate(host, cid, 3)
    known = set(generate(host, cid, 1)) | {right, other, third}
    guesses = [c for c in (book(settings).code("elsewhere", n) for n in range(40))
               if derived.display(c) not in known]  # fmt: skip
    limit = settings.code_claim_failures_per_minute

    # From a card (no competition given): the code index's counter.
    guesser = phone("198.51.100.50")
    csrf = guesser.csrf("/code")
    answers = [guesser.http.post("/code", data={"csrf": csrf, "code": guess})
               for guess in guesses[: limit + 2]]  # fmt: skip
    assert [r.status_code for r in answers] == [404] * limit + [429, 429]
    assert "Diesen Code gibt es nicht" in answers[0].text
    assert int(answers[-1].headers["retry-after"]) > 0
    waiting = guesser.http.post("/code", data={"csrf": csrf, "code": right})
    assert waiting.status_code == 429  # even a right code waits: no guessing oracle

    # On a vote page (the competition given): the competition's counter for that network.
    typist = phone("100.64.0.60")
    statuses = [typist.claim(first["id"], guess) for guess in guesses[: limit + 1]]
    assert statuses == ["code_unknown"] * limit + ["code_attempts_throttled"]
    assert typist.claim(first["id"], other) == "code_attempts_throttled"
    page = typist.http.get(f"/vote/{first['id']}?status=code_attempts_throttled").text
    assert "Zu viele falsche Codes" in page

    # Other networks are not held up; right codes never count as failures.
    fine = phone("192.0.2.10")
    for _ in range(limit + 2):
        assert fine.claim(first["id"], right) == "code_claimed"
    card = phone("192.0.2.200")
    claimed = card.http.post("/code", data={"csrf": card.csrf(f"/code/{third}"), "code": third})
    assert claimed.status_code == 303 and claimed.headers["location"].endswith("code_claimed")
    network, _ = VoteSecrets(settings.secret_key_value()).client_hashes("192.0.2.10")
    assert not redis_client.exists(keys.claim_failures(cid, network))


def test_a_card_page_shows_the_code_and_claims_only_on_its_button(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, duels = codes_duels(host, teams=2)
    code = generate(host, cid, 2)[0]
    compact = derived.normalise(code) or ""
    a = phone()
    page = a.http.get(f"/code/{compact}")  # what a messenger preview would fetch too
    assert page.status_code == 200
    assert f'value="{code}"' in page.text and page.text.count("<button") == 1
    assert a.http.cookies.get(VOTER_COOKIE)
    assert code_record(redis_client, settings, cid, code).voter == ""

    forged = a.http.post("/code", data={"csrf": "forged", "code": compact})
    assert forged.status_code == 403 and not a.http.cookies.get(ADMISSION_COOKIE)
    claimed = a.http.post("/code", data={"csrf": a.csrf(f"/code/{compact}"), "code": compact})
    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/vote/{duels[0]['id']}?status=code_claimed"
    assert a.vote(duels[0]["id"], duels[0]["home"]["id"]) == (202, "counted")


def test_with_several_open_duels_the_card_leads_to_a_list(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory
) -> None:
    host = Host(client, host_headers)
    cid, duels = codes_duels(host)
    code = generate(host, cid, 1)[0]
    a = phone()
    claimed = a.http.post("/code", data={"csrf": a.csrf(f"/code/{code}"), "code": code})
    assert claimed.headers["location"] == f"/code/duels/{cid}?status=code_claimed"
    listing = a.http.get(claimed.headers["location"])
    assert listing.status_code == 200
    assert all(f'href="/vote/{duel["id"]}"' in listing.text for duel in duels)


# What the store holds, what the host prints -------------------------------------------


def _everything_in(settings: Settings) -> bytes:
    """Every key name and value in the store (RQ's pickles too), as one blob."""
    client: Any = store_client(settings, decode=False)
    parts: list[bytes] = []
    for key in client.scan_iter(count=1000):
        parts.append(key)
        kind = client.type(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"hash":
            parts.extend(b for pair in client.hgetall(key).items() for b in pair)
        elif kind == b"set":
            parts.extend(client.smembers(key))
        elif kind == b"zset":
            parts.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
        elif kind == b"list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == b"stream":
            parts.extend(b for _, fields in client.xrange(key) for pair in fields.items()
                         for b in pair)  # fmt: skip
    client.close()
    return b"\n".join(parts)


def test_codes_are_derived_and_never_stored_in_clear(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, (first, second) = codes_duels(host)
    listed = generate(host, cid, 40)
    a = phone()
    assert a.claim(first["id"], listed[0]) == "code_claimed"
    assert a.vote(first["id"], first["home"]["id"]) == (202, "counted")
    assert phone("198.51.100.9").claim(second["id"], listed[1]) == "code_claimed"

    csv_once = client.get(f"/api/competitions/{cid}/codes.csv", headers=host_headers)
    assert csv_once.status_code == 200 and csv_once.headers["content-type"].startswith("text/csv")
    # Another app (another process, same secret key) prints exactly the same codes.
    with TestClient(create_app(settings)) as again:
        csv_twice = again.get(f"/api/competitions/{cid}/codes.csv", headers=host_headers)
    assert csv_once.content == csv_twice.content
    lines = csv_once.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "number,code,url,state,claimed,voted_duels"
    assert [line.split(",")[1] for line in lines[1:]] == listed
    assert lines[1].split(",")[2] == f"http://testserver/code/{derived.normalise(listed[0])}"
    assert lines[1].endswith(",active,yes,1") and lines[2].endswith(",active,yes,0")
    assert len(set(listed)) == 40

    stored = _everything_in(settings)
    assert keys.codes(cid).encode() in stored and b'"voter": "' in stored
    for code in listed:
        assert code.encode() not in stored
        assert (derived.normalise(code) or "-").encode() not in stored
    assert client.get(f"/api/competitions/{cid}/codes").status_code == 401


def _rasterize_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw the module squares of qrcode's SVG path (``M x,y H.. V.. H.. z``) to pixels."""
    view_box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert view_box
    width, height = int(view_box.group(1)), int(view_box.group(2))
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    squares = re.findall(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z", svg)
    assert squares
    for x0, y0, x1, y1 in squares:
        draw.rectangle((int(x0) * scale, int(y0) * scale, int(x1) * scale - 1,
                        int(y1) * scale - 1), fill=0)  # fmt: skip
    return image


def _decode(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(found[0].text)


def test_the_printable_sheet_has_a_card_with_a_qr_for_every_code(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    host = Host(client, host_headers)
    cid, _ = codes_duels(host, teams=2)
    listed = generate(host, cid, 12)
    for path in ("", "/sheet", ".csv"):  # console pages need a login first
        response = client.get(f"/host/c/{cid}/codes{path}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/host/login"
    log_in(client)
    sheet = client.get(f"/host/c/{cid}/codes/sheet?from=1&to=12")
    assert sheet.status_code == 200
    assert '<link rel="stylesheet" href="/static/cards.css">' in sheet.text
    assert sheet.text.count('class="card-sheet"') == 2  # 10 cards a page
    cards = re.findall(
        r'<article class="code-card" data-number="(\d+)" data-url="([^"]+)">(.*?)</article>',
        sheet.text,
        re.S,
    )
    assert [int(number) for number, _, _ in cards] == list(range(1, 13))
    for (_, url, body), code in zip(cards, listed, strict=True):
        assert url == f"http://testserver/code/{derived.normalise(code)}"
        assert f'<p class="code-card-code">{code}</p>' in body
        assert "Scannen oder auf der Abstimmungsseite eingeben" in body
    _, url, body = cards[4]
    svg = re.search(r"<svg.*?</svg>", body, re.S)
    assert svg and _decode(_rasterize_svg(svg.group(0))) == url
    assert _decode(Image.open(io.BytesIO(qr.png(url)))) == url
    part = client.get(f"/host/c/{cid}/codes/sheet?from=11&to=12")
    assert part.text.count('class="code-card"') == 2
    css = client.get("/static/cards.css")
    assert css.status_code == 200 and "size: A4" in css.text


def test_the_console_generates_and_manages_codes(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis,
    phone: PhoneFactory,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, (first, _) = codes_duels(host)
    log_in(client)
    page = client.get(f"/host/c/{cid}")
    assert "Teilnahmecodes" in page.text
    csrf = csrf_of(page.text)

    forged = client.post(f"/host/c/{cid}/codes", data={"csrf": "0" * 64, "count": "25"})
    assert "error=csrf_failed" in str(forged.url)
    assert redis_client.hlen(keys.codes(cid)) == 0
    made = client.post(f"/host/c/{cid}/codes", data={"csrf": csrf, "count": "25"})
    assert "ok=codes_generated" in str(made.url)
    assert redis_client.hlen(keys.codes(cid)) == 25
    assert 'data-count="generated">25<' in made.text
    assert f"/host/c/{cid}/codes/sheet?from=1&amp;to=25" in made.text
    too_many = client.post(f"/host/c/{cid}/codes", data={"csrf": csrf, "count": "5001"})
    assert "error=invalid_count" in str(too_many.url)

    listed = client.get(f"/api/competitions/{cid}/codes", headers=host_headers).json()
    code = listed[6]["code"]
    assert phone().claim(first["id"], code) == "code_claimed"
    found = client.get(f"/host/c/{cid}/codes", params={"q": code.lower()})
    assert found.text.count('<tr data-number="') == 1 and code in found.text
    assert 'data-count="claimed">1<' in found.text
    by_number = client.get(f"/host/c/{cid}/codes", params={"q": "7"}).text
    assert '<tr data-number="7"' in by_number

    revoked = client.post(f"/host/c/{cid}/codes/7/revoke", data={"csrf": csrf_of(found.text)})
    assert "ok=code_revoked" in str(revoked.url)
    assert '<tr data-number="7" data-state="revoked">' in revoked.text
    forged_release = client.post(f"/host/c/{cid}/codes/7/release", data={"csrf": "x"})
    assert "error=csrf_failed" in str(forged_release.url)
    released = client.post(f"/host/c/{cid}/codes/7/release", data={"csrf": csrf})
    assert "ok=code_released" in str(released.url)
    rows = client.get(f"/api/competitions/{cid}/codes", headers=host_headers).json()
    assert rows[6]["state"] == "revoked" and rows[6]["claimed"] is False
    download = client.get(f"/host/c/{cid}/codes.csv")
    assert download.status_code == 200 and code in download.text
    audit = [f["what"] for _, f in redis_client.xrange(keys.audit(cid))]  # type: ignore[union-attr,index]
    assert {"codes_generated", "code_revoked", "code_released"} <= set(audit)


def test_generation_limits(client: TestClient, host_headers: dict[str, str]) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(2)
    for count in (0, codes.MAX_PER_CALL + 1):
        response = client.post(f"/api/competitions/{cid}/codes", json={"count": count},
                               headers=host_headers)  # fmt: skip
        assert response.status_code == 422
    for _ in range(codes.MAX_PER_COMPETITION // codes.MAX_PER_CALL):
        host.post(f"/api/competitions/{cid}/codes", {"count": codes.MAX_PER_CALL}, 201)
    over = host.post(f"/api/competitions/{cid}/codes", {"count": 1}, 409)
    assert over["detail"]["code"] == "too_many_codes"
    # Two numbers deriving the same six symbols: the later one is skipped, not doubled.
    rows = client.get(f"/api/competitions/{cid}/codes", headers=host_headers).json()
    assert codes.MAX_PER_COMPETITION - 5 <= len(rows) <= codes.MAX_PER_COMPETITION
    assert len({row["code"] for row in rows}) == len(rows)


def test_a_number_whose_hash_exists_already_is_skipped(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = Host(client, host_headers)
    (cid, _), (other, _) = host.competition(2), host.competition(2)
    made = codes.generate(redis_client, cid, 5, lambda n: "same" if n in (2, 3) else f"h{n}")
    assert (made.generated, made.total, made.first, made.last) == (4, 4, 1, 5)
    assert [r.number for r in codes.records(redis_client, cid)] == [1, 2, 4, 5]
    made = codes.generate(redis_client, other, 2, lambda n: f"h{n + 4}")  # h5 is cid's
    assert (made.generated, made.first, made.last) == (1, 1, 2)
    assert redis_client.hget(keys.CODE_INDEX, "h5") == cid
    assert redis_client.hget(keys.CODE_INDEX, "h6") == other
    assert [r.number for r in codes.records(redis_client, other)] == [2]
    unknown = client.post("/api/competitions/nope/codes", json={"count": 1}, headers=host_headers)
    assert unknown.status_code == 404


def test_purge_forgets_which_phone_holds_a_code(
    client: TestClient, host_headers: dict[str, str], phone: PhoneFactory,
    redis_client: redis.Redis, settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, (first, _) = codes_duels(host)
    listed = generate(host, cid, 5)
    a = phone()
    for code in listed[:3]:
        assert a.claim(first["id"], code) == "code_claimed"
    wrong = next(c for c in (book(settings).code("other", n) for n in range(9))
                 if derived.display(c) not in listed)  # fmt: skip
    assert a.claim(first["id"], wrong) == "code_unknown"
    assert list(redis_client.scan_iter(match=keys.claim_failures_pattern(cid)))

    report = privacy.purge(redis_client, cid, force=True)
    assert report.code_bindings_cleared == 3
    assert not list(redis_client.scan_iter(match=keys.claim_failures_pattern(cid)))
    records = codes.records(redis_client, cid)
    assert len(records) == 5 and all(r.voter == "" and r.claimed_at == 0 for r in records)
    assert privacy.purge(redis_client, cid, force=True).code_bindings_cleared == 0
    # The codes stay valid: a phone can claim one again.
    assert phone("198.51.100.77").claim(first["id"], listed[0]) == "code_claimed"
    assert code_record(redis_client, settings, cid, listed[0]).voter
