"""Reference versions of assignment a09_steering: a difference-of-means direction, adding it to
hidden states at chosen positions, directional ablation, perplexity from logits, the steering
effect from a scorer's similarities, and the best setting under a perplexity budget.

The contracts are the exercises' own; the book's pages call these functions and never print them.
"""

from __future__ import annotations

import numpy as np


def steering_direction(positive, negative):
    """Unit vector from the mean of `negative` (m, d) to the mean of `positive` (n, d): float64 (d,).
    Equal means, or an empty set, raise ValueError."""
    positive = np.asarray(positive, dtype=np.float64)
    negative = np.asarray(negative, dtype=np.float64)
    if positive.ndim != 2 or negative.ndim != 2 or positive.shape[1] != negative.shape[1]:
        raise ValueError(f"two (n, d) arrays of the same d needed, got {positive.shape} and {negative.shape}")
    if len(positive) == 0 or len(negative) == 0:
        raise ValueError("each side needs at least one row")
    difference = positive.mean(axis=0) - negative.mean(axis=0)
    norm = np.linalg.norm(difference)
    if norm == 0:
        raise ValueError("the two means are equal: there is no direction between them")
    return difference / norm


def add_direction(hidden, direction, coefficient, positions):
    """`hidden` (batch, seq, d) with `coefficient * direction` added at the sequence `positions`
    (distinct ints; negative ones count from the end) of every row; a new array of hidden's dtype."""
    hidden = np.asarray(hidden)
    out = hidden.copy()
    positions = np.asarray(positions, dtype=np.int64).reshape(-1)
    shift = (coefficient * np.asarray(direction, dtype=np.float64)).astype(hidden.dtype)
    out[:, positions, :] += shift
    return out


def ablate_direction(hidden, direction):
    """`hidden` (..., d) with its component along `direction` removed: x - (x . r) r with r the unit
    vector of `direction`; a new array of hidden's dtype. A zero direction raises ValueError."""
    hidden = np.asarray(hidden)
    r = np.asarray(direction, dtype=np.float64)
    norm = np.linalg.norm(r)
    if norm == 0:
        raise ValueError("a zero direction has no component to remove")
    r = r / norm
    x = hidden.astype(np.float64)
    return (x - (x @ r)[..., None] * r).astype(hidden.dtype)


def perplexity(logits, token_ids, mask):
    """exp of the mean negative log-likelihood (nats) of each masked-in token given the ones before
    it: logits (batch, seq, vocab) at position t predict token t + 1; every predicted token with
    mask 1 counts once, pooled over the batch. A Python float; no counted token raises ValueError."""
    logits = np.asarray(logits, dtype=np.float64)
    token_ids = np.asarray(token_ids, dtype=np.int64)
    mask = np.asarray(mask).astype(bool)
    predicting = logits[:, :-1, :]
    targets = token_ids[:, 1:]
    counted = mask[:, 1:]
    if not counted.any():
        raise ValueError("no token to predict: the mask leaves none after the first position")
    top = predicting.max(axis=-1, keepdims=True)
    log_z = np.log(np.exp(predicting - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(predicting, targets[..., None], axis=-1)[..., 0]
    nll = (log_z - picked)[counted]
    return float(np.exp(nll.mean()))


def steering_effect(steered, base, positive):
    """Mean and standard error, over prompts, of the paired change in score, where a generation's
    score is its mean similarity to the positive anchors minus its mean similarity to the others.

    steered and base are (n_prompts, n_anchors) similarities; positive is (n_anchors,) bool.
    Returns (effect, standard_error) as Python floats; the error uses n - 1. Fewer than two prompts,
    or anchors all of one kind, raise ValueError."""
    steered = np.asarray(steered, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    positive = np.asarray(positive).astype(bool)
    if steered.shape != base.shape or steered.ndim != 2 or steered.shape[1] != len(positive):
        raise ValueError(f"shapes {steered.shape}, {base.shape} and {positive.shape} do not match")
    if len(steered) < 2:
        raise ValueError("a standard error needs at least two prompts")
    if positive.all() or not positive.any():
        raise ValueError("the anchors must include positive and negative ones")

    def score(sims):
        return sims[:, positive].mean(axis=1) - sims[:, ~positive].mean(axis=1)

    change = score(steered) - score(base)
    return float(change.mean()), float(change.std(ddof=1) / np.sqrt(len(change)))


def best_setting(effects, perplexities, base_perplexity, budget):
    """The (layer index, coefficient index) of the largest effect among settings whose perplexity
    is at most `budget` times `base_perplexity`; ties go to the lower perplexity, then to the first
    in row-major order. NaN or infinite entries never qualify. None when no setting is within the budget."""
    effects = np.asarray(effects, dtype=np.float64)
    perplexities = np.asarray(perplexities, dtype=np.float64)
    if effects.shape != perplexities.shape or effects.ndim != 2:
        raise ValueError(f"two 2-D arrays of one shape needed, got {effects.shape} and {perplexities.shape}")
    allowed = (perplexities <= budget * base_perplexity) & np.isfinite(effects) & np.isfinite(perplexities)
    if not allowed.any():
        return None
    best = None
    for i, j in zip(*np.nonzero(allowed), strict=True):
        key = (-effects[i, j], perplexities[i, j])
        if best is None or key < best[0]:
            best = (key, (int(i), int(j)))
    return best[1]
