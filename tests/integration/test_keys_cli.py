"""`sdapi-keys`: create, list and revoke keys; a revoked key stops working."""

from __future__ import annotations

import json

import pytest

from sdapi.auth import Authenticator
from sdapi.aws.keys_table import KeysTable
from sdapi.cli.keys import main
from sdapi.errors import Unauthorized


def run(capsys, *argv) -> tuple[int, object]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_create_list_revoke(aws, capsys, monkeypatch):
    monkeypatch.setenv("SDAPI_KEYS_TABLE", aws.keys_table)

    code, created = run(capsys, "create", "--owner", "team-a", "--name", "ci")
    assert code == 0
    assert created["key"].startswith("sd_")
    assert created["webhook_secret"].startswith("whsec_")
    assert Authenticator(KeysTable(aws.keys_table)).authenticate(created["key"]).owner == "team-a"

    code, listed = run(capsys, "list")
    assert code == 0
    assert [k["key_id"] for k in listed] == [created["key_id"]]
    assert created["key"] not in json.dumps(listed)
    assert "webhook_secret" not in listed[0]

    code, revoked = run(capsys, "revoke", created["key_id"])
    assert code == 0
    assert revoked["revoked"] is True
    with pytest.raises(Unauthorized):
        Authenticator(KeysTable(aws.keys_table)).authenticate(created["key"])


def test_revoking_an_unknown_key_fails(aws, capsys):
    assert main(["--table", aws.keys_table, "revoke", "key_nope"]) == 1
    assert "no key" in capsys.readouterr().err


def test_a_table_is_required(monkeypatch, capsys):
    monkeypatch.delenv("SDAPI_KEYS_TABLE", raising=False)
    assert main(["list"]) == 2
