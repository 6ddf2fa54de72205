"""One job end to end, in the numbered steps a diffusers pipeline reads in:

    0. claim        QUEUED → IN_PROGRESS on the job item (skipped when the job is no longer runnable)
    1. plan         resolve every model, LoRA and embedding; check the model rules   `steps/plan.py`
    2. load         the plan's models on the device, from the model cache            `steps/load.py`
    3. condition    init images, mask, ControlNet maps, seeds                        `steps/inputs.py`
                    and, with the job's LoRAs active, the prompts encoded            `conditioning/`
    4. denoise      per batch: seeded noise, base pass (and refiner pass); progress  `steps/denoise.py`
                    with a live preview of the latents at most once a second        `steps/progress.py`
                    hires fix: first pass, upscale, second pass                      `steps/hires.py`
    5. post-process per batch: restore faces, inpainting overlay, extras, safety,   `steps/postprocess.py`
                    infotext
    6. store        per batch, PNGs (with their infotext) handed to the output writer,  `storage.py`
                    which encodes and uploads them while the next batch denoises; the job waits for its
                    writes (in order, the first failure fails it) → Manifest

An extras job (A1111's `extra-single-image`, `extra-batch-images`) runs steps 1, 2 (its upscalers and
restorers only), the extras (`extras.py`) on each input image, with a progress write after each that reads
A1111's interrupt and skip, and 6.

The worker's components are given to it: the catalog, the model cache, the LoRA and embedding libraries,
the output store and the job tracking. It builds no clients and reads no environment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import torch
from PIL import Image

from inference_container import conditioning, imaging
from inference_container import controlnet as cn
from inference_container.catalog import ModelCatalog
from inference_container.embeddings import EmbeddingLibrary
from inference_container.errors import JobError
from inference_container.extras import describe_extras, postprocess_image
from inference_container.loras import LoraLibrary
from inference_container.pipelines import ModelCache
from inference_container.steps.denoise import Denoiser
from inference_container.steps.inputs import batches, prepare_inputs
from inference_container.steps.load import load_models, load_postprocessors
from inference_container.steps.plan import Plan, hires_job, make_plan
from inference_container.steps.postprocess import Ran, describe, postprocess
from inference_container.steps.progress import Progress
from inference_container.storage import (
    JobNotRunnable,
    JobOutputs,
    JobTracker,
    JobTracking,
    OutputStore,
    OutputWriter,
)
from sdapi.schema.job import Job, Task
from sdapi.schema.manifest import Manifest, Timings

log = logging.getLogger(__name__)

NO_STORE = (
    "this container has no output store configured, so it has nowhere to write images: "
    "set SDAPI_BUCKET to the outputs bucket and restart the container"
)


@dataclass
class Generated:
    """What generation produced: images, detected maps and their descriptions (or a cancelled run)."""

    images: list[Image.Image]
    maps: list[Image.Image]
    info: str
    infotexts: list[str]
    nsfw: list[bool]
    steps_run: int
    cancelled: bool = False
    timings: dict[str, float] = field(default_factory=dict)


class Worker:
    """Runs jobs on the container's models; `store` and `tracking` are its only side effects."""

    def __init__(
        self,
        catalog: ModelCatalog,
        models: ModelCache,
        *,
        store: OutputStore | None = None,
        tracking: JobTracking | None = None,
        loras: LoraLibrary | None = None,
        writer: OutputWriter | None = None,
    ):
        self.catalog = catalog
        self.models = models
        self.loras = loras or LoraLibrary(catalog)
        self.embeddings = EmbeddingLibrary(catalog)
        self.store = store
        self.tracking = tracking
        self.writer = writer or (OutputWriter(store) if store is not None else None)

    def run(self, job: Job) -> Manifest:
        """The whole job: claim it, generate, store the PNGs, and answer with the Manifest."""
        started_clock = time.perf_counter()
        if self.store is None:
            raise JobError(NO_STORE)
        # 0. claim the job (a job that is no longer QUEUED for this attempt is not run)
        tracker = self.tracking.for_job(job) if self.tracking is not None else None
        started_at = time.time()
        if tracker is not None:
            try:
                started_at = tracker.start(_progress_total(job))
            except JobNotRunnable as exc:
                log.info("job %s not run: %s", job.id, exc)
                return _cancelled(job, started_at=None)
        assert self.writer is not None
        outputs = self.writer.job()
        try:
            generated = self.generate(
                job,
                tracker=tracker,
                deadline=started_at + job.timeouts.execution_s,
                on_batch=_store_batch(job, outputs),
            )
        except BaseException:
            outputs.settle()  # a failed job leaves no write running behind it
            raise
        if generated.cancelled:
            outputs.settle()
            return _cancelled(job, started_at=started_at)
        # 6. store: the detected maps after the images, then wait for every write
        for offset, detected in enumerate(generated.maps):
            outputs.add(job.output_key(len(generated.images) + offset), detected, None)
        keys = outputs.wait()
        total = time.perf_counter() - started_clock
        timings = Timings(total_s=round(total, 3), **{k: round(v, 3) for k, v in generated.timings.items()})
        return Manifest(
            job_id=job.id,
            attempt=job.attempt,
            status="completed",
            images=keys,
            n_generated=len(generated.images),
            info=generated.info,
            nsfw=generated.nsfw,
            timings=timings,
            started_at=started_at,
            finished_at=time.time(),
        )

    def plan(self, job: Job) -> Plan:
        """Step 1: every model resolved and the model rules checked (InvalidJob before any work)."""
        return make_plan(job, self.catalog)

    @torch.inference_mode()
    def generate(
        self,
        job: Job,
        *,
        tracker: JobTracker | None = None,
        deadline: float | None = None,
        on_batch: Callable[[int, list[Image.Image], list[str]], None] | None = None,
    ) -> Generated:
        """Steps 1-5: the job's images and their descriptions. Nothing is stored here: each finished
        batch goes to `on_batch(index of its first image, images, infotexts)`."""
        # 1. plan
        plan = self.plan(job)
        if job.task == Task.EXTRAS:
            return self._extras(job, plan, tracker, on_batch)
        # 2. load
        loaded = load_models(plan, self.models, self.embeddings, job)
        # 3. conditioning: the inputs now, the prompts once the LoRAs are active
        inputs = prepare_inputs(job)
        progress = Progress(job, tracker, deadline, family=loaded.checkpoint.family)
        t0 = time.perf_counter()
        lora_before = self.loras.read_seconds
        images: list[Image.Image] = []
        with ExitStack() as active:
            active.enter_context(self.loras.applied(loaded.checkpoint.pipe, plan.loras))
            if loaded.hires_checkpoint is not None:
                active.enter_context(self.loras.applied(loaded.hires_checkpoint.pipe, plan.loras))
            active.enter_context(cn.soft_injection(loaded.controlnets, inputs.control))
            lora_s = time.perf_counter() - t0
            prompts = conditioning.condition_job(job, plan.text, loaded.checkpoint, loaded.refiner)
            hires_prompts = None
            if job.hires is not None and plan.hires_text is not None:
                second = loaded.hires_checkpoint or loaded.checkpoint
                hires_prompts = conditioning.condition_job(
                    hires_job(job), plan.hires_text, second, loaded.refiner
                )
            encode_s = time.perf_counter() - t0 - lora_s
            ran = Ran(loaded, inputs, prompts)
            described = describe(
                job, plan, ran, self.catalog, job.batch_size * job.n_iter, describe_extras(job.extras)
            )
            # 4. denoise and 5. post-process, batch by batch
            denoiser = Denoiser(
                job, loaded, prompts, inputs, progress, self.models.device, hires_prompts=hires_prompts
            )
            nsfw: list[bool] = []
            maps: list[Image.Image] = []
            for batch in batches(job, inputs):
                denoised = denoiser.run(batch)
                if progress.stopped:
                    return Generated([], [], "", [], [], progress.steps_run, cancelled=True)
                finished = postprocess(job, loaded, inputs, denoised, first=len(images))
                if on_batch is not None:
                    texts = described.infotexts[len(images) : len(images) + len(finished.images)]
                    on_batch(len(images), finished.images, texts)
                images += finished.images
                nsfw += finished.nsfw
                maps = finished.maps
                if progress.interrupted:  # A1111: no further batch iteration after an interrupt
                    break
        inference_s = time.perf_counter() - t0
        timings = {"load_s": loaded.load_s, "inference_s": inference_s, "encode_s": encode_s}
        timings.update(lora_s=lora_s, lora_read_s=self.loras.read_seconds - lora_before)
        if inference_s > 0:
            timings["it_per_s"] = progress.steps_run / inference_s
        described = described.made(len(images))
        return Generated(
            images=images,
            maps=maps,
            info=described.info,
            infotexts=described.infotexts,
            nsfw=nsfw,
            steps_run=progress.steps_run,
            timings=timings,
        )


    def _extras(self, job: Job, plan: Plan, tracker: JobTracker | None, on_batch) -> Generated:
        """An extras job: each input image through A1111's postprocessing; `info` is its infotext. As in
        A1111's `run_postprocessing`, the progress counts images and the owner's signals are read after
        each one: a skip drops the image it arrived during, an interrupt keeps it and no further image
        runs."""
        assert job.extras is not None
        before = self.models.load_seconds
        post = load_postprocessors(plan, self.models, job)
        load_s = self.models.load_seconds - before
        t0 = time.perf_counter()
        images: list[Image.Image] = []
        texts: list[str] = []
        skips_seen = tracker.signals.skips if tracker is not None else 0
        for i, data in enumerate(job.init_images):
            if tracker is not None and tracker.signals.interrupted:  # A1111: no further image
                break
            done = postprocess_image(imaging.decode_image(data, f"init_images[{i}]"), job.extras, post)
            if tracker is not None:
                if not tracker.progress(i + 1, len(job.init_images), force=True):
                    return Generated([], [], "", [], [], 0, cancelled=True)
                if tracker.signals.skips > skips_seen:  # A1111: the image being skipped is not kept
                    skips_seen = tracker.signals.skips
                    continue
            if on_batch is not None:
                on_batch(len(images), [done.image], [done.infotext])
            images.append(done.image)
            texts.append(done.infotext)
        return Generated(
            images=images,
            maps=[],
            info=texts[0] if texts else "",
            infotexts=texts,
            nsfw=[False] * len(images),
            steps_run=0,
            timings={"load_s": load_s, "inference_s": time.perf_counter() - t0},
        )


def _progress_total(job: Job) -> int:
    """What the job's progress counts to: A1111's steps x n_iter, or, for an extras job, its images."""
    return len(job.init_images) if job.task == Task.EXTRAS else job.steps * job.n_iter


def _store_batch(job: Job, outputs: JobOutputs):
    """Step 6 for one batch: hand its images (with their infotext) to the job's writes."""

    def store(first: int, images: list[Image.Image], infotexts: list[str]) -> None:
        for offset, (image, text) in enumerate(zip(images, infotexts, strict=True)):
            outputs.add(job.output_key(first + offset), image, text)

    return store


def _cancelled(job: Job, *, started_at: float | None) -> Manifest:
    return Manifest(
        job_id=job.id, attempt=job.attempt, status="cancelled", started_at=started_at, finished_at=time.time()
    )
