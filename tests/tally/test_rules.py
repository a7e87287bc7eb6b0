"""The fraud rules as pure functions: which subject a vote is judged by, group names, and
the whole-window outcome (the tally script's reference, see test_tally)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voting import rules

THRESHOLDS = rules.Thresholds(votes_per_network=5, phones_per_code=8)
networks = st.sampled_from(["0000000000a1", "0000000000b2", "0000000000c3", ""])
modes = st.sampled_from(["open", "venue", "codes", "verified"])


@st.composite
def votes(draw: st.DrawFn) -> list[rules.Vote]:
    items = draw(
        st.lists(
            st.tuples(st.sampled_from(["home", "away"]), networks, modes, st.integers(0, 3)),
            max_size=80,
        )
    )
    found = []
    for number, (team, network, mode, slot) in enumerate(items):
        subject = {"venue": f"p:{slot:x}", "codes": f"k:{number:016x}"}.get(mode, "")
        found.append(rules.Vote(f"{1000 + number}-0", team, network, "ua", mode, subject))
    return found


def test_each_mode_judges_its_own_subject() -> None:
    assert rules.evidence_subject(rules.Vote("1-0", "t", "ab", mode="open")) == "n:ab"
    assert rules.evidence_subject(rules.Vote("1-0", "t", "ab", mode="venue", subject="p:1f")) == (
        "p:1f"
    )
    # A venue is one NAT: its network is no reason; codes and addresses are one vote each.
    assert rules.evidence_subject(rules.Vote("1-0", "t", "ab", mode="codes", subject="k:9")) == ""
    assert rules.evidence_subject(rules.Vote("1-0", "t", "ab", mode="verified")) == ""
    assert rules.group_of("n:ab12") == "volume-n-ab12"
    assert rules.group_of("p:1f") == "relay-p-1f"
    assert rules.parse_group("relay-p-1f") == rules.Verdict("relay", "p", "1f")
    assert rules.parse_group("burst-n-abc") == rules.Verdict("burst", "n", "abc")
    assert rules.parse_group("volume-n-xyz") is None
    assert rules.parse_group("volume-n-ab/home") is None


@given(votes())
def test_every_vote_is_counted_or_held_back_never_dropped(batch: list[rules.Vote]) -> None:
    outcome = rules.settle(batch, THRESHOLDS)
    held = sum(sum(teams.values()) for teams in outcome.held_back.values())
    assert sum(outcome.official.values()) + held == len(batch)


@given(votes())
def test_a_subject_is_held_back_whole_or_not_at_all(batch: list[rules.Vote]) -> None:
    outcome = rules.settle(batch, THRESHOLDS)
    per_subject: dict[str, int] = {}
    for vote in batch:
        subject = rules.evidence_subject(vote)
        if subject:
            per_subject[subject] = per_subject.get(subject, 0) + 1
    for subject, total in per_subject.items():
        group = rules.group_of(subject)
        held = sum(outcome.held_back.get(group, {}).values())
        assert held == (total if total > THRESHOLDS.limit_for(subject) else 0)


@given(votes(), st.data())
def test_order_does_not_matter(batch: list[rules.Vote], data: st.DataObject) -> None:
    """Judged over the whole window: no 'free first votes' for whoever comes early."""
    shuffled = data.draw(st.permutations(batch))
    assert rules.settle(shuffled, THRESHOLDS) == rules.settle(batch, THRESHOLDS)
