"""A1111 prompt styles: a named prompt and negative prompt merged into the request's.

A style text containing `{prompt}` has the prompt substituted there; otherwise the style is appended after
", " (an empty side is dropped). Styles apply in the order the request lists them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PLACEHOLDER = "{prompt}"


class Style(BaseModel):
    """One style of a deployment (A1111 `styles.csv` row)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The name requests use in `styles`.")
    prompt: str = Field(default="", max_length=20000, description="Merged into the prompt.")
    negative_prompt: str = Field(default="", max_length=20000, description="Merged into the negative prompt.")


def merge_style_prompt(style_prompt: str, prompt: str) -> str:
    if PLACEHOLDER in style_prompt:
        return style_prompt.replace(PLACEHOLDER, prompt)
    return ", ".join(part for part in (prompt.strip(), style_prompt.strip()) if part)


def apply_styles(prompt: str, negative_prompt: str, styles: list[Style]) -> tuple[str, str]:
    """The prompt and negative prompt with every style merged in, in order."""
    for style in styles:
        prompt = merge_style_prompt(style.prompt, prompt)
        negative_prompt = merge_style_prompt(style.negative_prompt, negative_prompt)
    return prompt, negative_prompt
