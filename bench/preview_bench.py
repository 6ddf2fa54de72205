"""The live preview's cost per call and its stored size: `inference_container.preview.preview` (A1111's
"Approx cheap" projection, PNG encode, base64) on the latents of 512², 1024² and 2048² images, in
interleaved rounds; prints the median and spread of the time per call and the stored (base64) size.

Two kinds of latents: `noise` (unit normal, the worst case for PNG) and `smooth` (low-frequency fields, like
a denoised estimate late in the run).

    python bench/preview_bench.py --rounds 50
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lambdas"), str(REPO)]

import torch  # noqa: E402

from inference_container import preview  # noqa: E402
from sdapi.schema.catalog import Family  # noqa: E402

SIZES = {"512² (SD 1.5)": (64, Family.SD15), "1024² (SDXL)": (128, Family.SDXL), "2048²": (256, Family.SDXL)}


def latents(kind: str, side: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    if kind == "noise":
        return torch.randn(1, 4, side, side, generator=generator)
    coarse = torch.randn(1, 4, 8, 8, generator=generator) * 1.5
    return torch.nn.functional.interpolate(coarse, size=(side, side), mode="bicubic", align_corners=False)


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    q1, _, q3 = statistics.quantiles(ordered, n=4)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "iqr_ms": round((q3 - q1) * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def run(rounds: int) -> list[dict]:
    cases = {
        (name, kind): (latents(kind, side), family)
        for name, (side, family) in SIZES.items()
        for kind in ("noise", "smooth")
    }
    times: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    stored: dict[tuple[str, str], str] = {}
    for case, (tensor, family) in cases.items():  # warm-up
        stored[case] = preview.preview(tensor, family) or ""
    for _ in range(rounds):
        for case, (tensor, family) in cases.items():  # interleaved: every round runs every case once
            started = time.perf_counter()
            preview.preview(tensor, family)
            times[case].append(time.perf_counter() - started)
    return [
        {"image": case[0], "latents": case[1], "stored_bytes": len(stored[case]), **spread(times[case])}
        for case in cases
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(json.dumps({"machine": platform.processor() or platform.machine(), "torch": torch.__version__}))
    for row in run(args.rounds):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
