"""The `sdapi` command line: where the connection options may be given."""

from __future__ import annotations

import pytest

from sdapi.cli.client import DEFAULT_URL, parser


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "https://api.example.com", "--key", "sd_k", "generate", "a cat"],
        ["generate", "a cat", "--url", "https://api.example.com", "--key", "sd_k"],
    ],
)
def test_url_and_key_are_accepted_before_or_after_the_command(argv):
    args = parser().parse_args(argv)
    assert (args.url, args.key, args.prompt) == ("https://api.example.com", "sd_k", "a cat")


def test_the_environment_supplies_the_defaults(monkeypatch):
    monkeypatch.setenv("SDAPI_KEY", "sd_env")
    monkeypatch.delenv("SDAPI_URL", raising=False)
    args = parser().parse_args(["load"])
    assert (args.url, args.key) == (DEFAULT_URL, "sd_env")
