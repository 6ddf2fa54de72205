"""Inference container benchmark: seconds per image and it/s, our container's pipeline vs plain diffusers.

Builds the real SD1.5 and SDXL (+ refiner) architectures with random weights from the configs below (no hub,
no network: random weights cost exactly the GPU time of trained ones), saves them as diffusers folders, and
times:

- SDXL 1024x1024, 30 steps, without and with the refiner (switch at 0.8);
- SD1.5 512x512, 30 steps;

each through the container (`Worker.generate`: catalog, model cache, scheduler per job, seeds, info text) and
through a plain diffusers pipeline loaded from the same folder, same sampler (DPM++ 2M Karras), same dtype;
plus the time from process start to a healthy `/ping` of `inference_container/serve`.

    python bench/container_bench.py                # on a GPU (fp16); needs about 20 GB of disk for the models
    python bench/container_bench.py --tiny         # tiny random models on the CPU, to prove the script works
    python bench/container_bench.py --check-configs  # build the real architectures on the meta device only

Prints one line per measurement and a JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lambdas"), str(REPO)]

# -- real architectures (the published configs of SD1.5, SDXL base 1.0 and SDXL refiner 1.0) -----------------
CLIP_L = dict(
    vocab_size=49408,
    hidden_size=768,
    intermediate_size=3072,
    num_hidden_layers=12,
    num_attention_heads=12,
    max_position_embeddings=77,
    hidden_act="quick_gelu",
    projection_dim=768,
)
CLIP_BIGG = dict(
    vocab_size=49408,
    hidden_size=1280,
    intermediate_size=5120,
    num_hidden_layers=32,
    num_attention_heads=20,
    max_position_embeddings=77,
    hidden_act="gelu",
    projection_dim=1280,
)
VAE = dict(
    in_channels=3,
    out_channels=3,
    latent_channels=4,
    block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    layers_per_block=2,
    norm_num_groups=32,
    sample_size=512,
)
SD15_UNET = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    cross_attention_dim=768,
    attention_head_dim=8,
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
)
SDXL_UNET = dict(
    sample_size=128,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    block_out_channels=(320, 640, 1280),
    transformer_layers_per_block=(1, 2, 10),
    attention_head_dim=(5, 10, 20),
    cross_attention_dim=2048,
    use_linear_projection=True,
    addition_embed_type="text_time",
    addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2816,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
)
REFINER_UNET = dict(
    sample_size=128,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    block_out_channels=(384, 768, 1536, 1536),
    transformer_layers_per_block=4,
    attention_head_dim=(6, 12, 24, 24),
    cross_attention_dim=1280,
    use_linear_projection=True,
    addition_embed_type="text_time",
    addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2560,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
)
SCHEDULER = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    steps_offset=1,
    timestep_spacing="leading",
)


def build_real_catalog(root: Path, device: str, dtype) -> Path:
    """Random-weight SD1.5, SDXL base and refiner, initialised on `device`, saved as diffusers folders."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLImg2ImgPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from inference_container.tiny import _tokenizer

    def text(cfg, projection=False):
        config = CLIPTextConfig(**cfg, bos_token_id=512, eos_token_id=513, pad_token_id=513)
        return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config)

    def save(name, make):
        folder = root / name
        if (folder / ".complete").exists():
            return
        started = time.perf_counter()
        with torch.device(device):
            pipe = make()
        pipe.to(dtype=dtype).save_pretrained(folder, safe_serialization=True)
        (folder / ".complete").write_text("ok")
        del pipe
        print(f"built {name} in {time.perf_counter() - started:.1f} s", flush=True)

    torch.manual_seed(0)
    save(
        "sd15",
        lambda: StableDiffusionPipeline(
            vae=AutoencoderKL(**VAE, scaling_factor=0.18215),
            text_encoder=text(CLIP_L),
            tokenizer=_tokenizer(),
            unet=UNet2DConditionModel(**SD15_UNET),
            scheduler=EulerDiscreteScheduler(**SCHEDULER),
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        ),
    )
    save(
        "sdxl",
        lambda: StableDiffusionXLPipeline(
            vae=AutoencoderKL(**VAE, scaling_factor=0.13025, force_upcast=True),
            text_encoder=text(CLIP_L),
            text_encoder_2=text(CLIP_BIGG, True),
            tokenizer=_tokenizer(),
            tokenizer_2=_tokenizer(),
            unet=UNet2DConditionModel(**SDXL_UNET),
            scheduler=EulerDiscreteScheduler(**SCHEDULER),
        ),
    )
    save(
        "sdxl-refiner",
        lambda: StableDiffusionXLImg2ImgPipeline(
            vae=AutoencoderKL(**VAE, scaling_factor=0.13025, force_upcast=True),
            text_encoder=None,
            text_encoder_2=text(CLIP_BIGG, True),
            tokenizer=None,
            tokenizer_2=_tokenizer(),
            unet=UNet2DConditionModel(**REFINER_UNET),
            scheduler=EulerDiscreteScheduler(**SCHEDULER),
            requires_aesthetics_score=True,
        ),
    )
    entries = [
        {"name": "sd15", "family": "sd15", "path": "sd15"},
        {"name": "sdxl", "family": "sdxl", "path": "sdxl"},
        {"name": "sdxl-refiner", "family": "sdxl-refiner", "path": "sdxl-refiner"},
    ]
    (root / "catalog.json").write_text(json.dumps(entries, indent=2))
    return root / "catalog.json"


def check_configs() -> None:
    """Build every real model on the meta device and run one UNet forward (the configs are consistent)."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel

    with torch.device("meta"):
        for name, config, ctx, time_ids, pooled in (
            ("sd15", SD15_UNET, 768, 0, 0),
            ("sdxl", SDXL_UNET, 2048, 6, 1280),
            ("sdxl-refiner", REFINER_UNET, 1280, 5, 1280),
        ):
            unet = UNet2DConditionModel(**config)
            params = sum(p.numel() for p in unet.parameters())
            x = torch.randn(2, 4, 128, 128)
            cond = (
                {"text_embeds": torch.randn(2, pooled), "time_ids": torch.randn(2, time_ids)}
                if pooled
                else None
            )
            out = unet(x, 10, torch.randn(2, 77, ctx), added_cond_kwargs=cond).sample
            print(f"{name}: UNet {params / 1e9:.2f} B parameters, output {tuple(out.shape)}")
        vae = AutoencoderKL(**VAE)
        print(
            f"vae: {sum(p.numel() for p in vae.parameters()) / 1e6:.1f} M parameters, "
            f"scale factor {2 ** (len(VAE['block_out_channels']) - 1)}"
        )


# -- the two ways of generating ---------------------------------------------------------------------------
def container_runner(root: Path, device, dtype, compile: bool):
    from inference_container.catalog import ModelCatalog
    from inference_container.pipelines import ModelCache
    from inference_container.worker import Worker

    catalog = ModelCatalog.load(root)
    worker = Worker(catalog, ModelCache(catalog, device, dtype, compile=compile))

    def run(case: dict) -> int:
        from sdapi.schema.job import Job

        job = Job(
            id="bench",
            owner="bench",
            dialect="native",
            pool="bench",
            task="txt2img",
            model=case["model"],
            prompt="an astronaut riding a horse",
            width=case["size"],
            height=case["size"],
            steps=case["steps"],
            sampler="DPM++ 2M",
            scheduler="karras",
            seed=1,
            refiner={"checkpoint": case["refiner"], "switch_at": 0.8} if case.get("refiner") else None,
            output={"prefix": "outputs/bench/"},
            created_at=time.time(),
        )
        return len(worker.generate(job).images)

    return run


def plain_runner(root: Path, device, dtype):
    import torch
    from diffusers import (
        DPMSolverMultistepScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLImg2ImgPipeline,
        StableDiffusionXLPipeline,
    )

    pipes: dict[str, object] = {}

    def load(name, cls):
        if name not in pipes:
            pipe = cls.from_pretrained(root / name, dtype=dtype).to(device)
            pipe.scheduler = DPMSolverMultistepScheduler.from_config(
                pipe.scheduler.config, use_karras_sigmas=True
            )
            pipe.set_progress_bar_config(disable=True)
            pipes[name] = pipe
        return pipes[name]

    def run(case: dict) -> int:
        generator = torch.Generator(device).manual_seed(1)
        common = dict(
            prompt="an astronaut riding a horse",
            num_inference_steps=case["steps"],
            height=case["size"],
            width=case["size"],
            generator=generator,
        )
        if case["model"] == "sd15" or case["model"] == "v1-5-pruned-emaonly":
            return len(load(case["model"], StableDiffusionPipeline)(**common).images)
        base = load(case["model"], StableDiffusionXLPipeline)
        if not case.get("refiner"):
            return len(base(**common).images)
        latents = base(**common, denoising_end=0.8, output_type="latent").images
        refiner = load(case["refiner"], StableDiffusionXLImg2ImgPipeline)
        return len(
            refiner(
                prompt=common["prompt"],
                image=latents,
                num_inference_steps=case["steps"],
                denoising_start=0.8,
                generator=generator,
            ).images
        )

    return run


def timed(run, case: dict, repeats: int, sync) -> dict:
    run(case)  # warm-up: first-call allocations, cuDNN autotuning, compilation
    sync()
    started = time.perf_counter()
    images = 0
    for _ in range(repeats):
        images += run(case)
    sync()
    elapsed = time.perf_counter() - started
    s_per_image = elapsed / images
    return {"s_per_image": round(s_per_image, 4), "it_per_s": round(case["steps"] / s_per_image, 3)}


def time_to_healthy_ping(root: Path, default_model: str, device: str, timeout: float = 900) -> float:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SDAPI_BIND_HOST": "127.0.0.1",
        "SDAPI_MODEL_ROOT": str(root),
        "SDAPI_DEFAULT_MODEL": default_model,
        "SDAPI_DEVICE": device,
        "PYTHONPATH": os.pathsep.join([str(REPO / "lambdas"), str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(REPO / "inference_container" / "serve")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("no healthy /ping")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="tiny random models on the CPU (64x64, 4 steps)")
    parser.add_argument(
        "--check-configs", action="store_true", help="validate the real configs on the meta device"
    )
    parser.add_argument("--models", type=Path, default=None, help="where to build/keep the models")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--dtype", default=None, choices=["float16", "bfloat16", "float32"])
    parser.add_argument("--compile", action="store_true", help="torch.compile the container's UNet")
    parser.add_argument("--no-ping", action="store_true", help="skip the start-to-healthy /ping measurement")
    args = parser.parse_args()
    if args.check_configs:
        check_configs()
        return 0

    import torch

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = getattr(torch, args.dtype or ("float16" if device.type == "cuda" else "float32"))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    root = args.models or Path(tempfile.gettempdir()) / (
        "sdapi-bench-tiny" if args.tiny else "sdapi-bench-models"
    )
    started = time.perf_counter()
    if args.tiny:
        from inference_container.tiny import build_tiny_catalog

        build_tiny_catalog(root)
        sd15, sdxl, refiner, big, small = "v1-5-pruned-emaonly", "sd_xl_base_1.0", "sd_xl_refiner_1.0", 64, 64
    else:
        build_real_catalog(root, str(device), dtype)
        sd15, sdxl, refiner, big, small = "sd15", "sdxl", "sdxl-refiner", 1024, 512
    print(f"models ready in {time.perf_counter() - started:.1f} s under {root}", flush=True)
    steps = args.steps or (4 if args.tiny else 30)
    cases = {
        f"SDXL {big}x{big} {steps} steps": {"model": sdxl, "size": big, "steps": steps},
        f"SDXL + refiner {big}x{big} {steps} steps": {
            "model": sdxl,
            "size": big,
            "steps": steps,
            "refiner": refiner,
        },
        f"SD1.5 {small}x{small} {steps} steps": {"model": sd15, "size": small, "steps": steps},
    }
    machine = {
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "dtype": str(dtype),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(machine), flush=True)
    results: dict[str, dict] = {}
    ours = container_runner(root, device, dtype, args.compile)
    for label, case in cases.items():
        results.setdefault(label, {})["container"] = timed(ours, case, args.repeats, sync)
        print(f"{label:<40} container {results[label]['container']}", flush=True)
    del ours
    plain = plain_runner(root, device, dtype)
    for label, case in cases.items():
        results[label]["diffusers"] = timed(plain, case, args.repeats, sync)
        print(f"{label:<40} diffusers {results[label]['diffusers']}", flush=True)
    del plain
    if not args.no_ping:
        seconds = time_to_healthy_ping(root, sdxl, str(device))
        results["process start to healthy /ping (SDXL default model, warm-up included)"] = {
            "s": round(seconds, 2)
        }
        print(f"process start to healthy /ping: {seconds:.2f} s", flush=True)
    print(json.dumps({"machine": machine, "results": results}, indent=2))
    if args.models is None and not args.tiny:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
