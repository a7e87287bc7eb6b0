"""Open admission (anyone with the link), the issue's attacker and honest-audience runs
against the real stack: a web server, a tally worker, one Redis. Client addresses come
through the proxy header the server trusts from localhost.

Open mode cannot know who is in the audience, so the tally judges each network over the
duel's whole voting window: a network past ``fraud_votes_per_network`` is held back
whole (a host may include it), however slowly or in whatever order its votes came."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from duels.settings import Settings
from tests.admission.audience import PHONE_AGENTS, Duel, Phone, counted, host_duel, tallied
from tests.support import Process, start_web, start_worker, wait_for

BOT_ADDRESS = "198.51.100.66"


@pytest.fixture
def stack(settings: Settings) -> Iterator[tuple[Process, Process]]:
    # The burst difficulty is lowered so the bot's Python solver stays quick; the bot
    # solves every challenge it gets, as a determined script would.
    tuned = settings.model_copy(update={"pow_burst_difficulty": 8})
    web, worker = start_web(tuned), start_worker(tuned)
    yield web, worker
    worker.stop()
    web.stop()


def run_bot(
    web: Process, duel: Duel, attempts: int, agents: tuple[str, ...], pause: float = 0.0
) -> int:
    """A cookie-clearing bot: a fresh voter for every vote. Returns the accepted votes."""
    bots = [Phone(web.url, BOT_ADDRESS, agent) for agent in agents]
    accepted = 0
    try:
        for number in range(attempts):
            bot = bots[number % len(bots)]
            bot.forget()
            assert bot.open(f"/vote/{duel.did}").status_code == 200
            response = bot.vote(duel.did, duel.away)
            assert response.status_code in (202, 429), response.text
            accepted += response.status_code == 202
            time.sleep(pause)
    finally:
        for bot in bots:
            bot.close()
    return accepted


def official_share(redis_client: redis.Redis, duel: Duel, accepted: int) -> float:
    wait_for(lambda: tallied(redis_client, duel, accepted), timeout=30)
    official, held = counted(redis_client, duel)
    assert sum(official.values()) + sum(held.values()) == accepted  # nothing lost
    return official[duel.away] / accepted


@pytest.mark.slow
@pytest.mark.parametrize("agents", [1, 50], ids=["one-agent", "fifty-agents"])
def test_fast_cookie_clearing_bot_ends_held_back(
    stack: tuple[Process, Process], redis_client: redis.Redis, agents: int
) -> None:
    web, _ = stack
    duel = host_duel(web.url, "open")
    accepted = run_bot(web, duel, 400, tuple(f"Bot/{n}" for n in range(agents)))
    # One agent runs into the IP+UA limit (120/min); fifty rotate past it.
    assert accepted >= 100
    assert official_share(redis_client, duel, accepted) <= 0.10


@pytest.mark.slow
def test_slow_bot_from_one_network_ends_held_back(
    stack: tuple[Process, Process], redis_client: redis.Redis
) -> None:
    """1.5 votes/s stays under every rate limit; the whole-window rule still holds it."""
    web, _ = stack
    duel = host_duel(web.url, "open")
    accepted = run_bot(web, duel, 30, ("Mozilla/5.0 (SlowBot)",), pause=1 / 1.5)
    assert accepted == 30
    assert official_share(redis_client, duel, accepted) <= 0.10


@pytest.mark.slow
def test_honest_voters_from_many_networks_count(
    stack: tuple[Process, Process], redis_client: redis.Redis
) -> None:
    web, _ = stack
    duel = host_duel(web.url, "open")
    accepted = 0
    for number in range(300):
        address = f"100.{64 + number // 256}.{number % 256}.17"
        phone = Phone(web.url, address, PHONE_AGENTS[number % len(PHONE_AGENTS)])
        try:
            assert phone.open(f"/vote/{duel.did}").status_code == 200
            team = duel.home if number < 165 else duel.away
            response = phone.vote(duel.did, team)
            assert response.status_code == 202, response.text
            accepted += 1
        finally:
            phone.close()
    wait_for(lambda: tallied(redis_client, duel, accepted), timeout=30)
    official, held = counted(redis_client, duel)
    assert sum(official.values()) >= 0.95 * 300
    assert official[duel.home] > official[duel.away]
    assert official == {duel.home: 165, duel.away: 135} and sum(held.values()) == 0
