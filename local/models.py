"""Which models the embedded stack serves.

- Default: the tiny random-weight catalog (`inference_container.tiny.build_tiny_catalog`), built once into a
  cache folder (`SDAPI_LOCAL_CACHE`, default `~/.cache/sdapi/tiny-models-v<TINY_VERSION>`: a new tiny
  version builds afresh) in a child process (it imports torch; the stack process stays light), under a
  file lock so two stacks never build it at once. The
  Lambda-side catalog is `local.catalog.local_catalog()` with the hashes the container catalog carries.
- `--model-dir DIR`: real diffusers models. `DIR/catalog.json` (a list of `ModelEntry` with `path`) when it
  exists; otherwise the folders are scanned (`model_index.json` / `config.json` say what each one is) and a
  model root with links to them plus a generated catalog.json is written under the cache folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Catalog, Family, ModelEntry, Pool

log = logging.getLogger("local.models")


@dataclass(frozen=True)
class ModelSetup:
    model_root: Path
    """What the container gets as SDAPI_MODEL_ROOT (holds catalog.json)."""
    catalog: Catalog
    """What the Lambdas get as SDAPI_CATALOG."""


def tiny_models(cache: Path, endpoint_prefix: str) -> ModelSetup:
    from inference_container.tiny import TINY_VERSION
    from local.catalog import local_catalog

    root = cache / f"tiny-models-v{TINY_VERSION}"
    root.mkdir(parents=True, exist_ok=True)
    catalog = local_catalog(endpoint_prefix)
    names = [entry.name for entry in catalog.models]
    folders = [entry.path or entry.name for entry in catalog.models]
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fresh = (
            not all((root / folder / ".complete").exists() for folder in folders)
            or not (root / "catalog.json").exists()
        )
        if fresh:
            log.info(
                "building the tiny random-weight models into %s (first start only, about a minute)", root
            )
            code = (
                "import sys; from pathlib import Path; "
                "from inference_container.tiny import build_tiny_catalog; "
                "build_tiny_catalog(Path(sys.argv[1]), names=sys.argv[2:])"
            )
            subprocess.run([sys.executable, "-c", code, str(root), *names], check=True)
    hashes = {e["name"]: e.get("hash") for e in json.loads((root / "catalog.json").read_text())}
    models = tuple(
        entry.model_copy(update={"hash": entry.hash or hashes.get(entry.name)}) for entry in catalog.models
    )
    return ModelSetup(model_root=root, catalog=catalog.model_copy(update={"models": models}))


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def scan_model_dir(model_dir: Path) -> list[ModelEntry]:
    """Classify each diffusers folder under `model_dir` by its own config files."""
    entries: list[ModelEntry] = []
    for folder in sorted(p for p in model_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        index = _read_json(folder / "model_index.json")
        config = _read_json(folder / "config.json")
        family: Family | None = None
        base: Family | None = None
        cls = str(index.get("_class_name") or config.get("_class_name") or "")
        if index and "StableDiffusionXL" in cls:
            no_first_encoder = not (index.get("text_encoder") or [None])[0]
            family = (
                Family.SDXL_REFINER if no_first_encoder or "refiner" in folder.name.lower() else Family.SDXL
            )
        elif index and "StableDiffusion" in cls:
            family = Family.SD15
        elif cls == "ControlNetModel":
            family = Family.CONTROLNET
            xl = config.get("addition_embed_type") == "text_time" or config.get("cross_attention_dim") == 2048
            base = Family.SDXL if xl else Family.SD15
        elif cls == "AutoencoderKL":
            family = Family.VAE
            base = (
                Family.SDXL
                if abs(float(config.get("scaling_factor") or 0.18215) - 0.13025) < 1e-3
                else Family.SD15
            )
        if family is None:
            log.warning("skipping %s: not a diffusers pipeline, ControlNet or VAE folder", folder)
            continue
        entries.append(ModelEntry(name=folder.name, family=family, base=base, path=folder.name))
    return entries


def pools_for(entries: Iterable[ModelEntry], endpoint_prefix: str) -> Catalog:
    """Pool `sdxl` for SDXL checkpoints and their add-ons, `sd15` for SD 1.5 ones (each only if it has a
    checkpoint); face restorers go to every pool."""
    entries = tuple(entries)
    pools: list[Pool] = []
    for pool_name, family in (("sdxl", Family.SDXL), ("sd15", Family.SD15)):
        checkpoints = [e for e in entries if e.family == family]
        if not checkpoints:
            continue
        members = [
            e.name
            for e in entries
            if e.family == family
            or (family == Family.SDXL and e.family == Family.SDXL_REFINER)
            or (e.family in (Family.VAE, Family.CONTROLNET) and e.fits(family))
            or e.family in (Family.FACE_RESTORER, Family.SAFETY_CHECKER)
        ]
        pools.append(
            Pool(
                name=pool_name,
                endpoint_name=f"{endpoint_prefix}-{pool_name}",
                default_model=checkpoints[0].name,
                models=tuple(members),
            )
        )
    if not pools:
        raise ValueError("the model folder has no SD 1.5 or SDXL checkpoint (a diffusers pipeline folder)")
    return Catalog(models=entries, pools=tuple(pools), default_pool=pools[0].name)


def model_dir_models(model_dir: Path, cache: Path, endpoint_prefix: str) -> ModelSetup:
    model_dir = model_dir.expanduser().resolve()
    if not model_dir.is_dir():
        raise ValueError(f"--model-dir {model_dir} is not a folder")
    catalog_file = model_dir / "catalog.json"
    if catalog_file.exists():
        raw = json.loads(catalog_file.read_text())
        entries = [
            ModelEntry.model_validate(item)
            for item in (raw.get("models", []) if isinstance(raw, dict) else raw)
        ]
        return ModelSetup(model_root=model_dir, catalog=pools_for(entries, endpoint_prefix))
    entries = scan_model_dir(model_dir)
    if not any(e.family in CHECKPOINT_FAMILIES for e in entries):
        raise ValueError(f"no SD 1.5 or SDXL diffusers pipeline folder found under {model_dir}")
    shadow = cache / "model-roots" / hashlib.sha256(str(model_dir).encode()).hexdigest()[:12]
    shadow.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        link = shadow / entry.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(model_dir / entry.name, target_is_directory=True)
    (shadow / "catalog.json").write_text(
        json.dumps([e.model_dump(mode="json", exclude_none=True) for e in entries], indent=2)
    )
    log.info("catalog derived from %s: %s", model_dir, ", ".join(f"{e.name} ({e.family})" for e in entries))
    return ModelSetup(model_root=shadow, catalog=pools_for(entries, endpoint_prefix))
