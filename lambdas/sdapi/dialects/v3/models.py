"""The v3 request models: numbers may be strings, flags are "yes"/"no" (or booleans)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sdapi.dialects.common import DEFAULT_SAMPLER


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
OptionalInt = Annotated[int | None, BeforeValidator(_blank_none)]


class V3Request(BaseModel):
    """Body of `/api/v3/text2img`, `/img2img` and `/inpaint` (numbers may be strings)."""

    model_config = ConfigDict(extra="allow")

    key: str | None = Field(default=None, description="Your API key.", repr=False)
    model_id: str | None = Field(
        default=None, description="Checkpoint from the catalog (default: the default)."
    )
    prompt: str | None = Field(default="", description="What to draw.")
    negative_prompt: str | None = Field(default=None, description="What to avoid.")
    init_image: str | None = Field(default=None, description="URL of the initial image (img2img, inpaint).")
    mask_image: str | None = Field(default=None, description="URL of the mask (inpaint); white is repainted.")
    width: int = Field(default=512, ge=64, le=1024, description="Max 1024.")
    height: int = Field(default=512, ge=64, le=1024, description="Max 1024.")
    samples: int = Field(default=1, ge=1, le=4, description="Number of images, 1-4.")
    num_inference_steps: int = Field(default=30, ge=1, description="Denoising steps.")
    safety_checker: YesNo = Field(default=None, description='"yes"/"no": blank out NSFW images.')
    enhance_prompt: YesNo = Field(default="yes", description="Accepted; prompts are used as given.")
    guidance_scale: float = Field(default=7.5, ge=1, le=20, description="Classifier-free guidance, 1-20.")
    strength: float = Field(default=0.7, ge=0, le=1, description="How much to change the init image, 0-1.")
    scheduler: str | None = Field(
        default=None, description=f'A1111 sampler name (default "{DEFAULT_SAMPLER}").'
    )
    seed: OptionalInt = Field(default=None, description="null for a random seed.")
    base64: YesNo = Field(default="no", description='"yes": output holds base64 PNGs instead of URLs.')
    webhook: str | None = Field(default=None, description="URL POSTed the fetch body when the job ends.")
    track_id: str | int | None = Field(default=None, description="Echoed in the webhook body.")
    lora_model: str | None = Field(
        default=None, description="LoRA names from the catalog, comma-separated (several at once)."
    )
    lora_strength: str | float | None = Field(
        default=None,
        description="LoRA weight(s), comma-separated in `lora_model`'s order; one value applies to all "
        "(default 1).",
    )
    embeddings_model: str | None = Field(
        default=None,
        description="Textual-inversion embedding(s) from the catalog, comma-separated; use each by its name "
        "in the prompt.",
    )


class V3KeyOnly(BaseModel):
    """Body of `/api/v3/fetch/{id}` and `/api/v3/system_load`."""

    model_config = ConfigDict(extra="allow")

    key: str | None = Field(default=None, description="Your API key.", repr=False)
