"""The v3 request models: numbers may be strings, flags are "yes"/"no" (or booleans)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sdapi.dialects.common import DEFAULT_SAMPLER
from sdapi.schema.handling import applied, no_effect, refused


def _yes_no(value: Any) -> Any:
    """Read v3's yes/no flags: booleans, "true"/"1" and "false"/"0"/"none"/"" as "yes" or "no"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("yes", "true", "1"):
            return "yes"
        if lowered in ("no", "false", "0", "none", ""):
            return "no"
    return value


def _blank_none(value: Any) -> Any:
    """Read a blank string as "not given" (v3 clients send `"seed": ""`)."""
    return None if isinstance(value, str) and not value.strip() else value


YesNo = Annotated[Literal["yes", "no"] | None, BeforeValidator(_yes_no)]


def _yes_no_or_factor(value: Any) -> Any:
    """v3's `upscale`: yes/no (as `_yes_no` reads them) or a factor, possibly as a string ("3"; "1" is a
    factor of 1 here, not "yes")."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _yes_no(value)


YesNoOrFactor = Annotated[Literal["yes", "no"] | float | None, BeforeValidator(_yes_no_or_factor)]
OptionalInt = Annotated[int | None, BeforeValidator(_blank_none)]


def _not_offered(feature: str, what: str) -> Any:
    """A v3 yes/no flag for a feature this deployment does not have: "yes" is a 400 naming it."""
    return Field(
        default=None,
        description=f'"yes": {what} (not supported: must be "no").',
        json_schema_extra=refused(f"{feature} is not supported by this deployment", "no"),
    )


class V3Request(BaseModel):
    """Body of `/api/v3/text2img`, `/img2img` and `/inpaint` (numbers may be strings)."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(
        default=None,
        description="Your API key.",
        repr=False,
        json_schema_extra=applied("authenticates the call"),
    )
    model_id: str | None = Field(
        default=None,
        description="Checkpoint from the catalog (default: the default).",
        json_schema_extra=applied(),
    )
    prompt: str | None = Field(default="", description="What to draw.", json_schema_extra=applied())
    negative_prompt: str | None = Field(
        default=None, description="What to avoid.", json_schema_extra=applied()
    )
    init_image: str | None = Field(
        default=None, description="URL of the initial image (img2img, inpaint).", json_schema_extra=applied()
    )
    mask_image: str | None = Field(
        default=None,
        description="URL of the mask (inpaint); white is repainted.",
        json_schema_extra=applied(),
    )
    width: int = Field(default=512, ge=64, le=1024, description="Max 1024.", json_schema_extra=applied())
    height: int = Field(default=512, ge=64, le=1024, description="Max 1024.", json_schema_extra=applied())
    samples: int = Field(
        default=1, ge=1, le=4, description="Number of images, 1-4.", json_schema_extra=applied()
    )
    num_inference_steps: int = Field(
        default=30, ge=1, description="Denoising steps.", json_schema_extra=applied()
    )
    safety_checker: YesNo = Field(
        default=None, description='"yes"/"no": blank out NSFW images.', json_schema_extra=applied()
    )
    enhance_prompt: YesNo = Field(
        default="yes",
        description="Prompt enhancement (prompts are used as given).",
        json_schema_extra=no_effect(
            "prompts are used exactly as sent (so that a seed reproduces its image); "
            "no prompt enhancer is offered"
        ),
    )
    guidance_scale: float = Field(
        default=7.5, ge=1, le=20, description="Classifier-free guidance, 1-20.", json_schema_extra=applied()
    )
    strength: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="How much to change the init image, 0-1.",
        json_schema_extra=applied(),
    )
    scheduler: str | None = Field(
        default=None,
        description=f'A1111 sampler name (default "{DEFAULT_SAMPLER}").',
        json_schema_extra=applied(),
    )
    seed: OptionalInt = Field(
        default=None, description="null for a random seed.", json_schema_extra=applied()
    )
    base64: YesNo = Field(
        default="no",
        description='"yes": output holds base64 PNGs instead of URLs.',
        json_schema_extra=applied(),
    )
    webhook: str | None = Field(
        default=None, description="URL POSTed the fetch body when the job ends.", json_schema_extra=applied()
    )
    track_id: str | int | None = Field(
        default=None, description="Echoed in the webhook body.", json_schema_extra=applied()
    )
    lora_model: str | None = Field(
        default=None,
        description="LoRA names from the catalog, comma-separated (several at once).",
        json_schema_extra=applied(),
    )
    lora_strength: str | float | None = Field(
        default=None,
        description="LoRA weight(s), comma-separated in `lora_model`'s order; one value applies to all "
        "(default 1).",
        json_schema_extra=applied(),
    )
    embeddings_model: str | None = Field(
        default=None,
        description="Textual-inversion embedding(s) from the catalog, comma-separated; use each by its name "
        "in the prompt.",
        json_schema_extra=applied(),
    )
    clip_skip: OptionalInt = Field(
        default=None, description="CLIP layers to skip (A1111 clip skip, 1-12).", json_schema_extra=applied()
    )
    vae: str | None = Field(
        default=None,
        description="VAE from the catalog (default: the checkpoint's own).",
        json_schema_extra=applied(),
    )
    use_karras_sigmas: YesNo = Field(
        default=None,
        description='"yes": the Karras schedule (unless `scheduler` names one).',
        json_schema_extra=applied(),
    )
    upscale: YesNoOrFactor = Field(
        default=None,
        description='"yes": each image upscaled 2x after generation (a number: by that factor, 1-8), with '
        'the pool\'s first upscaler model (else Lanczos); 1 or "no": as generated.',
        json_schema_extra=applied(),
    )
    panorama: YesNo = _not_offered("panorama generation", "a panorama")
    self_attention: YesNo = _not_offered("self-attention guidance", "self-attention guidance")
    tomesd: YesNo = _not_offered("token merging", "token merging (ToMe)")
    multi_lingual: YesNo = _not_offered("prompt translation", "translate a non-English prompt")


class V3KeyOnly(BaseModel):
    """Body of `/api/v3/fetch/{id}` and `/api/v3/system_load`."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(
        default=None,
        description="Your API key.",
        repr=False,
        json_schema_extra=applied("authenticates the call"),
    )
