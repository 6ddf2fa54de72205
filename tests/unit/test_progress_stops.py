"""The worker's step callback tells cancel (no result) from A1111's interrupt and skip (the iteration ends on
the scheduler's denoised estimate, which is kept), from the signals its last progress write read back."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from inference_container.steps.progress import Progress
from sdapi.schema.job_writes import Signals


class Tracker:
    """A job tracker whose progress writes answer `running` and read back `signals`."""

    def __init__(self, running: bool = True, signals: Signals | None = None):
        self.running, self.signals = running, signals or Signals()

    def progress(self, step, total, *, preview=None) -> bool:
        return self.running


def pipe(estimate: torch.Tensor | None = None):
    scheduler = SimpleNamespace(last_step=SimpleNamespace(pred_original_sample=estimate), config={})
    return SimpleNamespace(num_timesteps=4, scheduler=scheduler, _interrupt=False)


def progress(tracker: Tracker, iteration: int = 0) -> Progress:
    job = SimpleNamespace(steps=4, n_iter=2)
    stepping = Progress(job, tracker, deadline=None)
    stepping.phase(iteration, 0.0, 1.0)
    return stepping


def test_a_cancel_stops_the_job():
    stepping = progress(Tracker(running=False))
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    assert stepping.stopped is True


def test_an_interrupt_is_no_cancel():
    stepping = progress(Tracker(signals=Signals(interrupted=True)))
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    assert stepping.stopped is False


def test_an_interrupt_ends_the_pipeline_call():
    stepping, call = progress(Tracker(signals=Signals(interrupted=True))), pipe()
    stepping.callback(call, 0, 999, {"latents": torch.zeros(1)})
    assert call._interrupt is True


def test_an_interrupt_leaves_the_denoised_estimate_as_the_latents():
    estimate = torch.ones(1)
    stepping = progress(Tracker(signals=Signals(interrupted=True)))
    returned = stepping.callback(pipe(estimate), 0, 999, {"latents": torch.zeros(1)})
    assert torch.equal(returned["latents"], estimate)


def test_an_interrupt_ends_every_later_iteration_too():
    stepping = progress(Tracker(signals=Signals(interrupted=True)))
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    stepping.phase(1, 0.0, 1.0)
    assert stepping.ends_iteration is True


def test_a_skip_ends_the_iteration_it_was_read_in():
    stepping = progress(Tracker(signals=Signals(skips=1)))
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    assert stepping.ends_iteration is True


def test_a_skip_is_acted_on_once():
    stepping = progress(Tracker(signals=Signals(skips=1)))
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    stepping.phase(1, 0.0, 1.0)
    call = pipe()
    stepping.callback(call, 0, 999, {"latents": torch.zeros(1)})
    assert call._interrupt is False


def test_a_new_skip_ends_the_next_iteration():
    tracker = Tracker(signals=Signals(skips=1))
    stepping = progress(tracker)
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    stepping.phase(1, 0.0, 1.0)
    tracker.signals = Signals(skips=2)
    stepping.callback(pipe(), 0, 999, {"latents": torch.zeros(1)})
    assert stepping.skipped_iteration == 1


def test_signals_of_an_item_without_them_are_none():
    assert Signals.of({"state": {"S": "IN_PROGRESS"}}) == Signals()


def test_signals_are_read_from_the_wire_form():
    item = {"interrupted": {"BOOL": True}, "skips": {"N": "3"}}
    assert Signals.of(item) == Signals(interrupted=True, skips=3)
