"""The smoke command's table and exit status (the checks themselves run in tests/e2e/test_smoke.py)."""

from __future__ import annotations

from sdapi.cli.smoke import Check, table


def test_the_table_has_a_row_per_check_with_pass_or_fail():
    text = table([Check("native", True, 1.25, "job 1"), Check("v3 text2img", False, 3.0, "HTTP 500")])
    lines = text.splitlines()
    assert lines[1].split()[:3] == ["native", "pass", "1.2"]
    assert "FAIL" in lines[2]


def test_smoke_without_a_key_stops(monkeypatch):
    import pytest

    from sdapi.cli.client import main

    monkeypatch.delenv("SDAPI_KEY", raising=False)
    with pytest.raises(SystemExit, match="needs --key"):
        main(["smoke", "--url", "http://127.0.0.1:9"])
