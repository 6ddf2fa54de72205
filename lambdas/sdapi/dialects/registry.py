"""The one table of dialects: which path prefix speaks which dialect, and for each its error renderers, its
webhook body and whether its API key may travel in the JSON body. Nothing else tests a path prefix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sdapi.dialects import a1111, native, runpod, tasks, v3
from sdapi.dialects.common import OutputSource, WebhookEvent
from sdapi.errors import DomainError
from sdapi.records import JobRecord
from sdapi.schema.job import Dialect

ErrorRenderer = Callable[[DomainError], tuple[int, dict[str, Any]]]
"""A domain error → the HTTP status and the dialect's error body."""

ValidationRenderer = Callable[[list[dict[str, Any]], Any], tuple[int, dict[str, Any]]]
"""Powertools' route-validation errors and the request body → the HTTP status and the dialect's body."""

WebhookRenderer = Callable[[JobRecord, WebhookEvent, OutputSource], dict[str, Any]]
"""A job and the event it reports → the dialect's webhook body."""

CallbackRenderer = Callable[[JobRecord, str], "tasks.Callback | None"]
"""A job and the bucket → the dialect's own notification of a finished job on the events topic (None while
it runs)."""


@dataclass(frozen=True)
class DialectEntry:
    """Everything about a dialect that is decided by the request path or the job's dialect."""

    dialect: Dialect
    prefixes: tuple[str, ...]
    """Request paths starting with one of these speak this dialect."""
    error_body: ErrorRenderer
    validation_body: ValidationRenderer
    webhook_body: WebhookRenderer
    key_in_body: bool = False
    """The API key may be sent as the JSON body's `key` (v3), besides the headers."""
    callback: CallbackRenderer | None = None
    """The dialect's own notification of a finished job (tasks: the queue agent's callback)."""


ENTRIES = (
    DialectEntry(Dialect.NATIVE, ("/v1/",), native.error_body, native.validation_body, native.webhook_body),
    DialectEntry(Dialect.RUNPOD, ("/v2/",), runpod.error_body, runpod.validation_body, runpod.webhook_body),
    DialectEntry(
        Dialect.A1111,
        ("/sdapi/",),
        a1111.error_body,
        a1111.validation_body,
        native.webhook_body,  # A1111 requests carry no webhook; the native body if one ever does
    ),
    DialectEntry(
        Dialect.V3, ("/api/v3/",), v3.error_body, v3.validation_body, v3.webhook_body, key_in_body=True
    ),
    DialectEntry(
        Dialect.TASKS,
        ("/v1alpha1", "/v1alpha2"),
        tasks.error_body,
        tasks.validation_body,
        tasks.webhook_body,
        callback=tasks.callback,
    ),
)

_BY_DIALECT = {entry.dialect: entry for entry in ENTRIES}
_BY_PREFIX = sorted(
    ((prefix, entry) for entry in ENTRIES for prefix in entry.prefixes), key=lambda item: -len(item[0])
)
DEFAULT = _BY_DIALECT[Dialect.NATIVE]
"""Paths no dialect claims (`/docs`, `/openapi.json`, unknown routes) answer in the native dialect."""


def for_path(path: str) -> DialectEntry:
    """Return the dialect a request path speaks (the longest matching prefix; native otherwise)."""
    for prefix, entry in _BY_PREFIX:
        if path.startswith(prefix):
            return entry
    return DEFAULT


def for_dialect(dialect: Dialect) -> DialectEntry:
    """Return the entry of a job's dialect."""
    return _BY_DIALECT[dialect]
