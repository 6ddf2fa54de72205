"""AUTOMATIC1111's prompt language, pure Python (lark + the standard library).

Used on both sides of the Lambda/GPU line: the door reads LoRA tags and styles to refuse unknown names, the
container builds conditioning from the same parse.

- `schedules`: prompt editing `[from:to:when]`, `[to:when]`, `[from::when]` and alternation `[a|b]` → the
  plain prompt text in force up to each step (A1111 `get_learned_conditioning_prompt_schedules`).
- `attention`: emphasis `(x)`, `[x]`, `(x:1.3)`, escapes and `BREAK` → (text, weight) runs (A1111
  `parse_prompt_attention`).
- `networks`: `<lora:name:te:unet>` and other extra-network tags, removed from the text (A1111
  `extra_networks.parse_prompt`).
- `styles`: A1111 prompt styles with the `{prompt}` placeholder rule.
"""

from sdapi.schema.prompt.attention import BREAK_WEIGHT, parse_prompt_attention
from sdapi.schema.prompt.networks import ExtraNetworkParams, LoraRequest, loras_of, parse_extra_networks
from sdapi.schema.prompt.schedules import prompt_schedule, prompt_schedules
from sdapi.schema.prompt.styles import Style, apply_styles, merge_style_prompt

__all__ = [
    "BREAK_WEIGHT",
    "ExtraNetworkParams",
    "LoraRequest",
    "Style",
    "apply_styles",
    "loras_of",
    "merge_style_prompt",
    "parse_extra_networks",
    "parse_prompt_attention",
    "prompt_schedule",
    "prompt_schedules",
]
