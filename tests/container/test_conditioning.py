"""Conditioning as A1111 builds it, measured on the tiny encoders (CPU)."""

from __future__ import annotations

import pytest
import torch

from inference_container.conditioning import conditioner_for, encode_prompts
from inference_container.conditioning.chunks import TokenIds, tokenize_weighted
from sdapi.schema.catalog import Family
from tests.container.conftest import make_job, pixels

pytestmark = pytest.mark.container

LONG = ("a lighthouse on a cliff at dusk, " * 8).strip()
"""208 tokens on the tiny character-level tokenizer (every letter and comma is a token)."""


@pytest.fixture(scope="module")
def sd15(models, catalog):
    return models.checkpoint(catalog.find("v1-5-pruned-emaonly")).pipe


@pytest.fixture(scope="module")
def sdxl(models, catalog):
    return models.checkpoint(catalog.find("sd_xl_base_1.0")).pipe


def encode(pipe, family, text, **rules):
    with torch.inference_mode():
        return conditioner_for(pipe, family, **rules).encode([text])


def test_a_plain_short_prompt_equals_diffusers_own_encoding_sd15(sd15):
    # given a short prompt with no emphasis
    ours, _ = encode(sd15, Family.SD15, "a lighthouse")
    # when diffusers encodes it itself (in inference mode, as the worker and diffusers' own call run)
    with torch.inference_mode():
        theirs, _ = sd15.encode_prompt("a lighthouse", "cpu", 1, False)
    # then the embeddings are bit for bit the same
    assert torch.equal(ours, theirs)


def test_clip_skip_2_is_the_penultimate_layer_through_the_final_norm_sd15(sd15):
    # given A1111's CLIP_stop_at_last_layers=2
    ours, _ = encode(sd15, Family.SD15, "a lighthouse", clip_skip=2)
    tokens = sd15.tokenizer("a lighthouse", padding="max_length", max_length=77, return_tensors="pt")
    tokens = tokens.input_ids
    with torch.inference_mode():
        hidden = sd15.text_encoder(tokens, output_hidden_states=True).hidden_states
        expected = sd15.text_encoder.final_layer_norm(hidden[-2])
    # then it is hidden layer -2 passed through CLIP's final layer norm, as A1111 does
    assert torch.equal(ours, expected)


def test_a_plain_short_prompt_equals_diffusers_own_encoding_sdxl(sdxl):
    # given SDXL's two encoders, when we and diffusers encode the same short prompt
    ours, pooled = encode(sdxl, Family.SDXL, "a lighthouse")
    with torch.inference_mode():
        theirs, _, their_pooled, _ = sdxl.encode_prompt(
            "a lighthouse", device="cpu", do_classifier_free_guidance=False
        )
    # then the concatenated hidden states and the pooled projection are the same
    assert torch.equal(ours, theirs)
    assert torch.equal(pooled, their_pooled)


def test_weight_one_equals_no_brackets_bit_for_bit(sd15):
    # given the same words with and without an explicit 1.0 weight
    plain, _ = encode(sd15, Family.SD15, "a lighthouse")
    weighted, _ = encode(sd15, Family.SD15, "a (lighthouse:1.0)")
    # then the conditioning is identical
    assert torch.equal(plain, weighted)


def test_emphasis_scales_the_token_and_restores_the_mean(sd15):
    # given the raw encoder output of "a b c" and the emphasised "a (b:1.5) c" (same tokens)
    ids = TokenIds.of(sd15.tokenizer)
    chunks, _ = tokenize_weighted("a (b:1.5) c", sd15.tokenizer, ids)
    weights = torch.tensor(chunks[0].multipliers)
    with torch.inference_mode():
        raw = sd15.text_encoder(torch.tensor([chunks[0].tokens]), output_hidden_states=True).last_hidden_state
    emphasised, _ = encode(sd15, Family.SD15, "a (b:1.5) c")
    # then the mean over the chunk is the raw mean
    assert torch.allclose(emphasised.mean(), raw.mean(), atol=1e-6)
    # and every token is its raw vector times its weight, times one common factor
    factor = raw.mean() / (raw * weights[None, :, None]).mean()
    assert torch.allclose(emphasised, raw * weights[None, :, None] * factor, atol=1e-6)
    assert weights.tolist().count(1.5) == 1


def test_a_long_prompt_makes_more_chunks_and_nothing_is_cut(sd15):
    # given a prompt of 208 tokens
    ids = TokenIds.of(sd15.tokenizer)
    chunks, count = tokenize_weighted(LONG, sd15.tokenizer, ids)
    embeds, _ = encode(sd15, Family.SD15, LONG)
    # then every token is kept, in three 77-token chunks with BOS and EOS
    assert count == 208
    assert len(chunks) == 3
    assert embeds.shape[1] == 3 * 77
    assert all(c.tokens[0] == ids.start and c.tokens[-1] == ids.end for c in chunks)


def test_break_starts_a_new_chunk(sd15):
    # given two words separated by BREAK
    ids = TokenIds.of(sd15.tokenizer)
    chunks, _ = tokenize_weighted("a lighthouse BREAK a cliff", sd15.tokenizer, ids)
    # then each is its own chunk
    assert len(chunks) == 2
    assert sd15.tokenizer.decode(chunks[1].tokens, skip_special_tokens=True).replace(" ", "") == "acliff"


def test_prompt_and_negative_are_padded_to_the_same_length(sd15):
    # given a short prompt and a long negative prompt
    with torch.inference_mode():
        cond = encode_prompts(conditioner_for(sd15, Family.SD15), "a lighthouse", LONG, steps=4)
    # then both halves of CFG have the long side's token count
    assert cond.positive.embeds.shape == cond.negative.embeds.shape
    assert cond.positive.embeds.shape[1] > 77


def test_sdxl_pooled_comes_from_the_first_chunk(sdxl):
    # given a long prompt and its first chunk's text alone
    _, pooled_long = encode(sdxl, Family.SDXL, LONG)
    ids = TokenIds.of(sdxl.tokenizer_2)
    first, _ = tokenize_weighted(LONG, sdxl.tokenizer_2, ids)
    head = sdxl.tokenizer_2.decode(first[0].tokens, skip_special_tokens=True)
    with torch.inference_mode():
        out = sdxl.text_encoder_2(torch.tensor([first[0].tokens]), output_hidden_states=True)
    # then the pooled embedding is the first chunk's projection
    assert head
    assert torch.equal(pooled_long, out.text_embeds)


def test_sdxl_empty_negative_prompt_is_zeros(sdxl):
    # given an SDXL job with no negative prompt
    with torch.inference_mode():
        cond = encode_prompts(conditioner_for(sdxl, Family.SDXL), "a lighthouse", "", steps=4)
    # then the negative conditioning and pooled are zeros (A1111 force_zero_negative_prompt)
    assert not cond.negative.embeds.any()
    assert not cond.negative.pooled.any()


def capture_cross_attention(unet):
    seen = []

    def hook(module, args, kwargs):
        seen.append(kwargs["encoder_hidden_states"].clone())

    return seen, unet.register_forward_pre_hook(hook, with_kwargs=True)


def test_a_scheduled_prompt_switches_at_the_stated_step(generator_worker, sd15):
    # given "[cat:dog:2]" over 4 steps: A1111 uses "cat" on sampler steps 0..2 and "dog" on step 3
    with torch.inference_mode():
        conditioner = conditioner_for(sd15, Family.SD15)
        cat, dog = conditioner.encode(["cat"])[0], conditioner.encode(["dog"])[0]
    seen, handle = capture_cross_attention(sd15.unet)
    try:
        generator_worker.generate(make_job(prompt="[cat:dog:2]", steps=4))
    finally:
        handle.remove()
    # then the conditional half of CFG is cat, cat, cat, dog
    positive = [states[1:] for states in seen]
    assert [torch.equal(p, cat) for p in positive] == [True, True, True, False]
    assert torch.equal(positive[3], dog)


def test_the_negative_half_switches_too(generator_worker, sd15):
    # given a scheduled negative prompt
    with torch.inference_mode():
        conditioner = conditioner_for(sd15, Family.SD15)
        blur, noise = conditioner.encode(["blur"])[0], conditioner.encode(["noise"])[0]
    seen, handle = capture_cross_attention(sd15.unet)
    try:
        generator_worker.generate(make_job(prompt="cat", negative_prompt="[blur:noise:1]", steps=3))
    finally:
        handle.remove()
    # then the unconditional half follows its own schedule (steps 0, 1: blur; step 2: noise)
    negative = [states[:1] for states in seen]
    assert [torch.equal(n, blur) for n in negative] == [True, True, False]
    assert torch.equal(negative[2], noise)


def test_a_long_prompt_gives_a_different_image_than_its_first_75_tokens(generator_worker, sd15):
    # given a 3-chunk prompt and the text of its first chunk alone
    ids = TokenIds.of(sd15.tokenizer)
    first, _ = tokenize_weighted(LONG, sd15.tokenizer, ids)
    head = sd15.tokenizer.decode(first[0].tokens, skip_special_tokens=True)
    long_image = generator_worker.generate(make_job(prompt=LONG)).images[0]
    head_image = generator_worker.generate(make_job(prompt=head)).images[0]
    # then the tokens past 75 change the picture
    assert (pixels(long_image) != pixels(head_image)).any()


def test_sdxl_refiner_and_controlnet_take_the_conditioning(generator_worker):
    # given an SDXL job with emphasis, a schedule and the refiner
    job = make_job(
        model="sd_xl_base_1.0",
        prompt="(a lighthouse:1.3) [at dusk:at dawn:0.5] BREAK a cliff",
        negative_prompt=LONG,
        steps=4,
        refiner={"checkpoint": "sd_xl_refiner_1.0", "switch_at": 0.5},
    )
    # when generated, then it runs all steps across the hand-off
    result = generator_worker.generate(job)
    assert result.steps_run == 4


def test_info_keeps_the_prompt_as_written(generator_worker):
    # given a prompt with emphasis and a schedule
    prompt = "(a lighthouse:1.2), [day:night:0.5]"
    result = generator_worker.generate(make_job(prompt=prompt))
    # then info and infotext show it as written
    assert result.infotexts[0].startswith(prompt + "\n")
