"""Prompt editing and alternation: which plain prompt is in force at each sampling step.

The grammar is A1111's (`modules/prompt_parser.py`), so that a prompt means here what it means there:

- `[from:to:when]` uses `from` up to step `when`, then `to`; `[to:when]` starts empty, `[from::when]` ends
  empty. `when` with a decimal point is a fraction of the steps, an integer is a step number.
- `[a|b|c]` alternates per step (`a` on step 1, `b` on step 2, …); an empty option is empty text.
- Emphasis brackets stay in the text (they are read later, per schedule entry, by `attention`).
- Anything the grammar cannot read is one entry: the prompt as written, for every step (A1111's leniency).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import lark

# lark is imported on the first parse, not with the package: the api Lambda imports `sdapi.schema.prompt`
# for styles and LoRA tags and never parses schedules, and lark is ~5 % of its cold import.

GRAMMAR = r"""
!start: (prompt | /[][():]/+)*
prompt: (emphasized | scheduled | alternate | plain | WHITESPACE)*
!emphasized: "(" prompt ")"
        | "(" prompt ":" prompt ")"
        | "[" prompt "]"
scheduled: "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
alternate: "[" prompt ("|" [prompt])+ "]"
WHITESPACE: /\s+/
plain: /([^\\\[\]():|]|\\.)+/
%import common.SIGNED_NUMBER -> NUMBER
"""


@cache
def _parser() -> lark.Lark:
    import lark

    return lark.Lark(GRAMMAR)


def prompt_schedule(
    prompt: str, steps: int, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> list[tuple[int, str]]:
    """[(last step this text applies to, text), …] in step order; the last entry ends at `steps`.

    With `hires_steps` (a hires-fix second pass) the schedule is for that pass: integer `when`s count on
    from the first pass's `steps`, fractions from 1.0 (A1111's new scheduling); `use_old_scheduling` keeps
    A1111's pre-1.6 rule (fractions of this pass, integers as they are).
    """
    if hires_steps is None or use_old_scheduling:
        int_offset, fraction_offset, total = 0, 0.0, steps
    else:
        int_offset, fraction_offset, total = steps, 1.0, hires_steps
    from lark import Token
    from lark.exceptions import LarkError

    try:
        tree = _parser().parse(prompt)
    except LarkError:
        return [(total, prompt)]

    switch_at: dict[int, int] = {}
    boundaries = {total}
    for node in tree.iter_subtrees():
        if node.data == "scheduled":
            written = str(node.children[-2])
            value = float(written)
            if use_old_scheduling:
                value = value * total if value < 1 else value
            elif "." in written:
                value = (value - fraction_offset) * total
            else:
                value = value - int_offset
            when = min(total, int(value))
            switch_at[id(node)] = when
            if when >= 1:
                boundaries.add(when)
        elif node.data == "alternate":
            boundaries.update(range(1, total + 1))

    def render(node, step: int) -> str:
        if node is None:
            return ""
        if isinstance(node, Token):
            return node.value
        if node.data == "scheduled":
            before, after = node.children[0], node.children[1]
            return render(before if step <= switch_at[id(node)] else after, step)
        if node.data == "alternate":
            options = node.children
            return render(options[(step - 1) % len(options)], step)
        return "".join(render(child, step) for child in node.children)

    return [(step, render(tree, step)) for step in sorted(boundaries)]


def prompt_schedules(
    prompts: list[str], steps: int, hires_steps: int | None = None, use_old_scheduling: bool = False
) -> list[list[tuple[int, str]]]:
    """`prompt_schedule` for each prompt (each distinct prompt parsed once)."""
    done = {p: prompt_schedule(p, steps, hires_steps, use_old_scheduling) for p in set(prompts)}
    return [done[p] for p in prompts]
