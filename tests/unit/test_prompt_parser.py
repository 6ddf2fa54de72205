"""A1111's prompt grammar: its own documented examples (the doctests of modules/prompt_parser.py) as facts."""

from __future__ import annotations

import pytest

from sdapi.schema.prompt import parse_prompt_attention, prompt_schedule, prompt_schedules

ALTERNATING = [[i, "a" if i % 2 else "(b:1.1)"] for i in range(1, 11)]

SCHEDULES_AT_10_STEPS = [
    ("test", [[10, "test"]]),
    ("a [b:3]", [[3, "a "], [10, "a b"]]),
    ("a [b: 3]", [[3, "a "], [10, "a b"]]),
    ("a [[[b]]:2]", [[2, "a "], [10, "a [[b]]"]]),
    ("[(a:2):3]", [[3, ""], [10, "(a:2)"]]),
    ("a [b : c : 1] d", [[1, "a b  d"], [10, "a  c  d"]]),
    ("a[b:[c:d:2]:1]e", [[1, "abe"], [2, "ace"], [10, "ade"]]),
    ("a [unbalanced", [[10, "a [unbalanced"]]),
    ("a [b:.5] c", [[5, "a  c"], [10, "a b c"]]),
    ("((a][:b:c [d:3]", [[3, "((a][:b:c "], [10, "((a][:b:c d"]]),
    ("[a|(b:1.1)]", ALTERNATING),
    ("[fe|]male", [[i, "female" if i % 2 else "male"] for i in range(1, 11)]),
    ("[fe|||]male", [[i, "female" if i % 4 == 1 else "male"] for i in range(1, 11)]),
]


@pytest.mark.parametrize(("prompt", "expected"), SCHEDULES_AT_10_STEPS)
def test_schedule_at_10_steps_equals_a1111(prompt, expected):
    # given a prompt from A1111's doctests, when scheduled over 10 steps
    schedule = prompt_schedule(prompt, 10)
    # then every (end step, text) equals A1111's
    assert [list(entry) for entry in schedule] == expected


def test_an_unparsable_prompt_is_one_entry_as_written():
    # given A1111's doctest marked "not handling this right now": its doctest claims [[5, 'a  c'],
    # [10, 'a {b|d{ c']], but A1111's grammar on lark 1.3.1 (the version we pin) cannot parse it and
    # A1111's code falls back to the prompt as written; we equal A1111's code, not that stale comment
    schedule = prompt_schedule("a [{b|d{:.5] c", 10)
    # then it is one entry: the prompt as written, for all steps
    assert schedule == [(10, "a [{b|d{:.5] c")]


@pytest.mark.parametrize(
    ("prompt", "expected"), [("a [b:.5] c", [[10, "a b c"]]), ("a [b:1.5] c", [[5, "a  c"], [10, "a b c"]])]
)
def test_hires_pass_schedule_equals_a1111(prompt, expected):
    # given a 10-step first pass and a 10-step hires pass
    schedule = prompt_schedule(prompt, 10, hires_steps=10)
    # then the hires pass is scheduled as A1111 schedules it
    assert [list(entry) for entry in schedule] == expected


def test_the_documented_landscape_example_at_100_steps():
    # given A1111's own example prompt (the comment at the top of prompt_parser.py)
    prompt = (
        "fantasy landscape with a [mountain:lake:0.25] and [an oak:a christmas tree:0.75]"
        "[ in foreground::0.6][ in background:0.25] [shoddy:masterful:0.5]"
    )
    # when scheduled over 100 steps
    schedule = prompt_schedule(prompt, 100)
    # then it switches at 25, 50, 60, 75 as documented
    assert schedule == [
        (25, "fantasy landscape with a mountain and an oak in foreground shoddy"),
        (50, "fantasy landscape with a lake and an oak in foreground in background shoddy"),
        (60, "fantasy landscape with a lake and an oak in foreground in background masterful"),
        (75, "fantasy landscape with a lake and an oak in background masterful"),
        (100, "fantasy landscape with a lake and a christmas tree in background masterful"),
    ]


def test_prompt_schedules_keeps_the_order_of_its_prompts():
    # given two prompts, one repeated
    prompts = ["a [b:3]", "test", "a [b:3]"]
    # when scheduled together
    result = prompt_schedules(prompts, 10)
    # then each gets its own schedule in the order given
    assert result == [prompt_schedule(p, 10) for p in prompts]


ATTENTION = [
    ("normal text", [["normal text", 1.0]]),
    ("an (important) word", [["an ", 1.0], ["important", 1.1], [" word", 1.0]]),
    ("(unbalanced", [["unbalanced", 1.1]]),
    ("\\(literal\\]", [["(literal]", 1.0]]),
    ("(unnecessary)(parens)", [["unnecessaryparens", 1.1]]),
    (
        "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
        [
            ["a ", 1.0],
            ["house", 1.5730000000000004],
            [" ", 1.1],
            ["on", 1.0],
            [" a ", 1.1],
            ["hill", 0.55],
            [", sun, ", 1.1],
            ["sky", 1.4641000000000006],
            [".", 1.1],
        ],
    ),
]


@pytest.mark.parametrize(("prompt", "expected"), ATTENTION)
def test_attention_equals_a1111(prompt, expected):
    # given a prompt from A1111's doctests, when its emphasis is parsed
    runs = parse_prompt_attention(prompt)
    # then the (text, weight) runs equal A1111's exactly (floats included)
    assert runs == expected


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a BREAK b", [["a", 1.0], ["BREAK", -1.0], ["b", 1.0]]),
        ("(word: 1.3 )", [["word", 1.3]]),
        ("[less]", [["less", 1 / 1.1]]),
        ("a stray ) and ]", [["a stray ) and ]", 1.0]]),
        ("", [["", 1.0]]),
        ("(a:1.0)", [["a", 1.0]]),
    ],
)
def test_attention_breaks_weights_and_leniency(prompt, expected):
    # given BREAK, a spaced weight, square brackets, stray closers or nothing
    runs = parse_prompt_attention(prompt)
    # then they read as A1111 reads them
    assert runs == expected
