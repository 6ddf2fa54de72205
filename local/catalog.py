"""The model catalog of the local stack and the tests: two pools with the model names the seeds use."""

from __future__ import annotations

from sdapi.schema.catalog import Catalog, Family, ModelEntry, Pool
from sdapi.schema.prompt import Style

DEFAULT_POOL = "sdxl"
LOCAL_STYLES = (
    Style(
        name="cinematic",
        prompt="cinematic still of {prompt}, shallow depth of field, film grain",
        negative_prompt="cartoon, drawing, illustration",
    ),
    Style(name="sharp", prompt="highly detailed, sharp focus", negative_prompt="blurry"),
)
"""The local stack's A1111 prompt styles (a deployment configures its own: `styles` in cdk.json)."""


def local_catalog(endpoint_prefix: str = "sdapi") -> Catalog:
    """Pool `sdxl` (default): SDXL base, refiner, VAE. Pool `sd15`: SD 1.5, canny ControlNet. Both: the
    CodeFormer and GFPGAN face restorers and the ESRGAN_4x and R-ESRGAN General 4xV3 upscalers (tiny random
    weights in their real architectures), a LoRA and an embedding of their family. Pool `sd15` also has a
    safety checker, local-only, that flags every image it checks (a random-weight CLIP cannot judge content;
    this one is deterministic, so the NSFW path can be tested end to end: black image, the flag); v3 requests
    on sd15 therefore run it unless they send `safety_checker: "no"`. Endpoint names are
    `{endpoint_prefix}-{pool}`."""
    models = (
        ModelEntry(
            name="sd_xl_base_1.0",
            family=Family.SDXL,
            path="sd_xl_base_1.0",
            aliases=("sd_xl_base_1.0.safetensors",),
        ),
        ModelEntry(
            name="sd_xl_refiner_1.0",
            family=Family.SDXL_REFINER,
            path="sd_xl_refiner_1.0",
            aliases=("sd_xl_refiner_1.0.safetensors",),
        ),
        ModelEntry(
            name="sdxl_vae",
            family=Family.VAE,
            base=Family.SDXL,
            path="sdxl_vae",
            aliases=("sdxl_vae.safetensors",),
        ),
        ModelEntry(
            name="CodeFormer", family=Family.FACE_RESTORER, path="CodeFormer", architecture="CodeFormer"
        ),
        ModelEntry(name="GFPGAN", family=Family.FACE_RESTORER, path="GFPGAN", architecture="GFPGAN"),
        ModelEntry(
            name="ESRGAN_4x", family=Family.UPSCALER, path="ESRGAN_4x", architecture="ESRGAN", scale=4
        ),
        ModelEntry(
            name="R-ESRGAN General 4xV3",
            family=Family.UPSCALER,
            path="realesr-general-x4v3",
            architecture="Compact",
            scale=4,
        ),
        ModelEntry(
            name="v1-5-pruned-emaonly",
            family=Family.SD15,
            path="v1-5-pruned-emaonly",
            aliases=("v1-5-pruned-emaonly.safetensors",),
        ),
        ModelEntry(
            name="control_v11p_sd15_canny",
            family=Family.CONTROLNET,
            base=Family.SD15,
            path="control_v11p_sd15_canny",
        ),
        ModelEntry(
            name="add_detail",
            family=Family.LORA,
            base=Family.SD15,
            path="add_detail",
            aliases=("add_detail.safetensors",),
        ),
        ModelEntry(
            name="sd_xl_offset_example-lora_1.0",
            family=Family.LORA,
            base=Family.SDXL,
            path="sd_xl_offset_example-lora_1.0",
        ),
        ModelEntry(
            name="easynegative",
            family=Family.EMBEDDING,
            base=Family.SD15,
            path="easynegative",
            aliases=("easynegative.safetensors",),
        ),
        ModelEntry(
            name="unaestheticXLv31", family=Family.EMBEDDING, base=Family.SDXL, path="unaestheticXLv31"
        ),
        ModelEntry(
            name="safety_checker_flags_all", family=Family.SAFETY_CHECKER, path="safety_checker_flags_all"
        ),
    )
    pools = (
        Pool(
            name="sdxl",
            endpoint_name=f"{endpoint_prefix}-sdxl",
            default_model="sd_xl_base_1.0",
            models=(
                "sd_xl_base_1.0",
                "sd_xl_refiner_1.0",
                "sdxl_vae",
                "CodeFormer",
                "GFPGAN",
                "ESRGAN_4x",
                "R-ESRGAN General 4xV3",
                "sd_xl_offset_example-lora_1.0",
                "unaestheticXLv31",
            ),
        ),
        Pool(
            name="sd15",
            endpoint_name=f"{endpoint_prefix}-sd15",
            default_model="v1-5-pruned-emaonly",
            models=(
                "v1-5-pruned-emaonly",
                "control_v11p_sd15_canny",
                "CodeFormer",
                "GFPGAN",
                "ESRGAN_4x",
                "R-ESRGAN General 4xV3",
                "add_detail",
                "easynegative",
                "safety_checker_flags_all",
            ),
        ),
    )
    return Catalog(models=models, pools=pools, default_pool=DEFAULT_POOL, styles=LOCAL_STYLES)
