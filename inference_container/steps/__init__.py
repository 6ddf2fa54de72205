"""The worker's steps, one module each, in the order a job runs them (see `inference_container.worker`):

1. `plan`        every model, LoRA and embedding the job names, resolved and checked
2. `load`        the plan's models on the device, from the model cache
3. `inputs`      init images, mask, ControlNet maps and every image's seeds (the prompts are encoded by
                 `inference_container.conditioning` once the job's LoRAs are active)
4. `denoise`     per batch: the seeded initial noise (`latents`), the base pass and the refiner pass
5. `postprocess` face restoration, the inpainting overlay, the safety checker, the infotext
6. storing the PNGs is the worker's own last step

`progress` turns the pipelines' step callbacks into job progress and the answer to "go on?".
"""
