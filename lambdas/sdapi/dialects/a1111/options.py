"""`POST /sdapi/v1/options`: an API key's own A1111 options, persisted (the jobs table, item
`_options#{key id}`) and used as the defaults of that key's later requests (under each request's own
`override_settings`). A1111's options are server-wide; here each key has its own, so callers sharing a
deployment never change each other's defaults.

The keys a request may override (`overrides.OVERRIDES`: the checkpoint, the VAE, clip skip, the noise
source, ...) are the keys that may be stored; any other is a 400 naming it. Values are checked as a request's
would be (an unknown checkpoint or VAE is a 400 naming it); nothing is stored when one fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdapi.dialects.a1111.overrides import OVERRIDES, read_overrides
from sdapi.dialects.common import choose_model
from sdapi.errors import InvalidRequest
from sdapi.schema.catalog import Catalog, Family


def check_options(body: Any, catalog: Catalog) -> dict[str, Any]:
    """Return the options to store from a `POST /sdapi/v1/options` body (errors name the body's keys)."""
    if not isinstance(body, Mapping):
        raise InvalidRequest.field("body", "must be a JSON object of option names to values")
    options = dict(body)
    overrides = read_overrides(options, prefix="")
    if overrides.model is not None:
        choice = choose_model(catalog, overrides.model, field_name="sd_model_checkpoint")
        options["sd_model_checkpoint"] = choice.model
    if overrides.vae is not None:
        entry = catalog.find(overrides.vae)
        if entry is None or entry.family != Family.VAE:
            available = [e.name for e in catalog.models if e.family == Family.VAE]
            raise InvalidRequest.field(
                "sd_vae", f"VAE {overrides.vae!r} is not in this deployment; available: {available}"
            )
        options["sd_vae"] = entry.name
    return options


def options_with(listing: dict[str, Any], stored: Mapping[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The `GET /sdapi/v1/options` listing with the key's stored options in place of the defaults."""
    merged = {**listing, **{k: v for k, v in stored.items() if k in OVERRIDES}}
    model = stored.get("sd_model_checkpoint")
    entry = catalog.find(model) if isinstance(model, str) else None
    if entry is not None:
        merged["sd_model_checkpoint"] = entry.title or entry.name
        merged["sd_checkpoint_hash"] = entry.hash
    return merged
