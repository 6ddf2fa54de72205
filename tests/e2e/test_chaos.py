"""Chaos for the job lifecycle through the local stack: a bounded storm of small jobs from 12 clients over
four dialects, random cancels and the inference server killed once (`bench/chaos_bench.py`). Afterwards
every accepted job is terminal, none is missing, and the counters `system_load` / `health` read equal a
recount of the jobs. Job-read latency is printed (recorded in docs/benchmarks.md), never asserted."""

from __future__ import annotations

import json

import pytest

from bench.chaos_bench import local_server_kill, run_storm

pytestmark = pytest.mark.e2e

CLIENTS = 12
JOBS = 36


def active(load: dict) -> int:
    return sum(int(p.get("queued", 0)) + int(p.get("in_progress", 0)) for p in load.get("pools", []))


@pytest.fixture(scope="module")
def storm(stack):
    stack.wait(lambda: stack.get("/v1/system/load").json(), lambda load: active(load) == 0)  # quiet first
    kill = local_server_kill(stack.pid)
    report = run_storm(stack.url, stack.key, clients=CLIENTS, jobs=JOBS, cancel=0.25, kill_server=kill)
    print(json.dumps({"job_reads": report.latency(), "states": dict(report.states())}))
    return report


def test_every_submit_of_the_storm_is_accepted(storm):
    assert (len(storm.accepted), storm.refused) == (JOBS, [])


def test_no_accepted_job_is_missing(storm):
    assert storm.missing == []


def test_every_job_is_terminal(storm):
    assert storm.not_terminal == []


def test_the_server_was_killed_during_the_storm(storm):
    assert storm.killed_pid is not None


def test_the_outcome_counters_equal_a_recount_of_the_jobs(storm):
    assert storm.counter_deltas() == storm.recount()


def test_no_job_is_left_counted_as_queued_or_running(storm):
    assert storm.gauges() == (0, 0)
