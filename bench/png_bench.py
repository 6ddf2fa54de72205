"""PNG encoding and upload: which encoder, and how much of a job's writes stays on its critical path.

1. Encoders: the same images (`--image FILE`, else two synthetic ones: "photo", smooth gradients, edges and
   mild sensor noise, which compresses like a photograph, and "flat", an illustration of flat regions and a
   noiseless gradient), at 512x512 and 1024x1024, through Pillow (its per-row adaptive filters; levels 1 and
   6), OpenCV's libpng with the Up filter and zlib's run-length strategy at level 1 (the previous container
   encoder; `--opencv-grid` adds its other filters and strategies), the container's encoder
   (`inference_container.png.encode`, the row marked `*`: numpy's Up filter, zlib-ng level 1 run-length,
   strips deflated side by side on big images) and the same encoder with a fixed number of strips
   (`--strips`), in interleaved rounds; median and spread of the encode time, file size.
2. Critical path: one job per case (SD1.5 512x512 and SDXL 1024x1024, batch 1 and 4, `--n-iter` batches)
   where each batch "generates" for `--gen-ms` (a sleep, as a GPU wait releases the GIL) and each stored
   image costs a PUT of `--put-ms`. The ways, interleaved round by round: inline Pillow level 6 (encode +
   put after the generation, as before issue 13), `OutputWriter` with Pillow level 1, with OpenCV (the
   previous encoder) and with the container's encoder (now); and a simulation of what is not built: the same
   writer given each image as soon as its own VAE decode (`--decode-ms`, the last part of the batch's
   generation) ends, instead of the whole batch at once. Added critical path per image =
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
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lambdas"), str(REPO)]

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from zlib_ng import zlib_ng  # noqa: E402

from inference_container import png  # noqa: E402
from inference_container.imaging import encode_png as pillow_png  # noqa: E402
from inference_container.storage import OutputWriter  # noqa: E402

PARAMETERS = "a photograph of a lighthouse\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7"
SIZES = {"SD1.5 512x512": 512, "SDXL 1024x1024": 1024}
FILTERS = {
    "sub": cv2.IMWRITE_PNG_FILTER_SUB,
    "up": cv2.IMWRITE_PNG_FILTER_UP,
    "paeth": cv2.IMWRITE_PNG_FILTER_PAETH,
    "adaptive": cv2.IMWRITE_PNG_ALL_FILTERS,
}
STRATEGIES = {
    "default": cv2.IMWRITE_PNG_STRATEGY_DEFAULT,
    "rle": cv2.IMWRITE_PNG_STRATEGY_RLE,
    "huffman": cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY,
}


def photo_image(side: int = 1024, seed: int = 0) -> Image.Image:
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


def flat_image(side: int = 1024, seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    pixels = np.empty((side, side, 3), np.float32)
    pixels[:] = rng.uniform(120, 230, 3)
    for _ in range(40):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.03, 0.25)
        pixels[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    sky = side // 3
    gradient = np.stack([y[:sky] * 200, y[:sky] * 150 + 50, 255 - y[:sky] * 100], -1)
    pixels[:sky] = pixels[:sky] * 0.5 + gradient * 0.5
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    q1, _, q3 = statistics.quantiles(ordered, n=4) if len(ordered) >= 4 else (ordered[0], 0, ordered[-1])
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "iqr_ms": round((q3 - q1) * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def opencv_png(image: Image.Image, parameters: str | None, *, flt: int, strategy: int) -> bytes:
    """OpenCV's libpng at level 1 with one filter choice and zlib strategy (no text chunk: these rows
    compare pixel encoding only; the text chunk costs microseconds)."""
    array = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    options = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY, strategy]
    options += [cv2.IMWRITE_PNG_FILTER, flt]
    return cv2.imencode(".png", array, options)[1].tobytes()


PREVIOUS = "OpenCV Up filter, RLE (previous container encoder)"
previous_png = partial(opencv_png, flt=FILTERS["up"], strategy=STRATEGIES["rle"])


def encoders(grid: bool, strip_counts: list[int]) -> dict[str, object]:
    rows: dict[str, object] = {
        "Pillow level 6 (before)": partial(pillow_png, level=6),
        "Pillow level 1": partial(pillow_png, level=1),
        PREVIOUS: previous_png,
        f"* container: inference_container.png ({png.THREADS} threads)": png.encode,
    }
    for count in strip_counts:
        rows[f"zlib-ng, {count} strip{'s' if count > 1 else ''}"] = partial(png.encode, strips=count)
    if grid:
        for fname, flt in FILTERS.items():
            for sname, strategy in STRATEGIES.items():
                if (fname, sname) != ("up", "rle"):  # that one is the previous encoder's row
                    rows[f"OpenCV {fname} filter, {sname}"] = partial(opencv_png, flt=flt, strategy=strategy)
    return rows


def encoder_table(images: dict[str, Image.Image], args) -> list[dict]:
    table = encoders(args.opencv_grid, args.strips)
    times: dict[tuple[str, str], list[float]] = {(i, e): [] for i in images for e in table}
    sizes: dict[tuple[str, str], int] = {}
    for _ in range(args.rounds):
        for key in times:  # interleaved: every round encodes every image with every encoder once
            image_name, encoder = key
            started = time.perf_counter()
            data = table[encoder](images[image_name], PARAMETERS)
            times[key].append(time.perf_counter() - started)
            sizes[key] = len(data)
    return [{"image": i, "encoder": e, "bytes": sizes[(i, e)], **spread(times[(i, e)])} for i, e in times]


class SleepingStore:
    """A store whose put costs `put_s` (an S3 PUT's round trip) and keeps what it was given."""

    def __init__(self, put_s: float):
        self.put_s = put_s
        self.keys: list[str] = []

    def put_png(self, key: str, data: bytes) -> None:
        time.sleep(self.put_s)
        self.keys.append(key)


def job_inline(images, n_iter, gen_s, put_s) -> float:
    store = SleepingStore(put_s)
    started = time.perf_counter()
    for _ in range(n_iter):
        time.sleep(gen_s)
    for index, image in enumerate(images * n_iter):
        store.put_png(f"outputs/x/{index}.png", pillow_png(image, PARAMETERS, level=6))
    return time.perf_counter() - started


def job_background(writer: OutputWriter, images, n_iter, gen_s, decode_s: float | None = None) -> float:
    """Each batch handed over once generated; with `decode_s`, the last `decode_s` of the batch's
    generation per image is a per-image VAE decode and each image is handed over as it is decoded."""
    started = time.perf_counter()
    outputs = writer.job()
    index = 0
    for _ in range(n_iter):
        time.sleep(gen_s - (decode_s or 0) * len(images))
        for image in images:
            if decode_s is not None:
                time.sleep(decode_s)
            outputs.add(f"outputs/x/{index}.png", image, PARAMETERS)
            index += 1
    outputs.wait()
    return time.perf_counter() - started


WAYS = (
    "inline, Pillow level 6 (before)",
    "OutputWriter, Pillow level 1",
    "OutputWriter, OpenCV Up + RLE (previous)",
    "OutputWriter, container encoder (now)",
    "same, handed over per decoded image (not built)",
)


def critical_path(image_for, args) -> list[dict]:
    gen_s, put_s = args.gen_ms / 1000, args.put_ms / 1000
    store = SleepingStore(put_s)
    writers = {
        WAYS[1]: OutputWriter(store, encode=partial(pillow_png, level=1)),
        WAYS[2]: OutputWriter(store, encode=previous_png),
        WAYS[3]: OutputWriter(store),
    }
    cases = [(size_name, batch) for size_name in SIZES for batch in args.batches]
    rows: dict[tuple, list[float]] = {(*case, way): [] for case in cases for way in WAYS}
    for round_index in range(args.rounds):
        for case in cases:
            size_name, batch = case
            turn = round_index % len(WAYS)
            for way in WAYS[turn:] + WAYS[:turn]:  # the order rotates every round
                # distinct objects: Pillow keeps each save's settings on the image object, so one image
                # saved by two threads at once can leave the other's level behind for the next save
                images = [image_for(SIZES[size_name]).copy() for _ in range(batch)]
                if way == WAYS[0]:
                    elapsed = job_inline(images, args.n_iter, gen_s, put_s)
                elif way == WAYS[4]:
                    decode_s = args.decode_ms / 1000 * (SIZES[size_name] / 1024) ** 2
                    elapsed = job_background(writers[WAYS[3]], images, args.n_iter, gen_s, decode_s)
                else:
                    elapsed = job_background(writers[way], images, args.n_iter, gen_s)
                rows[(*case, way)].append(elapsed)
    for writer in writers.values():
        writer.close()
    out = []
    for (size_name, batch, way), times in rows.items():
        count = batch * args.n_iter
        added = [(t - args.n_iter * gen_s) / count for t in times]
        out.append({"case": size_name, "batch": batch, "how": way, "added_per_image": spread(added)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image", type=Path, default=None, help="a PNG/JPEG to encode (default: synthetic)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--n-iter", type=int, default=1)
    parser.add_argument("--gen-ms", type=float, default=300.0, help="generation time of one batch")
    parser.add_argument("--put-ms", type=float, default=40.0, help="one S3 PUT (round trip)")
    parser.add_argument(
        "--decode-ms",
        type=float,
        default=60.0,
        help="one 1024x1024 VAE decode (scaled by area for 512x512), for the per-image hand-over row",
    )
    parser.add_argument(
        "--strips",
        type=int,
        nargs="*",
        default=[1, 2, 4],
        help="rows of the container's encoder with this many strips (1: one thread)",
    )
    parser.add_argument("--opencv-grid", action="store_true", help="OpenCV's other filters and strategies")
    parser.add_argument("--skip-encoders", action="store_true")
    parser.add_argument("--skip-jobs", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here too")
    args = parser.parse_args()
    if args.image:
        source = Image.open(args.image).convert("RGB")
        makers = {args.image.name: lambda side: source.resize((side, side), Image.LANCZOS)}
    else:
        makers = {"photo": photo_image, "flat": flat_image}
    images = {f"{name} {side}": make(side) for name, make in makers.items() for side in SIZES.values()}
    first = next(iter(makers.values()))
    job_images = {side: first(side) for side in SIZES.values()}
    machine = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "opencv": cv2.__version__,
        "pillow": Image.__version__,
        "zlib-ng": zlib_ng.ZLIBNG_VERSION,
    }
    print(json.dumps(machine), flush=True)
    report: dict = {"machine": machine}
    if not args.skip_encoders:
        report["encoders"] = encoder_table(images, args)
        print(f"\n{'image':<11} {'encoder':<52} {'bytes':>9} {'median ms':>10} {'IQR ms':>7} {'min-max':>14}")
        for row in report["encoders"]:
            print(
                f"{row['image']:<11} {row['encoder']:<52} {row['bytes']:>9} {row['median_ms']:>10} "
                f"{row['iqr_ms']:>7} {row['min_ms']:>6}-{row['max_ms']:<6}",
                flush=True,
            )
    if not args.skip_jobs:
        print(
            f"\njobs of {args.n_iter} batch(es), {args.gen_ms:.0f} ms generation per batch, "
            f"{args.put_ms:.0f} ms per PUT, {next(iter(makers))} image; added critical path per image"
        )
        report["jobs"] = critical_path(lambda side: job_images[side], args)
        print(f"{'case':<15} {'batch':>5} {'how':<50} {'median ms':>10} {'IQR ms':>7} {'min-max ms':>14}")
        for row in report["jobs"]:
            added = row["added_per_image"]
            print(
                f"{row['case']:<15} {row['batch']:>5} {row['how']:<50} {added['median_ms']:>10} "
                f"{added['iqr_ms']:>7} {added['min_ms']:>6}-{added['max_ms']:<6}",
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
