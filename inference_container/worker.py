"""One job end to end: resolve models → mark IN_PROGRESS → generate (A1111 semantics) → PNGs to S3 →
Manifest."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from inference_container import conditioning, imaging, infotext, samplers, seeds
from inference_container import controlnet as cn
from inference_container.catalog import ModelCatalog
from inference_container.embeddings import EmbeddingLibrary, ti_hashes
from inference_container.errors import InvalidJob, JobError
from inference_container.loras import LoraLibrary, LoraUse, lora_hashes
from inference_container.pipelines import LoadedCheckpoint, ModelCache
from inference_container.prompt_plan import plan_prompt
from inference_container.storage import JobNotRunnable, JobTracker, OutputStore
from sdapi.schema.catalog import Family, ModelEntry
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.job import InpaintFill, Job, ResizeMode, Task
from sdapi.schema.manifest import Manifest, Timings
from sdapi.schema.model_rules import check_models, describe

log = logging.getLogger(__name__)

LATENT_CHANNELS = 4
SCALE = 8


@dataclass
class Plan:
    """The job with every name resolved against the catalog (InvalidJob before any work if something is
    off)."""

    checkpoint: ModelEntry
    vae: ModelEntry | None
    refiner: ModelEntry | None
    controlnets: list[ModelEntry]
    face_restorer: ModelEntry | None
    safety_checker: ModelEntry | None
    text: conditioning.JobText
    loras: list[LoraUse]


@dataclass
class Generated:
    images: list[Image.Image]
    maps: list[Image.Image]
    info: str
    infotexts: list[str]
    nsfw: list[bool]
    steps_run: int
    cancelled: bool = False
    timings: dict[str, float] = field(default_factory=dict)


class Progress:
    """Maps pipeline callbacks to job progress (A1111 steps x n_iter) and asks the tracker whether to go
    on."""

    def __init__(self, job: Job, tracker: JobTracker | None, deadline: float | None):
        self.steps = job.steps
        self.total = job.steps * job.n_iter
        self.tracker = tracker
        self.deadline = deadline
        self.iteration = 0
        self.phase_start = 0.0
        self.phase_weight = 1.0
        self.steps_run = 0
        self.stopped = False

    def phase(self, iteration: int, start: float, weight: float) -> None:
        """The next pipeline call covers [start, start + weight] of iteration `iteration` (refiner: two
        phases)."""
        self.iteration, self.phase_start, self.phase_weight = iteration, start, weight

    def callback(self, pipe, step: int, timestep, kwargs: dict) -> dict:
        self.steps_run += 1
        n = max(1, getattr(pipe, "num_timesteps", 0) or 1)
        iterations_done = self.iteration + self.phase_start + self.phase_weight * min(1.0, (step + 1) / n)
        done = min(self.total, round(iterations_done * self.steps))
        keep_going = True
        if self.deadline is not None and time.time() > self.deadline:
            log.info("execution deadline passed: stopping")
            keep_going = False
        elif self.tracker is not None:
            keep_going = self.tracker.progress(done, self.total)
        if not keep_going:
            self.stopped = True
            pipe._interrupt = True
        return kwargs


class Worker:
    def __init__(
        self,
        catalog: ModelCatalog,
        models: ModelCache,
        *,
        store: OutputStore | None = None,
        dynamodb: Any = None,
        jobs_table: str | None = None,
        progress_interval_s: float = 1.0,
        loras: LoraLibrary | None = None,
    ):
        self.catalog = catalog
        self.models = models
        self.loras = loras or LoraLibrary(catalog)
        self.embeddings = EmbeddingLibrary(catalog)
        self.store = store
        self.dynamodb = dynamodb
        self.jobs_table = jobs_table
        self.progress_interval_s = progress_interval_s

    # -- the whole job
    # ----------------------------------------------------------------------------------------
    def run(self, job: Job) -> Manifest:
        started_clock = time.perf_counter()
        tracker = None
        if self.dynamodb is not None and self.jobs_table:
            tracker = JobTracker(self.dynamodb, self.jobs_table, job, self.progress_interval_s)
        started_at = time.time()
        if tracker is not None:
            try:
                started_at = tracker.start(job.steps * job.n_iter)
            except JobNotRunnable as exc:
                log.info("job %s not run: %s", job.id, exc)
                return Manifest(
                    job_id=job.id, attempt=job.attempt, status="cancelled", finished_at=time.time()
                )
        if self.store is None:
            raise JobError("SDAPI_BUCKET is not set: the container has nowhere to write images")
        deadline = started_at + job.timeouts.execution_s
        generated = self.generate(job, tracker=tracker, deadline=deadline)
        if generated.cancelled:
            return Manifest(
                job_id=job.id,
                attempt=job.attempt,
                status="cancelled",
                started_at=started_at,
                finished_at=time.time(),
            )
        keys = []
        for index, image in enumerate(generated.images):
            key = job.output_key(index)
            self.store.put_png(key, imaging.encode_png(image, generated.infotexts[index]))
            keys.append(key)
        for offset, detected in enumerate(generated.maps):
            key = job.output_key(len(generated.images) + offset)
            self.store.put_png(key, imaging.encode_png(detected, None))
            keys.append(key)
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

    # -- resolution
    # -------------------------------------------------------------------------------------------
    def plan(self, job: Job) -> Plan:
        """Resolve every model the job names and check the model rules (`sdapi.schema.model_rules`, the
        same rules the door runs) and the sampler; InvalidJob naming every problem before any work."""
        choice, problems = check_models(job, self.catalog)
        if problems:
            raise InvalidJob(describe(problems))
        samplers.resolve(job.sampler, job.scheduler)
        assert choice.checkpoint is not None  # no problems: every named model resolved
        text, loras = plan_prompt(job, choice.checkpoint, self.catalog)
        return Plan(
            choice.checkpoint,
            choice.vae,
            choice.refiner,
            [entry for entry in choice.controlnets if entry is not None],
            choice.face_restorer,
            choice.safety_checker,
            text,
            loras,
        )

    # -- generation
    # -------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def generate(
        self, job: Job, *, tracker: JobTracker | None = None, deadline: float | None = None
    ) -> Generated:
        plan = self.plan(job)
        load_before = self.models.load_seconds
        loaded = self.models.checkpoint(plan.checkpoint)
        vae = self.models.vae(plan.vae) if plan.vae else None
        refiner = self.models.checkpoint(plan.refiner) if plan.refiner else None
        nets = [self.models.controlnet(entry) for entry in plan.controlnets]
        restorer = self.models.face_restorer(plan.face_restorer) if plan.face_restorer else None
        checker = self.models.safety_checker(plan.safety_checker) if plan.safety_checker else None
        for pipeline in (loaded, refiner):
            if pipeline is not None:
                self.embeddings.ensure(pipeline.pipe, pipeline.family)
        load_s = self.models.load_seconds - load_before

        all_seeds, all_subseeds = seeds.image_seeds(job)
        progress = Progress(job, tracker, deadline)
        device = self.models.device

        prepared = [cn.prepare_unit(unit, job, i) for i, unit in enumerate(job.controlnet)]
        controlnet = None
        if nets:
            if len(nets) == 1:
                controlnet = nets[0]
            else:
                from diffusers.models.controlnets.multicontrolnet import MultiControlNetModel

                controlnet = MultiControlNetModel(nets)

        init_images, mask = self._inputs(job)
        t0 = time.perf_counter()
        images: list[Image.Image] = []
        lora_before = self.loras.read_seconds
        with self.loras.applied(loaded.pipe, plan.loras), cn.soft_injection(nets, prepared):
            lora_s = time.perf_counter() - t0
            prompts = conditioning.condition_job(job, plan.text, loaded, refiner)
            encode_s = time.perf_counter() - t0 - lora_s
            for iteration in range(job.n_iter):
                batch = slice(iteration * job.batch_size, (iteration + 1) * job.batch_size)
                batch_seeds, batch_subseeds = all_seeds[batch], all_subseeds[batch]
                images += self._one_batch(
                    job,
                    prompts,
                    loaded,
                    vae,
                    refiner,
                    controlnet,
                    prepared,
                    init_images,
                    mask,
                    batch_seeds,
                    batch_subseeds,
                    progress,
                    iteration,
                    device,
                )
                if progress.stopped:
                    return Generated([], [], "", [], [], progress.steps_run, cancelled=True)
        if restorer is not None:
            images = [restorer.restore(image) for image in images]
        if mask is not None and not job.mask.full_res:
            originals = [init_images[i % len(init_images)] for i in range(len(images))]
            images = [imaging.overlay(o, g, mask) for o, g in zip(originals, images, strict=True)]
        nsfw = checker.check(images) if checker is not None else [False] * len(images)
        inference_s = time.perf_counter() - t0

        facts = infotext.GenerationFacts(
            model_name=plan.checkpoint.name,
            model_hash=plan.checkpoint.hash,
            vae_name=plan.vae.name if plan.vae else None,
            vae_hash=plan.vae.hash if plan.vae else None,
            face_restorer=plan.face_restorer.name if plan.face_restorer else None,
            inpainting_conditioning=job.task == Task.INPAINT and loaded.inpainting_unet,
            styled_prompt=plan.text.styled_prompt,
            styled_negative=plan.text.styled_negative,
            styles=[style.name for style in job.styles],
        )
        if plan.refiner is not None and job.refiner is not None:
            facts.extra["Refiner"] = (
                f"{plan.refiner.name} [{plan.refiner.hash}]" if plan.refiner.hash else (plan.refiner.name)
            )
            facts.extra["Refiner switch at"] = job.refiner.switch_at
        for index, unit in enumerate(prepared):
            facts.extra[f"ControlNet {index}"] = cn.infotext_entry(unit)
        if hashes := ti_hashes(self.catalog, prompts.embeddings_used):
            facts.extra["TI hashes"] = hashes
        if hashes := lora_hashes(plan.loras):
            facts.extra["Lora hashes"] = hashes
        texts = [infotext.infotext(job, facts, all_seeds, all_subseeds, i) for i in range(len(images))]
        info = infotext.info_json(job, facts, all_seeds, all_subseeds)
        timings = {"load_s": load_s, "inference_s": inference_s, "encode_s": encode_s, "lora_s": lora_s}
        timings["lora_read_s"] = self.loras.read_seconds - lora_before
        if inference_s > 0:
            timings["it_per_s"] = progress.steps_run / inference_s
        return Generated(
            images=images,
            maps=[p.control_image for p in prepared],
            info=info,
            infotexts=texts,
            nsfw=nsfw,
            steps_run=progress.steps_run,
            timings=timings,
        )

    def _inputs(self, job: Job) -> tuple[list[Image.Image], Image.Image | None]:
        if job.task == Task.TXT2IMG:
            return [], None
        mode = job.resize_mode
        fit = ResizeMode.JUST_RESIZE if mode == ResizeMode.LATENT_UPSCALE else mode
        images = []
        for i, data in enumerate(job.init_images):
            image = imaging.decode_image(data, f"init_images[{i}]").convert("RGB")
            images.append(
                image
                if mode == ResizeMode.LATENT_UPSCALE
                else imaging.resize_image(fit, image, job.width, job.height)
            )
        mask = None
        if job.task == Task.INPAINT and job.mask is not None:
            mask = imaging.prepare_mask(job.mask, mode, job.width, job.height)
            if job.mask.fill == InpaintFill.FILL:
                images = [imaging.fill_masked(image, mask) for image in images]
        return images, mask

    def _one_batch(
        self,
        job: Job,
        prompts: conditioning.JobConditioning,
        loaded: LoadedCheckpoint,
        vae,
        refiner: LoadedCheckpoint | None,
        controlnet,
        prepared: list[cn.PreparedUnit],
        init_images: list[Image.Image],
        mask: Image.Image | None,
        batch_seeds: list[int],
        batch_subseeds: list[int],
        progress: Progress,
        iteration: int,
        device: torch.device,
    ) -> list[Image.Image]:
        dtype = loaded.pipe.unet.dtype
        shape = (LATENT_CHANNELS, job.height // SCALE, job.width // SCALE)
        resize_from = (job.seed_resize_from_w, job.seed_resize_from_h)
        noise = seeds.initial_noise(shape, batch_seeds, batch_subseeds, job.subseed_strength, resize_from)
        scheduler = samplers.build_scheduler(
            dict(loaded.pipe.scheduler.config), job.sampler, job.scheduler, seed=batch_seeds[0]
        )
        pipe = loaded.task_pipeline(job.task, scheduler=scheduler, vae=vae, controlnet=controlnet)
        n = len(batch_seeds)
        kwargs: dict[str, Any] = {
            **prompts.base_kwargs(pipe, n, progress.callback),
            "num_inference_steps": job.steps,
            "guidance_scale": job.cfg_scale,
            "generator": seeds.step_generators(batch_seeds, device),
        }
        strength = job.denoising_strength
        if strength is None:
            strength = DEFAULT_DENOISING_STRENGTH
        if job.task == Task.TXT2IMG:
            kwargs.update(height=job.height, width=job.width, latents=noise.to(device, dtype))
        else:
            batch_images = [
                init_images[(iteration * job.batch_size + i) % len(init_images)] for i in range(n)
            ]
            kwargs["strength"] = strength
            if job.resize_mode == ResizeMode.LATENT_UPSCALE:
                kwargs["image"] = self._upscaled_latents(pipe, batch_images, job, device)
            else:
                kwargs["image"] = batch_images
            latent_mask = None
            if job.task == Task.INPAINT:
                kwargs.update(mask_image=[mask] * n, height=job.height, width=job.width)
                if job.mask.full_res:
                    kwargs["padding_mask_crop"] = job.mask.full_res_padding
                latent_mask = _latent_mask(mask, shape)
                if strength >= 1.0:
                    kwargs["latents"] = noise.to(device, dtype)
            _inject_noise(
                pipe.scheduler, noise, imaging.latent_fill(job.mask.fill) if job.mask else None, latent_mask
            )
        if controlnet is not None:
            kwargs.update(
                cn.pipeline_arguments(prepared, "image" if job.task == Task.TXT2IMG else "control_image")
            )
            if job.task == Task.TXT2IMG:
                kwargs.update(height=job.height, width=job.width)
        if loaded.family == Family.SDXL:
            kwargs.update(original_size=(job.height, job.width), target_size=(job.height, job.width))

        if refiner is None or job.refiner is None:
            progress.phase(iteration, 0.0, 1.0)
            return pipe(**kwargs).images
        switch = job.refiner.switch_at
        progress.phase(iteration, 0.0, switch)
        latents = pipe(**kwargs, denoising_end=switch, output_type="latent").images
        if progress.stopped:
            return []
        refiner_scheduler = samplers.build_scheduler(
            dict(refiner.pipe.scheduler.config), job.sampler, job.scheduler, seed=batch_seeds[0]
        )
        refine = refiner.task_pipeline(Task.IMG2IMG, scheduler=refiner_scheduler, vae=vae)
        progress.phase(iteration, switch, 1.0 - switch)
        return refine(
            **prompts.refiner_kwargs(refine, n, progress.callback),
            image=latents,
            num_inference_steps=job.steps,
            guidance_scale=job.cfg_scale,
            denoising_start=switch,
            generator=seeds.step_generators(batch_seeds, device),
        ).images

    def _upscaled_latents(
        self, pipe, images: list[Image.Image], job: Job, device: torch.device
    ) -> torch.Tensor:
        """A1111 resize mode 3: encode at the image's own size, then upscale the latents to the target
        size."""
        vae = pipe.vae
        out = []
        for image in images:
            w, h = (image.width // SCALE) * SCALE, (image.height // SCALE) * SCALE
            pixels = pipe.image_processor.preprocess(image.resize((max(SCALE, w), max(SCALE, h))))
            pixels = pixels.to(device, vae.dtype)
            latents = vae.encode(pixels).latent_dist.mode() * vae.config.scaling_factor
            out.append(
                torch.nn.functional.interpolate(
                    latents, size=(job.height // SCALE, job.width // SCALE), mode="bilinear", antialias=False
                )
            )
        return torch.cat(out).to(pipe.unet.dtype)


def _latent_mask(mask: Image.Image, shape: tuple[int, int, int]) -> torch.Tensor:
    small = mask.resize((shape[2], shape[1]), Image.BILINEAR)
    return torch.from_numpy((np.asarray(small, dtype=np.float32) / 255.0).round())[None, None]


def _inject_noise(
    scheduler, noise: torch.Tensor, fill: InpaintFill | None, latent_mask: torch.Tensor | None
) -> None:
    """Make the img2img/inpaint pipelines noise the init latents with *our* seeded noise (A1111 semantics).

    diffusers draws that noise itself and passes it to `scheduler.add_noise`; this per-job scheduler swaps it
    for
    the job's noise (same shape, checked), and applies A1111's `latent noise` / `latent nothing` fills to the
    masked area of the init latents first.
    """
    original = scheduler.add_noise

    def add_noise(samples: torch.Tensor, drawn: torch.Tensor, timesteps):
        if drawn.shape != noise.shape:
            raise RuntimeError(f"noise shape {tuple(drawn.shape)} != prepared {tuple(noise.shape)}")
        ours = noise.to(drawn.device, drawn.dtype)
        if fill is not None and latent_mask is not None:
            m = latent_mask.to(samples.device, samples.dtype)
            replacement = ours if fill == InpaintFill.LATENT_NOISE else torch.zeros_like(samples)
            samples = samples * (1 - m) + replacement * m
        return original(samples, ours, timesteps)

    scheduler.add_noise = add_noise
