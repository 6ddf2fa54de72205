"""Hostile and malformed requests through the real api handler, in every dialect: each is a 4xx in the
dialect's own error shape naming the problem, nothing is written or queued, and no error body carries a
stack trace, an ARN, an AWS or internal host or the bucket name."""

from __future__ import annotations

import json

import pytest

from tests.integration.api_support import api_env
from tests.integration.support_dialects import BY_NAME, DIALECTS, job_items, leaked


@pytest.fixture
def env(aws, api_key):
    api, _, settings = api_env(aws, api_key, worker=False)
    return api, settings


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


MALFORMED = {
    "not UTF-8": (lambda body: body.replace(b'"x"', b'"\xff\xfe"'), "application/json", 400, "UTF-8"),
    "XML": (lambda body: b"<txt2img><prompt>x</prompt></txt2img>", "application/xml", 415, "Content-Type"),
    "form-encoded": (lambda body: body, "application/x-www-form-urlencoded", 415, "application/json"),
    "nested 10,000 levels": (lambda body: deep(10_000), "application/json", 400, "nested more than"),
    "a number too large to store": (
        lambda body: body.replace(b'"x"', b'"x", "n": 1e200', 1),
        "application/json",
        400,
        "too large",
    ),
}


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_a_malformed_body_is_a_4xx_in_the_dialects_shape_naming_the_problem(env, dialect):
    api, _ = env
    outcomes, expected = {}, {}
    for case, (mangle, content_type, status, words) in MALFORMED.items():
        raw = mangle(json.dumps(dialect.build(api.key)).encode())
        got, body, _ = api.call("POST", dialect.path, raw=raw, headers={"Content-Type": content_type})
        outcomes[case] = (got, dialect.is_error_shape(body), words in json.dumps(body))
        expected[case] = (status, True, True)

    assert outcomes == expected


SCHEMA_ERROR = {"native": 422, "a1111": 422, "runpod": 400, "v3": 400, "tasks": 400}


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_text_that_is_not_json_is_the_dialects_schema_error(env, dialect):
    api, _ = env
    valid = json.dumps(dialect.build(api.key)).encode()
    answers = []
    for raw in (valid[:-3], valid.replace(b'"x"', b'"x", "n": NaN', 1)):
        got, body, _ = api.call("POST", dialect.path, raw=raw)
        answers.append((got, "not valid JSON" in json.dumps(body)))

    assert answers == [(SCHEMA_ERROR[dialect.name], True)] * 2


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_a_malformed_body_queues_nothing(env, aws, dialect):
    api, _ = env
    for mangle, content_type, _, _ in MALFORMED.values():
        raw = mangle(json.dumps(dialect.build(api.key)).encode())
        api.call("POST", dialect.path, raw=raw, headers={"Content-Type": content_type})

    assert job_items(aws.jobs_table) == []


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_error_bodies_carry_no_internal_detail(env, dialect):
    api, settings = env
    found = set()
    for mangle, content_type, _, _ in MALFORMED.values():
        raw = mangle(json.dumps(dialect.build(api.key)).encode())
        _, body, _ = api.call("POST", dialect.path, raw=raw, headers={"Content-Type": content_type})
        found.update(leaked(json.dumps(body), settings.bucket))

    assert found == set()


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_a_free_form_field_with_an_empty_key_is_refused_in_every_dialect(env, aws, dialect):
    api, _ = env
    body = dialect.context(dialect.build(api.key), {"": {"a": True}})

    status, answer, _ = api.call("POST", dialect.path, body)

    assert status == 400
    assert dialect.is_error_shape(answer), answer
    assert "empty object key" in json.dumps(answer)
    assert job_items(aws.jobs_table) == []


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_json_without_a_json_content_type_is_accepted(env, aws, dialect):
    api, _ = env
    statuses = []
    for content_type in ("", "text/plain", "text/plain; charset=utf-8"):
        headers = {"Content-Type": content_type}
        statuses.append(api.call("POST", dialect.path, dialect.build(api.key), headers=headers)[0])

    assert [s in (200, 202) for s in statuses] == [True, True, True]


@pytest.mark.parametrize("dialect", [BY_NAME["native"], BY_NAME["tasks"]], ids=lambda d: d.name)
def test_a_nested_context_is_stored_and_read_back(env, dialect):
    api, _ = env
    context = {"user": {"id": 7, "tags": ["a", "b"], "ratio": 0.25, "deep": {"x": {"y": {"z": None}}}}}
    status, answer, _ = api.call("POST", dialect.path, dialect.context(dialect.build(api.key), context))
    assert status in (200, 202)
    job_id = answer.get("id")
    read_path = f"/v1/jobs/{job_id}" if dialect.name == "native" else f"/v1alpha2/{job_id}"

    status, read, _ = api.call("GET", read_path)

    assert status == 200
    assert read["context"] == context
