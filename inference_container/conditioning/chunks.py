"""Weighted prompt text → 77-token chunks, as A1111 builds them (`sd_hijack_clip.tokenize_line`).

Each chunk is BOS, 75 prompt tokens, EOS (padding after the first EOS is the tokenizer's pad token). Nothing
is truncated: a longer prompt takes more chunks. `BREAK` ends the current chunk. When a chunk fills up and a
comma was within the last `COMMA_BACKTRACK` tokens, the text after that comma moves to the next chunk (A1111's
`comma_padding_backtrack`, default 20). Every token carries the emphasis weight of its run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sdapi.schema.prompt import BREAK_WEIGHT, parse_prompt_attention

CHUNK_LENGTH = 75
"""Prompt tokens per chunk (77 with BOS and EOS)."""
COMMA_BACKTRACK = 20


@dataclass
class Chunk:
    tokens: list[int] = field(default_factory=list)
    multipliers: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class TokenIds:
    """The special ids of one tokenizer."""

    start: int
    end: int
    pad: int
    comma: int | None

    @classmethod
    def of(cls, tokenizer) -> TokenIds:
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        return cls(tokenizer.bos_token_id, tokenizer.eos_token_id, pad, tokenizer.get_vocab().get(",</w>"))


def empty_chunk(ids: TokenIds) -> Chunk:
    """A chunk with no prompt tokens (fills a shorter text's chunk list in a batch)."""
    return Chunk([ids.start] + [ids.end] * (CHUNK_LENGTH + 1), [1.0] * (CHUNK_LENGTH + 2))


def embedding_groups(tokenizer) -> dict[int, list[int]]:
    """Textual-inversion tokens (diffusers adds `name`, `name_1`, … for a multi-vector embedding): the id
    written in the prompt → the ids of all its vectors."""
    added = tokenizer.added_tokens_encoder
    special = set(tokenizer.all_special_tokens)

    def extra_vector(token: str) -> bool:
        base, _, number = token.rpartition("_")
        return number.isdigit() and base in added

    groups = {}
    for token, first in added.items():
        if token in special or extra_vector(token):
            continue
        vectors, i = [first], 1
        while f"{token}_{i}" in added:
            vectors.append(added[f"{token}_{i}"])
            i += 1
        groups[first] = vectors
    return groups


def tokenize_weighted(
    text: str, tokenizer, ids: TokenIds, emphasis: bool = True, groups: dict[int, list[int]] | None = None
) -> tuple[list[Chunk], int]:
    """(the chunks of one plain prompt, its token count). `groups`: embedding tokens to expand into their
    vectors; as in A1111 an embedding never straddles two chunks."""
    groups = groups or {}
    runs = parse_prompt_attention(text) if emphasis else [[text, 1.0]]
    tokenized = tokenizer([t for t, _ in runs], truncation=False, add_special_tokens=False, verbose=False)
    tokenized = tokenized["input_ids"]
    chunks: list[Chunk] = []
    chunk = Chunk()
    token_count = 0
    last_comma = -1

    def close(is_last: bool = False) -> None:
        nonlocal chunk, token_count, last_comma
        token_count += len(chunk.tokens) if is_last else CHUNK_LENGTH
        missing = CHUNK_LENGTH - len(chunk.tokens)
        if missing > 0:
            chunk.tokens += [ids.end] * missing
            chunk.multipliers += [1.0] * missing
        chunk.tokens = [ids.start, *chunk.tokens, ids.end]
        chunk.multipliers = [1.0, *chunk.multipliers, 1.0]
        last_comma = -1
        chunks.append(chunk)
        chunk = Chunk()

    for tokens, (run_text, weight) in zip(tokenized, runs, strict=True):
        if run_text == "BREAK" and weight == BREAK_WEIGHT:
            close()
            continue
        for token in tokens:
            if token in groups:
                vectors = groups[token]
                if len(chunk.tokens) + len(vectors) > CHUNK_LENGTH:
                    close()
                chunk.tokens += vectors
                chunk.multipliers += [weight] * len(vectors)
                continue
            if token == ids.comma:
                last_comma = len(chunk.tokens)
            elif (
                len(chunk.tokens) == CHUNK_LENGTH
                and last_comma != -1
                and len(chunk.tokens) - last_comma <= COMMA_BACKTRACK
            ):
                cut = last_comma + 1
                moved_tokens, moved_weights = chunk.tokens[cut:], chunk.multipliers[cut:]
                chunk.tokens, chunk.multipliers = chunk.tokens[:cut], chunk.multipliers[:cut]
                close()
                chunk.tokens, chunk.multipliers = moved_tokens, moved_weights
            if len(chunk.tokens) == CHUNK_LENGTH:
                close()
            chunk.tokens.append(token)
            chunk.multipliers.append(weight)
    if chunk.tokens or not chunks:
        close(is_last=True)
    return chunks, token_count
