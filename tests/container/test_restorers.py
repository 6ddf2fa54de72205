"""GFPGAN and CodeFormer in their real architectures (random weights) through spandrel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

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
            return [(8, 8, 16, 16)]

    monkeypatch.setattr(codeformer, "detector", OneFace())

    restored = np.asarray(codeformer.restore(portrait, 0.5))

    assert not np.array_equal(restored[8:24, 8:24], np.asarray(portrait)[8:24, 8:24])
    assert np.array_equal(restored[60:, :], np.asarray(portrait)[60:, :])
