"""The fingerprint of a request for `Idempotency-Key` checks: a reused key with a different request is
refused (422, as Stripe and the IETF idempotency-key draft do), the same request replays the first job.

Normalised request = method, path (it names the dialect, the operation and RunPod's pool) and the JSON body
parsed and re-serialised with sorted keys and no whitespace, without the v3 body `key` (a credential, and
the same owner may hold several keys). Query strings do not change what a submit creates and are left out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

CREDENTIAL_FIELDS = ("key",)


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """Hex SHA-256 of the normalised request (see the module doc)."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in CREDENTIAL_FIELDS}
    canonical = json.dumps(
        [method.upper(), path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
