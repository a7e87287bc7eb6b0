"""The JSON vote API against a real Redis: every answer of API.md and the layers of
fraud throttling."""

from __future__ import annotations

import re
import time

import redis
from pydantic import SecretStr
from rq import Queue

from duels import keys
from duels.settings import Settings
from tests.conftest import ClientFactory
from tests.support import wait_for
from tests.voting.factories import make_duel, voter_cookie
from tests.voting.helpers import SECRET, code, cookie_header, vote
from voting.tokens import VoteSecrets, new_voter_id, solve
from workers import queues

HEX12 = re.compile(r"^[0-9a-f]{12}$")
METRICS_TOKEN = "metrics-token-" + "Zr4Kq8Vm" * 3


def test_accepted_vote_is_stored_as_the_stream_contract_says(
    make_client: ClientFactory, redis_client: redis.Redis, rq_connection: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    did, home, away = duel["id"], duel["home"], duel["away"]
    voter_id = new_voter_id()

    response = vote(client, did, home, cookie=voter_cookie(SECRET, voter_id))

    assert response.status_code == 202
    body = response.json()
    entries = redis_client.xrange(keys.votes(did))
    assert [entry_id for entry_id, _ in entries] == [body["vote_id"]]
    fields = entries[0][1]
    assert fields["t"] == home and fields["v"] == voter_id
    assert all(HEX12.match(fields[name]) for name in ("n", "u", "ip"))
    assert "203.0.113" not in str(redis_client.dump(keys.votes(did)))  # never the raw IP
    assert redis_client.sismember(keys.voters(did), voter_id)
    assert redis_client.hgetall(keys.provisional(did)) == {home: "1"}
    assert body["counts"] == {home: 1, away: 0}  # the duel shows results
    assert redis_client.exists(keys.tally_pending(did))
    tally = Queue(queues.TALLY, connection=rq_connection)

    def queued_for_duel() -> int:
        return sum(job.args == (did,) for job in tally.get_jobs())

    wait_for(lambda: queued_for_duel() == 1, timeout=5)

    # A second vote while a job is queued does not enqueue again (one queued job per duel).
    assert vote(client, did, away).status_code == 202
    assert queued_for_duel() == 1


def test_counts_are_hidden_when_the_duel_does_not_show_results(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client, show_results=False)
    response = vote(make_client(), duel["id"], duel["home"])
    assert response.status_code == 202
    assert "counts" not in response.json()


def test_one_vote_per_voter_per_duel(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    cookie = voter_cookie(SECRET)
    assert vote(client, duel["id"], duel["home"], cookie=cookie).status_code == 202
    again = vote(client, duel["id"], duel["away"], cookie=cookie)
    assert again.status_code == 409 and code(again) == "already_voted"
    assert redis_client.xlen(keys.votes(duel["id"])) == 1
    # The same voter may vote in another duel.
    other = make_duel(redis_client)
    assert vote(client, other["id"], other["away"], cookie=cookie).status_code == 202


def test_voting_closed_for_every_state_but_an_open_window(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    now = int(time.time())
    for fields in (
        {"status": "pending"},
        {"status": "closed"},
        {"status": "decided"},
        {"status": "voting", "opens_at": str(now + 600)},
        {"status": "voting", "closes_at": str(now - 1)},
    ):
        duel = make_duel(redis_client, **fields)
        response = vote(client, duel["id"], duel["home"])
        assert response.status_code == 409, fields
        assert code(response) == "voting_closed"
    inside = make_duel(redis_client, opens_at=str(now - 60), closes_at=str(now + 60))
    assert vote(client, inside["id"], inside["home"]).status_code == 202


def test_unknown_duel(make_client: ClientFactory) -> None:
    response = vote(make_client(), "nosuchd1", "t1")
    assert response.status_code == 404 and code(response) == "unknown_duel"


def test_bad_bodies_and_foreign_teams(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    url = f"/api/duels/{duel['id']}/votes"
    json_headers = {**cookie_header(), "Content-Type": "application/json"}
    for raw in (b"not json", b"[]", b"{}", b'{"team_id": 7}', b'{"team_id": ""}',
                b'{"team_id": "x", "pow": "abc"}'):  # fmt: skip
        response = client.post(url, content=raw, headers=json_headers)
        assert response.status_code == 422, raw
        assert code(response) == "invalid_body"
    foreign = vote(client, duel["id"], "t-other")
    assert foreign.status_code == 422 and code(foreign) == "team_not_in_duel"
    form = client.post(url, data={"team_id": duel["home"]}, headers=cookie_header())
    assert form.status_code == 415 and code(form) == "json_required"
    assert redis_client.xlen(keys.votes(duel["id"])) == 0


def test_bye_duel_accepts_only_the_home_team(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client, extra={"away": "", "away_name": "", "away_company": ""})
    client = make_client()
    empty = vote(client, duel["id"], "")
    assert empty.status_code == 422
    assert vote(client, duel["id"], duel["home"]).status_code == 202


def test_missing_and_forged_voter_cookies(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    url = f"/api/duels/{duel['id']}/votes"
    missing = client.post(url, json={"team_id": duel["home"]})
    assert missing.status_code == 401 and code(missing) == "voter_token_missing"
    genuine = voter_cookie(SECRET, "abcdefghijkl")
    forged_id = genuine.replace("abcdefghijkl", "abcdefghijkm")
    other_secret = voter_cookie("another-secret-key-" + "Zz9" * 10, "abcdefghijkl")
    for cookie in (forged_id, other_secret, "abcdefghijkl", "x.y"):
        response = vote(client, duel["id"], duel["home"], cookie=cookie)
        assert response.status_code == 403, cookie
        assert code(response) == "voter_token_invalid"
    assert redis_client.xlen(keys.votes(duel["id"])) == 0


def test_venue_nat_many_voters_one_ip_up_to_the_allowance(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    allowance = 40
    client = make_client(votes_per_ip_per_minute=allowance, pow_burst_new_voters_per_minute=1000)
    duel = make_duel(redis_client)
    for n in range(allowance):
        # Phones differ in user agent; the per IP+UA limit is not what is tested here.
        response = vote(client, duel["id"], duel["home"], headers={"User-Agent": f"phone {n}"})
        assert response.status_code == 202, (n, response.text)
    throttled = vote(client, duel["id"], duel["home"], headers={"User-Agent": "phone x"})
    assert throttled.status_code == 429 and code(throttled) == "throttled"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert redis_client.xlen(keys.votes(duel["id"])) == allowance
    # Throttle keys expire (privacy and memory).
    rate_keys = list(redis_client.scan_iter(match=keys.rate(duel["id"], "*", "*")))
    assert rate_keys and all(0 < redis_client.pttl(key) <= 120_000 for key in rate_keys)
    # Another venue is not affected.
    elsewhere = make_client(address=("198.51.100.20", 5000), votes_per_ip_per_minute=allowance)
    assert vote(elsewhere, duel["id"], duel["away"]).status_code == 202


def test_ip_and_user_agent_limit_is_tighter(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client(votes_per_ip_ua_per_minute=5, pow_burst_new_voters_per_minute=1000)
    duel = make_duel(redis_client)
    same_agent = {"User-Agent": "curl/8.0"}
    statuses = [vote(client, duel["id"], duel["home"], headers=same_agent).status_code
                for _ in range(6)]  # fmt: skip
    assert statuses == [202] * 5 + [429]
    assert (
        vote(client, duel["id"], duel["home"], headers={"User-Agent": "Firefox"}).status_code == 202
    )


def test_token_attempts_are_limited(make_client: ClientFactory, redis_client: redis.Redis) -> None:
    # Proof-of-work asked, never sent: the token's refused attempts run into its limit.
    client = make_client(pow_difficulty=4, votes_per_token_per_minute=3)
    duel = make_duel(redis_client)
    cookie = voter_cookie(SECRET)
    codes = [code(vote(client, duel["id"], duel["home"], cookie=cookie)) for _ in range(4)]
    assert codes == ["pow_required"] * 3 + ["throttled"]


def test_network_minting_many_new_voters_is_asked_for_proof_of_work(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    """A cookie-clearing script: each vote page visit mints a new voter. Past the burst
    allowance its network is asked the burst difficulty, before its votes add up."""
    burst = 6
    bot = make_client(pow_burst_new_voters_per_minute=burst, pow_burst_difficulty=8)
    duel = make_duel(redis_client)
    did = duel["id"]

    def fresh_voter() -> str:
        bot.cookies.clear()
        page = bot.get(f"/vote/{did}")
        assert page.status_code == 200
        return str(page.cookies["mm_voter"])

    for _ in range(burst):
        assert vote(bot, did, duel["home"], cookie=fresh_voter()).status_code == 202
    asked = vote(bot, did, duel["home"], cookie=fresh_voter())
    assert asked.status_code == 403 and code(asked) == "pow_required"
    challenge = asked.json()["detail"]["challenge"]
    assert challenge["difficulty"] == 8
    # The challenge endpoint now asks this network for the burst difficulty, too.
    assert bot.get(f"/api/duels/{did}/challenge").json()["difficulty"] == 8
    # Without a valid solution the bot stays blocked; with one the vote counts.
    cookie = fresh_voter()
    wrong = vote(
        bot,
        did,
        duel["home"],
        cookie=cookie,
        pow={"challenge": challenge["challenge"], "nonce": "x"},
    )
    assert code(wrong) == "pow_invalid"
    solved = {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], 8)}
    assert vote(bot, did, duel["home"], cookie=cookie, pow=solved).status_code == 202
    # A phone on another network is not asked.
    other = make_client(address=("198.51.100.20", 5000), pow_burst_new_voters_per_minute=burst)
    assert vote(other, did, duel["away"]).status_code == 202
    assert redis_client.xlen(keys.votes(did)) == burst + 2


def test_proof_of_work_forged_expired_replayed_or_foreign_is_refused(
    make_client: ClientFactory, redis_client: redis.Redis, settings: Settings
) -> None:
    client = make_client(pow_difficulty=6)
    duel = make_duel(redis_client)
    did = duel["id"]
    issued = client.get(f"/api/duels/{did}/challenge")
    assert issued.status_code == 200
    challenge = issued.json()
    assert challenge["difficulty"] == 6 and challenge["expires_at"] > time.time()
    token = challenge["challenge"]

    missing = vote(client, did, duel["home"])
    assert missing.status_code == 403 and code(missing) == "pow_required"
    assert missing.json()["detail"]["challenge"]["difficulty"] == 6

    solution = {"challenge": token, "nonce": solve(token, 6)}
    assert vote(client, did, duel["home"], pow=solution).status_code == 202
    replayed = vote(client, did, duel["home"], pow=solution)
    assert replayed.status_code == 403 and code(replayed) == "pow_invalid"
    assert "challenge" in replayed.json()["detail"]  # a fresh one to solve
    assert redis_client.zscore(keys.pow_used(did), token.split(":")[3].split(".")[0]) is not None
    assert redis_client.pttl(keys.pow_used(did)) > 0

    secrets = VoteSecrets(settings.secret_key_value())
    expired = secrets.issue_challenge(did, 6, ttl_seconds=-1).token
    other_duel = secrets.issue_challenge("otherd01", 6, ttl_seconds=60).token
    forged = VoteSecrets("another-secret-key-" + "Zz9" * 10).issue_challenge(did, 0, 60).token
    tampered = token.replace(":6:", ":0:")
    for bad in (expired, other_duel, forged, tampered):
        response = vote(client, did, duel["home"], pow={"challenge": bad, "nonce": solve(bad, 6)})
        assert response.status_code == 403 and code(response) == "pow_invalid", bad
    fresh = secrets.issue_challenge(did, 6, ttl_seconds=60).token
    too_easy = next(str(n) for n in range(10_000) if not _solves(fresh, str(n), 6))
    response = vote(client, did, duel["home"], pow={"challenge": fresh, "nonce": too_easy})
    assert code(response) == "pow_invalid"
    assert redis_client.xlen(keys.votes(did)) == 1


def _solves(challenge: str, nonce: str, bits: int) -> bool:
    from voting.tokens import pow_ok

    return pow_ok(challenge, nonce, bits)


def test_challenge_for_unknown_duel(make_client: ClientFactory) -> None:
    response = make_client().get("/api/duels/nosuchd1/challenge")
    assert response.status_code == 404 and code(response) == "unknown_duel"


def test_metrics_count_accepted_and_rejected_votes(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client(metrics_token=SecretStr(METRICS_TOKEN))
    duel = make_duel(redis_client)

    def metric(name: str) -> float:
        text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    accepted = metric("machmal_votes_accepted_total")
    rejected = metric('machmal_votes_rejected_total{reason="team_not_in_duel"}')
    assert vote(client, duel["id"], duel["home"]).status_code == 202
    assert vote(client, duel["id"], "t-other").status_code == 422
    assert metric("machmal_votes_accepted_total") == accepted + 1
    assert metric('machmal_votes_rejected_total{reason="team_not_in_duel"}') == rejected + 1


def test_script_cache_flush_is_survived(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    client = make_client()
    duel = make_duel(redis_client)
    assert vote(client, duel["id"], duel["home"]).status_code == 202
    redis_client.script_flush()  # NOSCRIPT on the next EVALSHA: load again, run once
    assert vote(client, duel["id"], duel["home"]).status_code == 202
    assert redis_client.xlen(keys.votes(duel["id"])) == 2


def test_generous_limits_do_not_drift(
    make_client: ClientFactory, redis_client: redis.Redis
) -> None:
    # 1,000,000/min is 60 µs per vote: 300 votes hold the IP allowance for ~18 ms, not
    # 300+ ms (arrival times are kept in µs, so rounding does not add up vote by vote).
    lifted = {"votes_per_ip_per_minute": 1_000_000, "pow_burst_new_voters_per_minute": 1_000_000}
    client = make_client(**lifted)
    duel = make_duel(redis_client)
    for n in range(300):
        headers = {"User-Agent": f"phone {n}"}
        assert vote(client, duel["id"], duel["home"], headers=headers).status_code == 202
    ip_keys = list(redis_client.scan_iter(match=keys.rate(duel["id"], "ip", "*")))
    assert all(redis_client.pttl(key) <= 100 for key in ip_keys)  # gone, or about to be
