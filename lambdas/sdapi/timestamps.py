"""Timestamps as the public events and webhook bodies show them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ts: float) -> str:
    """Return epoch seconds as an ISO 8601 UTC time with milliseconds (`2026-12-01T22:04:32.000Z`)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
