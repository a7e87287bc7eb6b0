"""Keyed hashes, proof-of-work arithmetic and the browser's own SHA-256 (vote page)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.tokens import VoteSecrets, leading_zero_bits, network_of, pow_ok, solve

STATIC = Path(__file__).parents[2] / "web" / "static"
SECRET = "unit-test-secret-" + "k3Y" * 10


@given(st.binary(min_size=1, max_size=32))
def test_leading_zero_bits_matches_the_binary_string(data: bytes) -> None:
    bits = "".join(f"{byte:08b}" for byte in data)
    assert leading_zero_bits(data) == len(bits) - len(bits.lstrip("0"))


def test_solve_finds_a_nonce_with_enough_zero_bits() -> None:
    nonce = solve("challenge-x", 10)
    assert pow_ok("challenge-x", nonce, 10)
    digest = hashlib.sha256(f"challenge-x:{nonce}".encode()).digest()
    assert leading_zero_bits(digest) >= 10


def test_networks_group_a_venue_and_hashes_hide_the_address() -> None:
    assert network_of("192.0.2.77") == "192.0.2.0/24"
    assert network_of("::ffff:192.0.2.77") == "192.0.2.0/24"
    assert network_of("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert network_of("testclient") == "testclient"
    secrets = VoteSecrets(SECRET)
    first, second = secrets.client_hashes("192.0.2.77"), secrets.client_hashes("192.0.2.78")
    assert first[0] == second[0] and first[1] != second[1]  # same /24, other address
    assert len(first[0]) == 12 and "192" not in "".join(first)
    assert VoteSecrets(SECRET + "x").client_hashes("192.0.2.77") != first  # keyed


def test_voter_cookie_and_csrf_are_bound_to_the_secret() -> None:
    secrets = VoteSecrets(SECRET)
    cookie = secrets.sign_voter("voter123abcd")
    assert secrets.voter_from_cookie(cookie) == "voter123abcd"
    assert VoteSecrets(SECRET + "x").valid_voter_cookie(cookie) is None
    assert secrets.check_csrf("voter123abcd", secrets.csrf_token("voter123abcd"))
    assert not secrets.check_csrf("voter123abcx", secrets.csrf_token("voter123abcd"))
    assert not secrets.check_csrf("voter123abcd", None)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@settings(max_examples=5, deadline=None)
@given(st.lists(st.text(max_size=200), min_size=1, max_size=20))
def test_browser_sha256_matches_hashlib(texts: list[str]) -> None:
    script = (STATIC / "sha256.js").read_text() + (
        "\nconst texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "\nconsole.log(JSON.stringify(texts.map(t => [MachMalSha256.hex(MachMalSha256.sha256(t)),"
        " MachMalSha256.leadingZeroBits(MachMalSha256.sha256(t))])));"
    )
    output = subprocess.run(
        ["node", "-e", script], input=json.dumps(texts), capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    for text, (hex_digest, zeros) in zip(texts, json.loads(output), strict=True):
        digest = hashlib.sha256(text.encode()).digest()
        assert hex_digest == digest.hex()
        assert zeros == leading_zero_bits(digest)
