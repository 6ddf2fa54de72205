"""Step 3 of a job, the inputs: the decoded input images (init images, mask, ControlNet maps) fitted to the
output size, every image's seeds, and the job cut into `n_iter` batches of `batch_size` images."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from inference_container import controlnet as cn
from inference_container import imaging, seeds
from sdapi.schema.job import InpaintFill, Job, ResizeMode, Task


@dataclass
class JobInputs:
    """The job's decoded inputs, fitted to the output size, and every image's seeds."""

    init_images: list[Image.Image]
    mask: Image.Image | None
    control: list[cn.PreparedUnit]
    """One prepared unit per ControlNet unit; its `control_image` is also returned as the detected map."""
    seeds: list[int]
    subseeds: list[int]


@dataclass(frozen=True)
class Batch:
    """One pipeline call's worth of images: iteration `iteration` of `n_iter`."""

    iteration: int
    seeds: list[int]
    subseeds: list[int]
    init_images: list[Image.Image]
    """The init image of each image in the batch (cycling through the job's init images), or none."""

    @property
    def size(self) -> int:
        """The number of images in the batch."""
        return len(self.seeds)

    def single_images(self) -> list[Batch]:
        """The batch as one batch per image (same iteration, each image keeps its own seeds)."""
        return [
            Batch(
                iteration=self.iteration,
                seeds=[seed],
                subseeds=[self.subseeds[i]],
                init_images=[self.init_images[i]] if self.init_images else [],
            )
            for i, seed in enumerate(self.seeds)
        ]


def prepare_inputs(job: Job) -> JobInputs:
    """Decode and fit the init images, the mask and the ControlNet images; compute every image's seeds."""
    all_seeds, all_subseeds = seeds.image_seeds(job)
    control = [cn.prepare_unit(unit, job, i) for i, unit in enumerate(job.controlnet)]
    init_images, mask = _init_images_and_mask(job)
    return JobInputs(init_images, mask, control, all_seeds, all_subseeds)


def batches(job: Job, inputs: JobInputs) -> Iterator[Batch]:
    """The job's `n_iter` batches, in order."""
    for iteration in range(job.n_iter):
        first = iteration * job.batch_size
        window = slice(first, first + job.batch_size)
        init = inputs.init_images
        yield Batch(
            iteration=iteration,
            seeds=inputs.seeds[window],
            subseeds=inputs.subseeds[window],
            init_images=[init[(first + i) % len(init)] for i in range(job.batch_size)] if init else [],
        )


def _init_images_and_mask(job: Job) -> tuple[list[Image.Image], Image.Image | None]:
    if job.task == Task.TXT2IMG:
        return [], None
    mode = job.resize_mode
    fit = ResizeMode.JUST_RESIZE if mode == ResizeMode.LATENT_UPSCALE else mode
    images = []
    for i, data in enumerate(job.init_images):
        image = imaging.decode_image(data, f"init_images[{i}]").convert("RGB")
        # latent upscale encodes each image at its own size; the latents are resized instead
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
