"""The error answers of every operation in the OpenAPI document, in the shape of the operation's dialect.

Powertools documents a route's declared successes and a generic 422; what the API really answers besides is
added here, once, from the same rule that renders errors (`dialects.registry.for_path`): every status
the error handlers produce, each with the dialect's own error body as its schema. `tests/integration/
test_api_fuzz.py` (schemathesis) holds the document to what the handler answers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from sdapi.dialects import registry
from sdapi.schema.job import Dialect


class FieldProblemView(BaseModel):
    field: str = Field(description="Path of the field in the caller's own request (`input.width`).")
    reason: str = Field(description="What is wrong with it.")


class NativeErrorDetail(BaseModel):
    type: str = Field(description="InvalidRequest, Unauthorized, NotFound, Conflict, Gone, … (stable).")
    message: str = Field(description="Human-readable; names the field and the reason.")
    fields: list[FieldProblemView] = Field(description="One entry per field at fault (may be empty).")


class NativeError(BaseModel):
    """Native and tasks dialects."""

    error: NativeErrorDetail


class A1111Error(BaseModel):
    """A1111 (FastAPI-style): `detail` is a message, or the list of validation errors for a 422."""

    error: str = Field(description="Error kind (InvalidRequest, RequestValidationError, JobFailed, …).")
    detail: str | list[dict[str, Any]] = Field(description="Message, or FastAPI-style validation errors.")
    body: Any = Field(default=None, description="The request body echoed (422), or `{id}` of a failed job.")
    errors: Any = Field(default=None, description="The message again (A1111 clients read either).")
    fields: list[FieldProblemView] | None = Field(default=None, description="Fields at fault, if any.")


class RunPodError(BaseModel):
    """RunPod dialect."""

    error: str = Field(description="Message naming the field and the reason.")
    errors: list[FieldProblemView] | None = Field(default=None, description="Fields at fault, if any.")


class V3Error(BaseModel):
    """stablediffusionapi.com v3: `message`, or `messege` (sic, as upstream) mapping fields to reasons."""

    status: Literal["error"]
    message: str | None = None
    messege: dict[str, list[str]] | str | None = None


ERROR_MODELS: dict[Dialect, type[BaseModel]] = {
    Dialect.NATIVE: NativeError,
    Dialect.TASKS: NativeError,
    Dialect.A1111: A1111Error,
    Dialect.RUNPOD: RunPodError,
    Dialect.V3: V3Error,
}

STATUSES: dict[int, str] = {
    400: "The request is invalid or asks for what this deployment does not have (the field is named); a "
    "body that is not UTF-8 or nests deeper than 32 levels; a value the job store cannot hold.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key may not do this.",
    404: "No such route, pool or job (another owner's job is a 404 too).",
    409: "A taken task id, a job in a state that does not allow this (e.g. retry of a running job), or "
    "(A1111) a cancelled job.",
    410: "The job or its outputs are past their retention.",
    413: "The body is over the deployment's size limit.",
    415: "A Content-Type this API does not read (send JSON; none, `application/json` and `text/plain` are "
    "read as JSON).",
    422: "The body does not match the schema (native and A1111; the other dialects answer 400), or an "
    "Idempotency-Key reused with a different request.",
    500: "An unexpected error (no detail is given), or (A1111) the job failed.",
    503: "A service the API depends on is unavailable; try again later.",
}
A1111_EXTRA = {504: "The job timed out (A1111)."}


def _schemas(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The model's JSON schema and its nested models', keyed by name, with refs into components."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = schema.pop("$defs", {})
    return {model.__name__: schema, **nested}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every operation's error answers (mutated in place and returned)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for model in dict.fromkeys(ERROR_MODELS.values()):
        components.update(_schemas(model))
    for path, operations in document.get("paths", {}).items():
        dialect = registry.for_path(path).dialect
        ref = {"$ref": f"#/components/schemas/{ERROR_MODELS[dialect].__name__}"}
        statuses = {**STATUSES, **(A1111_EXTRA if dialect == Dialect.A1111 else {})}
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in statuses.items():
                if str(status) in responses and str(status) != "422":
                    continue  # the route documents its own answer (e.g. A1111's 202)
                responses[str(status)] = {
                    "description": description,
                    "content": {"application/json": {"schema": ref}},
                }
    return document
