"""API keys: how a request carries one, how it is checked, how keys are made.

Keys look like `sd_<43 url-safe chars>`; only their SHA-256 (hex) is stored. Each key has an id (shown in
listings, used for revocation), an owner (jobs belong to owners) and a Standard Webhooks signing secret.
Keys and secrets are never logged. Accepted keys are cached per process for `cache_s` (60 s), so a
revocation takes effect within that time; unknown and revoked keys are never cached.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sdapi.errors import Unauthorized

KEY_PREFIX = "sd_"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
_UNAUTHORIZED = "invalid or missing API key"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the owner (jobs belong to it) and the key used."""

    owner: str
    key_id: str


class KeyStore(Protocol):
    def get(self, key_hash: str) -> dict[str, Any] | None: ...
    def put(self, record: dict[str, Any]) -> None: ...


def hash_key(key: str) -> str:
    """Hex SHA-256 of a key: the keys table's partition key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def key_from_request(headers: Mapping[str, str], body_key: str | None = None) -> str | None:
    """The API key a request carries: `x-api-key`, `Authorization: Bearer KEY`, `Authorization: Basic`
    with the key as the password (any user name, as A1111 clients send it), or the v3 body `key`.
    Header names are case-insensitive. None when there is no key at all."""
    lowered = {k.lower(): v for k, v in (headers or {}).items() if isinstance(v, str)}
    direct = lowered.get("x-api-key", "").strip()
    if direct:
        return direct
    authorization = lowered.get("authorization", "").strip()
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return (password.strip() or None) if sep else None
    if isinstance(body_key, str) and body_key.strip():
        return body_key.strip()
    return None


class Authenticator:
    """Checks keys against the keys table, caching positive answers for `cache_s` per process."""

    def __init__(self, keys: KeyStore, cache_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.keys = keys
        self.cache_s = cache_s
        self.clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def authenticate(self, key: str | None) -> Principal:
        """The principal for a key; Unauthorized (one message for missing, unknown and revoked keys)."""
        if not key or not key.strip() or len(key) > 512:
            raise Unauthorized(_UNAUTHORIZED)
        digest = hash_key(key)
        now = self.clock()
        cached = self._cache.get(digest)
        if cached and cached[0] > now:
            return cached[1]
        record = self.keys.get(digest)
        if (
            record is None
            or record.get("revoked")
            or not hmac.compare_digest(str(record.get("key_hash", "")), digest)
        ):
            raise Unauthorized(_UNAUTHORIZED)
        principal = Principal(owner=str(record["owner"]), key_id=str(record["key_id"]))
        with self._lock:
            if len(self._cache) > 1024:
                self._cache.clear()
            self._cache[digest] = (now + self.cache_s, principal)
        return principal


@dataclass(frozen=True)
class CreatedKey:
    """A newly made key: `key` is shown once and never stored."""

    key: str
    key_id: str
    owner: str
    name: str
    webhook_secret: str
    created_at: float


def create_key(
    keys: KeyStore,
    owner: str,
    name: str = "",
    key: str | None = None,
    webhook_secret: str | None = None,
    clock: Callable[[], float] = time.time,
) -> CreatedKey:
    """Make and store a key for `owner`. Pass `key` to register a chosen key (the local dev key)."""
    if not owner:
        raise ValueError("owner is required")
    if key is not None and (not key.strip() or key != key.strip() or len(key) > 512):
        # requests carry keys stripped of surrounding whitespace: such a key could never be presented
        raise ValueError("a chosen key must be 1-512 characters without surrounding whitespace")
    plain = key or new_key()
    secret = webhook_secret or new_webhook_secret()
    created = CreatedKey(
        key=plain,
        key_id="key_" + secrets.token_hex(8),
        owner=owner,
        name=name,
        webhook_secret=secret,
        created_at=clock(),
    )
    keys.put(
        {
            "key_hash": hash_key(plain),
            "key_id": created.key_id,
            "owner": owner,
            "name": name,
            "webhook_secret": secret,
            "created_at": created.created_at,
            "revoked": False,
        }
    )
    return created
