"""Request bodies, decoded in one place for every route (`sdapi.api.body`)."""

from __future__ import annotations

import base64
import json

import pytest

from sdapi.api.body import MAX_BODY_DEPTH, UnsupportedMediaType, check_content_type, normalise, parse
from sdapi.errors import InvalidRequest


def event(body: bytes | str | None, content_type: str | None = "application/json", encoded: bool = False):
    headers = {"Host": "api"} if content_type is None else {"Host": "api", "content-type": content_type}
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode() if encoded else body.decode("utf-8")
    return {
        "path": "/v1/jobs",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "body": body,
        "isBase64Encoded": encoded,
    }


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "Application/JSON; charset=UTF-8",
        "application/vnd.api+json",
        "text/plain",
        "text/plain;charset=utf-8",
    ],
)
def test_json_content_types_are_read(content_type):
    check_content_type(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/html",
        "application/json; charset=latin-1",
    ],
)
def test_other_content_types_are_a_415(content_type):
    with pytest.raises(UnsupportedMediaType) as raised:
        check_content_type(content_type)

    assert raised.value.status == 415


def test_a_body_that_is_not_utf8_is_a_400_naming_the_body():
    with pytest.raises(InvalidRequest) as raised:
        parse(b'{"prompt": "\xff"}')

    assert raised.value.problems[0].field == "body"
    assert "UTF-8" in raised.value.message


def test_a_body_that_is_not_json_says_where():
    with pytest.raises(InvalidRequest, match="line 1 column"):
        parse(b'{"prompt": ')


def test_nan_is_not_json():
    with pytest.raises(InvalidRequest, match="NaN"):
        parse(b'{"cfg_scale": NaN}')


@pytest.mark.parametrize("levels", [MAX_BODY_DEPTH + 1, 10_000])
def test_a_body_nested_too_deeply_is_a_400(levels):
    with pytest.raises(InvalidRequest, match=f"nested more than {MAX_BODY_DEPTH} levels"):
        parse(b"[" * levels + b"]" * levels)


def test_a_number_dynamodb_cannot_hold_is_a_400_naming_the_field():
    with pytest.raises(InvalidRequest) as raised:
        parse(b'{"context": {"n": [1e200]}}')

    assert raised.value.problems[0].field == "context.n[0]"


def test_an_empty_key_is_a_400_naming_its_object():
    with pytest.raises(InvalidRequest) as raised:
        parse(b'{"context": {"": {"a": true}}}')

    assert raised.value.problems[0].field == "context"


def test_a_utf8_byte_order_mark_is_ignored():
    text, value = parse(b'\xef\xbb\xbf{"prompt": "x"}')

    assert value == {"prompt": "x"}
    assert text == '{"prompt": "x"}'


def test_the_normalised_event_is_plain_json_text():
    normalised = normalise(event(b'{"prompt": "\xc3\xa9"}', "text/plain", encoded=True))

    assert json.loads(normalised["body"]) == {"prompt": "é"}
    assert normalised["isBase64Encoded"] is False
    assert normalised["headers"]["Content-Type"] == "application/json"
    assert "content-type" not in normalised["headers"]


def test_invalid_base64_is_a_400():
    broken = {**event("x", encoded=False), "body": "@@@", "isBase64Encoded": True}

    with pytest.raises(InvalidRequest, match="base64"):
        normalise(broken)


def test_an_empty_body_is_left_to_the_route():
    normalised = normalise(event(None, "application/xml"))

    assert normalised["body"] is None
    assert "content-type" not in {k.lower() for k in normalised["headers"]}
