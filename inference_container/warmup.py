"""The generations run before `/ping` turns healthy.

Without compilation: one small job that loads every lazy piece. With compilation: the *buckets*, every
graph a common job needs, so that no user waits on a compile:

- sizes: `SDAPI_COMPILE_SIZES`, by default the default model's native square (1024x1024 SDXL, 512x512 SD1.5)
  and 512x512 (what a request without width/height gets);
- per size, three jobs that reach every guard variant: Euler a at batch 1 with guidance (UNet batch 2, the
  dynamic-batch graph), DPM++ 2M Karras at `cfg_scale` 1 (UNet batch 1, its own static graph; also the int64
  timestep sampler) and batch 2 with guidance (the VAE decoder's dynamic-batch graph);
- each of them once more through the refiner when one is loaded (its UNet is another architecture).

Any batch size (up to PyTorch's range for the dynamic dimension), any sampler, any guidance scale and a
prompt of any length then reuse these graphs. Other sizes, ControlNet jobs and LoRA jobs run eagerly
(`Compiler.stance`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sdapi.schema.catalog import Family, ModelEntry
from sdapi.schema.job import Job

log = logging.getLogger(__name__)

NATIVE_SIDE = {Family.SDXL: 1024, Family.SD15: 512}
REQUEST_DEFAULT = (512, 512)
"""The size a job gets when the request names none (`sdapi.schema.job.Job.width/height`)."""


@dataclass(frozen=True)
class Variant:
    """The sampling settings of one warm-up job (what decides which guard variant a graph is)."""

    sampler: str = "Euler a"
    scheduler: str = "automatic"
    batch_size: int = 1
    cfg_scale: float = 7.0


PLAIN = Variant()
"""The uncompiled warm-up's settings."""
VARIANTS = (
    PLAIN,
    Variant(sampler="DPM++ 2M", scheduler="karras", batch_size=1, cfg_scale=1.0),
    Variant(sampler="DPM++ 2M", scheduler="karras", batch_size=2, cfg_scale=7.0),
)
STEPS = 2
REFINER_SWITCH = 0.5
"""With 2 steps each UNet runs one."""
CPU_SIDE = 64


@dataclass(frozen=True)
class Bucket:
    width: int
    height: int


def buckets(checkpoint: ModelEntry, sizes: list[tuple[int, int]]) -> list[Bucket]:
    """The sizes warmed for `checkpoint`: the configured ones, else its native square and 512x512."""
    if not sizes:
        side = NATIVE_SIDE.get(checkpoint.family, 512)
        sizes = [(side, side), REQUEST_DEFAULT]
    return [Bucket(w, h) for w, h in dict.fromkeys(sizes)]


def bucket_jobs(checkpoint: ModelEntry, refiner: ModelEntry | None, sizes: list[Bucket]) -> Iterator[Job]:
    for bucket in sizes:
        for with_refiner in (False, True) if refiner is not None else (False,):
            for variant in VARIANTS:
                yield _job(checkpoint, bucket, refiner if with_refiner else None, variant)


def plain_job(checkpoint: ModelEntry, device_type: str) -> Job:
    """The uncompiled warm-up: one small generation (64x64 on the CPU)."""
    side = CPU_SIDE if device_type == "cpu" else NATIVE_SIDE.get(checkpoint.family, 512)
    return _job(checkpoint, Bucket(side, side), None, PLAIN)


def run(
    generate: Callable[[Job], object],
    jobs: list[Job],
    *,
    budget_s: float | None = None,
) -> int:
    """Run `jobs` in order; stop before the next one once `budget_s` has passed. Returns how many ran."""
    started = time.perf_counter()
    done = 0
    for job in jobs:
        if budget_s is not None and time.perf_counter() - started > budget_s:
            log.warning(
                "warm-up budget of %.0f s spent after %d of %d jobs: the rest of the buckets run eager",
                budget_s,
                done,
                len(jobs),
            )
            break
        job_started = time.perf_counter()
        generate(job)
        done += 1
        log.info(
            "warm-up %d/%d (%dx%d, %s, batch %d, cfg %s%s) took %.2f s",
            done,
            len(jobs),
            job.width,
            job.height,
            job.sampler,
            job.batch_size,
            job.cfg_scale,
            ", refiner" if job.refiner else "",
            time.perf_counter() - job_started,
        )
    return done


def _job(checkpoint: ModelEntry, size: Bucket, refiner: ModelEntry | None, variant: Variant) -> Job:
    return Job(
        id="warmup",
        owner="warmup",
        dialect="native",
        pool="warmup",
        task="txt2img",
        model=checkpoint.name,
        prompt="warm-up",
        width=size.width,
        height=size.height,
        steps=STEPS,
        sampler=variant.sampler,
        scheduler=variant.scheduler,
        batch_size=variant.batch_size,
        cfg_scale=variant.cfg_scale,
        seed=0,
        refiner={"checkpoint": refiner.name, "switch_at": REFINER_SWITCH} if refiner is not None else None,
        output={"prefix": "outputs/warmup/"},
        created_at=time.time(),
    )
