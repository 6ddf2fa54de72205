"""Cancel a queued job, cancel a running job, and a job that fails on the GPU side, end to end."""

from __future__ import annotations

import pytest

from tests.e2e.runpod import RUNPOD_TERMINAL, runpod_finished, runpod_status

pytestmark = pytest.mark.e2e

POOL = "sd15"


def slow_request(**policy) -> dict:
    """A job that keeps the tiny SD 1.5 model busy for a while (largest size, many steps)."""
    body: dict = {
        "input": {
            "prompt": "a long job",
            "width": 2048,
            "height": 2048,
            "steps": 150,
            "sampler_name": "Euler",
            "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly"},
        }
    }
    if policy:
        body["policy"] = policy
    return body


def submit(stack, body: dict) -> str:
    answer = stack.post(f"/v2/{POOL}/run", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "IN_QUEUE"
    return answer.json()["id"]


def cancel(stack, job_id: str) -> dict:
    answer = stack.post(f"/v2/{POOL}/cancel/{job_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def cleanup(stack, *job_ids: str) -> None:
    for job_id in job_ids:
        if runpod_status(stack, POOL, job_id)["status"] not in RUNPOD_TERMINAL:
            stack.post(f"/v2/{POOL}/cancel/{job_id}")


def test_cancel_a_queued_job(stack):
    # given a long job occupying the pool's only worker and a second job queued behind it
    first = submit(stack, slow_request())
    second = submit(stack, slow_request())
    try:
        assert runpod_status(stack, POOL, second)["status"] == "IN_QUEUE"

        # when the queued job is cancelled
        answer = cancel(stack, second)

        # then it is CANCELLED and stays so (it never runs, even once the worker frees up)
        assert answer == {"id": second, "status": "CANCELLED"} or answer["status"] == "CANCELLED"
        cancel(stack, first)
        assert runpod_finished(stack, POOL, first)["status"] == "CANCELLED"
        final = runpod_status(stack, POOL, second)
        assert final["status"] == "CANCELLED"
        assert not (final.get("output") or {}).get("images")
    finally:
        cleanup(stack, first, second)


def test_cancel_a_running_job(stack):
    # given a long job that has started
    job_id = submit(stack, slow_request())
    try:
        stack.wait(lambda: runpod_status(stack, POOL, job_id), lambda b: b["status"] != "IN_QUEUE")

        # when it is cancelled mid-run
        answer = cancel(stack, job_id)

        # then it ends CANCELLED, and the worker is free for the next job
        assert answer["status"] == "CANCELLED"
        assert runpod_finished(stack, POOL, job_id)["status"] == "CANCELLED"
        quick = submit(
            stack,
            {
                "input": {
                    "prompt": "after the cancel",
                    "steps": 2,
                    "override_settings": {"sd_model_checkpoint": "v1-5-pruned-emaonly"},
                }
            },
        )
        assert runpod_finished(stack, POOL, quick)["status"] == "COMPLETED"
    finally:
        cleanup(stack, job_id)


def test_a_job_that_runs_past_its_execution_timeout_fails_with_a_reason(stack):
    # given a job whose execution timeout (RunPod policy, ms) is far shorter than its work
    job_id = submit(stack, slow_request(executionTimeout=1000))
    try:
        # when SageMaker's invocation timeout stops it
        done = runpod_finished(stack, POOL, job_id)

        # then the job is not completed and says why
        assert done["status"] in ("FAILED", "TIMED_OUT"), done
        assert done.get("error"), done
    finally:
        cleanup(stack, job_id)
