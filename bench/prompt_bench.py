"""Prompt-encoding and LoRA benchmark: the per-job time A1111's prompt language adds.

Builds real-size text encoders with random weights (SD1.5's CLIP-L; with --sdxl also SDXL's CLIP-L +
OpenCLIP-bigG; the weights' values do not change the cost) and, for the LoRA part, a real-size SD1.5 UNet,
then measures, interleaved round by round (medians with min-max):

- encoding a short prompt + negative: diffusers' own `encode_prompt` (77 tokens, truncating) vs ours
  (`inference_container.conditioning`: chunks, emphasis, both CFG halves);
- ours on a 225-token prompt (3 chunks) with a 225-token negative;
- a LoRA (rank 32 on every UNet and text-encoder attention projection, diffusers' file format) applied and
  removed for one job through `LoraLibrary.applied`: cold (new library: file read + load + unload) and
  cached (state dict already in memory).

The tokenizer is the tiny catalog's character-level CLIP tokenizer (the real BPE vocabulary cannot be
downloaded here); token counts, not the vocabulary, set the encoder's cost.

    python bench/prompt_bench.py [--sdxl] [--rounds 5] [--device cpu|cuda]

Prints one line per measurement and a JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lambdas"), str(REPO)]

from bench.container_bench import CLIP_BIGG, CLIP_L, SCHEDULER, SD15_UNET  # noqa: E402

SHORT = "a lighthouse on a cliff, (dramatic sky:1.2), golden hour"
SHORT_NEGATIVE = "blurry, lowres"


def words(tokens: int) -> str:
    """About `tokens` tokens for the character-level tokenizer (one per letter)."""
    text = "a lighthouse on a cliff at dusk, " * (tokens // 20 + 1)
    kept, count = [], 0
    for char in text:
        kept.append(char)
        count += char != " "
        if count >= tokens:
            break
    return "".join(kept)


def summary(samples: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(samples) * 1000, 2),
        "min_ms": round(min(samples) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "n": len(samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sdxl", action="store_true", help="also SDXL's two encoders")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--device", default="cuda" if _cuda() else "cpu")
    parser.add_argument("--no-lora", action="store_true", help="skip the real-size UNet and the LoRA part")
    args = parser.parse_args()

    import torch
    from diffusers import (
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from inference_container.tiny import _tokenizer, _vae

    device = torch.device(args.device)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    torch.set_grad_enabled(False)
    scheduler = EulerDiscreteScheduler(**SCHEDULER)

    def encoder(config, projection=False):
        cls = CLIPTextModelWithProjection if projection else CLIPTextModel
        return cls(CLIPTextConfig(**config, bos_token_id=512, eos_token_id=513, pad_token_id=513)).to(
            device, dtype
        )

    print("building real-size encoders (random weights)…", flush=True)
    sd15 = StableDiffusionPipeline(
        vae=_vae(0.18215, False).to(device, dtype),
        text_encoder=encoder(CLIP_L),
        tokenizer=_tokenizer(),
        unet=UNet2DConditionModel(**SD15_UNET).to(device, dtype)
        if not args.no_lora
        else _tiny_unet(device, dtype),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipes = {"sd15": (sd15, "sd15")}
    if args.sdxl:
        sdxl = StableDiffusionXLPipeline(
            vae=_vae(0.13025, True).to(device, dtype),
            text_encoder=encoder(CLIP_L),
            text_encoder_2=encoder(CLIP_BIGG, projection=True),
            tokenizer=_tokenizer(),
            tokenizer_2=_tokenizer(),
            unet=_tiny_unet(device, dtype, sdxl=True),
            scheduler=scheduler,
        )
        pipes["sdxl"] = (sdxl, "sdxl")

    long_prompt, long_negative = words(225), words(225)
    cases = []
    for name, (pipe, family) in pipes.items():
        cases.append(
            (f"{name} diffusers short (truncating)", lambda p=pipe: _diffusers(p, SHORT, SHORT_NEGATIVE))
        )
        cases.append((f"{name} ours short", lambda p=pipe, f=family: _ours(p, f, SHORT, SHORT_NEGATIVE)))
        cases.append(
            (f"{name} ours 225 tokens", lambda p=pipe, f=family: _ours(p, f, long_prompt, long_negative))
        )
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    results: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _, run in cases:  # warm-up
        run()
    for _ in range(args.rounds):
        for label, run in cases:
            sync()
            started = time.perf_counter()
            run()
            sync()
            results[label].append(time.perf_counter() - started)

    if not args.no_lora:
        results.update(_lora_rounds(sd15, args.rounds, sync))

    report = {
        "machine": f"{platform.machine()} {platform.processor()} {torch.get_num_threads()} threads",
        "device": str(device),
        "dtype": str(dtype),
        "torch": torch.__version__,
        "results": {label: summary(samples) for label, samples in results.items()},
    }
    for label, stats in report["results"].items():
        print(
            f"{label:40s} median {stats['median_ms']:9.2f} ms  (min {stats['min_ms']}, max {stats['max_ms']})"
        )
    print(json.dumps(report, indent=2))
    return 0


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _tiny_unet(device, dtype, sdxl=False):
    from inference_container.tiny import _unet

    return _unet("sdxl" if sdxl else "sd15").to(device, dtype)


def _diffusers(pipe, prompt, negative):
    if hasattr(pipe, "text_encoder_2"):
        return pipe.encode_prompt(prompt, device=pipe.device, negative_prompt=negative)
    return pipe.encode_prompt(prompt, pipe.device, 1, True, negative)


def _ours(pipe, family, prompt, negative):
    from inference_container.conditioning import conditioner_for, encode_prompts
    from sdapi.schema.catalog import Family

    return encode_prompts(conditioner_for(pipe, Family(family)), prompt, negative, steps=20)


def _lora_rounds(pipe, rounds: int, sync) -> dict[str, list[float]]:
    """Apply + remove one rank-32 LoRA for a job, cold (file read) and cached, interleaved."""
    import torch
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    from inference_container.catalog import ModelCatalog
    from inference_container.loras import LoraLibrary, LoraUse
    from sdapi.schema.catalog import Family, ModelEntry
    from sdapi.schema.prompt import LoraRequest

    root = Path(tempfile.mkdtemp(prefix="sdapi-lora-bench-"))
    print("writing a rank-32 LoRA of the real SD1.5 shapes…", flush=True)
    unet_config = LoraConfig(r=32, lora_alpha=32, target_modules=["to_q", "to_k", "to_v", "to_out.0"])
    text_config = LoraConfig(r=32, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "out_proj"])
    pipe.unet.add_adapter(unet_config, adapter_name="bench")
    pipe.text_encoder.add_adapter(text_config, adapter_name="bench")
    unet_layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(pipe.unet, adapter_name="bench"))
    text_layers = convert_state_dict_to_diffusers(
        get_peft_model_state_dict(pipe.text_encoder, adapter_name="bench")
    )
    pipe.unload_lora_weights()
    folder = root / "bench_lora"
    type(pipe).save_lora_weights(folder, unet_lora_layers=unet_layers, text_encoder_lora_layers=text_layers)
    size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
    print(f"LoRA file: {size_mb:.1f} MiB", flush=True)
    entry = ModelEntry(name="bench_lora", family=Family.LORA, base=Family.SD15, path="bench_lora")
    catalog = ModelCatalog(root=root, entries=(entry,))
    use = LoraUse(entry, LoraRequest("bench_lora", 0.8, 0.8))
    cached = LoraLibrary(catalog)

    def job(library):
        with library.applied(pipe, [use]), torch.no_grad():
            pass

    job(cached)  # warm-up fills the cache
    samples: dict[str, list[float]] = {
        "LoRA apply+remove cold (file read)": [],
        "LoRA apply+remove cached": [],
    }
    for _ in range(rounds):
        for label, library in (
            ("LoRA apply+remove cold (file read)", LoraLibrary(catalog)),
            ("LoRA apply+remove cached", cached),
        ):
            sync()
            started = time.perf_counter()
            job(library)
            sync()
            samples[label].append(time.perf_counter() - started)
    return samples


if __name__ == "__main__":
    raise SystemExit(main())
