"""Reference versions of assignment a08_probing: the first sub-token of each word, word features
from one hidden state, control labels, a softmax-regression probe, its accuracy, selectivity and
a layer-wise curve.

The contracts are the exercises' own; the book's pages call these functions and never print them.
"""

from __future__ import annotations

import numpy as np
import torch


def first_subword_index(word_ids):
    """Position of each word's first token: int64 (n_words,), from a fast tokenizer's word ids
    (None for special tokens, words numbered 0 .. n_words - 1)."""
    starts = {}
    for position, word in enumerate(word_ids):
        if word is not None and word not in starts:
            starts[word] = position
    return np.array([starts[w] for w in range(len(starts))], dtype=np.int64)


def word_features(hidden_states, word_ids, layer):
    """Hidden state `layer` (0 = the embeddings) at each word's first token: float32 (n_words, dim)."""
    states = np.asarray(hidden_states)
    if not 0 <= layer < len(states):
        raise ValueError(f"layer must be in 0 .. {len(states) - 1}, got {layer}")
    return states[layer][first_subword_index(word_ids)].astype(np.float32)


def control_labels(words, labels, seed):
    """One label per word type (lower-cased), drawn from the tokens' label distribution: int64 (n,)."""
    labels = np.asarray(labels, dtype=np.int64)
    types = list(dict.fromkeys(w.lower() for w in words))
    values, counts = np.unique(labels, return_counts=True)
    draws = np.random.default_rng(seed).choice(values, size=len(types), p=counts / counts.sum())
    of_type = dict(zip(types, draws, strict=True))
    return np.array([of_type[w.lower()] for w in words], dtype=np.int64)


def train_probe(x, y, n_classes, weight_decay=1e-3, seed=0, max_iter=200):
    """A softmax-regression probe minimising mean cross-entropy + (weight_decay / 2) ||W||^2,
    by full-batch L-BFGS from a seeded start: (weights (d, n_classes), bias (n_classes,)) float32."""
    xt = torch.tensor(np.asarray(x, dtype=np.float32))
    yt = torch.tensor(np.asarray(y, dtype=np.int64))
    start = torch.Generator().manual_seed(int(seed))
    w = (0.01 * torch.randn(xt.shape[1], n_classes, generator=start)).requires_grad_()
    b = torch.zeros(n_classes, requires_grad=True)
    optimiser = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, tolerance_grad=1e-6,
                                  tolerance_change=1e-10, history_size=20, line_search_fn="strong_wolfe")

    def closure():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(xt @ w + b, yt) + weight_decay / 2 * (w * w).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return w.detach().numpy().copy(), b.detach().numpy().copy()


def probe_accuracy(x, y, weights, bias):
    """Share of rows whose highest score x W + b (first on ties) is their label: a float."""
    y = np.asarray(y)
    if len(y) == 0:
        raise ValueError("probe_accuracy needs at least one row")
    scores = np.asarray(x, np.float64) @ np.asarray(weights, np.float64) + np.asarray(bias, np.float64)
    return float(np.mean(scores.argmax(axis=1) == y))


def selectivity(task_accuracy, control_accuracy):
    """Task accuracy minus control accuracy, layer by layer: float64 (n_layers,)."""
    task = np.asarray(task_accuracy, dtype=np.float64)
    control = np.asarray(control_accuracy, dtype=np.float64)
    if task.shape != control.shape or task.ndim != 1:
        raise ValueError(f"selectivity needs two 1-D arrays of one length, got {task.shape} and {control.shape}")
    return task - control


def layer_curve(features, labels, train, n_classes, weight_decay=1e-3, seed=0, max_iter=200):
    """Test accuracy of a probe trained on the `train` words, for every hidden state: float64 (n_states,).
    (`max_iter` bounds the L-BFGS steps of each probe; the exercise has no such argument.)"""
    labels = np.asarray(labels)
    train = np.asarray(train, dtype=bool)
    curve = []
    for state in features:
        state = np.asarray(state)
        w, b = train_probe(state[train], labels[train], n_classes, weight_decay=weight_decay, seed=seed,
                           max_iter=max_iter)
        curve.append(probe_accuracy(state[~train], labels[~train], w, b))
    return np.array(curve, dtype=np.float64)
