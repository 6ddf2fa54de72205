"""Compiled UNet and VAE: the warmed buckets serve every common job without a recompile.

`torch.compile` with a counting backend makes the same guard decisions as inductor on a GPU (it only skips
code generation), so counting the graphs it is handed over a mix of jobs finds every recompile a request
would trigger.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inference_container import warmup
from inference_container.compilation import Compiler, CompileSettings
from inference_container.pipelines import ModelCache
from inference_container.worker import Worker
from tests.container.conftest import make_job, pixels

pytestmark = pytest.mark.container

SIZE = 64
REFINER = {"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.8}
LONG_PROMPT = "a lighthouse on a cliff at dusk, " * 6
"""Longer than one 75-token chunk: the text sequence is 154 tokens instead of 77."""
MIX = {
    "DPM++ 2M Karras, batch 1, cfg 7": dict(sampler="DPM++ 2M", scheduler="karras"),
    "Euler a, batch 2, cfg 7": dict(sampler="Euler a", batch_size=2),
    "Euler a, batch 1, cfg 1": dict(sampler="Euler a", cfg_scale=1),
    "DPM++ SDE Karras, batch 2, cfg 1": dict(
        sampler="DPM++ SDE", scheduler="karras", batch_size=2, cfg_scale=1
    ),
    "DDIM, batch 3": dict(sampler="DDIM", batch_size=3),
    "Euler, n_iter 2": dict(sampler="Euler", n_iter=2),
    "a two-chunk prompt": dict(prompt=LONG_PROMPT, negative_prompt=LONG_PROMPT),
    "refiner, DPM++ 2M, batch 1, cfg 7": dict(sampler="DPM++ 2M", refiner=REFINER),
    "refiner, Euler a, batch 2, cfg 1": dict(sampler="Euler a", batch_size=2, cfg_scale=1, refiner=REFINER),
    "refiner, DPM++ 2M Karras, batch 2, cfg 7": dict(
        sampler="DPM++ 2M", scheduler="karras", batch_size=2, refiner=REFINER
    ),
}


class CountingBackend:
    """A torch.compile backend that runs the traced graph as is and counts the graphs it is given."""

    def __init__(self):
        self.graphs = 0

    def __call__(self, graph_module, example_inputs):
        self.graphs += 1
        return graph_module.forward


def sdxl_job(**fields):
    values = dict(model="sd_xl_base_1.0", pool="sdxl", width=SIZE, height=SIZE, steps=3)
    return make_job(**{**values, **fields})


@pytest.fixture(scope="module")
def warmed(catalog):
    """A worker whose models are compiled and whose 64x64 bucket is warmed, base and refiner; after the
    warm-up any recompile raises."""
    backend = CountingBackend()
    compiler = Compiler(CompileSettings(backend=backend), outside_buckets="fail_on_recompile")
    models = ModelCache(catalog, torch.device("cpu"), torch.float32, compiler=compiler)
    worker = Worker(catalog, models)
    base, refiner = catalog.find("sd_xl_base_1.0"), catalog.find("sd_xl_refiner_1.0")
    models.checkpoint(base)
    models.checkpoint(refiner)
    jobs = list(warmup.bucket_jobs(base, refiner, warmup.buckets(base, [(SIZE, SIZE)])))
    with compiler.warm_up():
        warmup.run(worker.generate, jobs)
    return worker, compiler, backend


@pytest.mark.parametrize("name", list(MIX))
def test_a_job_in_the_warmed_bucket_compiles_nothing(warmed, name):
    worker, _, backend = warmed
    before = backend.graphs

    result = worker.generate(sdxl_job(**MIX[name]))  # fail_on_recompile: a guard miss raises here

    assert backend.graphs == before
    assert len(result.images) == MIX[name].get("batch_size", 1) * MIX[name].get("n_iter", 1)


def test_the_warm_up_of_one_size_compiles_six_graphs(warmed):
    _, _, backend = warmed

    # base UNet: batch 1 + dynamic batch; refiner UNet: the same; VAE decoder: batch 1 + dynamic batch,
    # shared by the base's and refiner's VAEs (one architecture; the weights are graph inputs)
    assert backend.graphs == 6


def test_a_compiled_job_has_the_pixels_of_an_eager_one(warmed, catalog):
    worker, _, _ = warmed
    eager_worker = Worker(catalog, ModelCache(catalog, torch.device("cpu"), torch.float32))
    job = sdxl_job(sampler="DPM++ 2M", scheduler="karras", batch_size=2)

    compiled = worker.generate(job).images
    eager = eager_worker.generate(job).images

    np.testing.assert_allclose(pixels(compiled[0]), pixels(eager[0]), atol=1)
    np.testing.assert_allclose(pixels(compiled[1]), pixels(eager[1]), atol=1)


def test_a_job_outside_the_buckets_runs_eager_without_compiling(warmed):
    worker, compiler, backend = warmed
    before = backend.graphs
    compiler.outside_buckets = "eager_on_recompile"
    try:
        result = worker.generate(sdxl_job(width=96, sampler="Euler a"))
    finally:
        compiler.outside_buckets = "fail_on_recompile"

    assert backend.graphs == before
    assert result.images[0].size == (96, SIZE)


def test_without_the_eager_fallback_a_new_size_would_recompile(warmed):
    worker, _, _ = warmed

    with pytest.raises(RuntimeError, match=r"[Rr]ecompil"):
        worker.generate(sdxl_job(width=SIZE, height=96))
