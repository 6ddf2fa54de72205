"""The one place request bodies are decoded, for every route of every dialect, before routing.

Rules (documented in docs/robustness.md, "Request bodies"):
- Bodies are JSON in UTF-8. Accepted `Content-Type`s: none at all (A1111 and RunPod clients often send
  none, e.g. `requests.post(url, data=json.dumps(p))`), `application/json`, `application/*+json`, and
  `text/plain` holding JSON (what a browser `fetch` with a string body sends; FastAPI would answer 422,
  which helps nobody). A `charset` other than UTF-8 / US-ASCII, or any other type (`application/xml`,
  `application/x-www-form-urlencoded` as `curl -d` sends, `multipart/form-data`), is a 415.
- A body that is not UTF-8 or not valid base64 (binary-encoded events) is a 400; a UTF-8 byte order mark
  is ignored. Text that is not JSON (`NaN` / `Infinity` included) is the route's schema error: 422 in the
  native and A1111 dialects (as FastAPI answers), 400 in the others.
- Nesting deeper than `MAX_BODY_DEPTH` levels is a 400 (no legitimate request of any dialect comes close;
  the free-form fields stored with a job may nest at most `schema.storable.MAX_DEPTH`).
- Every number must be one DynamoDB can store (`schema.storable`), and every object key non-empty: 400
  naming the field, so nothing the store cannot hold is ever accepted.

`normalise(event)` returns the event with the body as plain UTF-8 JSON text and `Content-Type:
application/json`, which is what the Powertools resolver validates; it raises a DomainError (rendered in the
route's dialect) for anything else. Nothing is written or enqueued for a refused body.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sdapi.errors import DomainError, FieldProblem, InvalidRequest
from sdapi.schema.storable import NotStorable, check

MAX_BODY_DEPTH = 32
"""Deepest nesting of objects and arrays a request body may have."""
JSON_TYPE = "application/json"
_TEXT_TYPES = ("text/plain",)
_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")


class UnsupportedMediaType(DomainError):
    status = 415
    kind = "UnsupportedMediaType"


class NotJson(InvalidRequest):
    """UTF-8 text that is not JSON: answered like any other schema error of the route's dialect (native
    and A1111 422, FastAPI's `json_invalid`; RunPod, v3 and tasks 400)."""

    def __init__(self, reason: str):
        super().__init__(f"body: {reason}", [FieldProblem("body", reason)])
        self.reason = reason


def _content_type(headers: dict[str, Any] | None) -> str | None:
    for name, value in (headers or {}).items():
        if name.lower() == "content-type" and value is not None:
            return str(value)
    return None


def check_content_type(value: str | None) -> None:
    """Raise UnsupportedMediaType unless `value` is a type this API reads as JSON (see the module doc)."""
    if value is None or not value.strip():
        return
    media, _, params = value.partition(";")
    media = media.strip().lower()
    is_json = media == JSON_TYPE or (media.startswith("application/") and media.endswith("+json"))
    if not (is_json or media in _TEXT_TYPES):
        raise UnsupportedMediaType(
            f"Content-Type {media or value!r} is not supported; send the body as JSON "
            "(Content-Type: application/json)"
        )
    for param in params.split(";"):
        name, _, charset = param.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in _CHARSETS:
            raise UnsupportedMediaType(
                f"charset {charset.strip()!r} is not supported; send the body as UTF-8 JSON"
            )


def _bad_body(reason: str) -> InvalidRequest:
    return InvalidRequest(f"body: {reason}", [FieldProblem("body", reason)])


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(raw: bytes) -> tuple[str, Any]:
    """The text and JSON value of a body, or InvalidRequest naming what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _bad_body(f"is not valid UTF-8 (byte {error.start})") from None
    text = text.removeprefix("\ufeff")
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise _bad_body(f"is nested more than {MAX_BODY_DEPTH} levels deep") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise NotJson(f"is not valid JSON ({error.msg} at {where})") from None
    except ValueError as error:  # NaN/Infinity, an integer over Python's digit limit
        raise NotJson(f"is not valid JSON ({error})") from None
    try:
        check(value, max_depth=MAX_BODY_DEPTH)
    except NotStorable as problem:
        field = problem.path or "body"
        raise InvalidRequest.field(field, problem.reason) from None
    return text, value


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_body("is marked base64-encoded but is not valid base64") from None
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)


def normalise(event: dict[str, Any]) -> dict[str, Any]:
    """The event with a checked JSON body (see the module doc), or a DomainError."""
    raw = raw_body(event)
    if not raw:
        return _with_json_type(event, None)
    check_content_type(_content_type(event.get("headers")))
    text, _ = parse(raw)
    return _with_json_type(event, text)


def _with_json_type(event: dict[str, Any], text: str | None) -> dict[str, Any]:
    """A copy of the event with `text` as its (plain) body and Content-Type application/json (none when
    there is no body)."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
    if text is not None:
        headers["Content-Type"] = JSON_TYPE
        multi["Content-Type"] = [JSON_TYPE]
    return {
        **event,
        "headers": headers or None,
        "multiValueHeaders": multi or None,
        "body": text,
        "isBase64Encoded": False,
    }
