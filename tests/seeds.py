"""The seed documents (tests/fixtures/seeds, copied from shared/seeds): the requests and responses the
project must accept and answer as shown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


def seed_blocks(prefix: str) -> list[Any]:
    """Every JSON code block of a seed document, in order (comments and trailing commas removed)."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:json)?\s*\n(.*?)```", text, flags=re.S)
    parsed = []
    for block in blocks:
        cleaned = re.sub(r"(?m)\s//[^\n]*$", "", block)
        cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
        try:
            parsed.append(json.loads(cleaned))
        except ValueError:
            continue
    return parsed
