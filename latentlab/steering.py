"""Chapter 9's machinery: SmolLM2's residual stream read, steered and ablated through forward hooks.

Hidden state L is the residual stream after decoder block L (state 0 is the token embeddings), as
in `model(..., output_hidden_states=True).hidden_states[L]`. An edit at state L >= 1 is a forward
hook on block L - 1 that rewrites the block's output (`hidden_states` records that output before
the hook runs, so it never shows an edit: the next block receives the edited state). Every
generation is greedy, so a run is a function of the prompts and the edits alone;
`torch.set_num_threads(1)` keeps pages fast when two run at once on two cores.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
import torch

from latentlab import data

Edit = Callable[[torch.Tensor], torch.Tensor]


def _encode(texts, side: str = "right"):
    tokenizer, _ = data.smollm()
    return tokenizer(list(texts), return_tensors="pt", padding=True, padding_side=side)


@torch.no_grad()
def mean_states(texts, batch_size: int = 32) -> np.ndarray:
    """Each text's residual stream averaged over its tokens after the first, at every state:
    float32 (31, n, 576). The first token is left out: from block 12 on, its state carries a few
    huge coordinates (an attention sink) that would swamp every mean."""
    _, lm = data.smollm()
    texts = list(texts)
    out = []
    for start in range(0, len(texts), batch_size):
        enc = _encode(texts[start:start + batch_size])
        states = torch.stack(lm(**enc, output_hidden_states=True).hidden_states)
        weights = enc["attention_mask"][None, :, :, None].float()
        weights[:, :, 0] = 0  # the first token is the model's attention sink, of huge norm
        out.append(((states * weights).sum(2) / weights.sum(2)).numpy())
    return np.concatenate(out, axis=1)


def _rewrite(edit: Edit):
    def hook(module, inputs, output):
        if isinstance(output, tuple):
            return (edit(output[0]), *output[1:])
        return edit(output)
    return hook


@contextlib.contextmanager
def edited(edits: dict[int, Edit]) -> Iterator[None]:
    """Within the block, hidden state L (1 .. 30) of every forward pass is replaced by
    `edits[L](state)`, state being a (batch, seq, 576) tensor; the hooks go when the block ends."""
    _, lm = data.smollm()
    layers = lm.model.layers
    handles = []
    try:
        for layer, edit in edits.items():
            if not 1 <= layer <= len(layers):
                raise ValueError(f"hidden state {layer} cannot be edited (1 .. {len(layers)})")
            handles.append(layers[layer - 1].register_forward_hook(_rewrite(edit)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def shift(vectors) -> Edit:
    """An edit adding `vectors` at every position: (576,) to every row, or (batch, 576) row by row."""
    vectors = torch.as_tensor(np.asarray(vectors, dtype=np.float32))
    if vectors.ndim == 1:
        vectors = vectors[None]
    return lambda h: h + vectors[:, None, :]


def ablation(directions) -> Edit:
    """An edit removing, at every position, the component along a direction: `directions` (576,)
    for every row, or (batch, 576) row by row, of any lengths; an all-zero row removes nothing (so
    one batch can hold an unablated control)."""
    r = torch.as_tensor(np.asarray(directions, dtype=np.float32))
    if r.ndim == 1:
        r = r[None]
    r = r / r.norm(dim=1, keepdim=True).clamp_min(1e-12)  # zero rows stay zero
    return lambda h: h - (h * r[:, None, :]).sum(-1, keepdim=True) * r[:, None, :]


@torch.no_grad()
def generate(prompts, n_new: int = 12, edits: dict[int, Edit] | None = None) -> list[str]:
    """Greedy continuations of `prompts` (left-padded, one batch), `n_new` tokens each, decoded
    without the prompt; `edits` apply to the prompt and to every generated token."""
    tokenizer, lm = data.smollm()
    enc = _encode(prompts, side="left")
    with edited(edits or {}):
        out = lm.generate(**enc, max_new_tokens=n_new, do_sample=False,
                          pad_token_id=tokenizer.pad_token_id)
    return [tokenizer.decode(row[enc["input_ids"].shape[1]:], skip_special_tokens=True).strip()
            for row in out]


@torch.no_grad()
def text_perplexity(texts, edits: dict[int, Edit] | None = None) -> float:
    """Perplexity of `texts` (right-padded, one batch) under the edits: exp of the mean negative
    log-likelihood, in nats, of every real token given those before it, pooled over the texts;
    computed with `torch.nn.functional.cross_entropy` in float64 (float32's is off by about 1e-4 a
    token)."""
    _, lm = data.smollm()
    enc = _encode(texts)
    with edited(edits or {}):
        logits = lm(**enc).logits
    losses = torch.nn.functional.cross_entropy(
        logits[:, :-1].double().transpose(1, 2), enc["input_ids"][:, 1:], reduction="none")
    return float(torch.exp(losses[enc["attention_mask"][:, 1:].bool()].mean()))


def neutral_text(n: int = 6) -> tuple[str, ...]:
    """n sentences of news (the Lee corpus, every 50th), the fixed text whose perplexity measures
    what steering costs."""
    sentences = [s for s in data.lee_sentences() if 12 <= len(s.split()) <= 30]
    return tuple(sentences[::50][:n])


def anchors() -> tuple[tuple[str, ...], np.ndarray]:
    """The scorer's 20 anchor sentences and which are positive: `(texts, positive)`, bool (20,)."""
    _, positive, negative, _ = data.sentiment_sets()
    return positive + negative, np.array([True] * len(positive) + [False] * len(negative))


def anchor_similarity(texts) -> np.ndarray:
    """Cosine similarity of MiniLM's embeddings of `texts` to the 20 anchors: float32 (n, 20)."""
    texts_anchors, _ = anchors()
    return data.embed(list(texts)) @ data.embed(texts_anchors).T


def sentiment_score(texts) -> np.ndarray:
    """The proxy scorer: mean similarity to the positive anchors minus mean to the negative ones."""
    _, positive = anchors()
    sims = anchor_similarity(texts)
    return sims[:, positive].mean(axis=1) - sims[:, ~positive].mean(axis=1)

