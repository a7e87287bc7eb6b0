"""Every Redis key name of the product, in one place.

Keys are grouped by the record they belong to and carry a hash tag, the part in
``{}``: all keys of one duel share ``{d:<duel id>}`` and all keys of one
competition share ``{c:<competition id>}``, so every multi-key script touches
one hash slot and the store runs unchanged on Redis Cluster.

| key | type | what |
| --- | --- | --- |
| ``mm:competitions`` | set | ids of all competitions |
| ``mm:company-tokens`` | hash | sha256(invite token) -> "<cid> <company id>" |
| ``mm:competition-slugs`` | hash | slug -> competition id |
| ``mm:screen-keys`` | hash | sha256(screen key) -> "<cid> <screen id>" (venue admission) |
| ``mm:code-index`` | hash | keyed hash of an attendee code -> competition id |
| ``mm:c:{c:ID}`` | hash | competition record (title, slug, rule, ...) |
| ``mm:c:{c:ID}:companies`` | hash | company id -> company JSON |
| ``mm:c:{c:ID}:teams`` | hash | team id -> team JSON |
| ``mm:c:{c:ID}:profiles`` | hash | company id -> profile JSON with its open apprenticeship
  places (duels.apprenticeships) |
| ``mm:c:{c:ID}:trades`` | hash | trade slug -> JSON: the trade's name and the host's plain
  words about it, German and English (duels.trades) |
| ``mm:c:{c:ID}:clicks`` | hash | clicks on apprenticeship links through ``/go`` (voting.reach),
  no personal data: ``<day>:place:<company>:<place>``, ``<day>:from:<duel>:<company>`` (clicks
  on the company's places that came from that duel's page) |
| ``mm:c:{c:ID}:clicks-seen:<day>`` | set | ``<place>:v:<voter>`` / ``<place>:h:<keyed hash of
  address and user agent>`` already counted that day; expires after 2 days |
| ``mm:c:{c:ID}:bracket`` | string | bracket state JSON (``bracket.to_dict``) |
| ``mm:c:{c:ID}:duels`` | hash | bracket match id -> duel id |
| ``mm:c:{c:ID}:audit`` | stream | append-only log of host actions |
| ``mm:c:{c:ID}:lock`` | string | short lock held while a host action changes the bracket |
| ``mm:c:{c:ID}:board:votes`` | zset | team id -> official votes (leaderboard) |
| ``mm:c:{c:ID}:board:wins`` | zset | company id -> duels won |
| ``mm:c:{c:ID}:board:team:<team>`` | hash | duel id -> team's official votes; ``<id>#v`` |
| ``mm:c:{c:ID}:events`` | stream | capped log of live-board events (SSE resume) |
| ``mm:c:{c:ID}:show`` | hash | the stage's current scene: ``scene``, ``duel``, ``version``,
  ``at`` (duels.show) |
| ``mm:c:{c:ID}:screens`` | hash | screen id -> screen JSON (name, state); keys stored hashed |
| ``mm:c:{c:ID}:codes`` | hash | keyed code hash -> code JSON (number, state, voter, gen) |
| ``mm:c:{c:ID}:codes:meta`` | hash | ``count`` of codes generated so far |
| ``mm:c:{c:ID}:revoked`` | set | revoked admission subjects (``k:<hash>``, ``k:<hash>:<gen>``) |
| ``mm:c:{c:ID}:claim-fail:<hash>`` | string | wrong code entries per network this minute |
| ``mm:code-fail:{mm:code-index}:<hash>`` | string | the same for codes typed without a
  competition (a card's QR); shares the code index's slot |
| ``mm:c:{c:ID}:mail-rate:<kind>:<hash>`` | string | GCRA of verification mails per address,
  domain, network |
| ``mm:c:{c:ID}:verify-used:<id>`` | string | a one-time verification link was used; expires |
| ``mm:c:{c:ID}:invite:<company>`` | hash | the company's current invite link: ``issued_at``,
  ``issued_by``, ``opened_first``, ``opened_last``, ``revoked_at``/``_by``; contact ``email``,
  ``mailed_at`` |
| ``mm:d:{d:ID}`` | hash | duel record (competition, teams, status, window, ...) |
| ``mm:d:{d:ID}:votes`` | stream | accepted votes, read by the tally consumer group |
| ``mm:d:{d:ID}:voters`` | set | voter ids that voted in this duel (one vote each) |
| ``mm:d:{d:ID}:provisional`` | hash | team id -> votes accepted so far (shown while open) |
| ``mm:d:{d:ID}:official`` | hash | team id -> tallied votes; ``q:<team>`` quarantined |
| ``mm:d:{d:ID}:tallied`` | set | stream ids already counted (exactly-once guard) |
| ``mm:d:{d:ID}:tally`` | hash | ``floor`` (ids below are all counted), ``version`` |
| ``mm:d:{d:ID}:quarantine`` | hash | group -> state; ``<group>/<team>`` -> votes |
| ``mm:d:{d:ID}:quarantine:votes`` | stream | each quarantined vote (id, group, team) |
| ``mm:d:{d:ID}:tally-pending`` | string | SET NX EX 2 by the ingest; a tally job was asked for |
| ``mm:d:{d:ID}:rate:<kind>:<hash>`` | string | GCRA throttle (token/ip/ipua; mint = new voters
  per network, leaking one per interval); expires |
| ``mm:d:{d:ID}:pow:used`` | zset | spent proof-of-work challenge ids -> expiry ms; expires |
| ``mm:d:{d:ID}:present`` | hash | voter id -> "<presence slot> <marked at ms>" (venue mode) |
| ``mm:d:{d:ID}:subjects`` | set | admission subjects (code / address hash) that voted here |
| ``mm:d:{d:ID}:revoked`` | set | the competition's revoked subjects, mirrored for the ingest |
| ``mm:d:{d:ID}:refused`` | hash | refusal code -> refused attempts (integrity summary) |
| ``mm:d:{d:ID}:groups`` | hash | evidence subject -> votes; ``<subject>/<team>`` -> votes |
| ``mm:d:{d:ID}:flags`` | hash | evidence subject -> the quarantine group holding it back |
| ``mm:d:{d:ID}:jury`` | hash | jury member's user id -> "<home>,<away>" points |
| ``mm:d:{d:ID}:videos`` | hash | team id -> video JSON; approved ones mirrored to the duel |
| ``mm:d:{d:ID}:reminder`` | hash | deadline reminder: RQ ``job`` id and the ``deadline`` it
  is for; ``sent:<company>`` = the deadline that company was reminded of |
| ``mm:d:{d:ID}:reach`` | hash | reach figures of the duel (voting.reach), no personal data:
  ``<day>:views`` (vote page views), ``<day>:plays:<team>`` / ``<day>:ends:<team>`` (the
  team's video started / watched to the end); ``<day>`` is "YYYY-MM-DD" in Europe/Berlin |
| ``mm:d:{d:ID}:reach-seen:<day>`` | set | what each voter was already counted for that day:
  ``view:<voter>``, ``play:<team>:<voter>``, ``end:<team>:<voter>``; expires after 2 days |
| ``mm:heartbeat`` | string | last run of the worker heartbeat job |
| ``mm:tally-sweep-queued`` | string | a tally sweep job is queued; expires |
| ``mm:login-failures:<hash>`` | string | failed host logins of one address (IPv6: its /64),
  keyed hash; 5 lock it; expires |
| ``mm:login-backoff`` | string | failed console logins of all addresses; past 10 each wrong
  password locks its address for a doubling time; expires an hour after the last |
| ``mm:host-sessions`` | zset | sha256(console session id) -> its absolute expiry (epoch s) |
| ``mm:host-session:{mm:host-sessions}:<sha256>`` | hash | a console session: ``user``,
  ``generation`` (of the account when it opened), ``created``, ``seen``, ``address`` (keyed
  hash); expires when idle |
| ``mm:host-once:<sha256>:<cid>:<kind>`` | string | a secret just issued (invite link, screen
  key), kept for one page view of that session; read and deleted, expires after 5 min |
| ``mm:session-pending:<sha256>:<kind>`` | string | a secret of the account page waiting for
  that session: a TOTP secret being set up (``totp``), a new API key shown once (``api-key``);
  expires |

| ``mm:users`` | hash | user id -> e-mail (every organiser account) |
| ``mm:user-emails`` | hash | normalised e-mail -> user id |
| ``mm:u:{u:ID}`` | hash | an account: e-mail, name, Argon2id ``password``, ``totp`` secret,
  ``totp_step`` (last step used), ``generation`` (bumped to end all its sessions) |
| ``mm:u:{u:ID}:roles`` | hash | ``o:<org>`` / ``c:<cid>`` -> role (mirror of the members hashes) |
| ``mm:u:{u:ID}:api-keys`` | hash | key id -> key JSON (name, role, competition, digest) |
| ``mm:api-keys`` | hash | sha256(API key) -> "<user id> <key id>" |
| ``mm:host-token`` | string | sha256 of the rotated host token (replaces the setting's) |
| ``mm:organisations`` | hash | organisation id -> organisation JSON (name, slug, region) |
| ``mm:organisation-slugs`` | hash | slug -> organisation id |
| ``mm:o:{o:ID}:members`` | hash | user id -> role in the organisation |
| ``mm:o:{o:ID}:competitions`` | set | the organisation's competitions |
| ``mm:c:{c:ID}:members`` | hash | user id -> role in this competition only |
| ``mm:c:{c:ID}:jury`` | hash | user id -> assigned duel ids (comma separated; empty = all) |
| ``mm:account-token:<sha256>`` | string | one-time invitation / password reset link -> JSON;
  expires |
| ``mm:c:{c:ID}:brand`` | hash | branding of a competition: ``region``, ``primary``,
  ``accent``, ``logo`` (media file name), ``imprint``, ``privacy``, ``sponsors`` (JSON),
  ``version`` |
| ``mm:o:{o:ID}:brand`` | hash | the organisation's defaults of the same fields |
| ``mm:c:{c:ID}:embed`` | hash | websites that may frame the live board (``/embed``):
  ``origins`` (JSON list of ``scheme://host[:port]``), ``version`` (duels.embedding) |
| ``mm:o:{o:ID}:audit`` | stream | append-only log of member changes (invitations, roles,
  removals, host token rotation) of the organisation |
| ``mm:o:{o:ID}:invitations`` | hash | sha256(invitation token) -> pending invitation JSON
  (email, role, scope, by, issued, expires); dropped when accepted, withdrawn or expired |
| ``mm:reset-requests:<hash>`` | string | password reset mails asked for one e-mail address
  (keyed hash) this hour; 5 at most; expires |

Pub/sub channel ``mm:events:<cid>`` carries "something changed" notes for the
live board; RQ keeps its own ``rq:*`` keys.

Per-vote personal traces (voter ids, keyed hashes of IP, network, user agent and e-mail
address, code bindings) live only in ``voters``, ``votes``, ``rate:*``, ``pow:used``,
``present``, ``subjects``, ``groups``, ``flags``, the quarantine group names,
``quarantine:votes``, the ``voter`` of each code and the competition's ``claim-fail:*``,
``mail-rate:*`` and ``verify-used:*`` keys, and the reach ``reach-seen:*`` and
``clicks-seen:*`` sets (which also expire by themselves); ``duels.privacy.purge`` removes
them.
"""

from __future__ import annotations

COMPETITIONS = "mm:competitions"
COMPANY_TOKENS = "mm:company-tokens"
COMPETITION_SLUGS = "mm:competition-slugs"
HEARTBEAT = "mm:heartbeat"
TALLY_SWEEP_QUEUED = "mm:tally-sweep-queued"
SCREEN_KEYS = "mm:screen-keys"
CODE_INDEX = "mm:code-index"


def competition(cid: str) -> str:
    return f"mm:c:{{c:{cid}}}"


def companies(cid: str) -> str:
    return f"{competition(cid)}:companies"


def profiles(cid: str) -> str:
    return f"{competition(cid)}:profiles"


def trades(cid: str) -> str:
    return f"{competition(cid)}:trades"


def teams(cid: str) -> str:
    return f"{competition(cid)}:teams"


def bracket(cid: str) -> str:
    return f"{competition(cid)}:bracket"


def duel_index(cid: str) -> str:
    return f"{competition(cid)}:duels"


def audit(cid: str) -> str:
    return f"{competition(cid)}:audit"


def competition_lock(cid: str) -> str:
    return f"{competition(cid)}:lock"


def board_votes(cid: str) -> str:
    return f"{competition(cid)}:board:votes"


def board_wins(cid: str) -> str:
    return f"{competition(cid)}:board:wins"


def board_team(cid: str, team_id: str) -> str:
    return f"{competition(cid)}:board:team:{team_id}"


def event_log(cid: str) -> str:
    return f"{competition(cid)}:events"


def events_channel(cid: str) -> str:
    return f"mm:events:{cid}"


def show(cid: str) -> str:
    return f"{competition(cid)}:show"


def duel(did: str) -> str:
    return f"mm:d:{{d:{did}}}"


def votes(did: str) -> str:
    return f"{duel(did)}:votes"


def voters(did: str) -> str:
    return f"{duel(did)}:voters"


def provisional(did: str) -> str:
    return f"{duel(did)}:provisional"


def official(did: str) -> str:
    return f"{duel(did)}:official"


def tallied(did: str) -> str:
    return f"{duel(did)}:tallied"


def tally_pending(did: str) -> str:
    return f"{duel(did)}:tally-pending"


def tally_state(did: str) -> str:
    return f"{duel(did)}:tally"


def quarantine(did: str) -> str:
    return f"{duel(did)}:quarantine"


def quarantine_votes(did: str) -> str:
    return f"{duel(did)}:quarantine:votes"


def present(did: str) -> str:
    return f"{duel(did)}:present"


def subjects(did: str) -> str:
    return f"{duel(did)}:subjects"


def duel_revoked(did: str) -> str:
    return f"{duel(did)}:revoked"


def refused(did: str) -> str:
    return f"{duel(did)}:refused"


def evidence_groups(did: str) -> str:
    return f"{duel(did)}:groups"


def evidence_flags(did: str) -> str:
    return f"{duel(did)}:flags"


def rate(did: str, kind: str, subject: str) -> str:
    return f"{duel(did)}:rate:{kind}:{subject}"


def pow_used(did: str) -> str:
    return f"{duel(did)}:pow:used"


def videos(did: str) -> str:
    return f"{duel(did)}:videos"


def screens(cid: str) -> str:
    return f"{competition(cid)}:screens"


def codes(cid: str) -> str:
    return f"{competition(cid)}:codes"


def codes_meta(cid: str) -> str:
    return f"{competition(cid)}:codes:meta"


def revoked(cid: str) -> str:
    return f"{competition(cid)}:revoked"


def claim_failures(cid: str, network_hash: str) -> str:
    return f"{competition(cid)}:claim-fail:{network_hash}"


def code_index_failures(network_hash: str) -> str:
    """Hash tag = the code index's name: one script checks both (one cluster slot)."""
    return f"mm:code-fail:{{{CODE_INDEX}}}:{network_hash}"


def mail_rate(cid: str, kind: str, subject: str) -> str:
    return f"{competition(cid)}:mail-rate:{kind}:{subject}"


def verify_used(cid: str, link_id: str) -> str:
    return f"{competition(cid)}:verify-used:{link_id}"


def company_invite(cid: str, company_id: str) -> str:
    return f"{competition(cid)}:invite:{company_id}"


def duel_reminder(did: str) -> str:
    return f"{duel(did)}:reminder"


def reach(did: str) -> str:
    return f"{duel(did)}:reach"


def reach_seen(did: str, day: str) -> str:
    return f"{duel(did)}:reach-seen:{day}"


def clicks(cid: str) -> str:
    return f"{competition(cid)}:clicks"


def clicks_seen(cid: str, day: str) -> str:
    return f"{competition(cid)}:clicks-seen:{day}"


def login_failures(client_hash: str) -> str:
    return f"mm:login-failures:{client_hash}"


LOGIN_BACKOFF = "mm:login-backoff"
HOST_SESSIONS = "mm:host-sessions"


def host_session(session_hash: str) -> str:
    """Hash tag = the index's name: "log out everywhere" stays in one cluster slot."""
    return f"mm:host-session:{{{HOST_SESSIONS}}}:{session_hash}"


def host_once(session_hash: str, cid: str, kind: str) -> str:
    return f"mm:host-once:{session_hash}:{cid}:{kind}"


def session_pending(session_hash: str, kind: str) -> str:
    return f"mm:session-pending:{session_hash}:{kind}"


USERS = "mm:users"
USER_EMAILS = "mm:user-emails"
API_KEYS = "mm:api-keys"
HOST_TOKEN = "mm:host-token"  # noqa: S105 - a key name, not a secret
ORGANISATIONS = "mm:organisations"
ORGANISATION_SLUGS = "mm:organisation-slugs"


def user(uid: str) -> str:
    return f"mm:u:{{u:{uid}}}"


def user_roles(uid: str) -> str:
    return f"{user(uid)}:roles"


def user_api_keys(uid: str) -> str:
    return f"{user(uid)}:api-keys"


def organisation_members(oid: str) -> str:
    return f"mm:o:{{o:{oid}}}:members"


def organisation_competitions(oid: str) -> str:
    return f"mm:o:{{o:{oid}}}:competitions"


def duel_jury(did: str) -> str:
    return f"{duel(did)}:jury"


def competition_members(cid: str) -> str:
    return f"{competition(cid)}:members"


def jury(cid: str) -> str:
    return f"{competition(cid)}:jury"


def account_token(digest: str) -> str:
    return f"mm:account-token:{digest}"


def brand(cid: str) -> str:
    return f"{competition(cid)}:brand"


def organisation_brand(oid: str) -> str:
    return f"mm:o:{{o:{oid}}}:brand"


def embed(cid: str) -> str:
    return f"{competition(cid)}:embed"


def organisation_audit(oid: str) -> str:
    return f"mm:o:{{o:{oid}}}:audit"


def organisation_invitations(oid: str) -> str:
    return f"mm:o:{{o:{oid}}}:invitations"


def reset_requests(address_hash: str) -> str:
    return f"mm:reset-requests:{address_hash}"


# SCAN patterns (MATCH) for the keys above that carry a variable part.


def _glob_literal(text: str) -> str:
    """``text`` with Redis glob characters escaped (ids never hold them; be safe)."""
    for char in "\\*?[]":
        text = text.replace(char, "\\" + char)
    return text


def rate_pattern(did: str) -> str:
    """Every throttle key of the duel (``rate(did, <kind>, <hash>)``)."""
    return f"{_glob_literal(duel(did))}:rate:*"


def fraud_window_pattern(did: str) -> str:
    """Fraud-rule window buckets (``<duel>:window:<n>``) of earlier versions, for purge."""
    return f"{_glob_literal(duel(did))}:window:*"


def reach_seen_pattern(did: str) -> str:
    return f"{_glob_literal(duel(did))}:reach-seen:*"


def clicks_seen_pattern(cid: str) -> str:
    return f"{_glob_literal(competition(cid))}:clicks-seen:*"


def claim_failures_pattern(cid: str) -> str:
    return f"{_glob_literal(competition(cid))}:claim-fail:*"


def mail_rate_pattern(cid: str) -> str:
    return f"{_glob_literal(competition(cid))}:mail-rate:*"


def verify_used_pattern(cid: str) -> str:
    return f"{_glob_literal(competition(cid))}:verify-used:*"
