"""The seed requests (shared/seeds/000-004), read from the seed documents themselves, so the end-to-end tests
send exactly what the documents show; `with_image` swaps the placeholder image for a real one."""

from __future__ import annotations

import copy
from typing import Any

from tests.seeds import seed_blocks

SEED_000_IMG2IMG: dict[str, Any] = seed_blocks("000")[0]
SEED_001_CONTROLNET: dict[str, Any] = seed_blocks("001")[0]
SEED_002_TXT2IMG: dict[str, Any] = seed_blocks("002")[0]
SEED_003_V3_IMG2IMG: dict[str, Any] = next(
    b for b in seed_blocks("003") if isinstance(b, dict) and "init_image" in b
)
SEED_004_TASK: dict[str, Any] = seed_blocks("004")[0]


def with_image(seed: dict[str, Any], image_b64: str) -> dict[str, Any]:
    request = copy.deepcopy(seed)
    request["input"]["payload"]["init_images"] = [image_b64]
    return request
