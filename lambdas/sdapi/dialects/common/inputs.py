"""Image inputs as callers send them: base64, `data:` URLs, or http(s) URLs to fetch through the guard."""

from __future__ import annotations

from typing import Any

URL_SCHEMES = ("https://", "http://")


def strip_data_url(value: str) -> str:
    """Return the base64 of a `data:image/png;base64,AAAA` URL (`AAAA`); plain base64 is returned as is."""
    if value.startswith("data:") and "," in value:
        return value.split(",", 1)[1]
    return value


def strip_optional(value: str | None) -> str | None:
    """Return `strip_data_url(value)`, keeping None and empty strings as they are."""
    return strip_data_url(value) if value else value


def is_url(value: Any) -> bool:
    """Tell whether `value` is an http(s) URL (which the api Lambda fetches through the SSRF guard)."""
    return isinstance(value, str) and value[:8].lower().startswith(URL_SCHEMES)
