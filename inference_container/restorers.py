"""Face restoration with the real GFPGAN and CodeFormer networks, loaded through spandrel (GFPGAN from
spandrel itself, CodeFormer from spandrel-extra-arches).

What A1111 does (`modules/face_restoration_utils.py`, facexlib's `FaceRestoreHelper`): RetinaFace finds every
face and its five landmarks, each face is warped by a similarity transform onto the FFHQ 512x512 template,
restored (RGB in [-1, 1]; CodeFormer `net(x, weight=w, adain=True)[0]`, GFPGAN `net(x, return_rgb=False)[0]`),
and pasted back through the inverse transform with a face-parsing mask; the result is blended with the input
by the visibility.

What this module does: the same networks called the same way. Which faces, and how they are cut out:
- with OpenCV's YuNet (a `*.onnx` file in the restorer's folder), which gives the five landmarks, each face is
  aligned as facexlib aligns it: `cv2.estimateAffinePartial2D(landmarks, FACE_TEMPLATE, method=cv2.LMEDS)`,
  `cv2.warpAffine` to 512x512 with a constant grey border, restored, and pasted back through the inverse
  affine with facexlib's mask for the case without its parsing model (`paste_faces_to_input_image`: the
  inverse-warped square, eroded, then a soft edge sized from the face's area). No parsing mask: the square
  aligned face is pasted whole, as facexlib does with `use_parse=False`;
- with a Haar cascade (a `*.xml` file), which gives boxes only, each box, widened by a quarter on every side
  and made square, is cropped axis-aligned, restored and pasted back with a feathered edge;
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
FACE_TEMPLATE = np.array(
    [
        [192.98138, 239.94708],
        [318.90277, 240.1936],
        [256.63416, 314.01935],
        [201.26117, 371.41043],
        [313.08905, 371.15118],
    ],
    dtype=np.float32,
)
"""facexlib's five landmarks of an FFHQ 512x512 face (`FaceRestoreHelper.face_template`, 5-point case), in
image terms: the eye on the image's left, the other eye, the nose tip, the mouth corner on the image's left,
the other corner."""
BORDER_VALUE = (132, 133, 135)
"""facexlib's grey border for the aligned face, `(135, 133, 132)` in its BGR, here in RGB."""
EYE_DISTANCE_THRESHOLD = 5
"""A1111 skips faces whose eyes are closer than 5 pixels (`get_face_landmarks_5(eye_dist_threshold=5)`)."""

Box = tuple[int, int, int, int]
"""x, y, width, height in pixels."""


@dataclass(frozen=True)
class Face:
    """One detected face: its box, and its five landmarks (5x2, in `FACE_TEMPLATE`'s order) when the
    detector gives them."""

    box: Box
    landmarks: np.ndarray | None = None


class FaceDetector(Protocol):
    def detect(self, image: np.ndarray) -> list[Face]:
        """The faces in an RGB uint8 image."""
        ...


class HaarDetector:
    """OpenCV's Haar cascade (the XML file shipped in the restorer's folder)."""

    def __init__(self, xml: Path):
        import cv2

        self._cascade = cv2.CascadeClassifier(str(xml))
        if self._cascade.empty():
            raise ValueError(f"{xml} is not a Haar cascade OpenCV can read")

    def detect(self, image: np.ndarray) -> list[Face]:
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(32, 32))
        return [Face(box=tuple(int(v) for v in box)) for box in found]


class YuNetDetector:
    """OpenCV's YuNet face detector (the ONNX file shipped in the restorer's folder)."""

    def __init__(self, onnx: Path, score_threshold: float = 0.7):
        import cv2

        self._detector = cv2.FaceDetectorYN.create(str(onnx), "", (320, 320), score_threshold)

    def detect(self, image: np.ndarray) -> list[Face]:
        import cv2

        h, w = image.shape[:2]
        self._detector.setInputSize((w, h))
        _, rows = self._detector.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        return [] if rows is None else yunet_faces(rows)


def yunet_faces(rows: np.ndarray) -> list[Face]:
    """YuNet's rows (`x, y, w, h, x_re, y_re, x_le, y_le, x_nt, y_nt, x_rcm, y_rcm, x_lcm, y_lcm, score`) as
    faces. YuNet names the points from the subject's side (its right eye lies on the image's left in a
    frontal face), so its order is already `FACE_TEMPLATE`'s image-terms order (OpenCV's own
    `FaceRecognizerSF.alignCrop` maps these rows in this order onto the ArcFace template, left eye first)."""
    return [
        Face(box=tuple(int(v) for v in row[:4]), landmarks=np.asarray(row[4:14], np.float32).reshape(5, 2))
        for row in rows
    ]


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
        """Every face of `image` restored (aligned on its landmarks when the detector gives them, else its
        box cropped axis-aligned; the whole image as one face when there is no detector); `weight` is
        CodeFormer's fidelity weight (GFPGAN has none)."""
        rgb = np.asarray(image.convert("RGB"))
        if self.detector is None:
            return Image.fromarray(self._whole(rgb, weight))
        out = rgb.astype(np.float32)
        for face in self.detector.detect(rgb):
            if face.landmarks is not None and _eye_distance(face.landmarks) < EYE_DISTANCE_THRESHOLD:
                continue
            affine = None if face.landmarks is None else align(face.landmarks)
            if affine is not None:
                out = paste_back(out, self._network_512(warp_face(rgb, affine), weight), affine)
                continue
            x0, y0, x1, y1 = _square(face.box, rgb.shape[1], rgb.shape[0])
            restored = self._face(rgb[y0:y1, x0:x1], weight).astype(np.float32)
            alpha = _feather(y1 - y0, x1 - x0)[..., None]
            out[y0:y1, x0:x1] = alpha * restored + (1 - alpha) * out[y0:y1, x0:x1]
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
        face = np.asarray(Image.fromarray(crop).resize((FACE_SIZE, FACE_SIZE), Image.LANCZOS))
        restored_face = Image.fromarray(self._network_512(face, weight))
        return np.asarray(restored_face.resize((w, h), Image.LANCZOS))

    def _network_512(self, face: np.ndarray, weight: float) -> np.ndarray:
        """One 512x512 RGB uint8 face through the network, back as RGB uint8."""
        x = torch.from_numpy(np.asarray(face, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
        param = next(self.descriptor.model.parameters())
        x = x.to(param.device, param.dtype)
        with torch.random.fork_rng(devices=[param.device] if param.device.type == "cuda" else []):
            torch.manual_seed(0)
            restored = self._network(x, weight)
        array = ((restored.float().cpu()[0].permute(1, 2, 0).numpy() + 1) * 127.5).round()
        return array.clip(0, 255).astype(np.uint8)

    def _network(self, x: torch.Tensor, weight: float) -> torch.Tensor:
        model = self.descriptor.model
        if self.architecture == "CodeFormer":
            return model(x, weight=weight, adain=True)[0]
        if self.architecture == "GFPGAN":
            return model(x, return_rgb=False)[0]
        return self.descriptor(x)


def align(landmarks: np.ndarray) -> np.ndarray | None:
    """The 2x3 similarity transform that takes a face's five landmarks onto `FACE_TEMPLATE` (facexlib's
    `align_warp_face`), or None when OpenCV finds none."""
    import cv2

    points = np.asarray(landmarks, np.float32).reshape(5, 2)
    return cv2.estimateAffinePartial2D(points, FACE_TEMPLATE, method=cv2.LMEDS)[0]


def warp_face(rgb: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The aligned 512x512 face, with facexlib's constant grey border where the warp leaves the image."""
    import cv2

    size = (FACE_SIZE, FACE_SIZE)
    return cv2.warpAffine(rgb, affine, size, borderMode=cv2.BORDER_CONSTANT, borderValue=BORDER_VALUE)


def paste_back(image: np.ndarray, restored: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """`image` (float32 RGB) with the restored 512x512 face pasted back through the inverse of `affine`:
    facexlib's `paste_faces_to_input_image` without the parsing model, at upscale factor 1."""
    import cv2

    h, w = image.shape[:2]
    inverse_affine = cv2.invertAffineTransform(affine)
    inv_restored = cv2.warpAffine(restored, inverse_affine, (w, h))
    mask = np.ones((FACE_SIZE, FACE_SIZE), dtype=np.float32)
    inv_mask = cv2.warpAffine(mask, inverse_affine, (w, h))
    inv_mask_erosion = cv2.erode(inv_mask, np.ones((2, 2), np.uint8))  # removes the black border
    pasted_face = inv_mask_erosion[:, :, None] * inv_restored
    total_face_area = np.sum(inv_mask_erosion)
    w_edge = int(total_face_area**0.5) // 20  # the fusion edge, from the face's area
    erosion_radius = w_edge * 2
    inv_mask_center = cv2.erode(inv_mask_erosion, np.ones((erosion_radius, erosion_radius), np.uint8))
    blur_size = w_edge * 2
    inv_soft_mask = cv2.GaussianBlur(inv_mask_center, (blur_size + 1, blur_size + 1), 0)[:, :, None]
    return inv_soft_mask * pasted_face + (1 - inv_soft_mask) * image


def _eye_distance(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[0] - landmarks[1]))


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
