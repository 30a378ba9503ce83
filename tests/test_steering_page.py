"""Chapter 9's machinery (latentlab.steering) against independent computations: hooks that edit
the residual stream and always go away, perplexity from torch's cross-entropy against the
reference's numpy, ablation that leaves states orthogonal to the direction, and the scorer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentlab import data, steering
from latentlab.reference import steering as ref

pytestmark = pytest.mark.slow  # loads SmolLM2


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


PROMPTS = ["The weather today is", "My neighbour told me that the new restaurant"]


def _n_hooks():
    _, lm = data.smollm()
    return sum(len(block._forward_hooks) for block in lm.model.layers)


def _states(enc, edits=None):
    """The residual stream as the next block (or the final norm) receives it: state L for L in
    1 .. 30, each (batch, seq, 576). (`output_hidden_states` records a block's output before a
    later-registered hook edits it, so it cannot show an edit.)"""
    _, lm = data.smollm()
    seen = {}
    receivers = [*lm.model.layers[1:], lm.model.norm]
    handles = [m.register_forward_pre_hook(lambda m, args, k=k: seen.__setitem__(k, args[0].clone()))
               for k, m in enumerate(receivers, start=1)]
    try:
        with steering.edited(edits or {}), torch.no_grad():
            lm(**enc)
    finally:
        for h in handles:
            h.remove()
    return seen


def test_an_edit_changes_the_state_it_names_and_the_hooks_go_even_after_an_error():
    enc = steering._encode(PROMPTS)
    before = _n_hooks()  # transformers keeps hooks of its own on the blocks
    plain = _states(enc)
    push = np.random.default_rng(0).standard_normal(576).astype(np.float32)
    pushed = _states(enc, {5: steering.shift(push)})
    assert _n_hooks() == before
    for layer in range(1, 5):
        assert torch.equal(plain[layer], pushed[layer]), f"state {layer} is before the edit"
    assert torch.allclose(pushed[5] - plain[5], torch.from_numpy(push).expand_as(plain[5]), atol=1e-3)
    assert not torch.allclose(pushed[6], plain[6], atol=1e-2), "the edit reaches the next block"
    with pytest.raises(RuntimeError), steering.edited({3: steering.shift(push)}):
        raise RuntimeError("a cell that fails inside the block")
    assert _n_hooks() == before, "a hook outlived a failed block"
    with pytest.raises(ValueError):
        with steering.edited({0: steering.shift(push)}):
            pass
    assert _n_hooks() == before


def test_a_zero_shift_generates_what_the_plain_model_does():
    plain = steering.generate(PROMPTS, 6)
    assert steering.generate(PROMPTS, 6, {8: steering.shift(np.zeros(576))}) == plain
    assert all(isinstance(t, str) and t for t in plain)


def test_perplexity_from_torch_matches_the_reference_from_logits():
    texts = list(steering.neutral_text(3))
    _, lm = data.smollm()
    enc = steering._encode(texts)
    with torch.no_grad():
        logits = lm(**enc).logits.numpy()
    theirs = ref.perplexity(logits, enc["input_ids"].numpy(), enc["attention_mask"].numpy())
    assert steering.text_perplexity(texts) == pytest.approx(theirs, rel=1e-5)
    assert enc["attention_mask"].numpy().min() == 0, "the texts differ in length, so padding is exercised"


def test_ablation_at_every_layer_leaves_every_state_orthogonal_to_the_direction():
    r = np.random.default_rng(1).standard_normal(576)
    enc = steering._encode(PROMPTS)
    states = _states(enc, {layer: steering.ablation(r) for layer in range(1, 31)})
    unit = torch.from_numpy((r / np.linalg.norm(r)).astype(np.float32))
    for layer in range(1, 31):
        along = (states[layer] @ unit).abs().max() / states[layer].norm(dim=-1).max()
        assert along < 1e-5, f"state {layer} keeps a component along the ablated direction"
    rows = np.stack([np.zeros(576), r])
    mixed = _states(enc, {4: steering.ablation(rows)})[4]
    ablated = _states(enc, {4: steering.ablation(r)})[4]
    plain = _states(enc)[4]
    assert torch.equal(mixed[0], plain[0]), "a zero row removes nothing"
    assert torch.allclose(mixed[1], ablated[1], atol=1e-4)
    assert not torch.allclose(mixed[1], plain[1], atol=1e-2)


def test_mean_states_average_the_tokens_after_the_first():
    _, lm = data.smollm()
    texts = ["I love this place.", "What a miserable, gloomy morning it was."]
    means = steering.mean_states(texts)
    assert means.shape == (31, 2, 576) and means.dtype == np.float32
    for i, text in enumerate(texts):
        enc = steering._encode([text])
        with torch.no_grad():
            states = lm(**enc, output_hidden_states=True).hidden_states
        for layer in (0, 8, 20):
            want = states[layer][0, 1:].mean(0).numpy()
            assert np.allclose(means[layer, i], want, atol=1e-4), (text, layer)


def test_the_scorer_orders_the_courses_own_sentences():
    pairs, *_ = data.sentiment_sets()
    scores = steering.sentiment_score([s for p in pairs for s in p]).reshape(-1, 2)
    assert (scores[:, 0] > scores[:, 1]).mean() >= 0.9, "the scorer should rank each pair's positive side higher"
    texts, positive = steering.anchors()
    assert len(texts) == 20 and positive.sum() == 10
