"""PNG encoding and upload: which zlib level, and how much of it stays on a job's critical path.

1. Levels: each zlib level 0-9 encodes the same 1024x1024 image (`--image FILE`, or a synthetic one made
   of smooth gradients, edges and mild sensor noise, which compresses like a photograph) in interleaved
   rounds; prints the median and spread of the encode time and the file size.
2. Critical path: a job of `--n-iter` batches of `--batch` images where each batch "generates" for
   `--gen-ms` (a sleep, as a GPU wait releases the GIL) and each stored image costs a PUT of `--put-ms`.
   Inline (encode + put after the generation, as before) against `inference_container.storage.OutputWriter`
   (handed over per batch, the job waits for its writes at the end). Added critical path per image =
   (job time - n_iter x gen) / images.

    python bench/png_bench.py --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lambdas"), str(REPO)]

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from inference_container.imaging import encode_png  # noqa: E402
from inference_container.storage import PNG_COMPRESS_LEVEL, OutputWriter  # noqa: E402

PARAMETERS = "a photograph of a lighthouse\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7"


def synthetic_image(side: int = 1024, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    channels = []
    for c in range(3):
        field = np.zeros((side, side), np.float32)
        for _ in range(6):
            fx, fy, phase = *rng.uniform(0.5, 6, 2).tolist(), rng.uniform(0, 6.3)
            field += np.sin(2 * np.pi * (fx * x + fy * y) + phase) * rng.uniform(10, 40)
        field += np.where((x - 0.5) ** 2 + (y - 0.4 - 0.05 * c) ** 2 < 0.05, 60, 0)
        channels.append(field + 128 + rng.normal(0, 3, (side, side)))
    return Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8))


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    q1, _, q3 = statistics.quantiles(ordered, n=4) if len(ordered) >= 4 else (ordered[0], 0, ordered[-1])
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "iqr_ms": round((q3 - q1) * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def levels(image: Image.Image, rounds: int) -> list[dict]:
    times: dict[int, list[float]] = {level: [] for level in range(10)}
    sizes: dict[int, int] = {}
    for _ in range(rounds):
        for level in times:  # interleaved: every round encodes every level once
            started = time.perf_counter()
            data = encode_png(image, PARAMETERS, level=level)
            times[level].append(time.perf_counter() - started)
            sizes[level] = len(data)
    return [{"level": level, "bytes": sizes[level], **spread(times[level])} for level in times]


class SleepingStore:
    """A store whose put costs `put_s` (an S3 PUT's round trip) and keeps what it was given."""

    def __init__(self, put_s: float):
        self.put_s = put_s
        self.keys: list[str] = []

    def put_png(self, key: str, data: bytes) -> None:
        time.sleep(self.put_s)
        self.keys.append(key)


def job_inline(images, n_iter, gen_s, put_s, level) -> float:
    store = SleepingStore(put_s)
    started = time.perf_counter()
    for _ in range(n_iter):
        time.sleep(gen_s)
    for index, image in enumerate(images * n_iter):
        store.put_png(f"outputs/x/{index}.png", encode_png(image, PARAMETERS, level=level))
    return time.perf_counter() - started


def job_background(writer: OutputWriter, images, n_iter, gen_s) -> float:
    started = time.perf_counter()
    outputs = writer.job()
    index = 0
    for _ in range(n_iter):
        time.sleep(gen_s)
        for image in images:
            outputs.add(f"outputs/x/{index}.png", image, PARAMETERS)
            index += 1
    outputs.wait()
    return time.perf_counter() - started


def critical_path(image, args) -> list[dict]:
    images = [image] * args.batch
    count = args.batch * args.n_iter
    gen_s, put_s = args.gen_ms / 1000, args.put_ms / 1000
    rows = {"inline, level 6 (before)": [], f"inline, level {PNG_COMPRESS_LEVEL}": []}
    rows[f"OutputWriter, level {PNG_COMPRESS_LEVEL}"] = []
    writer = OutputWriter(SleepingStore(put_s))
    for _ in range(args.rounds):
        rows["inline, level 6 (before)"].append(job_inline(images, args.n_iter, gen_s, put_s, 6))
        rows[f"inline, level {PNG_COMPRESS_LEVEL}"].append(
            job_inline(images, args.n_iter, gen_s, put_s, PNG_COMPRESS_LEVEL)
        )
        rows[f"OutputWriter, level {PNG_COMPRESS_LEVEL}"].append(
            job_background(writer, images, args.n_iter, gen_s)
        )
    writer.close()
    out = []
    for label, times in rows.items():
        added = [(t - args.n_iter * gen_s) / count for t in times]
        out.append({"how": label, "added_per_image": spread(added), "job": spread(times)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", type=Path, default=None, help="a PNG/JPEG to encode (default: synthetic)")
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--n-iter", type=int, default=2)
    parser.add_argument("--gen-ms", type=float, default=1500.0, help="generation time of one batch")
    parser.add_argument("--put-ms", type=float, default=40.0, help="one S3 PUT (round trip)")
    parser.add_argument("--skip-levels", action="store_true")
    args = parser.parse_args()
    image = Image.open(args.image).convert("RGB") if args.image else synthetic_image(args.side)
    machine = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "image": str(args.image or f"synthetic {args.side}x{args.side}"),
    }
    print(json.dumps(machine), flush=True)
    if not args.skip_levels:
        print(f"{'level':>5} {'bytes':>10} {'median ms':>10} {'IQR ms':>8} {'min-max ms':>14}")
        for row in levels(image, args.rounds):
            print(
                f"{row['level']:>5} {row['bytes']:>10} {row['median_ms']:>10} {row['iqr_ms']:>8} "
                f"{row['min_ms']:>6}-{row['max_ms']:<6}",
                flush=True,
            )
    print(
        f"\njob: {args.n_iter} batches x {args.batch} images, {args.gen_ms:.0f} ms generation per batch, "
        f"{args.put_ms:.0f} ms per PUT"
    )
    print(f"{'how':<28} {'added ms/image (median, IQR)':>30} {'job median s':>13}")
    for row in critical_path(image, args):
        added = row["added_per_image"]
        print(
            f"{row['how']:<28} {added['median_ms']:>22} ± {added['iqr_ms']:<6} "
            f"{row['job']['median_ms'] / 1000:>12.3f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
