"""Domain errors. Each has a stable `code` the web layer maps to an HTTP status."""

from __future__ import annotations


class BracketError(Exception):
    code = "bracket_error"
    message = "The bracket operation is not allowed."

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.message} {detail}".strip())


class TooFewTeams(BracketError):
    code = "too_few_teams"
    message = "A bracket needs at least two teams."


class DuplicateTeam(BracketError):
    code = "duplicate_team"
    message = "Every team may enter only once."


class InvalidOption(BracketError):
    code = "invalid_option"
    message = "Unknown or unsupported option."


class SeedRequired(BracketError):
    code = "seed_required"
    message = "A random draw needs a recorded integer seed."


class InvalidOrder(BracketError):
    code = "invalid_order"
    message = "The seeding order must list every team exactly once."


class InvalidRule(BracketError):
    code = "invalid_rule"
    message = "The decision rule is not valid."


class UnknownMatch(BracketError):
    code = "unknown_match"
    message = "No such match in this bracket."


class MatchNotOpen(BracketError):
    code = "match_not_open"
    message = "The match cannot be changed now."


class InvalidResult(BracketError):
    code = "invalid_result"
    message = "The result does not fit the match."


class ReasonRequired(BracketError):
    code = "reason_required"
    message = "A non-empty reason is required."


class RoundNotDecided(BracketError):
    code = "round_not_decided"
    message = "Every match of the current round needs a result first."


class BracketFinished(BracketError):
    code = "bracket_finished"
    message = "The bracket is already finished."


class NothingToUndo(BracketError):
    code = "nothing_to_undo"
    message = "There is no earlier state to return to."


class InvalidData(BracketError):
    code = "invalid_data"
    message = "The stored bracket data is malformed."


class InvalidGroups(BracketError):
    code = "invalid_groups"
    message = "The group stage settings do not fit the teams."


class NotSemiFinals(BracketError):
    code = "not_semi_finals"
    message = "A third-place pairing needs the two semi-finals of one round."


class StageFinished(BracketError):
    code = "stage_finished"
    message = "The stage is over: finish it to draw the next stage."


class StageNotFinished(BracketError):
    code = "stage_not_finished"
    message = "The stage still has duels to play, or there is no next stage."
