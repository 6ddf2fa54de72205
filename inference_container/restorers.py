"""Face restoration with the real GFPGAN and CodeFormer networks, loaded through spandrel (GFPGAN from
spandrel itself, CodeFormer from spandrel-extra-arches).

What A1111 does (`modules/face_restoration_utils.py`): facexlib's RetinaFace finds every face and its five
landmarks, each face is warped by a similarity transform onto a 512x512 template, restored (RGB in [-1, 1];
CodeFormer `net(x, weight=w, adain=True)[0]`, GFPGAN `net(x, return_rgb=False)[0]`), and pasted back through
the inverse transform with a face-parsing mask; the result is blended with the input by the visibility.

What this module does: the same networks called the same way, on 512x512 crops. Which crops:
- when the restorer's folder holds a face detector, each detected face box, widened by a quarter on every
  side and made square, is cropped, restored and pasted back with a feathered edge (OpenCV's YuNet when a
  `*.onnx` file is there, a Haar cascade when a `*.xml` file is there). No five-point alignment and no
  parsing mask: the crop is axis-aligned.
- without a detector (RetinaFace's weights cannot be fetched offline and facexlib is not installed), the
  whole image, padded to a square with its edge pixels, is the one crop: right for portraits where the
  face fills the frame, which is what the network was trained on.
GFPGAN's StyleGAN decoder injects random noise; this module draws it from a generator seeded with 0 for
each face, so the same image restores to the same pixels (A1111 draws it from the global generator).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from inference_container.upscalers import load_descriptor

log = logging.getLogger(__name__)

FACE_SIZE = 512
"""GFPGAN and CodeFormer work on 512x512 faces."""
DEFAULT_CODEFORMER_WEIGHT = 0.5
"""A1111's `code_former_weight` option (0 = maximum effect, 1 = minimum effect)."""
MARGIN = 0.25
"""How much a detected face box is widened on each side before cropping."""
ARCHITECTURES = ("GFPGAN", "CodeFormer")

Box = tuple[int, int, int, int]
"""x, y, width, height in pixels."""


class FaceDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[Box]:
        """Face boxes in an RGB uint8 image."""
        ...


class HaarDetector:
    """OpenCV's Haar cascade (the XML file shipped in the restorer's folder)."""

    def __init__(self, xml: Path):
        import cv2

        self._cascade = cv2.CascadeClassifier(str(xml))
        if self._cascade.empty():
            raise ValueError(f"{xml} is not a Haar cascade OpenCV can read")

    def detect(self, image: np.ndarray) -> list[Box]:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(32, 32))
        return [tuple(int(v) for v in box) for box in found]


class YuNetDetector:
    """OpenCV's YuNet face detector (the ONNX file shipped in the restorer's folder)."""

    def __init__(self, onnx: Path, score_threshold: float = 0.7):
        import cv2

        self._detector = cv2.FaceDetectorYN.create(str(onnx), "", (320, 320), score_threshold)

    def detect(self, image: np.ndarray) -> list[Box]:
        import cv2

        h, w = image.shape[:2]
        self._detector.setInputSize((w, h))
        _, faces = self._detector.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        return [] if faces is None else [tuple(int(v) for v in face[:4]) for face in faces]


def find_detector(folder: Path) -> FaceDetector | None:
    """The face detector shipped beside the weights (YuNet `*.onnx`, else a Haar `*.xml`), or None."""
    if not folder.is_dir():
        return None
    for pattern, make in (("*.onnx", YuNetDetector), ("*.xml", HaarDetector)):
        files = sorted(folder.glob(pattern))
        if files:
            return make(files[0])
    return None


@dataclass
class FaceRestorer:
    """A GFPGAN or CodeFormer network and how to find the faces it restores."""

    name: str
    descriptor: object
    """spandrel's `ImageModelDescriptor` (purpose `FaceSR`)."""
    detector: FaceDetector | None = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def architecture(self) -> str:
        return self.descriptor.architecture.id

    @torch.inference_mode()
    def restore(self, image: Image.Image, weight: float = DEFAULT_CODEFORMER_WEIGHT) -> Image.Image:
        """Every face of `image` restored (the whole image as one face when there is no detector);
        `weight` is CodeFormer's fidelity weight (GFPGAN has none)."""
        rgb = np.asarray(image.convert("RGB"))
        if self.detector is None:
            return Image.fromarray(self._whole(rgb, weight))
        out = rgb.astype(np.float32)
        for box in self.detector.detect(rgb):
            x0, y0, x1, y1 = _square(box, rgb.shape[1], rgb.shape[0])
            face = self._face(rgb[y0:y1, x0:x1], weight).astype(np.float32)
            alpha = _feather(y1 - y0, x1 - x0)[..., None]
            out[y0:y1, x0:x1] = alpha * face + (1 - alpha) * out[y0:y1, x0:x1]
        return Image.fromarray(out.round().clip(0, 255).astype(np.uint8))

    def _whole(self, rgb: np.ndarray, weight: float) -> np.ndarray:
        h, w = rgb.shape[:2]
        side = max(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        square = np.pad(rgb, ((top, side - h - top), (left, side - w - left), (0, 0)), mode="edge")
        return self._face(square, weight)[top : top + h, left : left + w]

    def _face(self, crop: np.ndarray, weight: float) -> np.ndarray:
        """One crop restored at 512x512 and resized back to its own size."""
        h, w = crop.shape[:2]
        face = Image.fromarray(crop).resize((FACE_SIZE, FACE_SIZE), Image.LANCZOS)
        x = torch.from_numpy(np.asarray(face, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
        param = next(self.descriptor.model.parameters())
        x = x.to(param.device, param.dtype)
        with torch.random.fork_rng(devices=[param.device] if param.device.type == "cuda" else []):
            torch.manual_seed(0)
            restored = self._network(x, weight)
        array = ((restored.float().cpu()[0].permute(1, 2, 0).numpy() + 1) * 127.5).round()
        restored_face = Image.fromarray(array.clip(0, 255).astype(np.uint8))
        return np.asarray(restored_face.resize((w, h), Image.LANCZOS))

    def _network(self, x: torch.Tensor, weight: float) -> torch.Tensor:
        model = self.descriptor.model
        if self.architecture == "CodeFormer":
            return model(x, weight=weight, adain=True)[0]
        if self.architecture == "GFPGAN":
            return model(x, return_rgb=False)[0]
        return self.descriptor(x)


def _square(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """The face box widened by `MARGIN` and made square, inside the image: (x0, y0, x1, y1)."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    half = max(w, h) * (0.5 + MARGIN)
    half = min(half, width / 2, height / 2)
    x0 = round(min(max(cx - half, 0), width - 2 * half))
    y0 = round(min(max(cy - half, 0), height - 2 * half))
    side = round(2 * half)
    return x0, y0, min(width, x0 + side), min(height, y0 + side)


def _feather(h: int, w: int) -> np.ndarray:
    """A blend mask that is 1 inside and falls to 0 over the outer eighth of the crop."""
    ramp_y = np.clip(np.minimum(np.arange(h), np.arange(h)[::-1]) / max(1, h / 8), 0, 1)
    ramp_x = np.clip(np.minimum(np.arange(w), np.arange(w)[::-1]) / max(1, w / 8), 0, 1)
    return np.minimum(ramp_y[:, None], ramp_x[None, :]).astype(np.float32)


def load_restorer(name: str, path: Path, device: torch.device, dtype: torch.dtype) -> FaceRestorer:
    """A catalog face restorer: GFPGAN or CodeFormer weights through spandrel (fp32: neither supports
    half precision), with the face detector shipped beside them if any."""
    descriptor = load_descriptor(path, device, ("FaceSR",), f"face restorer {name!r}")
    if descriptor.architecture.id not in ARCHITECTURES:
        raise ValueError(
            f"face restorer {name!r}: {descriptor.architecture.name} is not one of {list(ARCHITECTURES)}"
        )
    if dtype == torch.bfloat16 and descriptor.supports_bfloat16:
        descriptor.bfloat16()
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    detector = find_detector(folder)
    log.info("face restorer %s: %s, detector %s", name, descriptor.architecture.id, type(detector).__name__)
    return FaceRestorer(name=name, descriptor=descriptor, detector=detector, device=device)
