"""One minimal valid submit per dialect, and how to tell each dialect's error shape, for the tests that
send the same hostile input to every dialect (malformed bodies, free-form fields, idempotency keys)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

_task_ids = itertools.count(1)


@dataclass(frozen=True)
class Dialect:
    name: str
    path: str
    build: Callable[[str], dict[str, Any]]
    """A valid body (`key`: the API key, which only v3 carries in the body)."""
    context: Callable[[dict[str, Any], Any], dict[str, Any]]
    """The body with its free-form `context` (or the dialect's nearest free-form field) set."""
    is_error_shape: Callable[[Any], bool]


def _task(key: str) -> dict[str, Any]:
    return {
        "task": {
            "metadata": {"id": f"t-{next(_task_ids)}", "runtime": "sdxl", "tasktype": "text-to-image"},
            "content": {"prompt": "x", "steps": 2},
        }
    }


def _with(path: tuple[str, ...]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def put(body: dict[str, Any], value: Any) -> dict[str, Any]:
        changed = copy.deepcopy(body)
        target = changed
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return changed

    return put


DIALECTS = [
    Dialect(
        "native",
        "/v1/jobs",
        lambda key: {"prompt": "x", "steps": 2},
        _with(("context",)),
        lambda b: isinstance(b, dict) and isinstance(b.get("error"), dict) and "message" in b["error"],
    ),
    Dialect(
        "a1111",
        "/sdapi/v1/txt2img",
        lambda key: {"prompt": "x", "steps": 2},
        _with(("alwayson_scripts",)),
        lambda b: isinstance(b, dict) and isinstance(b.get("error"), str) and "detail" in b,
    ),
    Dialect(
        "runpod",
        "/v2/sdxl/run",
        lambda key: {"input": {"prompt": "x", "steps": 2}},
        _with(("input", "alwayson_scripts")),
        lambda b: isinstance(b, dict) and isinstance(b.get("error"), str),
    ),
    Dialect(
        "v3",
        "/api/v3/text2img",
        lambda key: {"key": key, "prompt": "x", "num_inference_steps": 2},
        _with(("webhook_context",)),
        lambda b: isinstance(b, dict) and b.get("status") == "error",
    ),
    Dialect(
        "tasks",
        "/v1alpha2",
        _task,
        _with(("task", "metadata", "context")),
        lambda b: isinstance(b, dict) and isinstance(b.get("error"), dict) and "message" in b["error"],
    ),
]
BY_NAME = {d.name: d for d in DIALECTS}


def job_items(jobs_table: str) -> list[dict[str, Any]]:
    """Every job item in the table (counters and idempotency markers left out)."""
    items = boto3.client("dynamodb").scan(TableName=jobs_table)["Items"]
    return [i for i in items if "#" not in i["id"]["S"]]


LEAKS = ("Traceback", 'File "', "arn:aws", "amazonaws.com", "127.0.0.1", "localhost", "botocore")


def leaked(text: str, bucket: str) -> list[str]:
    """What an error body must never carry (stack traces, ARNs, AWS hosts, internal hosts, the bucket)."""
    return [marker for marker in (*LEAKS, bucket) if marker in text]
