"""One job end to end, in the numbered steps a diffusers pipeline reads in:

    0. claim        QUEUED → IN_PROGRESS on the job item (skipped when the job is no longer runnable)
    1. plan         resolve every model, LoRA and embedding; check the model rules   `steps/plan.py`
    2. load         the plan's models on the device, from the model cache            `steps/load.py`
    3. condition    init images, mask, ControlNet maps, seeds                        `steps/inputs.py`
                    and, with the job's LoRAs active, the prompts encoded            `conditioning/`
    4. denoise      per batch: seeded noise, base pass (and refiner pass)            `steps/denoise.py`
    5. post-process restore faces, inpainting overlay, safety, infotext             `steps/postprocess.py`
    6. store        PNGs (with their infotext) to the output store → Manifest

The worker's components are given to it: the catalog, the model cache, the LoRA and embedding libraries,
the output store and the job tracking. It builds no clients and reads no environment.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import torch
from PIL import Image

from inference_container import conditioning, imaging
from inference_container import controlnet as cn
from inference_container.catalog import ModelCatalog
from inference_container.embeddings import EmbeddingLibrary
from inference_container.errors import JobError
from inference_container.loras import LoraLibrary
from inference_container.pipelines import ModelCache
from inference_container.steps.denoise import Denoiser
from inference_container.steps.inputs import batches, prepare_inputs
from inference_container.steps.load import load_models
from inference_container.steps.plan import Plan, make_plan
from inference_container.steps.postprocess import Ran, describe, postprocess
from inference_container.steps.progress import Progress
from inference_container.storage import JobNotRunnable, JobTracker, JobTracking, OutputStore
from sdapi.schema.job import Job
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
    ):
        self.catalog = catalog
        self.models = models
        self.loras = loras or LoraLibrary(catalog)
        self.embeddings = EmbeddingLibrary(catalog)
        self.store = store
        self.tracking = tracking

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
                started_at = tracker.start(job.steps * job.n_iter)
            except JobNotRunnable as exc:
                log.info("job %s not run: %s", job.id, exc)
                return _cancelled(job, started_at=None)
        generated = self.generate(job, tracker=tracker, deadline=started_at + job.timeouts.execution_s)
        if generated.cancelled:
            return _cancelled(job, started_at=started_at)
        # 6. store
        keys = self._store(job, generated)
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
        self, job: Job, *, tracker: JobTracker | None = None, deadline: float | None = None
    ) -> Generated:
        """Steps 1-5: the job's images and their descriptions, nothing stored."""
        # 1. plan
        plan = self.plan(job)
        # 2. load
        loaded = load_models(plan, self.models, self.embeddings)
        # 3. conditioning: the inputs now, the prompts once the LoRAs are active
        inputs = prepare_inputs(job)
        progress = Progress(job, tracker, deadline)
        t0 = time.perf_counter()
        lora_before = self.loras.read_seconds
        images: list[Image.Image] = []
        with (
            self.loras.applied(loaded.checkpoint.pipe, plan.loras),
            cn.soft_injection(loaded.controlnets, inputs.control),
        ):
            lora_s = time.perf_counter() - t0
            prompts = conditioning.condition_job(job, plan.text, loaded.checkpoint, loaded.refiner)
            encode_s = time.perf_counter() - t0 - lora_s
            # 4. denoise, batch by batch
            denoiser = Denoiser(job, loaded, prompts, inputs, progress, self.models.device)
            for batch in batches(job, inputs):
                images += denoiser.run(batch)
                if progress.stopped:
                    return Generated([], [], "", [], [], progress.steps_run, cancelled=True)
        # 5. post-process
        finished = postprocess(job, loaded, inputs, images)
        inference_s = time.perf_counter() - t0
        described = describe(job, plan, Ran(loaded, inputs, prompts), self.catalog, len(finished.images))
        timings = {"load_s": loaded.load_s, "inference_s": inference_s, "encode_s": encode_s}
        timings.update(lora_s=lora_s, lora_read_s=self.loras.read_seconds - lora_before)
        if inference_s > 0:
            timings["it_per_s"] = progress.steps_run / inference_s
        return Generated(
            images=finished.images,
            maps=finished.maps,
            info=described.info,
            infotexts=described.infotexts,
            nsfw=finished.nsfw,
            steps_run=progress.steps_run,
            timings=timings,
        )

    def _store(self, job: Job, generated: Generated) -> list[str]:
        """Step 6: the generated images (with their infotext), then the detected maps; their keys."""
        assert self.store is not None
        keys = []
        for index, image in enumerate(generated.images):
            key = job.output_key(index)
            self.store.put_png(key, imaging.encode_png(image, generated.infotexts[index]))
            keys.append(key)
        for offset, detected in enumerate(generated.maps):
            key = job.output_key(len(generated.images) + offset)
            self.store.put_png(key, imaging.encode_png(detected, None))
            keys.append(key)
        return keys


def _cancelled(job: Job, *, started_at: float | None) -> Manifest:
    return Manifest(
        job_id=job.id, attempt=job.attempt, status="cancelled", started_at=started_at, finished_at=time.time()
    )
