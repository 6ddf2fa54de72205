"""Stage models into the deployment's bucket in the layout the inference container reads.

    python -m infra.stage_models --bucket <BucketName output> \
        --source sd_xl_base_1.0=/path/to/diffusers/folder \
        --source control_v11p_sd15_canny=hf:lllyasviel/control_v11p_sd15_canny

Models, families and paths come from the same `cdk.json` context the stack is built from (so the API's
catalog, the endpoint's model prefix and the files agree). Each `--source NAME=FOLDER` (a local diffusers
folder) or `NAME=hf:REPO[@REVISION]` (downloaded with huggingface_hub, if installed) is uploaded to
`<model_data_url><path>/`, and `<model_data_url>catalog.json` is written in the container's format: a list of
`{name, family, base, path, hash, aliases}`. Models without a `--source` must already be in the bucket.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.config import DeployConfig, PoolConfig
from infra.storage import MODELS

HF_SKIP_SUFFIXES = (".bin", ".ckpt", ".onnx", ".onnx_data", ".msgpack", ".h5", ".pb", ".png", ".jpg", ".md")


def load_config(cdk_json: Path, overrides: list[str]) -> DeployConfig:
    context: dict[str, Any] = json.loads(cdk_json.read_text()).get("context", {})
    for item in overrides:
        key, _, value = item.partition("=")
        context[key] = value
    return DeployConfig.from_context(context)


def model_prefix(config: DeployConfig, pool: PoolConfig, bucket: str) -> tuple[str, str]:
    """(bucket, key prefix ending in '/') of a pool's model data, as the stack computes it."""
    if pool.model_data_url:
        name, _, prefix = pool.model_data_url.removeprefix("s3://").partition("/")
        return name, prefix
    return bucket, f"{MODELS}{pool.name}/"


def local_files(folder: Path) -> Iterator[tuple[Path, str]]:
    """Every file of a model folder with its relative key (hidden files and folders, like .cache, skipped)."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            yield path, relative.as_posix()


def hf_wanted(files: list[str]) -> list[str]:
    """The files of a Hugging Face repo a diffusers loader needs: configs, tokenizers, safetensors weights.
    A pipeline repo (model_index.json) skips its root-level single-file checkpoints."""
    pipeline = "model_index.json" in files
    wanted = []
    for name in files:
        if name.endswith(HF_SKIP_SUFFIXES) or name.startswith("."):
            continue
        if pipeline and "/" not in name and name.endswith(".safetensors"):
            continue
        wanted.append(name)
    return wanted


def fetch_hf(spec: str, cache_dir: Path | None) -> Path:
    try:
        import huggingface_hub
    except ImportError as error:
        raise SystemExit(
            "hf: sources need `pip install huggingface_hub` (or download the folder yourself)"
        ) from error
    repo, _, revision = spec.partition("@")
    files = huggingface_hub.list_repo_files(repo, revision=revision or None)
    folder = huggingface_hub.snapshot_download(
        repo, revision=revision or None, allow_patterns=hf_wanted(files), cache_dir=cache_dir
    )
    return Path(folder)


def parse_sources(items: list[str]) -> dict[str, str]:
    sources = {}
    for item in items:
        name, sep, source = item.partition("=")
        if not sep or not name or not source:
            raise SystemExit(f"--source {item!r}: expected NAME=FOLDER or NAME=hf:REPO[@REVISION]")
        sources[name] = source
    return sources


def stage(
    s3: Any,
    config: DeployConfig,
    pool: PoolConfig,
    bucket: str,
    sources: dict[str, Path],
    *,
    allow_missing: bool = False,
    log=print,
) -> str:
    """Upload the given model folders and the pool's catalog.json; returns the catalog's S3 URI."""
    target_bucket, prefix = model_prefix(config, pool, bucket)
    catalog = config.container_catalog(pool)
    paths = {entry["name"]: entry["path"] for entry in catalog}
    unknown = sorted(set(sources) - set(paths))
    if unknown:
        raise SystemExit(f"--source names {unknown} are not models of pool {pool.name!r}: {sorted(paths)}")
    for name, folder in sources.items():
        if not folder.is_dir():
            raise SystemExit(f"{name}: {folder} is not a folder")
        count = 0
        for file, relative in local_files(folder):
            s3.upload_file(str(file), target_bucket, f"{prefix}{paths[name]}/{relative}")
            count += 1
        log(f"{name}: {count} files → s3://{target_bucket}/{prefix}{paths[name]}/")
    missing = []
    for name, path in paths.items():
        if name in sources:
            continue
        found = s3.list_objects_v2(Bucket=target_bucket, Prefix=f"{prefix}{path}/", MaxKeys=1).get(
            "KeyCount", 0
        )
        if not found:
            missing.append(name)
    if missing and not allow_missing:
        raise SystemExit(
            f"models {missing} have no files under s3://{target_bucket}/{prefix} and no --source"
        )
    key = f"{prefix}catalog.json"
    s3.put_object(
        Bucket=target_bucket,
        Key=key,
        Body=json.dumps(catalog, indent=2).encode(),
        ContentType="application/json",
    )
    log(f"catalog ({len(catalog)} models) → s3://{target_bucket}/{key}")
    return f"s3://{target_bucket}/{key}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bucket", required=True, help="the stack's BucketName output")
    parser.add_argument("--pool", default=None, help="pool to stage (default: the default pool)")
    parser.add_argument("--source", action="append", default=[], help="NAME=FOLDER or NAME=hf:REPO[@REV]")
    parser.add_argument("--cdk-json", type=Path, default=Path("cdk.json"))
    parser.add_argument("-c", "--context", action="append", default=[], help="key=value, as with cdk -c")
    parser.add_argument("--cache-dir", type=Path, default=None, help="Hugging Face download cache")
    parser.add_argument(
        "--allow-missing", action="store_true", help="write the catalog even if files are missing"
    )
    args = parser.parse_args(argv)

    config = load_config(args.cdk_json, args.context)
    pool_name = args.pool or config.default_pool
    pool = next((p for p in config.pools if p.name == pool_name), None)
    if pool is None:
        raise SystemExit(f"no pool {pool_name!r}; pools: {[p.name for p in config.pools]}")
    folders = {
        name: fetch_hf(source[3:], args.cache_dir) if source.startswith("hf:") else Path(source).expanduser()
        for name, source in parse_sources(args.source).items()
    }
    import boto3

    stage(boto3.client("s3"), config, pool, args.bucket, folders, allow_missing=args.allow_missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
