"""A1111 `override_settings`: each key is applied (mapped onto the job) or refused with a 400 naming it.

`OVERRIDES` is the table of the keys this deployment applies (the inventory in `docs/request-fields.md` is
generated from it); any other key is refused, listing these. Values equal to what the deployment does anyway
are applied like any other (they simply change nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sdapi.dialects.common import NO_MODEL
from sdapi.errors import InvalidRequest

NO_VAE = ("", *NO_MODEL)
"""`sd_vae` values that mean the checkpoint's own VAE."""

DEFAULT_CLIP_SKIP = 1

OVERRIDES: dict[str, str] = {
    "sd_model_checkpoint": "the checkpoint (name or title from `GET /sdapi/v1/sd-models`)",
    "sd_vae": 'the VAE ("Automatic" or "None": the checkpoint\'s own)',
    "CLIP_stop_at_last_layers": "clip skip",
    "sdxl_clip_l_skip": "clip skip also on SDXL's CLIP-L",
    "face_restoration_model": "the face restorer used by `restore_faces`",
    "code_former_weight": "CodeFormer's weight when `restore_faces` runs CodeFormer (0-1, default 0.5)",
    "randn_source": "where all noise is drawn (initial and per-step): GPU (A1111's default), CPU or NV",
    "eta_noise_seed_delta": "added to the seed of the sampler's own noise (ENSD)",
    "eta_ddim": "DDIM's eta when the request's `eta` is null",
    "eta_ancestral": "the ancestral / SDE samplers' eta when the request's `eta` is null",
    "samples_format": 'image format: only "png"',
    "filter_nsfw": "true: run the deployment's safety checker, a flagged image becomes black (the option of "
    "A1111's nsfw-censor extension; as there, the answer carries no flag)",
}
"""The `override_settings` keys this deployment applies, and what each sets."""

NOISE_SOURCES = ("GPU", "CPU", "NV")


@dataclass(frozen=True)
class Overrides:
    """What a request's `override_settings` ask for, read key by key."""

    model: str | None = None
    vae: str | None = None
    clip_skip: Any = DEFAULT_CLIP_SKIP
    sdxl_clip_l_skip: bool = False
    face_restorer: str | None = None
    codeformer_weight: Any = None
    noise_source: Any = None
    eta_noise_seed_delta: Any = None
    eta_ddim: Any = None
    eta_ancestral: Any = None
    safety_checker: bool = False

    def job_fields(self) -> dict[str, Any]:
        """The canonical job fields these overrides set (those left unset keep the job's defaults)."""
        fields: dict[str, Any] = {
            "vae": self.vae,
            "clip_skip": self.clip_skip,
            "sdxl_clip_l_skip": self.sdxl_clip_l_skip,
            "face_restorer": self.face_restorer,
        }
        if self.safety_checker:
            fields["safety_checker"] = True
        if self.codeformer_weight is not None:
            fields["codeformer_weight"] = self.codeformer_weight
        if self.noise_source is not None:
            fields["noise_source"] = self.noise_source
        if self.eta_noise_seed_delta is not None:
            fields["eta_noise_seed_delta"] = self.eta_noise_seed_delta
        return fields


def read_overrides(settings: dict[str, Any] | None, prefix: str = "override_settings.") -> Overrides:
    """Return what `settings` ask for; a key not in `OVERRIDES`, or a value it cannot take, is a 400 naming
    `{prefix}<key>`."""
    settings = settings or {}

    def _field(key: str) -> str:
        return f"{prefix}{key}"

    unknown = [key for key in settings if key not in OVERRIDES]
    if unknown:
        raise InvalidRequest.field(
            _field(unknown[0]),
            f"this setting is not supported by this deployment; supported keys: {sorted(OVERRIDES)}",
        )
    vae = settings.get("sd_vae")
    source = settings.get("randn_source")
    if source is not None:
        if not isinstance(source, str) or source.strip().upper() not in NOISE_SOURCES:
            raise InvalidRequest.field(_field("randn_source"), f"must be one of {list(NOISE_SOURCES)}")
        source = source.strip().upper()
    filter_nsfw = settings.get("filter_nsfw", False)
    if not isinstance(filter_nsfw, bool):
        raise InvalidRequest.field(_field("filter_nsfw"), "must be true or false")
    samples_format = settings.get("samples_format")
    if samples_format is not None and str(samples_format).strip().lower() != "png":
        raise InvalidRequest.field(_field("samples_format"), 'only "png" is supported')
    return Overrides(
        model=settings.get("sd_model_checkpoint"),
        vae=None if not isinstance(vae, str) or vae.strip().lower() in NO_VAE else vae,
        clip_skip=settings.get("CLIP_stop_at_last_layers", DEFAULT_CLIP_SKIP),
        sdxl_clip_l_skip=bool(settings.get("sdxl_clip_l_skip", False)),
        face_restorer=settings.get("face_restoration_model") or None,
        codeformer_weight=settings.get("code_former_weight"),
        noise_source=source,
        eta_noise_seed_delta=settings.get("eta_noise_seed_delta"),
        eta_ddim=settings.get("eta_ddim"),
        eta_ancestral=settings.get("eta_ancestral"),
        safety_checker=filter_nsfw,
    )
