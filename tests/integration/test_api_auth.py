"""Authentication through the real api handler: where a key may be carried, and that keys never reach logs."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.integration.api_support import api_env


@pytest.fixture
def env(aws, api_key):
    api, _, _ = api_env(aws, api_key, worker=False)
    return api


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/jobs", {"prompt": "x"}),
        ("GET", "/v1/models", None),
        ("POST", "/sdapi/v1/txt2img", {"prompt": "x"}),
        ("GET", "/sdapi/v1/sd-models", None),
        ("POST", "/v2/sdxl/run", {"input": {"prompt": "x"}}),
        ("POST", "/v1alpha2", {"task": {}}),
    ],
)
def test_the_v3_body_key_does_not_authenticate_other_dialects(env, method, path, body):
    sent = {**(body or {}), "key": env.key}

    status, _, _ = env.call(method, path, sent, key=None)

    assert status == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": "   "},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon-here").decode()},
        {"Authorization": "Basic not*base64"},
        {"Authorization": "Token whatever"},
    ],
)
def test_empty_or_malformed_credentials_are_refused(env, headers):
    assert env.call("GET", "/v1/models", key=None, headers=headers)[0] == 401


def test_a_key_with_surrounding_whitespace_still_authenticates(env):
    assert env.call("GET", "/v1/models", key=f"  {env.key}\t")[0] == 200


def test_keys_never_appear_in_logs(env, capfd, caplog):
    caplog.set_level(logging.INFO)  # the deployed level (POWERTOOLS_LOG_LEVEL=INFO)
    basic = "Basic " + base64.b64encode(f"user:{env.key}".encode()).decode()
    wrong = "sd_wrong_" + "x" * 30

    env.call("GET", "/v1/models")
    env.call("GET", "/v1/models", key=None, headers={"Authorization": f"Bearer {env.key}"})
    env.call("GET", "/sdapi/v1/sd-models", key=None, headers={"Authorization": basic})
    env.call("POST", "/api/v3/text2img", {"key": env.key, "width": "1004"}, key=None)
    env.call("POST", "/v1/jobs", {"width": 3}, key=wrong)
    env.call("POST", "/v1/jobs", {"width": 3})

    captured = capfd.readouterr()
    logged = captured.out + captured.err + caplog.text
    for secret in (env.key, wrong, basic.split()[1]):
        assert secret not in logged
