"""Cold import of the api Lambda against a bare Powertools resolver + boto3 + pydantic app, interleaved.

    .venv/bin/python bench/cold_import_bench.py [--runs 15]

Each run starts a fresh interpreter per module (api handler, baseline, in alternating order so machine load
hits both alike) and times `import <module>` with `time.perf_counter`. The baseline
(`bench/baseline/bare_api.py`) imports boto3 and makes its clients on first use, as the api handler does
(`sdapi.aws.clients`), so both sides do the same AWS work at init. Prints JSON: per module the median, min,
max and the interquartile range (ms), and the ratio of the medians (api / baseline). Target (issue 10):
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


def environment() -> dict[str, str]:
    sys.path.insert(0, str(ROOT / "bench"))
    from api_bench import FAKE_AWS, settings_env

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(FAKE_AWS)
    env.update(settings_env())
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "lambdas"), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def one_import(module: str, env: dict[str, str]) -> float:
    code = (
        f"import time; t = time.perf_counter(); import {module}; "
        "print(round((time.perf_counter() - t) * 1000, 2))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


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
    for module in MODULES.values():  # warm the OS file cache; not counted
        one_import(module, env)
    times: dict[str, list[float]] = {name: [] for name in MODULES}
    for run in range(args.runs):
        order = list(MODULES.items()) if run % 2 == 0 else list(reversed(MODULES.items()))
        for name, module in order:
            times[name].append(one_import(module, env))
    result = {name: summary(values) for name, values in times.items()}
    result["ratio_of_medians"] = round(result["api"]["median_ms"] / result["baseline"]["median_ms"], 2)
    result["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
