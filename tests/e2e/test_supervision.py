"""The local stack supervises the inference server as SageMaker would: kill it during a job and the job
ends FAILED with a reason that says so, the server is restarted, and the next job succeeds."""

from __future__ import annotations

import os
import signal

import pytest

from local.container_process import server_pid

pytestmark = pytest.mark.e2e

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
MODEL = "v1-5-pruned-emaonly"
SLOW = {"prompt": "a long job", "width": 2048, "height": 2048, "steps": 150, "model": MODEL}
"""Keeps the tiny SD 1.5 model busy for a while."""
QUICK = {"prompt": "after the crash", "steps": 2, "width": 64, "height": 64, "model": MODEL}


def submit(stack, body: dict) -> str:
    answer = stack.post("/v1/jobs", body)
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def job(stack, job_id: str) -> dict:
    answer = stack.get(f"/v1/jobs/{job_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_killed_inference_server_fails_its_job_with_a_reason_and_the_next_job_succeeds(stack):
    running = submit(stack, SLOW)
    stack.wait(lambda: job(stack, running), lambda b: b["progress"]["step"] > 0 or b["state"] in TERMINAL)
    pid = server_pid(stack.pid)
    assert pid is not None, stack.log_tail()

    os.kill(pid, signal.SIGKILL)
    failed = stack.wait(lambda: job(stack, running), lambda b: b["state"] in TERMINAL)

    assert failed["state"] == "FAILED", failed
    assert "exited while running this job" in failed["error"]
    after = submit(stack, QUICK)
    done = stack.wait(lambda: job(stack, after), lambda b: b["state"] in TERMINAL)
    assert done["state"] == "COMPLETED", done
    assert server_pid(stack.pid) not in (None, pid), "a new server process"
