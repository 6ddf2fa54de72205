"""Cold start of the api Lambda against a bare Powertools resolver + boto3 + pydantic app, interleaved.

    .venv/bin/python bench/cold_import_bench.py [--runs 15]

Each run starts a fresh interpreter per case, in an order that alternates from run to run so machine load
hits all alike, and times with `time.perf_counter`:
- `import`: `import <module>` alone (the api handler, the baseline);
- `first request`: the import and then the first request through the module's `handler`. For the api, one
  case per dialect: an unauthenticated GET (POST for v3) of one of its routes, answered 401 in the dialect
  without any AWS call, so it times building the function, that dialect's routes and models, and
  Powertools' validation of the request. For the baseline, a valid `POST /v1/jobs`.
The api handler builds its routes on first use (`sdapi.api.app`), so the import alone does less than the
baseline's; the first-request ratios say what a cold start without SnapStart costs. The baseline
(`bench/baseline/bare_api.py`) imports boto3 and makes its clients on first use, as the api handler does
(`sdapi.aws.clients`), so both sides do the same AWS work at init. Prints JSON: per case the median, min,
max and the interquartile range (ms), and the ratios of the medians (api / baseline). Target (issue 10):
ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambdas"), str(ROOT)]

MODULES = {"api": "sdapi.handlers.api", "baseline": "bench.baseline.bare_api"}

FIRST_REQUESTS = {  # case -> (module, method, path, body)
    "api_native": (MODULES["api"], "GET", "/v1/jobs/bench", None),
    "api_runpod": (MODULES["api"], "GET", "/v2/bench/status/bench", None),
    "api_a1111": (MODULES["api"], "GET", "/sdapi/v1/options", None),
    "api_v3": (MODULES["api"], "POST", "/api/v3/fetch/bench", "{}"),
    "api_tasks": (MODULES["api"], "GET", "/v1alpha2/bench", None),
    "baseline": (MODULES["baseline"], "POST", "/v1/jobs", '{"prompt": "a cat"}'),
}
EXPECTED_STATUS = {"baseline": 200}
"""Every api case is refused with 401 (no key); a case that answers otherwise stops the bench."""


def environment() -> dict[str, str]:
    from bench.api_bench import settings_env
    from bench.fake_aws import fake_aws_env

    env = fake_aws_env(os.environ)
    env.update(settings_env())
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def one_import(module: str, env: dict[str, str]) -> float:
    code = (
        f"import time; t = time.perf_counter(); import {module}; "
        "print(round((time.perf_counter() - t) * 1000, 2))"
    )
    return _timed(code, env)[0]


def one_first_request(case: str, env: dict[str, str]) -> float:
    """Import the case's module and send it its first request; the milliseconds both took."""
    module, method, path, body = FIRST_REQUESTS[case]
    event = {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Host": "bench.example.com", "Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {"requestId": "bench", "stage": "prod", "identity": {"sourceIp": "127.0.0.1"}},
    }
    code = (
        "import time, types\n"
        f"event = {event!r}\n"
        "context = types.SimpleNamespace(function_name='bench', memory_limit_in_mb=1024, "
        "invoked_function_arn='arn:aws:lambda:us-east-1:123456789012:function:bench', "
        "aws_request_id='bench', get_remaining_time_in_millis=lambda: 29000)\n"
        f"t = time.perf_counter(); import {module}; answer = {module}.handler(event, context)\n"
        "print(round((time.perf_counter() - t) * 1000, 2), answer['statusCode'])\n"
    )
    elapsed, status = _timed(code, env)
    expected = EXPECTED_STATUS.get(case, 401)
    if status != expected:
        raise SystemExit(f"{case}: {method} {path} answered {status}, expected {expected}")
    return elapsed


def _timed(code: str, env: dict[str, str]) -> tuple[float, int | None]:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    words = out.stdout.strip().splitlines()[-1].split()
    return float(words[0]), int(words[1]) if len(words) > 1 else None


def summary(times: list[float]) -> dict[str, float]:
    quartiles = statistics.quantiles(times, n=4)
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "max_ms": round(max(times), 1),
        "iqr_ms": round(quartiles[2] - quartiles[0], 1),
        "runs": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = environment()
    for case in FIRST_REQUESTS:  # warm the OS file cache and check every answer; not counted
        one_first_request(case, env)
    cases = [("import", name, lambda m=module: one_import(m, env)) for name, module in MODULES.items()]
    cases += [("first_request", case, lambda c=case: one_first_request(c, env)) for case in FIRST_REQUESTS]
    times: dict[str, dict[str, list[float]]] = {"import": {}, "first_request": {}}
    for run in range(args.runs):
        for kind, name, measure in cases if run % 2 == 0 else reversed(cases):
            times[kind].setdefault(name, []).append(measure())
    result: dict[str, object] = {}
    for kind, by_name in times.items():
        medians = {name: summary(values) for name, values in by_name.items()}
        base = medians["baseline"]["median_ms"]
        ratios = {name: round(m["median_ms"] / base, 2) for name, m in medians.items() if name != "baseline"}
        result[kind] = {**medians, "ratio_of_medians": ratios}
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
