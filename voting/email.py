"""E-mail addresses of the ``verified`` admission mode: a strict syntax check, the
normal form one vote is counted for, and the refusal of disposable domains. Pure.

Only a keyed hash of :attr:`Address.normalised` is ever stored (``AdmissionSecrets.
subject_hash("e", ...)``); the address as typed is needed once, to send the link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from disposable_email_domains import blocklist

from duels import errors

MAX_ADDRESS_CHARS = 254
MAX_LOCAL_CHARS = 64
# Google ignores dots and treats both domains as one mailbox.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")


@dataclass(frozen=True, slots=True)
class Address:
    typed: str  # where the link goes: trimmed, the domain in lower case (and ASCII)
    normalised: str  # one vote per this form
    domain: str  # of the normal form


def _invalid() -> errors.Invalid:
    return errors.Invalid("This is not a valid e-mail address.", code="email_invalid")


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise _invalid() from exc


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(domain) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TLD.fullmatch(labels[-1]) is not None
    )


def is_disposable(domain: str) -> bool:
    """The domain, or a domain it belongs to, is a known throw-away mail service."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


def parse(raw: str) -> Address:
    """The address checked and normalised; 422 ``email_invalid`` / ``email_disposable``."""
    text = raw.strip()
    if not text or len(text) > MAX_ADDRESS_CHARS or text.count("@") != 1:
        raise _invalid()
    typed_local, _, domain = text.partition("@")
    local, domain = typed_local.lower(), _ascii_domain(domain.lower())
    if len(local) > MAX_LOCAL_CHARS or not _LOCAL.fullmatch(local) or not _valid_domain(domain):
        raise _invalid()
    if is_disposable(domain):
        raise errors.Invalid(
            "Addresses of throw-away mail services cannot vote.", code="email_disposable"
        )
    base = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        base, domain_normal = base.replace(".", ""), "gmail.com"
    else:
        domain_normal = domain
    if not base:
        raise _invalid()
    return Address(f"{typed_local}@{domain}", f"{base}@{domain_normal}", domain_normal)


def masked(address: str) -> str:
    """``a***@example.org``: enough to recognise in a log, not to write to."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
