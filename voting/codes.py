"""Printed attendee codes (admission mode ``codes``): derived, never stored in clear.

Code number ``n`` of competition ``cid`` is the first six symbols of an HMAC of
``code:<cid>:<n>`` under a key derived from the secret key, spelt in an alphabet without
look-alikes (no 0/O, 1/I/L). Hosts can print the same codes again at any time; the store
keeps only their keyed subject hash (``AdmissionSecrets.subject_hash("k", code)``).
No I/O.
"""

from __future__ import annotations

import hashlib
import hmac

from voting.admission import AdmissionSecrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_CHARS = 6
MAX_INPUT_CHARS = 32
_ALLOWED = frozenset(ALPHABET)


def normalise(text: str) -> str | None:
    """A typed or scanned code as its six symbols, or None when it cannot be one
    (uppercase; spaces, dashes and other separators dropped)."""
    if len(text) > MAX_INPUT_CHARS:
        return None
    cleaned = "".join(char for char in text.upper() if char.isascii() and char.isalnum())
    if len(cleaned) != CODE_CHARS or not _ALLOWED.issuperset(cleaned):
        return None
    return cleaned


def display(code: str) -> str:
    """``K7M4QX`` -> ``K7M-4QX`` (how cards and the console show a code)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def claim_url(public_url: str, code: str) -> str:
    """What the QR on a card holds: the page that offers to claim the code."""
    return f"{public_url.rstrip('/')}/code/{code}"


class CodeBook:
    """Codes of any competition and their subject hashes, from the secret key."""

    def __init__(self, secret_key: str, admission: AdmissionSecrets) -> None:
        self._key = hashlib.sha256(b"mm-codes\x00" + secret_key.encode()).digest()
        self._admission = admission

    def code(self, cid: str, number: int) -> str:
        digest = hmac.new(self._key, f"code:{cid}:{number}".encode(), hashlib.sha256).digest()
        value = int.from_bytes(digest, "big")
        symbols = []
        for _ in range(CODE_CHARS):
            value, index = divmod(value, len(ALPHABET))
            symbols.append(ALPHABET[index])
        return "".join(symbols)

    def subject(self, code: str) -> str:
        """The keyed hash the store and the admission pass carry for a normalised code."""
        return self._admission.subject_hash("k", code)

    def subject_of(self, cid: str, number: int) -> str:
        return self.subject(self.code(cid, number))
