"""The one table of dialects: which path prefix speaks which dialect, and for each its error renderers, its
webhook body and whether its API key may travel in the JSON body. Nothing else tests a path prefix.

A dialect's package (its models, answers and renderers) is imported the first time one of its renderers is
asked for, so that a process serving one dialect never builds the other four's pydantic models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sdapi.schema.job import Dialect

if TYPE_CHECKING:
    from sdapi.dialects import tasks
    from sdapi.dialects.common import OutputSource, WebhookEvent
    from sdapi.errors import DomainError
    from sdapi.records import JobRecord

ErrorRenderer = Callable[["DomainError"], tuple[int, dict[str, Any]]]
"""A domain error → the HTTP status and the dialect's error body."""

ValidationRenderer = Callable[[list[dict[str, Any]], Any], tuple[int, dict[str, Any]]]
"""Powertools' route-validation errors and the request body → the HTTP status and the dialect's body."""

WebhookRenderer = Callable[["JobRecord", "WebhookEvent", "OutputSource"], dict[str, Any]]
"""A job and the event it reports → the dialect's webhook body."""

CallbackRenderer = Callable[["JobRecord", str], "tasks.Callback | None"]
"""A job and the bucket → the dialect's own notification of a finished job on the events topic (None while
it runs)."""


@dataclass(frozen=True)
class DialectEntry:
    """Everything about a dialect that is decided by the request path or the job's dialect."""

    dialect: Dialect
    prefixes: tuple[str, ...]
    """Request paths starting with one of these speak this dialect."""
    package: str
    """The dialect's package, imported on first use of a renderer."""
    key_in_body: bool = False
    """The API key may be sent as the JSON body's `key` (v3), besides the headers."""
    webhook_package: str | None = None
    """The package whose `webhook_body` this dialect's jobs use, when not its own."""
    has_callback: bool = False
    """The dialect has its own notification of a finished job (tasks: the queue agent's callback)."""
    route_prefixes: tuple[str, ...] = ()
    """Other paths the dialect's routes serve, which do not speak the dialect (their errors are native's):
    A1111's sd-webui-controlnet listings under `/controlnet/`."""

    @property
    def module(self) -> ModuleType:
        """The dialect's package (imported now if it was not yet)."""
        return import_module(self.package)

    @property
    def error_body(self) -> ErrorRenderer:
        return self.module.error_body

    @property
    def validation_body(self) -> ValidationRenderer:
        return self.module.validation_body

    @property
    def webhook_body(self) -> WebhookRenderer:
        return import_module(self.webhook_package or self.package).webhook_body

    @property
    def callback(self) -> CallbackRenderer | None:
        """The dialect's own notification of a finished job, or None."""
        return self.module.callback if self.has_callback else None


ENTRIES = (
    DialectEntry(Dialect.NATIVE, ("/v1/",), "sdapi.dialects.native"),
    DialectEntry(Dialect.RUNPOD, ("/v2/",), "sdapi.dialects.runpod"),
    DialectEntry(
        Dialect.A1111,
        ("/sdapi/",),
        "sdapi.dialects.a1111",
        # A1111 requests carry no webhook; the native body if one ever does
        webhook_package="sdapi.dialects.native",
        route_prefixes=("/controlnet/",),
    ),
    DialectEntry(Dialect.V3, ("/api/v3/",), "sdapi.dialects.v3", key_in_body=True),
    DialectEntry(Dialect.TASKS, ("/v1alpha1", "/v1alpha2"), "sdapi.dialects.tasks", has_callback=True),
)

_BY_DIALECT = {entry.dialect: entry for entry in ENTRIES}
_BY_PREFIX = sorted(
    ((prefix, entry) for entry in ENTRIES for prefix in entry.prefixes), key=lambda item: -len(item[0])
)
_BY_ROUTE_PREFIX = sorted(
    ((prefix, entry) for entry in ENTRIES for prefix in entry.prefixes + entry.route_prefixes),
    key=lambda item: -len(item[0]),
)
DEFAULT = _BY_DIALECT[Dialect.NATIVE]
"""Paths no dialect claims (`/docs`, `/openapi.json`, unknown routes) answer in the native dialect."""


def for_path(path: str) -> DialectEntry:
    """Return the dialect a request path speaks (the longest matching prefix; native otherwise)."""
    return _longest(_BY_PREFIX, path) or DEFAULT


def routed_by(path: str) -> DialectEntry | None:
    """Return the dialect whose routes serve `path` (its prefixes and `route_prefixes`), or None: the
    paths of no dialect (`/ping`, the documents, unknown routes)."""
    return _longest(_BY_ROUTE_PREFIX, path)


def _longest(prefixes: list[tuple[str, DialectEntry]], path: str) -> DialectEntry | None:
    for prefix, entry in prefixes:  # longest first
        if path.startswith(prefix):
            return entry
    return None


def for_dialect(dialect: Dialect) -> DialectEntry:
    """Return the entry of a job's dialect."""
    return _BY_DIALECT[dialect]
