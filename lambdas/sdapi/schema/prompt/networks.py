"""Extra-network tags: `<lora:name:weight>`, `<lora:name:te:unet>`, `<lora:name:te=0.5:unet=1>`.

As in A1111 (`modules/extra_networks.py`): every `<kind:arg:arg…>` tag is removed from the prompt text and
collected by kind; arguments of the form `key=value` are named, the rest positional. A LoRA's text-encoder
weight is its second item (default 1.0, or `te=`), its UNet weight the third (default: the text-encoder
weight, or `unet=`), `dyn=` (DyLoRA rank) the fourth.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

TAG = re.compile(r"<(\w+):([^>]+)>")


@dataclass(frozen=True)
class ExtraNetworkParams:
    """One tag's arguments (A1111 `ExtraNetworkParams`)."""

    items: tuple[str, ...]
    positional: tuple[str, ...] = field(init=False)
    named: dict[str, str] = field(init=False, hash=False, compare=False)

    def __post_init__(self) -> None:
        positional, named = [], {}
        for item in self.items:
            parts = item.split("=", 2)
            if len(parts) == 2:
                named[parts[0]] = parts[1]
            else:
                positional.append(item)
        object.__setattr__(self, "positional", tuple(positional))
        object.__setattr__(self, "named", named)


def parse_extra_networks(prompt: str) -> tuple[str, dict[str, list[ExtraNetworkParams]]]:
    """(prompt without tags, {kind: [params, …]}) in the order the tags appear."""
    found: dict[str, list[ExtraNetworkParams]] = defaultdict(list)

    def take(match: re.Match) -> str:
        found[match.group(1)].append(ExtraNetworkParams(tuple(match.group(2).split(":"))))
        return ""

    return TAG.sub(take, prompt), dict(found)


class InvalidTag(ValueError):
    """A tag whose arguments A1111 could not read (a weight that is not a number)."""


@dataclass(frozen=True)
class LoraRequest:
    """One LoRA a job applies: its catalog name and A1111's two multipliers."""

    name: str
    te_weight: float = 1.0
    unet_weight: float = 1.0
    dyn_dim: int | None = None

    @classmethod
    def from_params(cls, params: ExtraNetworkParams) -> LoraRequest:
        if not params.positional:
            raise InvalidTag(f"<lora:{':'.join(params.items)}> names no LoRA")
        positional, named = params.positional, params.named
        try:
            te = float(positional[1]) if len(positional) > 1 else 1.0
            te = float(named.get("te", te))
            unet = float(positional[2]) if len(positional) > 2 else te
            unet = float(named.get("unet", unet))
            dyn = int(positional[3]) if len(positional) > 3 else None
            dyn = int(named["dyn"]) if "dyn" in named else dyn
        except ValueError as exc:
            raise InvalidTag(f"<lora:{':'.join(params.items)}>: {exc}") from exc
        return cls(name=positional[0], te_weight=te, unet_weight=unet, dyn_dim=dyn)


LORA_KINDS = ("lora", "lyco")
"""Tag kinds A1111's built-in Lora extension handles (`lyco` is its alias)."""


def loras_of(prompt: str) -> tuple[str, list[LoraRequest]]:
    """(prompt without any extra-network tag, the LoRAs it asks for, in order)."""
    text, tags = parse_extra_networks(prompt)
    requests = [LoraRequest.from_params(p) for kind in LORA_KINDS for p in tags.get(kind, [])]
    return text, requests
