"""Step 5 of a job, post-process: face restoration, the inpainting overlay, the job's extras (v3
`upscale`), the safety checker's verdicts, the detected ControlNet maps, and the A1111 infotext describing
each image."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PIL import Image

from inference_container import controlnet as cn
from inference_container import imaging, infotext, samplers
from inference_container.catalog import ModelCatalog
from inference_container.conditioning import JobConditioning
from inference_container.embeddings import ti_hashes
from inference_container.extras import postprocess_image
from inference_container.loras import lora_hashes
from inference_container.steps.inputs import JobInputs
from inference_container.steps.load import LoadedModels
from inference_container.steps.plan import Plan
from sdapi.schema.job import Job, NoiseSource, Task


@dataclass
class Finished:
    """The job's images after post-processing, with what is returned beside them."""

    images: list[Image.Image]
    maps: list[Image.Image]
    """Detected ControlNet maps, one per unit (stored after the generated images)."""
    nsfw: list[bool]
    """The safety checker's verdict per image (True: the image was replaced by a black one)."""


def postprocess(
    job: Job, models: LoadedModels, inputs: JobInputs, images: list[Image.Image], first: int = 0
) -> Finished:
    """Restore faces (CodeFormer with the job's `codeformer_weight`), paste inpainted pixels back over the
    originals, run the job's extras (v3 `upscale`) and ask the safety checker (a flagged image is replaced
    by a black image of the same size, as diffusers' checker does), for the job's images from index `first`
    on (one batch at a time, so that a batch is stored while the next one denoises).

    At full resolution diffusers pastes the inpainted crop back itself, so no overlay is made here.
    """
    if models.face_restorer is not None:
        images = [models.face_restorer.restore(image, job.codeformer_weight) for image in images]
    if inputs.mask is not None and job.mask is not None and not job.mask.full_res:
        init = inputs.init_images
        originals = [init[(first + i) % len(init)] for i in range(len(images))]
        images = [imaging.overlay(o, g, inputs.mask) for o, g in zip(originals, images, strict=True)]
    if job.extras is not None:
        images = [postprocess_image(image, job.extras, models.post).image for image in images]
    checker = models.safety_checker
    nsfw = checker.check(images) if checker is not None else [False] * len(images)
    images = [_black(image) if flagged else image for image, flagged in zip(images, nsfw, strict=True)]
    return Finished(images=images, maps=[unit.control_image for unit in inputs.control], nsfw=nsfw)


def _black(image: Image.Image) -> Image.Image:
    """A black image of `image`'s size and mode: what an image the safety checker flags becomes."""
    return Image.new(image.mode, image.size)


@dataclass(frozen=True)
class Ran:
    """What steps 2-4 used, as far as the description names it."""

    models: LoadedModels
    inputs: JobInputs
    prompts: JobConditioning


@dataclass(frozen=True)
class Described:
    """What the job ran, as A1111 reports it: the `info` JSON and one infotext per image."""

    info: str
    infotexts: list[str]

    def made(self, count: int) -> Described:
        """The description of the first `count` images (an interrupted job makes fewer than planned): as in
        A1111's `Processed`, `infotexts` lists the images made while `all_seeds` and the other `all_` lists
        still name the whole job."""
        if count >= len(self.infotexts):
            return self
        info = json.loads(self.info)
        info["infotexts"] = info["infotexts"][:count]
        return Described(json.dumps(info, ensure_ascii=False), self.infotexts[:count])


def describe(
    job: Job,
    plan: Plan,
    ran: Ran,
    catalog: ModelCatalog,
    count: int,
    postprocessing: dict[str, Any] | None = None,
) -> Described:
    """A1111's `info` JSON and one infotext per image, for `count` generated images (with what the
    extras after generation do, `postprocessing`)."""
    facts = infotext.GenerationFacts(
        model_name=plan.checkpoint.name,
        model_hash=plan.checkpoint.hash,
        vae_name=plan.vae.name if plan.vae else None,
        vae_hash=plan.vae.hash if plan.vae else None,
        face_restorer=plan.face_restorer.name if plan.face_restorer else None,
        inpainting_conditioning=job.task == Task.INPAINT and ran.models.checkpoint.inpainting_unet,
        styled_prompt=plan.text.styled_prompt,
        styled_negative=plan.text.styled_negative,
        styles=[style.name for style in job.styles],
    )
    if plan.refiner is not None and job.refiner is not None:
        refiner = plan.refiner
        facts.extra["Refiner"] = f"{refiner.name} [{refiner.hash}]" if refiner.hash else refiner.name
        facts.extra["Refiner switch at"] = job.refiner.switch_at
    hires_checkpoint = plan.hires_checkpoint
    title = None
    if hires_checkpoint is not None:
        title = f"{hires_checkpoint.name} [{hires_checkpoint.hash}]" if hires_checkpoint.hash else None
        title = title or hires_checkpoint.name
    facts.extra.update(infotext.hires_facts(job, title))
    for index, unit in enumerate(ran.inputs.control):
        facts.extra[f"ControlNet {index}"] = cn.infotext_entry(unit)
    for knob, value in samplers.job_knobs(job).items():
        facts.extra[infotext.KNOB_LABELS[knob]] = value
    if job.noise_source != NoiseSource.GPU:
        facts.extra["RNG"] = job.noise_source.value
    if job.eta_noise_seed_delta:
        facts.extra["ENSD"] = job.eta_noise_seed_delta
    if hashes := ti_hashes(catalog, ran.prompts.embeddings_used):
        facts.extra["TI hashes"] = hashes
    if hashes := lora_hashes(plan.loras):
        facts.extra["Lora hashes"] = hashes
    facts.extra.update(postprocessing or {})
    seeds, subseeds = ran.inputs.seeds, ran.inputs.subseeds
    texts = [infotext.infotext(job, facts, seeds, subseeds, i) for i in range(count)]
    return Described(infotext.info_json(job, facts, seeds, subseeds), texts)
