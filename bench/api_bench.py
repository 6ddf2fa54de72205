"""API handler benchmark: cold import time, and per-request time and AWS call counts for submit and fetch.

    .venv/bin/python bench/api_bench.py [--imports 5] [--requests 30]

- Cold import: `import sdapi.handlers.api` in a fresh interpreter (what a Lambda cold start pays before the
  first request), measured with `time.perf_counter` around the import, several runs; also the top modules by
  cumulative time from `python -X importtime`.
- Per request: the unchanged api handler invoked in-process with API Gateway proxy events against moto
  (`mock_aws`); AWS calls counted with botocore's `before-call` event on the `sdapi.aws` clients. moto runs
  in-process, so the times are handler + botocore + moto CPU time, not AWS latency.

Targets: cold import <= 300 ms; submit = 4 AWS calls; fetch = 1.
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
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambdas"), str(ROOT)]

from bench.fake_aws import fake_aws_env, use_fake_aws  # noqa: E402


def settings_env() -> dict[str, str]:
    from local.catalog import local_catalog
    from sdapi.config import Settings

    settings = Settings(
        jobs_table="sdapi-jobs", keys_table="sdapi-keys", bucket="sdapi-data", catalog=local_catalog()
    )
    return settings.to_env()


def cold_imports(runs: int, module: str = "sdapi.handlers.api") -> dict[str, object]:
    env = fake_aws_env(os.environ)
    env.update(settings_env())
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)])
    code = (
        f"import time; t = time.perf_counter(); import {module}; "
        "print(round((time.perf_counter() - t) * 1000, 1))"
    )
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    cumulative: dict[str, int] = {}
    for line in trace.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cum, name = line[len("import time:") :].split("|")
        cumulative[name.strip()] = max(cumulative.get(name.strip(), 0), int(cum))
    watched = (
        "boto3",
        "botocore",
        "pydantic",
        "aws_lambda_powertools",
        "PIL",
        "urllib3",
        "sdapi.api",
        "sdapi.dialects",
        "sdapi.service.jobs",
        "sdapi.aws.jobs_table",
    )
    return {
        "runs_ms": times,
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "cumulative_ms_by_module": {m: round(cumulative[m] / 1000, 1) for m in watched if m in cumulative},
    }


class Context:
    function_name = "sdapi-api"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sdapi-api"
    aws_request_id = "bench"


def event(method: str, path: str, key: str, body: object | None = None) -> dict:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"x-api-key": key, "content-type": "application/json", "Host": "api.example.com"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "bench",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def requests_bench(n: int) -> dict[str, object]:
    use_fake_aws()
    os.environ.update(settings_env())
    from moto import mock_aws

    with mock_aws():
        from local.catalog import local_catalog
        from local.resources import create_resources
        from sdapi.auth import create_key
        from sdapi.aws.clients import client
        from sdapi.aws.keys_table import KeysTable
        from sdapi.config import Settings

        resources = create_resources(Settings.from_env(), catalog=local_catalog())
        key = create_key(KeysTable(resources.keys_table), owner="bench").key
        import sdapi.handlers.api as api

        calls: list[tuple[str, str]] = []
        for service in ("s3", "dynamodb", "sagemaker-runtime", "sagemaker"):
            client(service).meta.events.register(
                "before-call", lambda model, **_: calls.append((model.service_model.service_name, model.name))
            )
        body = {
            "prompt": "an astronaut riding a horse",
            "model": "sd_xl_base_1.0",
            "width": 1024,
            "height": 1024,
            "steps": 30,
            "sampler": "DPM++ 2M",
            "scheduler": "karras",
        }
        results: dict[str, dict[str, object]] = {}
        ids: list[str] = []
        for name in ("submit", "fetch"):
            times, per_call = [], []
            for i in range(n + 1):
                calls.clear()
                if name == "submit":
                    request = event("POST", "/v1/jobs", key, body)
                else:
                    request = event("GET", f"/v1/jobs/{ids[i % len(ids)]}", key)
                start = time.perf_counter()
                response = api.handler(request, Context())
                elapsed = (time.perf_counter() - start) * 1000
                assert response["statusCode"] in (200, 202), response
                if name == "submit":
                    ids.append(json.loads(response["body"])["id"])
                if i == 0:
                    made = dict(Counter(f"{s}:{o}" for s, o in calls))
                    first = {"ms": round(elapsed, 1), "aws_calls": made}
                    continue
                times.append(elapsed)
                per_call.append(tuple(calls))
            distinct = Counter(per_call)
            typical = distinct.most_common(1)[0][0]
            results[name] = {
                "first_request": first,
                "median_ms": round(statistics.median(times), 1),
                "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 1),
                "aws_calls_per_request": len(typical),
                "calls": [f"{s}:{o}" for s, o in typical],
                "requests": len(times),
            }
        return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--imports", type=int, default=5)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    report = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPU, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": os.getloadavg(),
        "cold_import_sdapi_handlers_api": cold_imports(args.imports),
        "cold_import_front_door_core": cold_imports(
            args.imports, "sdapi.service.jobs, sdapi.aws.jobs_table, sdapi.aws.bucket, sdapi.aws.sagemaker"
        ),
        "requests": requests_bench(args.requests),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
