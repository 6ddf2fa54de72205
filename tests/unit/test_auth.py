"""API keys: where requests carry them, and how they are checked."""

from __future__ import annotations

import base64

import pytest

from sdapi.auth import Authenticator, Principal, create_key, hash_key, key_from_request
from sdapi.errors import Unauthorized


class MemoryKeys:
    def __init__(self):
        self.records: dict[str, dict] = {}
        self.reads = 0

    def get(self, key_hash):
        self.reads += 1
        return self.records.get(key_hash)

    def put(self, record):
        self.records[record["key_hash"]] = dict(record)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "body_key", "expected"),
    [
        ({"x-api-key": "sd_abc"}, None, "sd_abc"),
        ({"X-API-Key": "sd_abc"}, None, "sd_abc"),
        ({"Authorization": "Bearer sd_abc"}, None, "sd_abc"),
        ({"authorization": "bearer sd_abc"}, None, "sd_abc"),
        ({"Authorization": basic("anyone", "sd_abc")}, None, "sd_abc"),
        ({"Authorization": basic("", "sd_abc")}, None, "sd_abc"),
        ({}, "sd_body", "sd_body"),
        ({"x-api-key": "sd_header"}, "sd_body", "sd_header"),
        ({}, None, None),
        ({"Authorization": "Basic !!!notbase64"}, None, None),
        ({"Authorization": basic("user-only-no-colon", "")}, None, None),
        ({"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, "sd_body", None),
        ({"Authorization": basic("sd_abc", "")}, None, None),
        ({"Authorization": basic("user", "   ")}, None, None),
        ({"Authorization": "Bearer    "}, None, None),
        ({"x-api-key": "  ", "Authorization": "Bearer sd_abc"}, None, "sd_abc"),
        ({"x-api-key": " sd_abc\t"}, None, "sd_abc"),
        ({}, "   ", None),
    ],
)
def test_keys_are_found_in_every_supported_place(headers, body_key, expected):
    assert key_from_request(headers, body_key) == expected


def test_a_created_key_authenticates_and_only_its_hash_is_stored():
    keys = MemoryKeys()
    created = create_key(keys, owner="alice", name="ci")

    principal = Authenticator(keys).authenticate(created.key)

    assert principal == Principal(owner="alice", key_id=created.key_id)
    assert created.key.startswith("sd_")
    assert created.webhook_secret.startswith("whsec_")
    (stored,) = keys.records.values()
    assert stored["key_hash"] == hash_key(created.key)
    assert created.key not in str(stored)
    assert base64.b64decode(created.webhook_secret.removeprefix("whsec_")).__len__() == 32


def test_unknown_revoked_and_missing_keys_get_the_same_answer():
    keys = MemoryKeys()
    revoked = create_key(keys, owner="alice")
    keys.records[hash_key(revoked.key)]["revoked"] = True
    messages = set()
    for key in ("sd_unknown", revoked.key, None, ""):
        with pytest.raises(Unauthorized) as raised:
            Authenticator(keys).authenticate(key)
        messages.add(raised.value.message)
    assert len(messages) == 1


def test_positive_answers_are_cached_for_a_while():
    keys = MemoryKeys()
    created = create_key(keys, owner="alice")
    now = [0.0]
    auth = Authenticator(keys, cache_s=60, clock=lambda: now[0])

    auth.authenticate(created.key)
    auth.authenticate(created.key)
    assert keys.reads == 1
    now[0] = 61
    auth.authenticate(created.key)
    assert keys.reads == 2


def test_a_chosen_key_can_be_registered():
    keys = MemoryKeys()
    created = create_key(keys, owner="local", key="sd_dev_key", webhook_secret="whsec_abc")
    assert Authenticator(keys).authenticate("sd_dev_key").owner == "local"
    assert created.webhook_secret == "whsec_abc"


def test_a_revoked_key_stops_working_once_its_cached_answer_expires():
    keys = MemoryKeys()
    created = create_key(keys, owner="alice")
    now = [0.0]
    auth = Authenticator(keys, cache_s=60, clock=lambda: now[0])
    auth.authenticate(created.key)

    keys.records[hash_key(created.key)]["revoked"] = True
    now[0] = 61

    with pytest.raises(Unauthorized):
        auth.authenticate(created.key)


def test_refusals_are_not_cached():
    keys = MemoryKeys()
    auth = Authenticator(keys, cache_s=60, clock=lambda: 0.0)
    with pytest.raises(Unauthorized):
        auth.authenticate("sd_later")
    create_key(keys, owner="alice", key="sd_later")
    assert auth.authenticate("sd_later").owner == "alice"


@pytest.mark.parametrize("key", ["", "   ", "x" * 513])
def test_empty_blank_and_overlong_keys_are_refused_without_a_lookup(key):
    keys = MemoryKeys()
    keys.put({"key_hash": hash_key(key), "key_id": "key_1", "owner": "alice", "revoked": False})
    with pytest.raises(Unauthorized):
        Authenticator(keys).authenticate(key)
    assert keys.reads == 0


@pytest.mark.parametrize("key", ["", "   ", " sd_padded", "sd_padded\n", "x" * 513])
def test_a_chosen_key_that_could_never_be_presented_is_not_registered(key):
    keys = MemoryKeys()
    with pytest.raises(ValueError):
        create_key(keys, owner="local", key=key)
    assert keys.records == {}
