"""Print the round-1 seeding table: `python -m bracket.seeding 16`."""

from __future__ import annotations

import sys

from bracket.seeding import seeding_table


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit() or int(argv[0]) < 2:
        print("usage: python -m bracket.seeding TEAM_COUNT  (at least 2)", file=sys.stderr)
        return 2
    print(seeding_table(int(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
