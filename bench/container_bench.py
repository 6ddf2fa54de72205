"""Inference container benchmark: ours against plain diffusers, interleaved, with medians and spread.

Builds the real SD1.5 and SDXL (+ refiner) architectures with random weights from the configs below (no hub,
no network: random weights cost exactly the GPU time of trained ones), saves them as diffusers folders (the
refiner with the base's `text_encoder_2` and VAE, as the published refiner ships them), and times each case
through three runners:

- `diffusers eager`: a plain diffusers pipeline loaded from the same folder, as its docs show it;
- `diffusers + compile`: the same with diffusers' torch.compile guide applied (channels-last, UNet and VAE
  decoder compiled fullgraph, the inductor flags of PyTorch's "Accelerating Generative AI III");
- `ours`: the container's `Worker.generate` (catalog, model cache, scheduler per job, seeded noise, info
  text) with its defaults for the device (on CUDA: compiled, buckets warmed for the cases' sizes, bf16 SDXL
  VAE).

Every round runs every case through every runner once, the runner order rotating from round to round, after
one untimed warm-up call per runner and case; the table gives the median, the interquartile range and
min-max of seconds per image, and a ratio table is printed last. Then the time from starting
`inference_container/serve` to a healthy `/ping`: eager, compiled with an empty compile cache, and compiled
again with the cache the first start saved (fresh inductor caches each time, so only the portable cache
carries over).

    python bench/container_bench.py                     # on a GPU (fp16); about 20 GB of disk for the models
    python bench/container_bench.py --case SDXL --rounds 5
    python bench/container_bench.py --tiny              # tiny random models on the CPU (proves it runs)
    python bench/container_bench.py --check-configs     # build the real architectures on the meta device only

`--out FILE` writes the results as JSON after every measurement, so a run stopped at its time limit keeps
what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
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
    for component in ("text_encoder_2", "vae"):  # the published refiner ships the base's
        if not (root / "sdxl-refiner" / ".shared").exists():
            shutil.rmtree(root / "sdxl-refiner" / component)
            shutil.copytree(root / "sdxl" / component, root / "sdxl-refiner" / component)
    (root / "sdxl-refiner" / ".shared").write_text("ok")
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


# -- the three runners -----------------------------------------------------------------------------------
EAGER, COMPILED, OURS = "diffusers eager", "diffusers + compile", "ours"
PROMPT = "an astronaut riding a horse"


def ours_runner(root: Path, device, dtype, *, compile: bool, mode: str, cases: list[dict]):
    from inference_container import warmup
    from inference_container.catalog import ModelCatalog
    from inference_container.compilation import Compiler, CompileSettings
    from inference_container.pipelines import ModelCache
    from inference_container.worker import Worker
    from sdapi.schema.job import Job

    catalog = ModelCatalog.load(root)
    compiler = Compiler(CompileSettings(mode=mode)) if compile else None
    worker = Worker(catalog, ModelCache(catalog, device, dtype, compiler=compiler))
    if compiler is not None:  # the server's warm-up, for the cases' models and sizes
        started = time.perf_counter()
        plans: dict[str, tuple[str | None, set]] = {}
        for case in cases:
            refiner, sizes = plans.get(case["model"], (None, set()))
            plans[case["model"]] = (case.get("refiner") or refiner, sizes | {(case["size"], case["size"])})
        jobs = []
        for model, (refiner, sizes) in plans.items():
            base = catalog.find(model)
            second = catalog.find(refiner) if refiner else None
            jobs += warmup.bucket_jobs(base, second, warmup.buckets(base, sorted(sizes)))
        with compiler.warm_up():
            warmup.run(worker.generate, jobs)
        print(f"ours: buckets warmed in {time.perf_counter() - started:.1f} s", flush=True)

    def run(case: dict) -> int:
        job = Job(
            id="bench",
            owner="bench",
            dialect="native",
            pool="bench",
            task="txt2img",
            model=case["model"],
            prompt=PROMPT,
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


def plain_runner(root: Path, device, dtype, *, compile_mode: str | None, fuse_qkv: bool = False):
    import torch
    from diffusers import (
        DPMSolverMultistepScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLImg2ImgPipeline,
        StableDiffusionXLPipeline,
    )

    pipes: dict[str, object] = {}
    if compile_mode is not None:
        from inference_container.compilation import CompileSettings, configure_inductor

        configure_inductor(CompileSettings(mode=compile_mode))

    def load(name, cls):
        if name not in pipes:
            pipe = cls.from_pretrained(root / name, dtype=dtype).to(device)
            pipe.scheduler = DPMSolverMultistepScheduler.from_config(
                pipe.scheduler.config, use_karras_sigmas=True
            )
            pipe.set_progress_bar_config(disable=True)
            if fuse_qkv:
                pipe.fuse_qkv_projections()
            if compile_mode is not None:  # diffusers' torch.compile guide
                pipe.unet.to(memory_format=torch.channels_last)
                pipe.vae.to(memory_format=torch.channels_last)
                pipe.unet = torch.compile(pipe.unet, mode=compile_mode, fullgraph=True)
                pipe.vae.decode = torch.compile(pipe.vae.decode, mode=compile_mode, fullgraph=True)
            pipes[name] = pipe
        return pipes[name]

    def run(case: dict) -> int:
        generator = torch.Generator(device).manual_seed(1)
        common = dict(
            prompt=PROMPT,
            num_inference_steps=case["steps"],
            height=case["size"],
            width=case["size"],
            generator=generator,
        )
        if case["family"] == "sd15":
            return len(load(case["model"], StableDiffusionPipeline)(**common).images)
        base = load(case["model"], StableDiffusionXLPipeline)
        if not case.get("refiner"):
            return len(base(**common).images)
        latents = base(**common, denoising_end=0.8, output_type="latent").images
        refiner = load(case["refiner"], StableDiffusionXLImg2ImgPipeline)
        return len(
            refiner(
                prompt=PROMPT,
                image=latents,
                num_inference_steps=case["steps"],
                denoising_start=0.8,
                generator=generator,
            ).images
        )

    return run


# -- measuring ------------------------------------------------------------------------------------------
def summary(seconds: list[float], steps: int) -> dict:
    ordered = sorted(seconds)
    q1, _, q3 = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else (ordered[0],) * 3
    median = statistics.median(ordered)
    return {
        "median_s": round(median, 4),
        "iqr_s": round(q3 - q1, 4),
        "min_s": round(ordered[0], 4),
        "max_s": round(ordered[-1], 4),
        "it_per_s": round(steps / median, 2),
        "n": len(ordered),
    }


def interleaved(runners: dict, cases: dict, rounds: int, sync, record) -> dict:
    """{case: {runner: [seconds per image, ...]}}: one warm-up call each, then `rounds` rounds in which
    every case runs through every runner once, the runner order rotating each round."""
    times: dict[str, dict[str, list[float]]] = {label: {name: [] for name in runners} for label in cases}
    for label, case in cases.items():
        for name, run in runners.items():
            started = time.perf_counter()
            run(case)
            sync()
            print(f"warm-up {label} / {name}: {time.perf_counter() - started:.2f} s", flush=True)
    names = list(runners)
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for label, case in cases.items():
            for name in order:
                sync()
                started = time.perf_counter()
                images = runners[name](case)
                sync()
                times[label][name].append((time.perf_counter() - started) / images)
        record(times)
        print(f"round {index + 1}/{rounds} done", flush=True)
    return times


def time_to_healthy_ping(
    root: Path, default_model: str, device: str, env_extra: dict[str, str], timeout: float = 1800
) -> float:
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
        **env_extra,
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
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()


def ping_rows(root: Path, default_model: str, device: str, sizes: str, mode: str) -> dict[str, float]:
    """Start → healthy: eager, compiled with an empty compile cache, compiled with the saved cache."""
    work = Path(tempfile.mkdtemp(prefix="sdapi-bench-ping-"))
    cache = work / "compile-cache"
    common = {"SDAPI_COMPILE_SIZES": sizes, "SDAPI_COMPILE_MODE": mode}
    rows = {}
    for label, extra in (
        ("eager (SDAPI_COMPILE=0)", {"SDAPI_COMPILE": "0"}),
        ("compiled, empty compile cache", {"SDAPI_COMPILE": "1"}),
        ("compiled, compile cache of the previous start", {"SDAPI_COMPILE": "1"}),
    ):
        env = {
            **common,
            **extra,
            "SDAPI_COMPILE_CACHE_DIR": str(cache),
            "TORCHINDUCTOR_CACHE_DIR": str(Path(tempfile.mkdtemp(dir=work, prefix="inductor-"))),
        }
        rows[label] = round(time_to_healthy_ping(root, default_model, device, env), 2)
        print(f"start → healthy /ping, {label}: {rows[label]:.2f} s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return rows


def print_tables(times: dict, cases: dict) -> dict:
    results = {}
    print(f"\n{'case':<34} {'runner':<20} {'median s/img':>12} {'IQR':>8} {'min-max':>17} {'it/s':>7}")
    for label, by_runner in times.items():
        results[label] = {}
        for name, seconds in by_runner.items():
            if not seconds:
                continue
            row = results[label][name] = summary(seconds, cases[label]["steps"])
            print(
                f"{label:<34} {name:<20} {row['median_s']:>12.3f} {row['iqr_s']:>8.3f} "
                f"{row['min_s']:>8.3f}-{row['max_s']:<8.3f} {row['it_per_s']:>7.2f}"
            )
    print(f"\n{'ratio of medians (>1: ours faster)':<40} {'eager / ours':>14} {'compile / ours':>16}")
    for label, rows in results.items():
        if OURS not in rows:
            continue
        ours = rows[OURS]["median_s"]
        cells = [f"{rows[n]['median_s'] / ours:.2f}x" if n in rows else "-" for n in (EAGER, COMPILED)]
        print(f"{label:<40} {cells[0]:>14} {cells[1]:>16}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="tiny random models on the CPU (64x64, 4 steps)")
    parser.add_argument(
        "--check-configs", action="store_true", help="validate the real configs on the meta device"
    )
    parser.add_argument("--models", type=Path, default=None, help="where to build/keep the models")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (each runs every case once)")
    parser.add_argument("--case", default=None, help="only the cases whose label matches this regex")
    parser.add_argument("--runners", default=f"{EAGER},{COMPILED},{OURS}", help="comma-separated")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--dtype", default=None, choices=["float16", "bfloat16", "float32"])
    parser.add_argument(
        "--compile-mode",
        default="max-autotune-no-cudagraphs",
        help="inductor mode for `diffusers + compile` and ours",
    )
    parser.add_argument(
        "--ours-compile",
        choices=["auto", "on", "off"],
        default="auto",
        help="auto: the container's default (on with CUDA)",
    )
    parser.add_argument("--fuse-qkv", action="store_true", help="fused QKV in `diffusers + compile`")
    parser.add_argument("--tf32", action="store_true", help="TF32 matmuls/convolutions for every runner")
    parser.add_argument("--cudnn-benchmark", action="store_true", help="cuDNN autotuning for every runner")
    parser.add_argument("--no-ping", action="store_true", help="skip the start → healthy /ping rows")
    parser.add_argument("--ping-only", action="store_true", help="only the start → healthy /ping rows")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if args.check_configs:
        check_configs()
        return 0

    import torch

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = getattr(torch, args.dtype or ("float16" if device.type == "cuda" else "float32"))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = args.cudnn_benchmark
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
        f"SDXL {big}x{big} {steps} steps": {"model": sdxl, "family": "sdxl", "size": big, "steps": steps},
        f"SDXL + refiner {big}x{big} {steps} steps": {
            "model": sdxl,
            "family": "sdxl",
            "size": big,
            "steps": steps,
            "refiner": refiner,
        },
        f"SD1.5 {small}x{small} {steps} steps": {
            "model": sd15,
            "family": "sd15",
            "size": small,
            "steps": steps,
        },
    }
    if args.case:
        cases = {label: case for label, case in cases.items() if re.search(args.case, label)}
    machine = {
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "torch": torch.__version__,
        "dtype": str(dtype),
        "compile_mode": args.compile_mode,
        "options": {"fuse_qkv": args.fuse_qkv, "tf32": args.tf32, "cudnn_benchmark": args.cudnn_benchmark},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(machine), flush=True)
    report: dict = {"machine": machine}

    def record(times) -> None:
        report["seconds_per_image"] = times
        if args.out:
            args.out.write_text(json.dumps(report, indent=2))

    if not args.ping_only and cases:
        ours_compiles = {"on": True, "off": False}.get(args.ours_compile, device.type == "cuda")
        makers = {
            EAGER: lambda: plain_runner(root, device, dtype, compile_mode=None),
            COMPILED: lambda: plain_runner(
                root, device, dtype, compile_mode=args.compile_mode, fuse_qkv=args.fuse_qkv
            ),
            OURS: lambda: ours_runner(
                root, device, dtype, compile=ours_compiles, mode=args.compile_mode, cases=list(cases.values())
            ),
        }
        chosen = [name.strip() for name in args.runners.split(",")]
        runners = {name: makers[name]() for name in chosen}
        times = interleaved(runners, cases, args.rounds, sync, record)
        report["results"] = print_tables(times, cases)
        record(times)
        del runners
    if not args.no_ping:
        sizes = f"{big}x{big}" if not args.tiny else "64x64"
        report["start_to_healthy_s"] = ping_rows(root, sdxl, str(device), sizes, args.compile_mode)
        if args.out:
            args.out.write_text(json.dumps(report, indent=2))
    if args.models is None and not args.tiny:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
