"""The model catalog of the local stack and the tests: two pools with the model names the seeds use."""

from __future__ import annotations

from sdapi.schema.catalog import Catalog, Family, ModelEntry, Pool

DEFAULT_POOL = "sdxl"


def local_catalog(endpoint_prefix: str = "sdapi") -> Catalog:
    """Pool `sdxl` (default): SDXL base, refiner, VAE, CodeFormer. Pool `sd15`: SD 1.5, canny ControlNet,
    CodeFormer. Endpoint names are `{endpoint_prefix}-{pool}`."""
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
        ModelEntry(name="CodeFormer", family=Family.FACE_RESTORER, path="CodeFormer"),
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
    )
    pools = (
        Pool(
            name="sdxl",
            endpoint_name=f"{endpoint_prefix}-sdxl",
            default_model="sd_xl_base_1.0",
            models=("sd_xl_base_1.0", "sd_xl_refiner_1.0", "sdxl_vae", "CodeFormer"),
        ),
        Pool(
            name="sd15",
            endpoint_name=f"{endpoint_prefix}-sd15",
            default_model="v1-5-pruned-emaonly",
            models=("v1-5-pruned-emaonly", "control_v11p_sd15_canny", "CodeFormer"),
        ),
    )
    return Catalog(models=models, pools=pools, default_pool=DEFAULT_POOL)
