"""Request fingerprints for Idempotency-Key checks (`sdapi.api.fingerprint`)."""

from __future__ import annotations

from sdapi.api.fingerprint import request_fingerprint


def test_key_order_does_not_change_the_fingerprint():
    a = request_fingerprint("POST", "/v1/jobs", {"prompt": "x", "steps": 2})
    b = request_fingerprint("post", "/v1/jobs", {"steps": 2, "prompt": "x"})

    assert a == b


def test_a_different_value_changes_the_fingerprint():
    a = request_fingerprint("POST", "/v1/jobs", {"prompt": "x"})
    b = request_fingerprint("POST", "/v1/jobs", {"prompt": "y"})

    assert a != b


def test_a_different_route_changes_the_fingerprint():
    a = request_fingerprint("POST", "/v2/sdxl/run", {"input": {"prompt": "x"}})
    b = request_fingerprint("POST", "/v2/sd15/run", {"input": {"prompt": "x"}})

    assert a != b


def test_the_v3_body_key_is_not_part_of_the_fingerprint():
    a = request_fingerprint("POST", "/api/v3/text2img", {"key": "k1", "prompt": "x"})
    b = request_fingerprint("POST", "/api/v3/text2img", {"key": "k2", "prompt": "x"})

    assert a == b
