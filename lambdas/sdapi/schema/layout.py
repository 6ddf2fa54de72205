"""Where a job's outputs may be written in the bucket: the one rule the door (job prefixes, task prefixes),
the container (each key it writes) and the IAM grants (`infra/storage.py`) share.

Jobs write under `outputs/{id}/`; SD-on-EKS tasks under their own `{prefix}/{id}/` (or `{id}/`) from the
bucket's root, as the queue agent does. Every key is plain (no empty, `.` or `..` segment: S3 keeps them, URL
clients collapse them) and outside the roots the deployment keeps for itself.
"""

from __future__ import annotations

OUTPUTS_ROOT = "outputs/"
"""Where the jobs of every dialect but tasks write (`outputs/{id}/`)."""

TASKS_ROOT = ""
"""Where SD-on-EKS tasks' folders start: the bucket's root (`{prefix}/{id}/`), as the queue agent writes."""

COMPILE_CACHE_ROOT = "compile-cache/"
"""The portable compile caches, one folder per pool (`compile-cache/{pool}/`): the only reserved root a
container writes (its own pool's folder; everything under `models/` is the operator's and read-only)."""

RESERVED_ROOTS = ("inputs", "uploads", "async-output", "async-failure", "models", COMPILE_CACHE_ROOT[:-1])
"""The bucket's own top-level folders (job inputs, presigned uploads, SageMaker's results, staged models,
compile caches): no output is ever written under them (the roles that write outputs are denied them too)."""


def compile_cache_prefix(pool: str) -> str:
    """The key prefix of `pool`'s compile cache files."""
    return f"{COMPILE_CACHE_ROOT}{pool}/"


def key_problem(key: str) -> str | None:
    """Why `key` (an output key or a prefix ending in '/') may not be written, or None when it may."""
    segments = key.removesuffix("/").split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "must not contain empty, '.' or '..' segments"
    if segments[0] in RESERVED_ROOTS:
        return f"must not start with a folder the deployment reserves ({', '.join(RESERVED_ROOTS)})"
    return None


OUTPUT_TAG = ("sdapi-retention", "outputs")
"""The tag every output object is written with: SD-on-EKS tasks write outside `outputs/`, the bucket's outputs
retention rule finds their objects by it, and the roles' whole-bucket write grant requires it."""

OUTPUT_TAGGING = f"{OUTPUT_TAG[0]}={OUTPUT_TAG[1]}"
"""`OUTPUT_TAG` as S3's `Tagging` parameter of PutObject."""
