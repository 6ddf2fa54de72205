"""Step 4 of a job, denoise: for each batch, the seeded initial noise, the base pass of the task's pipeline
(txt2img, img2img or inpaint, with ControlNet when the job has units) and, with a refiner, the refiner's pass
from `switch_at` on, both following A1111's semantics. With hires fix (txt2img): the first pass, the upscale
(`steps/hires.py`), then the img2img pass at the larger size, where the refiner takes over at `switch_at`
(A1111's default `hires_fix_refiner_pass`: "second pass"). Both hand-offs run through one
`_base_then_refiner`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image

from inference_container import controlnet as cn
from inference_container import imaging, samplers, seeds
from inference_container.conditioning import JobConditioning
from inference_container.pipelines import LoadedCheckpoint
from inference_container.seeds import ImageNoise
from inference_container.steps import hires as hires_fix
from inference_container.steps import latents
from inference_container.steps.inputs import Batch, JobInputs
from inference_container.steps.load import LoadedModels
from inference_container.steps.progress import Progress
from sdapi.schema.catalog import Family
from sdapi.schema.defaults import DEFAULT_DENOISING_STRENGTH
from sdapi.schema.job import Job, ResizeMode, Task


@dataclass
class Denoiser:
    """Runs the denoising passes of one job, one batch at a time."""

    job: Job
    models: LoadedModels
    prompts: JobConditioning
    inputs: JobInputs
    progress: Progress
    device: torch.device
    hires_prompts: JobConditioning | None = None
    """Hires fix's second-pass prompts, encoded by the second pass's checkpoint."""

    def run(self, batch: Batch) -> list[Image.Image]:
        """The batch's images (none when the job was stopped: cancelled or past its deadline; the images so
        far when the owner interrupted it or skipped the iteration).

        Inpainting at full resolution crops around the mask, and diffusers takes one init image for that: a
        batch whose images start from different init images runs one image at a time.
        """
        if self._crops_to_mask() and len({id(image) for image in batch.init_images}) > 1:
            images: list[Image.Image] = []
            for index, single in enumerate(batch.single_images()):
                images += self._run(single, start=index / batch.size, weight=1 / batch.size)
                if self.progress.stopped:
                    return []
                if self.progress.ends_iteration:
                    break
            return images
        return self._run(batch, start=0.0, weight=1.0)

    def _run(self, batch: Batch, *, start: float, weight: float) -> list[Image.Image]:
        """One pipeline call (two with a refiner) covering [start, start + weight] of the iteration."""
        job = self.job
        if job.hires is not None:
            return self._run_hires(batch, start=start, weight=weight)
        noise = latents.batch_noise(job, batch.seeds, batch.subseeds, self.device)
        initial = noise.first()
        pipe = self._pipeline(self.models.checkpoint, job.task, noise, controlnet=self.models.controlnet)
        return self._base_then_refiner(
            pipe,
            lambda callback, end: self._base_arguments(pipe, batch, initial, callback, end),
            lambda base_latents, switch: self._refine(base_latents, batch, noise, switch, self.prompts),
            batch.iteration,
            (start, weight),
        )

    def _base_then_refiner(
        self,
        pipe,
        arguments: Callable[[Callable, dict[str, Any]], dict[str, Any]],
        refine: Callable[[torch.Tensor, float], list[Image.Image]],
        iteration: int,
        span: tuple[float, float],
    ) -> list[Image.Image]:
        """A pass over `span` (start, weight) of the iteration: the base pipeline `pipe` with `arguments(step
        callback, end arguments)`; with a refiner, the base pass ends at `switch_at` (on its share of the
        span) and `refine(base latents, switch_at)` runs the rest, unless the job was stopped in between
        (no images) or its iteration ended (interrupt, skip: the base latents decoded). The base pass and
        hires fix's second pass both run through here."""
        start, weight = span
        switch = self._switch_at()
        if switch is None:
            self.progress.phase(iteration, start, weight)
            return pipe(**arguments(self.progress.callback, {})).images
        callback, end = _hand_off(pipe, switch, self.progress.callback)
        self.progress.phase(iteration, start, weight * switch)
        base_latents = pipe(**arguments(callback, end), output_type="latent").images
        if self.progress.stopped:
            return []
        if self.progress.ends_iteration:
            return hires_fix.decode(pipe, base_latents)
        self.progress.phase(iteration, start + weight * switch, weight * (1.0 - switch))
        return refine(base_latents, switch)

    def _switch_at(self) -> float | None:
        """Where the refiner takes over, or None when the job runs without one."""
        if self.models.refiner is None or self.job.refiner is None:
            return None
        return self.job.refiner.switch_at

    def _run_hires(self, batch: Batch, *, start: float, weight: float) -> list[Image.Image]:
        """Hires fix: the first pass at the job's size, the upscale, then the img2img pass (base, and the
        refiner from `switch_at` on) at the target size, its noise from new streams of the same seeds for the
        larger latents (A1111's hires `ImageRNG`); denoising strength 0 upscales only."""
        job, hires = self.job, self.job.hires
        assert hires is not None and self.hires_prompts is not None
        noise = latents.batch_noise(job, batch.seeds, batch.subseeds, self.device)
        pipe = self._pipeline(self.models.checkpoint, Task.TXT2IMG, noise)
        latent = hires_fix.is_latent(job)
        steps = hires.steps or job.steps
        second_steps = int(steps * hires.denoising_strength)
        first_share = job.steps / (job.steps + second_steps)
        self.progress.phase(batch.iteration, start, weight * first_share)
        arguments = self._base_arguments(pipe, batch, noise.first(), self.progress.callback, {})
        first = pipe(**arguments, output_type="latent" if latent else "pil").images
        if self.progress.stopped:
            return []
        if self.progress.interrupted:  # A1111's `sample_hr_pass` returns the first pass's samples
            return hires_fix.decode(pipe, first) if latent else first
        if latent:
            image = hires_fix.upscale_latents(first, job)
        else:
            image = hires_fix.upscale_images(first, job, self.models.post.upscalers[hires.upscaler])
        if second_steps == 0 or self.progress.ends_iteration:
            # skipped: A1111's second pass stops at its first step and returns its input, the upscale
            return hires_fix.decode(pipe, image) if latent else image
        span = (start + weight * first_share, weight * (1.0 - first_share))
        return self._hires_second_pass(batch, image, span)

    def _hires_second_pass(self, batch: Batch, image, span: tuple[float, float]) -> list[Image.Image]:
        """Hires fix's img2img pass on the upscaled latents or images, at the target size: the base (or the
        `hr_checkpoint_name`) checkpoint, and the refiner from `switch_at` on (A1111's default
        `hires_fix_refiner_pass`: "second pass"), over `span` of the iteration."""
        job, hires, hires_prompts = self.job, self.job.hires, self.hires_prompts
        assert hires is not None and hires_prompts is not None
        steps = hires.steps or job.steps
        checkpoint = self.models.hires_checkpoint or self.models.checkpoint
        second_job = hires_fix.second_pass_job(job)
        hires_noise = hires_fix.second_pass_noise(job, batch.seeds, batch.subseeds, self.device)
        second = self._pipeline(checkpoint, Task.IMG2IMG, hires_noise, job=second_job)
        latents.inject_noise(second.scheduler, hires_noise.first(), None, None)
        if hires_fix.is_latent(job):
            image = image.to(self.device, checkpoint.pipe.unet.dtype)

        def arguments(callback: Callable, end: dict[str, Any]) -> dict[str, Any]:
            arguments = {
                **hires_prompts.base_kwargs(second, batch.size, callback),
                **self._step_arguments(batch),
                "num_inference_steps": steps,
                "image": image,
                "strength": hires.denoising_strength,
                **end,
            }
            if checkpoint.family == Family.SDXL:
                goal = hires_fix.target(job)
                size = (goal.final_height, goal.final_width)
                arguments.update(original_size=size, target_size=size)
            return arguments

        def refine(base_latents: torch.Tensor, switch: float) -> list[Image.Image]:
            return self._refine(
                base_latents, batch, hires_noise, switch, hires_prompts, job=second_job, steps=steps
            )

        return self._base_then_refiner(second, arguments, refine, batch.iteration, span)

    def _crops_to_mask(self) -> bool:
        mask = self.job.mask
        return self.job.task == Task.INPAINT and mask is not None and mask.full_res

    def _pipeline(
        self,
        checkpoint: LoadedCheckpoint,
        task: Task,
        noise: ImageNoise,
        controlnet=None,
        job: Job | None = None,
    ):
        """The task pipeline with a fresh scheduler for this batch (A1111's sampler and schedule type: the
        job's, or those of `job`, hires fix's second pass), its steps driven by the job's knobs and the
        batch's noise streams."""
        job = job or self.job
        base_config = dict(checkpoint.pipe.scheduler.config)
        scheduler = samplers.build_scheduler(base_config, job.sampler, job.scheduler, seeds=noise.seeds)
        samplers.drive(scheduler, noise, samplers.job_knobs(job))
        return checkpoint.task_pipeline(task, scheduler=scheduler, vae=self.models.vae, controlnet=controlnet)

    def _step_arguments(self, batch: Batch) -> dict[str, Any]:
        """Steps, guidance and the per-image step generators (both passes)."""
        return {
            "num_inference_steps": self.job.steps,
            "guidance_scale": self.job.cfg_scale,
            "generator": seeds.step_generators(batch.seeds, self.device),
        }

    def _base_arguments(
        self, pipe, batch: Batch, noise: torch.Tensor, callback: Callable, end: dict[str, Any]
    ) -> dict[str, Any]:
        """The base pass's arguments, with the step `callback` and the `end` arguments (`_hand_off`: where
        the refiner takes over)."""
        job = self.job
        arguments = {
            **self.prompts.base_kwargs(pipe, batch.size, callback),
            **self._step_arguments(batch),
            **end,
        }
        if job.task == Task.TXT2IMG:
            dtype = self.models.checkpoint.pipe.unet.dtype
            arguments.update(height=job.height, width=job.width, latents=noise.to(self.device, dtype))
        else:
            arguments.update(self._image_arguments(pipe, batch, noise))
        if self.models.controlnet is not None:
            image_key = "image" if job.task == Task.TXT2IMG else "control_image"
            arguments.update(cn.pipeline_arguments(self.inputs.control, image_key))
            if job.task == Task.TXT2IMG:
                arguments.update(height=job.height, width=job.width)
        if self.models.checkpoint.family == Family.SDXL:
            size = (job.height, job.width)
            arguments.update(original_size=size, target_size=size)
        return arguments

    def _image_arguments(self, pipe, batch: Batch, noise: torch.Tensor) -> dict[str, Any]:
        """img2img / inpaint: the init images (or their upscaled latents), the strength, the mask, and the
        job's own noise swapped into the scheduler."""
        job = self.job
        strength = job.denoising_strength
        if strength is None:
            strength = DEFAULT_DENOISING_STRENGTH
        arguments: dict[str, Any] = {"strength": strength, "image": batch.init_images}
        if job.resize_mode == ResizeMode.LATENT_UPSCALE:
            arguments["image"] = latents.upscaled_latents(pipe, batch.init_images, job, self.device)
        mask = None
        if job.task == Task.INPAINT and job.mask is not None:
            arguments.update(self._mask_arguments(pipe, batch))
            mask = latents.latent_mask(self._denoised_mask(pipe), latents.latent_shape(job))
            if strength >= 1.0:
                arguments["latents"] = noise.to(self.device, self.models.checkpoint.pipe.unet.dtype)
        fill = imaging.latent_fill(job.mask.fill) if job.mask else None
        latents.inject_noise(pipe.scheduler, noise, fill, mask)
        return arguments

    def _mask_arguments(self, pipe, batch: Batch) -> dict[str, Any]:
        """The inpainting mask; at full resolution one init image and one mask, cropped by diffusers around
        the masked area (`padding_mask_crop`) and pasted back by it."""
        job, mask = self.job, self.inputs.mask
        arguments: dict[str, Any] = {"height": job.height, "width": job.width}
        if self._crops_to_mask():
            assert job.mask is not None
            arguments.update(
                image=batch.init_images[0], mask_image=mask, padding_mask_crop=job.mask.full_res_padding
            )
        else:
            arguments["mask_image"] = [mask] * batch.size
        return arguments

    def _denoised_mask(self, pipe) -> Image.Image:
        """The mask over the area the pipeline denoises: at full resolution, the crop diffusers takes around
        the masked area, resized to the output size."""
        job, mask = self.job, self.inputs.mask
        assert mask is not None and job.mask is not None
        if not self._crops_to_mask():
            return mask
        crop = pipe.mask_processor.get_crop_region(mask, job.width, job.height, pad=job.mask.full_res_padding)
        return mask.crop(crop).resize((job.width, job.height), Image.BILINEAR)

    def _refine(
        self,
        base_latents: torch.Tensor,
        batch: Batch,
        noise: ImageNoise,
        switch: float,
        prompts: JobConditioning,
        *,
        job: Job | None = None,
        steps: int | None = None,
    ) -> list[Image.Image]:
        """The refiner's pass: img2img on the base pass's latents from `switch` on (the samplers' noise
        continues the batch's streams, as A1111's one sampling loop does across the model swap); `job` and
        `steps` are those of hires fix's second pass when it is the one handing over."""
        assert self.models.refiner is not None
        refine = self._pipeline(self.models.refiner, Task.IMG2IMG, noise, job=job)
        step_arguments = self._step_arguments(batch)
        if steps is not None:
            step_arguments["num_inference_steps"] = steps
        return refine(
            **prompts.refiner_kwargs(refine, batch.size, self.progress.callback),
            **step_arguments,
            image=base_latents,
            denoising_start=switch,
        ).images


def _hand_off(pipe, switch: float, then: Callable) -> tuple[Callable, dict[str, Any]]:
    """(step callback, pipeline arguments) that end the base pass where the refiner takes over: diffusers'
    `denoising_end` where the pipeline takes it, else a callback that stops the pass at the same step."""
    if "denoising_end" in inspect.signature(pipe.__call__).parameters:
        return then, {"denoising_end": switch}
    return _stop_at(switch, then), {}


def _stop_at(switch: float, then: Callable) -> Callable:
    """A step callback that ends the pass at the timestep `denoising_end=switch` would end it at, for the
    pipelines that take no `denoising_end` (SDXL ControlNet img2img): the steps at timesteps at or above
    the cut-off run, then the pipeline is interrupted and returns its latents for the refiner."""

    def callback(pipe, step: int, timestep, kwargs: dict) -> dict:
        kwargs = then(pipe, step, timestep, kwargs)
        cutoff = round(pipe.scheduler.config.num_train_timesteps * (1 - switch))
        run = pipe.scheduler.timesteps[-pipe.num_timesteps :]
        if step + 1 >= int((run >= cutoff).sum()):
            pipe._interrupt = True
        return kwargs

    return callback
