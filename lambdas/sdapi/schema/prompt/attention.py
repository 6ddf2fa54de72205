"""Emphasis: `(text)` x1.1, `[text]` /1.1, `(text:1.3)`, escapes, `BREAK` — as A1111 reads them.

`parse_prompt_attention` returns runs of `[text, weight]` with equal neighbours merged; a `BREAK` between
words is the run `["BREAK", -1]` (the conditioning starts a new 75-token chunk there). Unbalanced brackets
are lenient as in A1111: an unclosed `(` or `[` still weights everything after it, a stray `)` or `]` is
text.
"""

from __future__ import annotations

import re

BREAK_WEIGHT = -1.0
"""The weight of the `BREAK` marker run."""

ROUND = 1.1
SQUARE = 1 / 1.1

_TOKEN = re.compile(
    r"""
    \\\( | \\\) | \\\[ | \\] | \\\\ | \\      # escapes (and a lone backslash)
    | \( | \[                               # openers
    | :\s*([+-]?[.\d]+)\s*\)                # explicit weight, closing a round bracket
    | \) | ]                                # closers
    | [^\\()\[\]:]+                         # text
    | :                                     # a colon that is not a weight
    """,
    re.VERBOSE,
)
_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)


def parse_prompt_attention(text: str) -> list[list]:
    """[[text, weight], …] for one plain prompt (schedules already resolved)."""
    runs: list[list] = []
    round_open: list[int] = []
    square_open: list[int] = []

    def scale(start: int, factor: float) -> None:
        for run in runs[start:]:
            run[1] *= factor

    for match in _TOKEN.finditer(text):
        piece, weight = match.group(0), match.group(1)
        if piece.startswith("\\"):
            runs.append([piece[1:], 1.0])
        elif piece == "(":
            round_open.append(len(runs))
        elif piece == "[":
            square_open.append(len(runs))
        elif weight is not None and round_open:
            scale(round_open.pop(), float(weight))
        elif piece == ")" and round_open:
            scale(round_open.pop(), ROUND)
        elif piece == "]" and square_open:
            scale(square_open.pop(), SQUARE)
        else:
            for index, part in enumerate(_BREAK.split(piece)):
                if index:
                    runs.append(["BREAK", BREAK_WEIGHT])
                runs.append([part, 1.0])

    for start in round_open:
        scale(start, ROUND)
    for start in square_open:
        scale(start, SQUARE)
    if not runs:
        return [["", 1.0]]

    merged = [runs[0]]
    for run in runs[1:]:
        if run[1] == merged[-1][1]:
            merged[-1][0] += run[0]
        else:
            merged.append(run)
    return merged
