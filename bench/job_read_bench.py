"""Job reads while jobs are written, against the local stack's DynamoDB (moto server, requests serialised).

    .venv/bin/python bench/job_read_bench.py [--jobs 300] [--writers 4] [--readers 4] [--rounds 2]

The chaos storm (`bench/chaos_bench.py`) saw job reads of up to 15-20 s under 12 clients. This isolates the
store: `--writers` threads write `--jobs` jobs with the product's own DynamoDB requests (the create
transaction with its counter move, then QUEUED → IN_PROGRESS → COMPLETED, each one `TransactWriteItems`
built by `sdapi.schema.job_writes`), while `--readers` threads read random written jobs with the strongly
consistent `GetItem` that `GET /v1/jobs/{id}` makes. Each round runs two fresh servers, one per mode, in
alternating order (separate interpreters):

- `shipped`: moto's own transactions (each backs up the whole table and stream by deep copy);
- `patched`: `local.moto_transactions` installed, as `make local` and the tests run it.

Prints JSON per mode: read latency (p50 / p99 / max, ms) over the whole run and over the first and last
quarter of the jobs (growth with the table), and the writers' transactions per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambdas"), str(ROOT)]

from bench.fake_aws import use_fake_aws  # noqa: E402


def percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "reads": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 1),
        "p99_ms": round(percentile(ordered, 99), 1),
        "max_ms": round(ordered[-1], 1) if ordered else 0.0,
    }


def job_item(job_id: str, now: float) -> dict:
    """A job item of the size a small txt2img job has (request, summary, prompt), in wire form."""
    from sdapi.schema.job_writes import wire

    request = {"prompt": "a lighthouse at dawn, " * 20, "steps": 20, "width": 512, "height": 512}
    return {
        "id": wire(job_id),
        "state": wire("QUEUED"),
        "attempt": wire(0),
        "pool": wire("sd15"),
        "active_pool": wire("sd15"),
        "deadline_at": wire(now + 3600),
        "created_at": wire(now),
        "owner": wire("bench"),
        "request": wire(request),
        "summary": wire({**request, "seed": 1234}),
    }


def one_mode(mode: str, jobs: int, writers: int, readers: int) -> dict:
    """Run in a fresh interpreter: start a moto server in `mode`, write and read, return the figures."""
    use_fake_aws()  # then the moto server's endpoint
    from local import moto_transactions
    from local.moto_server import MotoServer

    if mode == "shipped":
        moto_transactions.install = lambda: None  # keep moto's own transaction backups
    server = MotoServer()
    os.environ["AWS_ENDPOINT_URL"] = server.start()

    import boto3

    from local.catalog import local_catalog
    from local.resources import create_resources
    from sdapi.config import Settings
    from sdapi.schema.job_writes import TransitionWrite, creation_counters
    from sdapi.schema.states import JobState

    settings = Settings(
        jobs_table="bench-jobs", keys_table="bench-keys", bucket="bench-data", catalog=local_catalog()
    )
    create_resources(settings)
    table = settings.jobs_table
    written: list[str] = []
    lock = threading.Lock()
    samples: list[tuple[int, float]] = []  # (jobs written when the read started, ms)
    numbers = iter(range(jobs))
    done = threading.Event()

    def writer() -> None:
        ddb = boto3.client("dynamodb")
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            job_id = f"{1_000_000 + n}"
            now = time.time()
            put = {"Put": {"TableName": table, "Item": job_item(job_id, now)}}
            ddb.transact_write_items(TransactItems=[put, creation_counters(table, "sd15", now)])
            for old, new in (
                (JobState.QUEUED, JobState.IN_PROGRESS),
                (JobState.IN_PROGRESS, JobState.COMPLETED),
            ):
                change = TransitionWrite(
                    table=table, job_id=job_id, pool="sd15", old=old, new=new, attempt=0, now=time.time()
                )
                ddb.transact_write_items(TransactItems=change.transact_items())
            with lock:
                written.append(job_id)

    def reader() -> None:
        ddb = boto3.client("dynamodb")
        rng = random.Random(15)
        while not done.is_set():
            with lock:
                pick = rng.choice(written) if written else None
                count = len(written)
            if pick is None:
                time.sleep(0.01)
                continue
            started = time.perf_counter()
            ddb.get_item(TableName=table, Key={"id": {"S": pick}}, ConsistentRead=True)
            samples.append((count, (time.perf_counter() - started) * 1000))

    started = time.perf_counter()
    writing = [threading.Thread(target=writer) for _ in range(writers)]
    reading = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in writing + reading:
        thread.start()
    for thread in writing:
        thread.join()
    wall = time.perf_counter() - started
    done.set()
    for thread in reading:
        thread.join()
    server.stop()
    quarter = jobs // 4
    return {
        "mode": mode,
        "reads": latency([ms for _, ms in samples]),
        "reads_first_quarter": latency([ms for n, ms in samples if n < quarter]),
        "reads_last_quarter": latency([ms for n, ms in samples if n >= jobs - quarter]),
        "transactions_per_s": round(3 * jobs / wall, 1),
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--one", choices=["shipped", "patched"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_mode(args.one, args.jobs, args.writers, args.readers)))
        return 0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)])}
    env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL")}
    results: dict[str, list[dict]] = {"shipped": [], "patched": []}
    for round_ in range(args.rounds):
        order = ["shipped", "patched"] if round_ % 2 == 0 else ["patched", "shipped"]
        for mode in order:
            command = [sys.executable, __file__, "--one", mode, "--jobs", str(args.jobs)]
            command += ["--writers", str(args.writers), "--readers", str(args.readers)]
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {
        mode: {
            "p50_ms_median": statistics.median(r["reads"]["p50_ms"] for r in runs),
            "p99_ms_median": statistics.median(r["reads"]["p99_ms"] for r in runs),
            "runs": runs,
        }
        for mode, runs in results.items()
    }
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()[0]}
    print(
        json.dumps(
            {
                "machine": machine,
                "jobs": args.jobs,
                "writers": args.writers,
                "readers": args.readers,
                "modes": summary,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
