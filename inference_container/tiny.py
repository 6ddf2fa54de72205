"""A tiny random-weight model catalog, built from configs (no hub, no downloads) and saved like real models.

Every model has the real architecture *shape* of its family (SD1.5: one CLIP text encoder and a 4-channel
UNet; SDXL: two text encoders, `text_time` conditioning; the refiner: the second encoder only and the
aesthetic score; VAEs with the real latent scale factor 8 and 4 latent channels) but a few thousand
parameters, so a 1024x1024, 30-step SDXL + refiner request runs in seconds on a laptop CPU. Images are
noise; every code path is real: the container loads these folders through the same `from_pretrained` calls
it uses for real models.

Used by the container tests (session fixture), by `make local` (the default catalog) and by the benchmark's
`--tiny` mode.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

TINY_VERSION = "6"
"""Bumped when the tiny architectures change; older cached folders are rebuilt."""

DEFAULT_NAMES = (
    "sd_xl_base_1.0",
    "sd_xl_refiner_1.0",
    "sdxl_vae",
    "CodeFormer",
    "GFPGAN",
    "ESRGAN_4x",
    "R-ESRGAN General 4xV3",
    "v1-5-pruned-emaonly",
    "control_v11p_sd15_canny",
    "add_detail",
    "sd_xl_offset_example-lora_1.0",
    "easynegative",
    "unaestheticXLv31",
)
"""The local-mode catalog: pool sdxl (base, refiner, VAE, CodeFormer, GFPGAN, two upscalers, a LoRA, an
embedding) and pool sd15 (checkpoint, canny, the same restorers and upscalers, a LoRA, an embedding); the
local stack (`local/catalog.py`) adds `safety_checker_flags_all` to pool sd15."""

# name → (family, base, aliases)
_KNOWN: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "sd_xl_base_1.0": ("sdxl", None, ("sd_xl_base_1.0.safetensors",)),
    "sd_xl_refiner_1.0": ("sdxl-refiner", None, ("sd_xl_refiner_1.0.safetensors",)),
    "sdxl_vae": ("vae", "sdxl", ("sdxl_vae.safetensors",)),
    "CodeFormer": ("face-restorer", None, ()),
    "GFPGAN": ("face-restorer", None, ()),
    "ESRGAN_4x": ("upscaler", None, ()),
    "R-ESRGAN General 4xV3": ("upscaler", None, ()),
    "v1-5-pruned-emaonly": ("sd15", None, ("v1-5-pruned-emaonly.safetensors",)),
    "control_v11p_sd15_canny": ("controlnet", "sd15", ()),
    "control_sdxl_canny": ("controlnet", "sdxl", ()),
    "sd15_vae": ("vae", "sd15", ("vae-ft-mse-840000-ema-pruned.safetensors",)),
    "sd15_inpainting": ("sd15", None, ()),
    "safety_checker": ("safety-checker", None, ()),
    "safety_checker_flags_all": ("safety-checker", None, ()),
    "add_detail": ("lora", "sd15", ("add_detail.safetensors",)),
    "sd_xl_offset_example-lora_1.0": ("lora", "sdxl", ()),
    "easynegative": ("embedding", "sd15", ("easynegative.safetensors",)),
    "unaestheticXLv31": ("embedding", "sdxl", ()),
}
_SPANDREL: dict[str, dict[str, object]] = {
    "CodeFormer": {"architecture": "CodeFormer", "path": "CodeFormer"},
    "GFPGAN": {"architecture": "GFPGAN", "path": "GFPGAN"},
    "ESRGAN_4x": {"architecture": "ESRGAN", "scale": 4, "path": "ESRGAN_4x"},
    "R-ESRGAN General 4xV3": {"architecture": "Compact", "scale": 4, "path": "realesr-general-x4v3"},
}
"""Catalog fields of the spandrel models (upscalers, face restorers): architecture, scale, folder."""
LORA_FILE = "pytorch_lora_weights.safetensors"
"""A tiny LoRA folder holds diffusers' LoRA file (what `save_lora_weights` writes, peft key names)."""

TEXT_DIM = 32
"""Hidden size of the tiny CLIP text encoders (SDXL's UNet sees 2 x 32 = 64 as cross-attention width)."""
BLOCKS = (4, 8, 16)
"""UNet channels: far below (32, 64), which already takes about 1 s per step at 1024² on 2 cores. Attention
only
at the lowest level (1/32 of the image side), so a 1024² request costs a fraction of a second per step."""
DOWN = ("DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D")
UP = ("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D")
HEADS = (2, 2, 2)


def _tokenizer():
    """A byte-level CLIP tokenizer with no merges, built in memory (every character is a token)."""
    from transformers import CLIPTokenizer

    bs = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    chars = [chr(c) for c in cs]
    vocab: dict[str, int] = {}
    for token in [*chars, *(c + "</w>" for c in chars), "<|startoftext|>", "<|endoftext|>"]:
        vocab.setdefault(token, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def _text_encoder(projection: bool):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(
        vocab_size=1000,
        hidden_size=TEXT_DIM,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=TEXT_DIM,
        hidden_act="quick_gelu",
        bos_token_id=512,
        eos_token_id=513,
        pad_token_id=513,
    )
    return CLIPTextModelWithProjection(config) if projection else CLIPTextModel(config)


def _vae(scaling_factor: float, force_upcast: bool):
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 8, 8, 8),
        layers_per_block=1,
        norm_num_groups=4,
        sample_size=64,
        scaling_factor=scaling_factor,
        force_upcast=force_upcast,
        mid_block_add_attention=False,
    )


def _unet(kind: str, in_channels: int = 4):
    from diffusers import UNet2DConditionModel

    common = dict(
        sample_size=16,
        in_channels=in_channels,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=BLOCKS,
        down_block_types=DOWN,
        up_block_types=UP,
        norm_num_groups=4,
        attention_head_dim=HEADS,
    )
    if kind == "sd15":
        return UNet2DConditionModel(cross_attention_dim=TEXT_DIM, **common)
    time_ids = (
        6 if kind == "sdxl" else 5
    )  # the refiner conditions on an aesthetic score instead of a target size
    return UNet2DConditionModel(
        cross_attention_dim=TEXT_DIM * 2 if kind == "sdxl" else TEXT_DIM,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=8 * time_ids + TEXT_DIM,
        use_linear_projection=True,
        **common,
    )


def _scheduler():
    from diffusers import EulerDiscreteScheduler

    return EulerDiscreteScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )


def _save_sd15(folder: Path, inpainting: bool = False) -> None:
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(
        vae=_vae(0.18215, False),
        text_encoder=_text_encoder(False),
        tokenizer=_tokenizer(),
        unet=_unet("sd15", 9 if inpainting else 4),
        scheduler=_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=True)


def _save_sdxl(folder: Path) -> None:
    from diffusers import StableDiffusionXLPipeline

    pipe = StableDiffusionXLPipeline(
        vae=_vae(0.13025, True),
        text_encoder=_text_encoder(False),
        text_encoder_2=_text_encoder(True),
        tokenizer=_tokenizer(),
        tokenizer_2=_tokenizer(),
        unet=_unet("sdxl"),
        scheduler=_scheduler(),
    )
    pipe.save_pretrained(folder, safe_serialization=True)


def _save_refiner(folder: Path) -> None:
    from diffusers import StableDiffusionXLImg2ImgPipeline

    pipe = StableDiffusionXLImg2ImgPipeline(
        vae=_vae(0.13025, True),
        text_encoder=None,
        text_encoder_2=_text_encoder(True),
        tokenizer=None,
        tokenizer_2=_tokenizer(),
        unet=_unet("refiner"),
        scheduler=_scheduler(),
        requires_aesthetics_score=True,
        force_zeros_for_empty_prompt=False,
    )
    pipe.save_pretrained(folder, safe_serialization=True)


def _save_controlnet(folder: Path, base: str) -> None:
    from diffusers import ControlNetModel

    extra = (
        {}
        if base == "sd15"
        else dict(
            addition_embed_type="text_time",
            addition_time_embed_dim=8,
            projection_class_embeddings_input_dim=8 * 6 + TEXT_DIM,
            use_linear_projection=True,
        )
    )
    controlnet = ControlNetModel(
        in_channels=4,
        block_out_channels=BLOCKS,
        layers_per_block=1,
        norm_num_groups=4,
        down_block_types=DOWN,
        attention_head_dim=HEADS,
        cross_attention_dim=TEXT_DIM if base == "sd15" else TEXT_DIM * 2,
        conditioning_embedding_out_channels=(8, 8, 16, 16),
        **extra,
    )
    # A fresh ControlNet's output convolutions are zero ("zero convs"), so it would change nothing; give them
    # small random weights so the tiny model steers the UNet like a trained one does.
    import torch

    for conv in [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]:
        torch.nn.init.normal_(conv.weight, std=0.2)
    controlnet.save_pretrained(folder, safe_serialization=True)


def _save_safety_checker(folder: Path, *, flags_everything: bool = False) -> None:
    """diffusers' safety checker on a tiny random CLIP. Left as built, its concept thresholds (1.0) are never
    exceeded by a cosine similarity, so it flags nothing; `flags_everything` lowers them below any cosine
    similarity, so that it flags every image (the local stack's deterministic stand-in for NSFW content)."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    tiny = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4)
    config = CLIPConfig(
        text_config=dict(**tiny, vocab_size=1000, eos_token_id=2, bos_token_id=1, pad_token_id=1),
        vision_config=dict(**tiny, image_size=32, patch_size=8),
        projection_dim=32,
    )
    checker = StableDiffusionSafetyChecker(config)
    if flags_everything:
        checker.concept_embeds_weights.data.fill_(-10.0)
        checker.special_care_embeds_weights.data.fill_(-10.0)
    checker.save_pretrained(folder, safe_serialization=True)
    processor = CLIPImageProcessor(crop_size={"height": 32, "width": 32}, size={"shortest_edge": 32})
    processor.save_pretrained(folder)


def _save_lora(folder: Path, base: str) -> None:
    """Random LoRA weights for the base family's UNet attention and text-encoder attention (peft, rank 4),
    saved by diffusers' own `save_lora_weights`."""
    import torch
    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    def layers(model, targets):
        model.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=targets))
        weights = get_peft_model_state_dict(model)
        for key, value in weights.items():
            if "lora_B" in key:  # peft starts B at zero (no effect); a trained LoRA's is small but not zero
                weights[key] = torch.randn_like(value) * 0.05
        return convert_state_dict_to_diffusers(weights)

    unet = layers(_unet(base), ["to_q", "to_k", "to_v", "to_out.0"])
    text = ["q_proj", "k_proj", "v_proj", "out_proj"]
    if base == "sd15":
        StableDiffusionPipeline.save_lora_weights(
            folder, unet_lora_layers=unet, text_encoder_lora_layers=layers(_text_encoder(False), text)
        )
    else:
        StableDiffusionXLPipeline.save_lora_weights(
            folder,
            unet_lora_layers=unet,
            text_encoder_lora_layers=layers(_text_encoder(False), text),
            text_encoder_2_lora_layers=layers(_text_encoder(True), text),
        )


def _save_embedding(folder: Path, base: str) -> None:
    """A two-vector textual inversion in A1111's safetensors layouts: `emb_params` (SD1.5), `clip_l` and
    `clip_g` (SDXL)."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    vectors = (
        {"emb_params": torch.randn(2, TEXT_DIM)}
        if base == "sd15"
        else {"clip_l": torch.randn(2, TEXT_DIM), "clip_g": torch.randn(2, TEXT_DIM)}
    )
    save_file(vectors, str(folder / f"{folder.name}.safetensors"))


def _save_face_restorer(folder: Path, name: str) -> None:
    """GFPGAN v1.4 or CodeFormer in their real architectures (spandrel's classes) with random weights, saved
    as the released `.pth` files are (`{"params_ema": state_dict}`). spandrel fixes GFPGAN's size (86 M
    parameters); CodeFormer gets the smallest transformer spandrel still reads (its VQGAN is fixed)."""
    import torch

    if name == "GFPGAN":
        from spandrel.architectures.GFPGAN import GFPGAN

        network = GFPGAN(
            out_size=512,
            num_style_feat=512,
            channel_multiplier=2,
            decoder_load_path=None,
            fix_decoder=False,
            num_mlp=8,
            input_is_latent=True,
            different_w=True,
            narrow=1,
            sft_half=True,
        )
        file = "GFPGANv1.4.pth"
    else:
        from spandrel_extra_arches.architectures.CodeFormer import CodeFormer

        network = CodeFormer(
            dim_embd=64,
            n_head=8,
            n_layers=1,
            codebook_size=64,
            latent_size=256,
            connect_list=["32", "64"],
            fix_modules=["quantize", "generator"],
        )
        file = "codeformer.pth"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"params_ema": network.state_dict()}, folder / file)


def _save_upscaler(folder: Path, name: str) -> None:
    """ESRGAN (RRDBNet, the original release's key names) or Real-ESRGAN's compact SRVGG network (its
    release's `{"params": ...}` file), 4x, in their real architectures with a few hundred parameters."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    if name == "ESRGAN_4x":
        from spandrel.architectures.ESRGAN import ESRGAN

        network = ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=4)
        torch.save(network.state_dict(), folder / "ESRGAN_4x.pth")
        return
    from spandrel.architectures.Compact import Compact

    network = Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=4)
    torch.save({"params": network.state_dict()}, folder / "realesr-general-x4v3.pth")


def build_tiny_catalog(root: Path, *, names: Iterable[str] = DEFAULT_NAMES) -> Path:
    """Write tiny models and `catalog.json` (a list of `ModelEntry` with `path`) under `root`; return the path
    of catalog.json. Existing model folders are reused, so a second call is nearly free."""
    import torch

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for name in names:
        if name not in _KNOWN:
            raise ValueError(f"no tiny recipe for {name!r}; known: {sorted(_KNOWN)}")
        family, base, aliases = _KNOWN[name]
        extra = _SPANDREL.get(name, {})
        folder = root / str(extra.get("path", name))
        marker = folder / ".complete"
        if not marker.exists() or marker.read_text() != TINY_VERSION:
            if folder.exists():
                shutil.rmtree(folder)
            torch.manual_seed(sum(map(ord, name)))
            builders = {
                "sd15": lambda f, n=name: _save_sd15(f, inpainting=n == "sd15_inpainting"),
                "sdxl": _save_sdxl,
                "sdxl-refiner": _save_refiner,
                "vae": lambda f, b=base: _vae(0.13025 if b == "sdxl" else 0.18215, False).save_pretrained(
                    f, safe_serialization=True
                ),
                "controlnet": lambda f, b=base: _save_controlnet(f, b),
                "face-restorer": lambda f, n=name: _save_face_restorer(f, n),
                "upscaler": lambda f, n=name: _save_upscaler(f, n),
                "safety-checker": lambda f, n=name: _save_safety_checker(
                    f, flags_everything=n == "safety_checker_flags_all"
                ),
                "lora": lambda f, b=base: _save_lora(f, b),
                "embedding": lambda f, b=base: _save_embedding(f, b),
            }
            builders[family](folder)
            marker.write_text(TINY_VERSION)
        short_hash = f"{sum(map(ord, name)) * 2654435761 % 16**10:010x}"
        entry = {"name": name, "family": family, "path": folder.name, "hash": short_hash}
        entry.update({k: v for k, v in extra.items() if k != "path"})
        if base:
            entry["base"] = base
        if aliases:
            entry["aliases"] = list(aliases)
        entries.append(entry)
    catalog = root / "catalog.json"
    catalog.write_text(json.dumps(entries, indent=2))
    return catalog
