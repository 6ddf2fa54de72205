"""GFPGAN and CodeFormer in their real architectures (random weights) through spandrel."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from inference_container.restorers import FACE_TEMPLATE, Face, FaceRestorer, align, warp_face, yunet_faces

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def portrait() -> Image.Image:
    return Image.fromarray(np.random.default_rng(3).integers(0, 255, (96, 64, 3), dtype=np.uint8))


@pytest.fixture(scope="module")
def codeformer(models, catalog):
    return models.face_restorer(catalog.find("CodeFormer"))


@pytest.fixture(scope="module")
def restored(codeformer, portrait) -> np.ndarray:
    """The portrait restored by CodeFormer at weight 0.5 (one 512x512 run, reused)."""
    return np.asarray(codeformer.restore(portrait, 0.5))


def test_the_catalog_restorers_are_the_real_architectures(models, catalog, codeformer):
    gfpgan = models.face_restorer(catalog.find("GFPGAN"))

    assert (gfpgan.architecture, codeformer.architecture) == ("GFPGAN", "CodeFormer")


def test_without_a_detector_the_whole_image_is_restored_at_its_size(restored, portrait):
    assert restored.shape == np.asarray(portrait).shape
    assert not np.array_equal(restored, np.asarray(portrait))


def test_restoring_twice_gives_the_same_pixels(codeformer, portrait, restored):
    assert np.array_equal(np.asarray(codeformer.restore(portrait, 0.5)), restored)


def test_the_codeformer_weight_changes_the_result(codeformer, portrait, restored):
    assert not np.array_equal(np.asarray(codeformer.restore(portrait, 1.0)), restored)


def test_a_detected_face_is_restored_and_the_rest_left_alone(codeformer, portrait, monkeypatch):
    class OneFace:
        def detect(self, image):
            return [Face(box=(8, 8, 16, 16))]

    monkeypatch.setattr(codeformer, "detector", OneFace())

    restored = np.asarray(codeformer.restore(portrait, 0.5))

    assert not np.array_equal(restored[8:24, 8:24], np.asarray(portrait)[8:24, 8:24])
    assert np.array_equal(restored[60:, :], np.asarray(portrait)[60:, :])


LANDMARKS = FACE_TEMPLATE * 0.15 + np.array([20.0, 12.0], np.float32)
"""A face's five landmarks in a 128x128 image: the template at 0.15 scale, moved by (20, 12), so the aligned
512x512 square covers x 20..97, y 12..89."""


class InvertingNetwork:
    """A stand-in for a restorer network: its output is its input negated (each pixel p becomes 255 - p), so
    whatever it touched is visible, and it costs nothing to run."""

    class Architecture:
        id = "Inverting"

    architecture = Architecture()
    model = torch.nn.Linear(1, 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return -x


class Landmarked:
    """A detector that finds one face with known landmarks."""

    def __init__(self, landmarks: np.ndarray):
        self.landmarks = landmarks

    def detect(self, image):
        return [Face(box=(20, 12, 77, 77), landmarks=self.landmarks)]


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    return np.random.default_rng(5).integers(0, 255, (128, 128, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def aligned_restore(scene) -> np.ndarray:
    restorer = FaceRestorer(name="stand-in", descriptor=InvertingNetwork(), detector=Landmarked(LANDMARKS))
    return np.asarray(restorer.restore(Image.fromarray(scene)))


def test_the_alignment_takes_the_landmarks_onto_the_template():
    rotation = cv2.getRotationMatrix2D((60.0, 50.0), 17.0, 1.0)
    tilted = cv2.transform(LANDMARKS[None], rotation)[0]

    moved = cv2.transform(tilted[None], align(tilted))[0]

    assert np.abs(moved - FACE_TEMPLATE).max() < 1.0


def test_the_aligned_face_shows_the_landmarks_at_the_template_points():
    image = np.zeros((128, 128, 3), np.uint8)
    for x, y in LANDMARKS.round().astype(int):
        image[y, x] = 255

    face = warp_face(image, align(LANDMARKS))

    bright = [face[round(y) - 4 : round(y) + 5, round(x) - 4 : round(x) + 5].max() for x, y in FACE_TEMPLATE]
    assert min(bright) > 100


def test_yunet_points_are_in_the_template_order():
    """A frontal face as YuNet reports it: right eye (the subject's, on the image's left) first."""
    row = np.concatenate([[20, 12, 77, 77], LANDMARKS.reshape(-1), [0.9]]).astype(np.float32)

    affine = align(yunet_faces(row[None])[0].landmarks)

    assert abs(np.degrees(np.arctan2(affine[1, 0], affine[0, 0]))) < 1.0


def test_an_aligned_face_is_restored(aligned_restore, scene):
    assert np.abs(aligned_restore[40:60, 45:75].astype(int) - scene[40:60, 45:75]).mean() > 50


def test_an_aligned_face_leaves_the_pixels_outside_it_alone(aligned_restore, scene):
    outside = np.ones(scene.shape[:2], bool)
    outside[10:92, 18:100] = False

    assert np.array_equal(aligned_restore[outside], scene[outside])


def test_a_face_with_eyes_closer_than_five_pixels_is_left_alone(scene):
    tiny = FACE_TEMPLATE * 0.02 + np.array([50.0, 50.0], np.float32)
    restorer = FaceRestorer(name="stand-in", descriptor=InvertingNetwork(), detector=Landmarked(tiny))

    assert np.array_equal(np.asarray(restorer.restore(Image.fromarray(scene))), scene)
