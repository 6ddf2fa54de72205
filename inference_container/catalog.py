"""The models this container serves: `catalog.json` under the model root, or what a scan of the root finds.

`catalog.json` is a list of `sdapi.schema.ModelEntry` objects with `path` relative to the root. Without
it, each child of the root is classified: a diffusers pipeline folder (model_index.json), a ControlNet or
VAE folder (config.json), a single-file `.safetensors` checkpoint (by its tensor names), or weights spandrel
recognises (a `.pth` / `.safetensors` file, or a folder holding one): an upscaler (purpose `SR`) or a face
restorer (GFPGAN, CodeFormer).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from inference_container.errors import InvalidJob
from sdapi.schema.catalog import CHECKPOINT_FAMILIES, Family, ModelEntry, find_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelCatalog:
    root: Path
    entries: tuple[ModelEntry, ...]

    @classmethod
    def load(cls, root: Path) -> ModelCatalog:
        root = Path(root)
        listing = root / "catalog.json"
        if listing.is_file():
            raw = json.loads(listing.read_text())
            if isinstance(raw, dict):  # also accept {"models": [...]} (the shape of sdapi.schema.Catalog)
                raw = raw.get("models", [])
            entries = tuple(ModelEntry.model_validate(item) for item in raw)
        else:
            entries = tuple(scan(root))
        if not entries:
            raise FileNotFoundError(f"no models under {root}: add catalog.json or model folders (see README)")
        return cls(root=root, entries=entries)

    def find(self, name: str) -> ModelEntry | None:
        """A model by name, alias or A1111 title (the same lookup as the door's catalog)."""
        return find_model(self.entries, name)

    def available(self, family: Family) -> list[ModelEntry]:
        """This container's models of `family`, in catalog order (the model rules take the first)."""
        return self.of_family(family)

    def unserved(self, entry: ModelEntry, what: str) -> str | None:
        """Every model this container has can run here (pools are the door's concern)."""
        return None

    def require(self, name: str, families: set[Family] | frozenset[Family], what: str) -> ModelEntry:
        entry = self.find(name)
        available = sorted(e.name for e in self.entries if e.family in families)
        if entry is None:
            raise InvalidJob(f"{what} {name!r} is not in this container's catalog; available: {available}")
        if entry.family not in families:
            raise InvalidJob(
                f"{what} {name!r} is a {entry.family} model, not one of {sorted(f.value for f in families)}"
            )
        return entry

    def path(self, entry: ModelEntry) -> Path:
        if entry.path is None:
            raise InvalidJob(f"model {entry.name!r} has no path in catalog.json")
        return self.root / entry.path

    def of_family(self, family: Family) -> list[ModelEntry]:
        return [e for e in self.entries if e.family == family]

    def default_checkpoint(self, preferred: str | None) -> ModelEntry:
        if preferred:
            return self.require(preferred, CHECKPOINT_FAMILIES, "SDAPI_DEFAULT_MODEL")
        for entry in self.entries:
            if entry.family in CHECKPOINT_FAMILIES:
                return entry
        raise FileNotFoundError(f"the catalog under {self.root} has no sd15 or sdxl checkpoint")


def scan(root: Path) -> list[ModelEntry]:
    entries = []
    for child in sorted(Path(root).iterdir()):
        found = classify(child)
        if found is None:
            log.warning("skipping %s: not a model folder or checkpoint this container understands", child)
            continue
        family, base, extra = found if len(found) == 3 else (*found, {})
        name = child.stem if child.is_file() else child.name
        aliases = (child.name,) if child.is_file() else ()
        entries.append(
            ModelEntry(name=name, family=family, base=base, path=child.name, aliases=aliases, **extra)
        )
    return entries


def classify(path: Path) -> tuple[Family, Family | None] | tuple[Family, None, dict] | None:
    if path.is_file() and path.suffix == ".safetensors":
        return _classify_single_file(path) or _classify_spandrel(path)
    if path.is_file() and path.suffix == ".pth":
        return _classify_spandrel(path)
    if not path.is_dir():
        return None
    weights = [p for p in path.iterdir() if p.suffix in (".pth", ".safetensors")]
    if len(weights) == 1 and not (path / "config.json").exists() and not (path / "model_index.json").exists():
        return _classify_spandrel(weights[0])
    if (path / "model_index.json").is_file():
        index = json.loads((path / "model_index.json").read_text())
        cls = index.get("_class_name", "")
        if "XL" in cls:
            has_first_encoder = (index.get("text_encoder") or [None])[0] is not None
            return (Family.SDXL if has_first_encoder else Family.SDXL_REFINER), None
        return Family.SD15, None
    if (path / "config.json").is_file():
        config = json.loads((path / "config.json").read_text())
        cls = config.get("_class_name", "")
        if cls == "ControlNetModel":
            xl = config.get("addition_embed_type") == "text_time"
            return Family.CONTROLNET, Family.SDXL if xl else Family.SD15
        if cls == "AutoencoderKL":
            xl = abs(float(config.get("scaling_factor", 0.18215)) - 0.13025) < 1e-4
            return Family.VAE, Family.SDXL if xl else Family.SD15
        if "StableDiffusionSafetyChecker" in config.get("architectures", []):
            return Family.SAFETY_CHECKER, None
    return None


def _classify_single_file(path: Path) -> tuple[Family, Family | None] | None:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        keys = set(handle.keys())
    if any(k.startswith("conditioner.embedders.1.") for k in keys):
        return Family.SDXL, None
    if any(k.startswith("conditioner.embedders.0.model.") for k in keys):
        return Family.SDXL_REFINER, None
    if any(k.startswith("model.diffusion_model.") for k in keys):
        return Family.SD15, None
    if any(k.startswith("control_model.") for k in keys):
        return Family.CONTROLNET, Family.SD15
    if any(k.startswith(("encoder.", "decoder.")) for k in keys):
        return Family.VAE, None
    return None


def _classify_spandrel(path: Path) -> tuple[Family, None, dict] | None:
    """An upscaler or face restorer spandrel recognises from the weights (with its architecture and scale)."""
    from inference_container.upscalers import load_descriptor

    try:
        descriptor = load_descriptor(path, _cpu(), ("SR", "FaceSR"), str(path))
    except Exception as exc:  # spandrel raises its own errors for weights it does not know
        log.warning("%s: not weights spandrel recognises (%s)", path, exc)
        return None
    architecture = descriptor.architecture.id
    if descriptor.purpose == "FaceSR":
        return Family.FACE_RESTORER, None, {"architecture": architecture}
    return Family.UPSCALER, None, {"architecture": architecture, "scale": int(descriptor.scale)}


def _cpu():
    import torch

    return torch.device("cpu")
