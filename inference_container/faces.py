"""Face restoration: detect faces, run a restoration network on each aligned crop, blend the result back.

What this is: an honest, pluggable restorer. `FaceRestorer` = a `FaceDetector` (OpenCV Haar cascade, OpenCV
YuNet, or the explicit `full-frame` detector) + a `RestorationNetwork` (any `torch.nn.Module` mapping a
(1, 3, S, S) image in [-1, 1] to the same shape) + feathered blending.

What this is not: CodeFormer or GFPGAN. Those need basicsr/facexlib and their own weights. The catalog's
face-restorer folder holds weights for `FaceRestorationNet`, a small residual conv net defined here; with
random weights (the tiny catalog) it changes pixels but does not make faces prettier. To plug a real model,
implement `RestorationNetwork` (a module with `forward(x) -> x`) and register a loader in `NETWORKS`, or
convert its weights into the folder layout below.

Folder layout (the catalog entry's `path`):
    restorer.json        {"network": "residual-conv", "channels": 32, "size": 512,
                          "detector": "haar" | "yunet" | "full-frame",
                          "detector_file": "haarcascade_frontalface_default.xml" | "….onnx"}
    model.safetensors    the network's weights
    <detector_file>      optional; for "haar" OpenCV's bundled cascades are used when the file is absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image
from torch import nn

Box = tuple[int, int, int, int]
"""x, y, width, height in pixels."""


class FaceDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[Box]:
        """Face boxes in an RGB uint8 image."""
        ...


class RestorationNetwork(Protocol):
    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


class FaceRestorationNet(nn.Module):
    """A small residual conv net (the architecture of this project's restorer weights)."""

    def __init__(self, channels: int = 32, blocks: int = 2):
        super().__init__()
        self.channels, self.blocks = channels, blocks
        self.head = nn.Conv2d(3, channels, 3, padding=1)
        self.body = nn.Sequential(
            *[nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.SiLU()) for _ in range(blocks)]
        )
        self.tail = nn.Conv2d(channels, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x + self.tail(self.body(self.head(x)))).clamp(-1, 1)


class FullFrameDetector:
    """Treats the whole image as one face region: for test catalogs and portrait crops, chosen explicitly
    in the config (`"detector": "full-frame"`)."""

    def detect(self, image: np.ndarray) -> list[Box]:
        h, w = image.shape[:2]
        return [(0, 0, w, h)]


class HaarDetector:
    def __init__(self, xml: Path | None):
        import cv2

        if xml is None:
            bundled = Path(getattr(getattr(cv2, "data", None), "haarcascades", "")) / (
                "haarcascade_frontalface_default.xml"
            )
            xml = bundled
        if not Path(xml).is_file():
            raise FileNotFoundError(
                f"Haar cascade {xml} not found: "
                "put haarcascade_frontalface_default.xml in the restorer folder"
            )
        self._cascade = cv2.CascadeClassifier(str(xml))

    def detect(self, image: np.ndarray) -> list[Box]:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(32, 32))
        return [tuple(int(v) for v in box) for box in found]


class YuNetDetector:
    def __init__(self, onnx: Path, score_threshold: float = 0.7):
        import cv2

        self._detector = cv2.FaceDetectorYN.create(str(onnx), "", (320, 320), score_threshold)

    def detect(self, image: np.ndarray) -> list[Box]:
        import cv2

        h, w = image.shape[:2]
        self._detector.setInputSize((w, h))
        _, faces = self._detector.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        return [] if faces is None else [tuple(int(v) for v in face[:4]) for face in faces]


@dataclass
class FaceRestorer:
    """Detect → crop (with margin) → restore at the network's size → feathered paste back."""

    name: str
    detector: FaceDetector
    network: nn.Module
    size: int = 512
    margin: float = 0.25
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @torch.inference_mode()
    def restore(self, image: Image.Image) -> Image.Image:
        rgb = np.asarray(image.convert("RGB"))
        out = rgb.astype(np.float32)
        for x, y, w, h in self.detector.detect(rgb):
            pad_w, pad_h = int(w * self.margin), int(h * self.margin)
            x0, y0 = max(0, x - pad_w), max(0, y - pad_h)
            x1, y1 = min(rgb.shape[1], x + w + pad_w), min(rgb.shape[0], y + h + pad_h)
            crop = Image.fromarray(rgb[y0:y1, x0:x1]).resize((self.size, self.size), Image.LANCZOS)
            tensor = torch.from_numpy(np.asarray(crop, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
            param = next(self.network.parameters())
            restored = self.network(tensor.to(self.device, param.dtype)).float().cpu()[0]
            face = ((restored.permute(1, 2, 0).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
            face = np.asarray(
                Image.fromarray(face).resize((x1 - x0, y1 - y0), Image.LANCZOS), dtype=np.float32
            )
            alpha = _feather(y1 - y0, x1 - x0)[..., None]
            out[y0:y1, x0:x1] = alpha * face + (1 - alpha) * out[y0:y1, x0:x1]
        return Image.fromarray(out.round().clip(0, 255).astype(np.uint8))


def _feather(h: int, w: int) -> np.ndarray:
    """A blend mask that is 1 inside and falls to 0 over the outer eighth of the crop."""
    ramp_y = np.clip(np.minimum(np.arange(h), np.arange(h)[::-1]) / max(1, h / 8), 0, 1)
    ramp_x = np.clip(np.minimum(np.arange(w), np.arange(w)[::-1]) / max(1, w / 8), 0, 1)
    return np.minimum(ramp_y[:, None], ramp_x[None, :]).astype(np.float32)


def save_restorer(
    folder: Path,
    network: FaceRestorationNet,
    *,
    detector: str = "haar",
    size: int = 512,
    detector_file: str | None = None,
) -> None:
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "network": "residual-conv",
        "channels": network.channels,
        "blocks": network.blocks,
        "size": size,
        "detector": detector,
        "detector_file": detector_file,
    }
    (folder / "restorer.json").write_text(json.dumps(config, indent=2))
    save_file({k: v.contiguous() for k, v in network.state_dict().items()}, str(folder / "model.safetensors"))


def load_restorer(name: str, folder: Path, device: torch.device, dtype: torch.dtype) -> FaceRestorer:
    from safetensors.torch import load_file

    folder = Path(folder)
    config_path = folder / "restorer.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"face restorer {name!r}: {config_path} is missing (see inference_container/faces.py)"
        )
    config = json.loads(config_path.read_text())
    if config.get("network") != "residual-conv":
        raise ValueError(f"face restorer {name!r}: unknown network {config.get('network')!r}")
    network = FaceRestorationNet(channels=int(config["channels"]), blocks=int(config.get("blocks", 2)))
    network.load_state_dict(load_file(str(folder / "model.safetensors"), device=str(device)))
    network.to(device=device, dtype=dtype).eval()
    kind = config.get("detector", "haar")
    file = folder / config["detector_file"] if config.get("detector_file") else None
    detector: FaceDetector
    if kind == "full-frame":
        detector = FullFrameDetector()
    elif kind == "yunet":
        if file is None:
            raise ValueError(
                f"face restorer {name!r}: the yunet detector needs detector_file (an ONNX model)"
            )
        detector = YuNetDetector(file)
    elif kind == "haar":
        detector = HaarDetector(file)
    else:
        raise ValueError(f"face restorer {name!r}: unknown detector {kind!r} (haar, yunet or full-frame)")
    return FaceRestorer(
        name=name, detector=detector, network=network, size=int(config.get("size", 512)), device=device
    )
