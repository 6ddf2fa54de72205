"""Which text encoders a pipeline has and which A1111 layer rule each follows."""

from __future__ import annotations

from inference_container.conditioning.encoders import Layer, TextEncoder
from inference_container.conditioning.schedule import Conditioner
from sdapi.schema.catalog import Family


def conditioner_for(pipe, family: Family, clip_skip: int = 1, sdxl_clip_l_skip: bool = False) -> Conditioner:
    """SD1.5: its CLIP-L. SDXL: CLIP-L and OpenCLIP-G, concatenated. The refiner: OpenCLIP-G only."""
    if family == Family.SD15:
        return Conditioner([TextEncoder(pipe.tokenizer, pipe.text_encoder, Layer.SD15, clip_skip)])
    encoders = []
    if getattr(pipe, "text_encoder", None) is not None:
        encoders.append(
            TextEncoder(pipe.tokenizer, pipe.text_encoder, Layer.SDXL_L, clip_skip, sdxl_clip_l_skip)
        )
    encoders.append(TextEncoder(pipe.tokenizer_2, pipe.text_encoder_2, Layer.SDXL_G))
    return Conditioner(encoders, zero_empty_negative=True)
