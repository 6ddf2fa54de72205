"""RunPod job polling over HTTP, shared by the e2e modules (no tests here)."""

from __future__ import annotations

RUNPOD_TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}


def runpod_status(stack, pool: str, job_id: str) -> dict:
    answer = stack.get(f"/v2/{pool}/status/{job_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def runpod_finished(stack, pool: str, job_id: str, timeout_s: float = 420) -> dict:
    return stack.wait(
        lambda: runpod_status(stack, pool, job_id), lambda b: b["status"] in RUNPOD_TERMINAL, timeout_s
    )
