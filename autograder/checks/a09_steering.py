"""Checks of a09_steering: a difference-of-means direction, adding it to hidden states at chosen
positions, directional ablation, perplexity from logits, the steering effect from a scorer's
similarities, and the best setting under a perplexity budget.

Oracles: scikit-learn's `NearestCentroid` (the two class means) and `LogisticRegression` (a
classifier's direction, on isotropic Gaussian classes whose best separating direction is the
difference of their means) for the direction; states changed in plain loops over rows and
positions, and the closed cases (a coefficient of 0 changes nothing; -c undoes c) for adding it;
the projection matrix I - r r^T / (r . r), and the closed cases (r ablated from a multiple of r
gives 0; ablating twice is ablating once; what is orthogonal to r stays) for ablation; torch's
`cross_entropy` with `ignore_index` (perplexity); per-prompt scores in plain loops and
`scipy.stats.sem` (the steering effect); an exhaustive search over every setting (the best setting).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import sem
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid

from autograder.api import (
    call_unchanged,
    describe,
    expect_array,
    expect_close,
    expect_error,
    expect_scalar,
    expect_tuple,
    graded,
    learner_errors_fail,
    near,
    show,
)

D = 576  # the width of SmolLM2-135M's hidden states, the model the chapter steers
VOCAB = 4096  # a vocabulary of a few thousand tokens (SmolLM2's has 49,152)


# steering_direction


def _centroid_direction(positive, negative):
    """The unit difference of the class means, by scikit-learn's NearestCentroid."""
    x = np.concatenate([np.asarray(positive, dtype=np.float64), np.asarray(negative, dtype=np.float64)])
    y = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    means = NearestCentroid().fit(x, y).centroids_  # rows in class order: 0 (negative), 1 (positive)
    gap = means[1] - means[0]
    return gap / np.linalg.norm(gap)


def _skewed_rows(rng, n, d, offset):
    """Rows of skewed entries (the median is not the mean) and of lengths that vary a lot (the mean
    of unit rows is not the mean)."""
    return (offset + rng.exponential(1.0, size=(n, d))) * rng.uniform(0.2, 3.0, size=(n, 1))


def _direction_hints(positive, negative):
    def unit(v):
        return v / np.linalg.norm(v)

    def rows(a):
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    return [
        (lambda g, w: near(g, -w, atol=1e-6), "Yours points the other way: subtract the negative mean from the "
         "positive mean, so that adding the direction moves towards the positive examples."),
        (lambda g, w: abs(np.linalg.norm(g) - 1) > 1e-3 and near(unit(g), w, atol=1e-6),
         "Yours points the right way but is not of length 1: divide the difference by its norm."),
        (lambda g, w: near(g, unit(rows(positive).mean(axis=0) - rows(negative).mean(axis=0)), atol=1e-6),
         "Yours averages unit-length rows: take the mean of the rows as they are, then normalise the difference."),
        (lambda g, w: near(g, unit(np.median(positive, axis=0) - np.median(negative, axis=0)), atol=1e-6),
         "Yours uses the medians: the direction is the difference of the means."),
        (lambda g, w: near(g, unit(positive.mean(axis=0)), atol=1e-6), "Yours is the positive mean alone: subtract "
         "the negative mean first."),
    ]


def _direction(student, what, positive, negative, d):
    got = call_unchanged(student, "steering_direction", what, positive, negative)
    return expect_array(got, what, shape=(d,))


@graded("steering_direction", points=2)
@learner_errors_fail("steering_direction(positive, negative)")
def test_steering_direction_is_the_unit_difference_of_means(student):
    rng = np.random.default_rng(90)
    for n, m, d in ((40, 25, D), (7, 12, 10)):
        positive = _skewed_rows(rng, n, d, 0.3).astype(np.float32)
        negative = _skewed_rows(rng, m, d, 0.0).astype(np.float32)
        what = f"steering_direction(positive ({n}, {d}), negative ({m}, {d}))"
        got = _direction(student, what, positive, negative, d)
        want = _centroid_direction(positive, negative)
        p64, n64 = positive.astype(np.float64), negative.astype(np.float64)
        expect_close(got, want, f"{what}: the unit vector from the negative mean to the positive mean "
                     "(scikit-learn's NearestCentroid means)", rtol=0, atol=1e-6, hints=_direction_hints(p64, n64))


def _gaussian_classes(seed, n=300, d=20, separation=7.0):
    """Two isotropic Gaussian classes around c + mu / 2 and c - mu / 2, with |mu| = separation and c
    far from the origin: linearly separable, and the best separating direction is mu's."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=d)
    mu *= separation / np.linalg.norm(mu)
    centre = rng.normal(size=d) * 4
    positive = centre + mu / 2 + rng.normal(size=(n, d))
    negative = centre - mu / 2 + rng.normal(size=(n, d))
    return positive, negative


@graded("steering_direction", points=1)
@learner_errors_fail("steering_direction on two Gaussian classes")
def test_steering_direction_agrees_with_a_logistic_regression(student):
    for seed in (91, 92):
        positive, negative = _gaussian_classes(seed)
        what = "steering_direction(positive (300, 20), negative (300, 20)) of two separable Gaussian classes"
        got = _direction(student, what, positive, negative, 20)
        fit = LogisticRegression(C=1.0, max_iter=1000).fit(np.concatenate([positive, negative]),
                                                          np.r_[np.ones(300), np.zeros(300)])
        weights = fit.coef_[0] / np.linalg.norm(fit.coef_[0])
        length = np.linalg.norm(got)
        cosine = float(got @ weights / length) if length > 0 else float("nan")
        if not cosine >= 0.9:
            hint = (" Yours points from the positive examples to the negative ones: positive mean minus negative "
                    "mean." if cosine <= -0.9 else "")
            raise AssertionError(
                f"the direction separates the two sides as a linear classifier does: expected {what} to have a "
                f"cosine of at least 0.9 with the weights of scikit-learn's LogisticRegression (positive = class "
                f"1), got {show(cosine)}.{hint}")
        if abs(length - 1) > 1e-6:
            raise AssertionError(f"a unit direction: expected {what} to have length 1, got length {show(length, 8)}. "
                                 "Divide the difference of the means by its norm.")


@graded("steering_direction", points=1, hidden=True)
@learner_errors_fail("steering_direction on lists, float32 rows and degenerate sides")
def test_steering_direction_edge_cases(student):
    what = "steering_direction([[1, 0], [3, 0]], [[0, 1]]) (lists of rows)"
    got = expect_array(call_unchanged(student, "steering_direction", what, [[1.0, 0.0], [3.0, 0.0]], [[0.0, 1.0]]),
                       what, shape=(2,), dtype=np.float64)
    expect_close(got, np.array([2.0, -1.0]) / math.sqrt(5), f"{what}: the unit vector along (2, 0) - (0, 1)",
                 rtol=0, atol=1e-12)
    rows = np.random.default_rng(93).normal(size=(6, 5)).astype(np.float32)
    what = "steering_direction(float32 positive (3, 5), float32 negative (3, 5))"
    got = expect_array(call_unchanged(student, "steering_direction", what, rows[:3], rows[3:]), what, shape=(5,),
                       dtype=np.float64)
    expect_close(got, _centroid_direction(rows[:3], rows[3:]), what, rtol=0, atol=1e-6)
    expect_error("ValueError", "steering_direction with no positive rows (an array (0, 4)) raises ValueError",
                 student.call, "steering_direction", np.zeros((0, 4)), np.ones((3, 4)))
    expect_error("ValueError", "steering_direction with no negative rows (an array (0, 4)) raises ValueError",
                 student.call, "steering_direction", np.ones((3, 4)), np.zeros((0, 4)))
    expect_error("ValueError", "steering_direction of rows of width 4 and rows of width 3 raises ValueError",
                 student.call, "steering_direction", np.ones((2, 4)), np.zeros((2, 3)))
    expect_error("ValueError", "steering_direction of two sides with equal means ([[1, 2], [3, 4]] and [[2, 3]]) "
                 "raises ValueError: there is no direction between them", student.call, "steering_direction",
                 np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[2.0, 3.0]]))


# add_direction


def _added_in_loops(hidden, direction, coefficient, positions):
    """hidden with coefficient * direction added, row by row and position by position."""
    out = np.array(hidden, dtype=np.float64, copy=True)
    seq = hidden.shape[1]
    for row in range(hidden.shape[0]):
        for p in positions:
            out[row, p if p >= 0 else seq + p] += coefficient * np.asarray(direction, dtype=np.float64)
    return out


def _vectors(a):
    """An array (..., d) as rows of d numbers, so that a message shows a few whole vectors."""
    a = np.asarray(a)
    return a.reshape(-1, a.shape[-1])


def _steered_positions(got, hidden, atol):
    """The sorted positions at which some row of `got` differs from `hidden`."""
    moved = np.abs(np.asarray(got, dtype=np.float64) - hidden).max(axis=(0, 2)) > atol  # (seq,)
    return [int(t) for t in np.flatnonzero(moved)]


def _expect_positions(got, hidden, positions, what, atol):
    seq = hidden.shape[1]
    want = sorted(p % seq for p in positions)
    moved = _steered_positions(got, hidden, atol)
    if moved == want:
        return want
    readings = [
        (list(range(seq)), "Yours steers every position: add the direction only at the listed positions."),
        ([], "Yours returns the states unchanged: add coefficient * direction at the listed positions."),
        (sorted(p for p in positions if p >= 0), "Yours skips the negative positions: -1 is the last position, as "
         "in Python."),
        (sorted({abs(p) for p in positions}), "Yours reads -k as position k: negative positions count from the end, "
         "-1 being the last."),
        (sorted(p if p >= 0 else seq + p - 1 for p in positions), "Yours is one position early for negative "
         "positions: -1 is position seq - 1, the last."),
    ]
    hint = next((text for seen, text in readings if moved == seen), "")
    raise AssertionError(f"the listed positions are steered and no other: expected {what} to change positions {want} "
                         f"(of 0 .. {seq - 1}) of every row, got changes at positions {moved}"
                         + (f". {hint}" if hint else ""))


def _add_hints(hidden, direction, coefficient, positions):
    unit = direction / np.linalg.norm(direction)
    return [
        (lambda g, w: near(g, _vectors(_added_in_loops(hidden, unit, coefficient, positions)), atol=1e-5),
         "Yours normalises the direction: use it as given, so that the coefficient and the direction's length both "
         "count."),
        (lambda g, w: near(g, _vectors(_added_in_loops(hidden, direction, 1.0, positions)), atol=1e-5), "Yours "
         "ignores the coefficient: add coefficient * direction."),
        (lambda g, w: near(g, _vectors(_added_in_loops(hidden, direction, -coefficient, positions)), atol=1e-5),
         "Yours subtracts the direction: add coefficient * direction."),
        (lambda g, w: near(g, _vectors(np.concatenate([_added_in_loops(hidden[:1], direction, coefficient, positions),
                                                       hidden[1:]])), atol=1e-5),
         "Yours steers only the first row of the batch: add the vector at the listed positions of every row."),
    ]


@graded("add_direction", points=2)
@learner_errors_fail("add_direction(hidden, direction, coefficient, positions)")
def test_add_direction_adds_at_the_positions_given(student):
    rng = np.random.default_rng(94)
    for (batch, seq, d), coefficient, positions in (((3, 7, D), 4.0, [1, -2]), ((2, 5, 12), -3.0, [0, 3, -1])):
        hidden = rng.normal(size=(batch, seq, d))
        direction = rng.normal(size=d)
        direction *= 2.5 / np.linalg.norm(direction)  # of length 2.5: a renormalised direction shows
        given = direction if d == D else direction.tolist()  # "array-like": a list must work too
        kind = "direction" if d == D else "direction as a list"
        what = f"add_direction(hidden ({batch}, {seq}, {d}), {kind} of length 2.5, {coefficient}, {positions})"
        got = expect_array(call_unchanged(student, "add_direction", what, hidden, given, coefficient, positions),
                           what, shape=hidden.shape)
        _expect_positions(got, hidden, positions, what, 1e-9)
        expect_close(_vectors(got), _vectors(_added_in_loops(hidden, direction, coefficient, positions)),
                     f"{what}: coefficient * direction added at the listed positions of every row (the vectors "
                     "of each row in turn)", rtol=0, atol=1e-9, hints=_add_hints(hidden, direction, coefficient,
                                                                                  positions))


@graded("add_direction", points=1)
@learner_errors_fail("add_direction on float32 states")
def test_add_direction_returns_a_new_array_of_the_states_dtype(student):
    rng = np.random.default_rng(95)
    hidden = rng.normal(size=(2, 6, 16)).astype(np.float32)
    direction = rng.normal(size=16)  # float64, as steering_direction returns it
    what = "add_direction(float32 hidden (2, 6, 16), float64 direction (16,), 1.5, [-1, 2])"
    got = call_unchanged(student, "add_direction", what, hidden, direction, 1.5, [-1, 2])
    got = expect_array(got, what, shape=hidden.shape, dtype=np.float32)
    _expect_positions(got, hidden.astype(np.float64), [-1, 2], what, 1e-6)
    expect_close(_vectors(got), _vectors(_added_in_loops(hidden, direction, 1.5, [-1, 2])), f"{what}: the steered "
                 "states, vector by vector", rtol=1e-5, atol=1e-5,
                 hints=_add_hints(hidden.astype(np.float64), direction, 1.5, [-1, 2]))


@graded("add_direction", points=1, hidden=True)
@learner_errors_fail("add_direction with coefficients 0, c and -c")
def test_add_direction_closed_cases(student):
    rng = np.random.default_rng(96)
    hidden = rng.normal(size=(2, 5, 8))
    direction = rng.normal(size=8) * 3
    what = "add_direction(hidden (2, 5, 8), direction, 0.0, [0, -1])"
    got = expect_array(call_unchanged(student, "add_direction", what, hidden, direction, 0.0, [0, -1]), what,
                       shape=hidden.shape)
    expect_close(_vectors(got), _vectors(hidden), f"{what}: adding 0 times the direction changes nothing (the "
                 "vectors of each row in turn)", rtol=0, atol=0,
                 hints=[(lambda g, w: near(g, _vectors(_added_in_loops(hidden, direction, 1.0, [0, -1]))), "Yours "
                         "ignores the coefficient: add coefficient * direction.")])
    what = "add_direction(add_direction(hidden (2, 5, 8), direction, 2.0, [1, 3]), direction, -2.0, [3, 1])"
    there = expect_array(student.call("add_direction", hidden, direction, 2.0, [1, 3]), what, shape=hidden.shape)
    back = expect_array(student.call("add_direction", there, direction, -2.0, [3, 1]), what, shape=hidden.shape)
    expect_close(_vectors(back), _vectors(hidden), f"{what}: adding -c times the direction undoes adding c times it", rtol=0, atol=1e-12)
    every = list(range(-1, -6, -1))
    what = f"add_direction(hidden (2, 5, 8), direction, 0.5, {every})"
    got = expect_array(call_unchanged(student, "add_direction", what, hidden, direction, 0.5, every), what,
                       shape=hidden.shape)
    expect_close(_vectors(got), _vectors(hidden + 0.5 * direction), f"{what}: every position listed (from the end), so every position "
                 "steered", rtol=0, atol=1e-12)
    what = "add_direction(hidden (2, 5, 8), direction, 3.0, [])"
    got = expect_array(call_unchanged(student, "add_direction", what, hidden, direction, 3.0, []), what,
                       shape=hidden.shape)
    expect_close(_vectors(got), _vectors(hidden), f"{what}: no position listed, so nothing changes", rtol=0, atol=0)


# ablate_direction


def _projected_out(hidden, direction):
    """hidden times the projection matrix I - r r^T / (r . r): what is left after removing r."""
    r = np.asarray(direction, dtype=np.float64)
    keep = np.eye(len(r)) - np.outer(r, r) / (r @ r)
    return np.asarray(hidden, dtype=np.float64) @ keep  # keep is symmetric


def _ablate_hints(hidden, direction):
    x = _vectors(np.asarray(hidden, dtype=np.float64))  # (n, d): the hints compare vector by vector
    r = np.asarray(direction, dtype=np.float64)
    unit = r / np.linalg.norm(r)
    return [
        (lambda g, w: near(g, x - (x @ unit)[..., None], atol=1e-5), "Yours subtracts the number x . r from every "
         "entry: subtract the vector (x . r) r."),
        (lambda g, w: near(g, x - (x @ r)[..., None] * r, atol=1e-5), "Yours takes the direction to be of length 1: "
         "normalise it first (r = direction / |direction|); this one has length 3."),
        (lambda g, w: near(g, (x @ unit)[..., None] * unit, atol=1e-5), "Yours returns the component along r: "
         "return what is left, x minus that component."),
        (lambda g, w: near(g, x + (x @ unit)[..., None] * unit, atol=1e-5), "Yours adds the component along r: "
         "subtract it."),
        (lambda g, w: near(g, x), "Yours returns the states unchanged."),
    ]


@graded("ablate_direction", points=2)
@learner_errors_fail("ablate_direction(hidden, direction)")
def test_ablate_direction_removes_the_component_along_the_direction(student):
    rng = np.random.default_rng(97)
    for shape in ((3, 6, 64), (5, D)):
        d = shape[-1]
        hidden = rng.normal(size=shape) + 0.5
        direction = rng.normal(size=d)
        direction *= 3 / np.linalg.norm(direction)  # of length 3: a direction taken as unit shows
        what = f"ablate_direction(hidden {shape}, direction of length 3)"
        got = expect_array(call_unchanged(student, "ablate_direction", what, hidden, direction), what, shape=shape)
        expect_close(_vectors(got), _vectors(_projected_out(hidden, direction)), f"{what}: each vector times the "
                     "projection I - r r^T / (r . r), which removes its component along r (the vectors in turn)",
                     rtol=0, atol=1e-9,
                     hints=_ablate_hints(hidden, direction))


@graded("ablate_direction", points=1)
@learner_errors_fail("ablate_direction on float32 states")
def test_ablate_direction_closed_cases(student):
    rng = np.random.default_rng(98)
    direction = rng.normal(size=D) * 0.2
    unit = direction / np.linalg.norm(direction)
    others = rng.normal(size=(6, D))
    others -= np.outer(others @ unit, unit)  # orthogonal to the direction
    amounts = np.array([0.0, 1.0, -2.0, 3.5, 0.25, -7.0])
    hidden = (others + amounts[:, None] * unit).astype(np.float32)  # (6, 576): orthogonal part + a multiple of r
    what = "ablate_direction(float32 hidden (6, 576), direction (576,))"
    got = expect_array(call_unchanged(student, "ablate_direction", what, hidden, direction), what, shape=hidden.shape,
                       dtype=np.float32)
    expect_close(got, others, f"{what}, each row a vector orthogonal to r plus a multiple of r: ablation keeps the "
                 "orthogonal part as it is and removes the multiple", rtol=0, atol=1e-4,
                 hints=_ablate_hints(hidden, direction))
    line = np.outer(amounts, direction).astype(np.float32)
    what = "ablate_direction(multiples of the direction, the direction)"
    got = expect_array(call_unchanged(student, "ablate_direction", what, line, direction), what, shape=line.shape)
    expect_close(got, np.zeros_like(line), f"{what}: ablating r from a multiple of r leaves 0", rtol=0, atol=1e-4)
    what = "ablate_direction(ablate_direction(hidden, direction), direction)"
    once = expect_array(student.call("ablate_direction", hidden, direction), what, shape=hidden.shape)
    twice = expect_array(student.call("ablate_direction", once, direction), what, shape=hidden.shape)
    expect_close(twice, once, f"{what}: ablating twice is ablating once", rtol=0, atol=1e-4)


@graded("ablate_direction", points=1, hidden=True)
@learner_errors_fail("ablate_direction of one vector, and of a zero direction")
def test_ablate_direction_of_one_vector_and_a_zero_direction(student):
    what = "ablate_direction(np.array([3.0, 4.0, 5.0]), [0.0, 2.0, 0.0])"
    got = expect_array(call_unchanged(student, "ablate_direction", what, np.array([3.0, 4.0, 5.0]), [0.0, 2.0, 0.0]),
                       what, shape=(3,), dtype=np.float64)
    expect_close(got, [3.0, 0.0, 5.0], f"{what}: one vector (d,) with its second entry removed", rtol=0, atol=1e-12)
    expect_error("ValueError", "ablate_direction(hidden (2, 3), a zero direction) raises ValueError: a zero vector has "
                 "no direction to remove", student.call, "ablate_direction", np.ones((2, 3)), np.zeros(3))


# perplexity


def _torch_perplexity(logits, token_ids, mask):
    """exp of torch's cross_entropy, the masked-out targets given ignore_index: logits at t predict t + 1."""
    scores = torch.tensor(np.asarray(logits, dtype=np.float64)[:, :-1])  # (batch, seq - 1, vocab)
    targets = torch.tensor(np.asarray(token_ids, dtype=np.int64)[:, 1:].copy())
    targets[~torch.tensor(np.asarray(mask)[:, 1:].astype(bool))] = -100
    nll = torch.nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]), targets.reshape(-1),
                                            ignore_index=-100)
    return math.exp(float(nll))


def _nll_table(logits, token_ids):
    """-log p(token t | logits at t'), for t' = t - 1 (shifted, (batch, seq - 1)) and t' = t (not shifted)."""
    log_probs = torch.log_softmax(torch.tensor(np.asarray(logits, dtype=np.float64)), dim=-1)
    ids = torch.tensor(np.asarray(token_ids, dtype=np.int64))
    shifted = -log_probs[:, :-1].gather(-1, ids[:, 1:, None])[..., 0].numpy()
    unshifted = -log_probs.gather(-1, ids[..., None])[..., 0].numpy()
    return shifted, unshifted


def _perplexity_hints(logits, token_ids, mask):
    mask = np.asarray(mask).astype(bool)
    shifted, unshifted = _nll_table(logits, token_ids)
    target, context = mask[:, 1:], mask[:, :-1]
    right = np.arange(target.shape[1])[None, :] < mask.sum(axis=1, keepdims=True) - 1  # a left-padded row misread
    h = shifted[target].mean()
    rows = [shifted[i][target[i]].mean() for i in range(len(mask)) if target[i].any()]
    return [
        (lambda g, w: near(g, h, rtol=1e-4), "Yours is the mean negative log-likelihood itself: the perplexity is "
         "its exp."),
        (lambda g, w: near(g, 2 ** h, rtol=1e-4), "Yours raises 2 to a log-likelihood in nats: use exp (or log2 and "
         "2 ** together)."),
        (lambda g, w: near(g, math.exp(h / math.log(2)), rtol=1e-4), "Yours mixes bases: log-likelihoods in bits "
         "(log2) need 2 ** to undo them, not exp."),
        (lambda g, w: near(g, math.exp(unshifted[mask].mean()), rtol=1e-4), "Yours scores token t with the logits "
         "at t: the logits at t predict token t + 1, so drop the last position's logits and the first token."),
        (lambda g, w: near(g, math.exp(shifted.mean()), rtol=1e-4), "Yours counts the padding: average only over "
         "the predicted tokens whose mask is 1."),
        (lambda g, w: near(g, math.exp(shifted[context].mean()), rtol=1e-4), "Yours reads the mask at the "
         "predicting position: a token counts when its own mask (position t + 1) is 1."),
        (lambda g, w: near(g, math.exp(shifted[right].mean()), rtol=1e-4), "Yours counts the first tokens of each "
         "row, as if the padding were always on the right: count the targets whose mask is 1, wherever they are."),
        (lambda g, w: near(g, np.mean(np.exp(rows)), rtol=1e-4), "Yours averages the rows' perplexities: pool "
         "every counted token of the batch into one mean, then take exp."),
        (lambda g, w: near(g, math.exp(np.mean(rows)), rtol=1e-4), "Yours averages the rows' mean log-likelihoods: "
         "every counted token weighs the same, so a longer row weighs more."),
    ]


def _perplexity(student, what, logits, token_ids, mask):
    return expect_scalar(call_unchanged(student, "perplexity", what, logits, token_ids, mask), what)


def _lm_batch(seed, batch, seq, vocab, temperatures):
    """Logits (float32) of rows of different confidence, and token ids that the logits favour a bit."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(batch, seq, vocab)) * np.asarray(temperatures)[:, None, None]
    token_ids = rng.integers(0, vocab, size=(batch, seq))
    favoured = rng.random((batch, seq - 1)) < 0.5  # half the tokens are the previous position's top logit
    token_ids[:, 1:] = np.where(favoured, logits[:, :-1].argmax(axis=-1), token_ids[:, 1:])
    return logits.astype(np.float32), token_ids


@graded("perplexity", points=2)
@learner_errors_fail("perplexity(logits, token_ids, mask)")
def test_perplexity_matches_torch_cross_entropy(student):
    logits, token_ids = _lm_batch(99, 2, 16, VOCAB, [1.0, 4.0])
    mask = np.ones((2, 16), dtype=np.int64)
    what = f"perplexity(logits (2, 16, {VOCAB}), token_ids (2, 16), mask of ones)"
    got = _perplexity(student, what, logits, token_ids, mask)
    expect_close(got, _torch_perplexity(logits, token_ids, mask), f"{what}: exp of the mean negative log-likelihood "
                 "(nats) of tokens 1 .. 15 given the logits before them (torch's cross_entropy)", rtol=1e-4,
                 atol=0, hints=_perplexity_hints(logits, token_ids, mask))


@graded("perplexity", points=2)
@learner_errors_fail("perplexity of padded rows")
def test_perplexity_counts_each_masked_in_target_once(student):
    lengths = [12, 7, 3]
    logits, token_ids = _lm_batch(100, 3, 12, 500, [1.0, 3.0, 2.0])
    for side in ("right", "left"):
        mask = np.zeros((3, 12), dtype=np.int64)
        for i, n in enumerate(lengths):
            mask[i, :n] = 1
        if side == "left":
            mask = mask[:, ::-1].copy()
        ids = np.where(mask == 1, token_ids, 0)  # padding tokens are 0
        what = f"perplexity(logits (3, 12, 500), token_ids (3, 12), mask of rows of {lengths} tokens padded on the {side})"
        got = _perplexity(student, what, logits, ids, mask)
        expect_close(got, _torch_perplexity(logits, ids, mask), f"{what}: every token with mask 1 after a row's first "
                     f"position counts once, pooled over the batch ({sum(lengths) - 3} tokens; torch's cross_entropy "
                     "with the others ignored)", rtol=1e-4, atol=0, hints=_perplexity_hints(logits, ids, mask))


@graded("perplexity", points=1)
@learner_errors_fail("perplexity of logits near 1e4")
def test_perplexity_is_stable_for_large_logits(student):
    logits, token_ids = _lm_batch(101, 2, 10, 300, [2.0, 2.0])
    mask = np.ones((2, 10), dtype=np.int64)
    large = logits + np.float32(1e4)  # a constant shift changes no probability
    what = "perplexity(logits + 1e4 (2, 10, 300), token_ids, mask of ones)"
    own = _perplexity(student, "perplexity(logits (2, 10, 300), token_ids, mask of ones)", logits, token_ids, mask)
    got = _perplexity(student, what, large, token_ids, mask)
    unstable = ("A softmax through exp(logits) overflows at 1e4 (exp(710) is already inf in float64): subtract "
                "each position's largest logit first, or use a log-softmax (torch.log_softmax, "
                "scipy.special.logsumexp)")
    expect_close(got, own, f"{what}: adding a constant to every logit changes no probability, so the perplexity "
                 "is yours of the same logits without it", rtol=1e-4, atol=0,
                 hints=[(lambda g, w: not np.isfinite(g), unstable)])
    unlikely = np.zeros((1, 21, 300), dtype=np.float32)
    ids = np.random.default_rng(104).integers(0, 300, size=(1, 21))
    unlikely[0, 2, ids[0, 3]] = -800.0  # token 3 gets probability about e^-806, below float64's smallest number
    what = "perplexity(logits (1, 21, 300) of zeros but -800 on token 3's, token_ids, mask of ones)"
    got = _perplexity(student, what, unlikely, ids, np.ones((1, 21), dtype=np.int64))
    expect_close(got, _torch_perplexity(unlikely, ids, np.ones((1, 21))), f"{what}: a very unlikely token has a "
                 "large but finite negative log-probability (about 806 nats), so the perplexity is finite", rtol=1e-4,
                 atol=0, hints=[(lambda g, w: not np.isfinite(g), "Yours takes the log of a softmax that underflows "
                                 "to 0 for this token: compute log-probabilities directly, as logit minus the "
                                 "log-sum-exp of the position's logits.")])
    sure = np.zeros((1, 6, 300), dtype=np.float32)
    ids = np.array([[5, 17, 17, 250, 3, 99]])
    sure[0, np.arange(5), ids[0, 1:]] = 1e4  # each next token has logit 1e4, the others 0
    what = "perplexity(logits with 1e4 on each next token and 0 elsewhere, token_ids, mask of ones)"
    got = _perplexity(student, what, sure, ids, np.ones((1, 6), dtype=np.int64))
    expect_close(got, 1.0, f"{what}: a model certain of every next token has perplexity 1", rtol=1e-9, atol=0,
                 hints=[(lambda g, w: not np.isfinite(g), unstable)])


@graded("perplexity", points=1, hidden=True)
@learner_errors_fail("perplexity of uniform logits, and with no token to count")
def test_perplexity_of_uniform_logits_and_no_token(student):
    what = "perplexity(logits of zeros (2, 5, 64), token_ids, mask)"
    rng = np.random.default_rng(102)
    ids, mask = rng.integers(0, 64, size=(2, 5)), np.array([[0, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
    got = _perplexity(student, what, np.zeros((2, 5, 64), dtype=np.float32), ids, mask)
    expect_close(got, 64.0, f"{what}: a model that spreads its probability evenly over 64 tokens has perplexity 64",
                 rtol=1e-6, atol=0)
    logits = rng.normal(size=(2, 4, 16)).astype(np.float32)
    ids = rng.integers(0, 16, size=(2, 4))
    for mask in ([[1, 0, 0, 0], [1, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0]]):
        expect_error("ValueError", f"perplexity with mask {mask} raises ValueError: no token after a row's first "
                     "position is counted", student.call, "perplexity", logits, ids, np.array(mask))


# steering_effect


def _scores_in_loops(sims, positive):
    """Each row's mean similarity to the positive anchors minus its mean to the others."""
    out = []
    for row in np.asarray(sims, dtype=np.float64):
        pos = [s for s, p in zip(row, positive, strict=True) if p]
        neg = [s for s, p in zip(row, positive, strict=True) if not p]
        out.append(sum(pos) / len(pos) - sum(neg) / len(neg))
    return np.array(out)


def _effect_case(seed=103, n_prompts=12, n_anchors=10):
    """Similarities whose base and steered rows share a prompt's own level (so pairing matters), with
    steering that moves generations towards the positive anchors."""
    rng = np.random.default_rng(seed)
    positive = np.zeros(n_anchors, dtype=bool)
    positive[[1, 4, 5, 8]] = True
    level = rng.normal(0.3, 0.15, size=(n_prompts, 1)) + rng.normal(0, 0.3, size=(n_prompts, n_anchors))
    base = level + rng.normal(0, 0.05, size=level.shape)
    steered = level + rng.normal(0, 0.05, size=level.shape) + np.where(positive, 0.12, -0.02)
    steered += rng.normal(0, 0.04, size=(n_prompts, 1)) * np.where(positive, 1, 0)  # the change varies by prompt
    return steered, base, positive


def _effect(student, what, steered, base, positive):
    out = expect_tuple(call_unchanged(student, "steering_effect", what, steered, base, positive), what, 2,
                       ("effect", "standard_error"))
    return (expect_scalar(out[0], f"the effect from {what}"), expect_scalar(out[1], f"the standard error from {what}"))


@graded("steering_effect", points=2)
@learner_errors_fail("steering_effect(steered, base, positive)")
def test_steering_effect_is_the_mean_change_in_score(student):
    steered, base, positive = _effect_case()
    what = "steering_effect(steered (12, 10), base (12, 10), positive (10,) with 4 True)"
    effect, _ = _effect(student, what, steered, base, positive)
    want = float(np.mean(_scores_in_loops(steered, positive) - _scores_in_loops(base, positive)))
    expect_close(effect, want, f"{what}: the mean over prompts of score(steered) - score(base), a score being the "
                 "mean similarity to the positive anchors minus the mean to the others", rtol=0, atol=1e-9, hints=[
                     (lambda g, w: near(g, -w), "Yours has the sign reversed: steered minus base, so that steering "
                      "towards the positive anchors gives an effect above 0."),
                     (lambda g, w: near(g, np.mean(steered.mean(axis=1) - base.mean(axis=1))), "Yours uses the mean "
                      "over all anchors: a score is the positive anchors' mean minus the other anchors' mean."),
                     (lambda g, w: near(g, np.mean(steered[:, positive].mean(axis=1) - base[:, positive].mean(axis=1))),
                      "Yours uses the positive anchors only: subtract the mean similarity to the other anchors."),
                     (lambda g, w: near(g, np.mean(steered[:, ~positive].mean(axis=1) - base[:, ~positive].mean(axis=1))),
                      "Yours uses the negative anchors as the positive ones: positive is True for the positive anchors."),
                 ])


@graded("steering_effect", points=1)
@learner_errors_fail("steering_effect's standard error")
def test_steering_effect_standard_error_is_of_the_paired_changes(student):
    steered, base, positive = _effect_case(104, n_prompts=8)
    what = "steering_effect(steered (8, 10), base (8, 10), positive (10,) with 4 True)"
    _, error = _effect(student, what, steered, base, positive)
    after, before = _scores_in_loops(steered, positive), _scores_in_loops(base, positive)
    change = after - before
    n = len(change)
    expect_close(error, float(sem(change)), f"{what}: the standard error of the mean change, std (n - 1) / sqrt(n) "
                 "over the 8 prompts' paired changes (scipy.stats.sem)", rtol=1e-6, atol=0, hints=[
                     (lambda g, w: near(g, sem(change, ddof=0)), "Yours divides the variance by n: a standard error "
                      "of a sample uses n - 1 (ddof=1)."),
                     (lambda g, w: near(g, math.sqrt(after.var(ddof=1) / n + before.var(ddof=1) / n)), "Yours treats "
                      "the two sets of scores as unpaired: each prompt is scored with and without steering, so take "
                      "the standard error of the per-prompt changes."),
                     (lambda g, w: near(g, math.sqrt(after.var(ddof=0) / n + before.var(ddof=0) / n)), "Yours treats "
                      "the two sets of scores as unpaired: take the standard error of the per-prompt changes."),
                     (lambda g, w: near(g, change.std(ddof=1)), "Yours is the standard deviation of the changes: "
                      "divide it by sqrt(n) for the standard error of their mean."),
                 ])


@graded("steering_effect", points=1, hidden=True)
@learner_errors_fail("steering_effect of two prompts, and of too few")
def test_steering_effect_of_two_prompts_and_too_few(student):
    base = np.zeros((2, 3))
    steered = np.array([[1.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    positive = np.array([True, False, False])
    what = "steering_effect([[1, 0, 0], [3, 0, 0]], zeros (2, 3), [True, False, False])"
    effect, error = _effect(student, what, steered, base, positive)
    expect_close([effect, error], [2.0, 1.0], f"{what}: changes 1 and 3 give (effect, standard error) = (2, 1)",
                 rtol=0, atol=1e-12)
    expect_error("ValueError", "steering_effect of one prompt raises ValueError: a standard error needs two",
                 student.call, "steering_effect", steered[:1], base[:1], positive)
    expect_error("ValueError", "steering_effect of steered (2, 3) and base (3, 3) raises ValueError: the prompts "
                 "are paired", student.call, "steering_effect", steered, np.zeros((3, 3)), positive)
    for kinds in ([True, True, True], [False, False, False]):
        expect_error("ValueError", f"steering_effect with positive = {kinds} raises ValueError: a score needs anchors "
                     "of both kinds", student.call, "steering_effect", steered, base, np.array(kinds))


# best_setting


def _best_by_search(effects, perplexities, base_perplexity, budget):
    """Every setting tried: the qualifying one of largest effect, then lowest perplexity, then first."""
    best, best_key = None, None
    rows, cols = np.shape(effects)
    for i in range(rows):
        for j in range(cols):
            e, p = float(effects[i][j]), float(perplexities[i][j])
            if math.isnan(e) or math.isnan(p) or not p <= budget * base_perplexity:
                continue
            key = (-e, p)
            if best_key is None or key < best_key:
                best, best_key = (i, j), key
    return best


def _setting(student, what, effects, perplexities, base_perplexity, budget):
    got = call_unchanged(student, "best_setting", what, effects, perplexities, base_perplexity, budget)
    if got is None:
        return None
    pair = expect_tuple(got, what, 2, ("layer index", "coefficient index"))
    if any(type(v) is not int for v in pair):  # numpy integers arrive as Python ints
        raise AssertionError(f"{what}: expected a tuple of two integer indices, got {pair!r} ({describe(got)})")
    return pair


def _setting_hints(effects, perplexities, base_perplexity, budget):
    def best(**change):
        args = {"effects": effects, "perplexities": perplexities, "base_perplexity": base_perplexity, "budget": budget}
        return _best_by_search(**{**args, **change})

    return [
        (lambda g, w: w is not None and g == (w[1], w[0]), "Yours is (coefficient index, layer index): return (i, j) "
         "for effects[i, j]."),
        (lambda g, w: g == best(budget=np.inf), "Yours ignores the budget: only settings whose perplexity is at most "
         "budget * base_perplexity qualify."),
        (lambda g, w: g == best(perplexities=perplexities + 1e-9), "Yours leaves out a setting exactly at the limit: "
         "at most budget * base_perplexity (<=) qualifies."),
        (lambda g, w: g == best(base_perplexity=1.0, budget=base_perplexity + budget), "Yours adds the budget to "
         "the base perplexity: the limit is budget times base_perplexity."),
        (lambda g, w: g == best(base_perplexity=np.nanmin(perplexities)), "Yours measures the budget from the "
         "lowest perplexity of the grid: the limit is budget times base_perplexity, the plain model's."),
        (lambda g, w: g == best(effects=np.abs(effects)), "Yours ranks the settings by the size of the effect: a "
         "negative effect steers the other way, and the largest effect is the most positive one."),
    ]


@graded("best_setting", points=2)
@learner_errors_fail("best_setting(effects, perplexities, base_perplexity, budget)")
def test_best_setting_is_the_largest_effect_within_the_budget(student):
    rng = np.random.default_rng(105)
    cases = []
    effects = np.round(rng.uniform(0, 0.3, size=(4, 5)), 3)
    perplexities = np.round(rng.uniform(11.0, 14.5, size=(4, 5)), 2)  # every one above the base perplexity
    effects[3, 4], perplexities[3, 4] = 0.9, 30.0  # the largest effect, far over the budget
    effects[3, 0], perplexities[3, 0] = 0.7, 16.0  # just over it (though under 1.5 times the lowest perplexity)
    effects[2, 1], perplexities[2, 1] = 0.5, 15.0  # the best within it, exactly at the limit 1.5 * 10
    effects[2, 3], perplexities[2, 3] = 0.48, 14.0  # the best strictly under the limit
    effects[0, 3], perplexities[0, 3] = 0.45, 11.0  # the best under a limit of 10 + 1.5
    cases.append((effects, perplexities, 10.0, 1.5))
    effects = rng.uniform(-0.1, 0.4, size=(6, 3))
    perplexities = 8.0 * (1 + rng.uniform(0, 1.2, size=(6, 3)) * np.linspace(0.2, 1, 6)[:, None])
    perplexities[effects.argmax() // 3, effects.argmax() % 3] = 20.0
    effects[5, 0], perplexities[5, 0] = -0.6, 8.5  # within the budget, steering the other way, the largest in size
    cases.append((effects, perplexities, 8.0, 1.25))
    for effects, perplexities, base, budget in cases:
        want = _best_by_search(effects, perplexities, base, budget)
        what = (f"best_setting(effects {effects.shape}, perplexities {effects.shape}, base_perplexity={base}, "
                f"budget={budget})")
        got = _setting(student, what, effects, perplexities, base, budget)
        if got != want:
            hint = next((text for symptom, text in _setting_hints(effects, perplexities, base, budget)
                         if _quietly(symptom, got, want)), "")
            detail = "" if got is None else (f" (effect {show(effects[got])}, perplexity {show(perplexities[got])})"
                                             if _inside(got, effects.shape) else "")
            raise AssertionError(
                f"the largest effect within the budget: expected {what} to be {want} (effect {show(effects[want])}, "
                f"perplexity {show(perplexities[want])}, the limit {show(budget * base)}), got {got}{detail}"
                + (f". {hint}" if hint else ""))


def _quietly(symptom, got, want):
    try:
        return bool(symptom(got, want))
    except Exception:  # noqa: BLE001 - a hint that cannot be evaluated is not given
        return False


def _inside(index, shape):
    return all(0 <= i < n for i, n in zip(index, shape, strict=True))


@graded("best_setting", points=1)
@learner_errors_fail("best_setting with ties, and with nothing in the budget")
def test_best_setting_breaks_ties_and_may_find_none(student):
    effects = np.array([[0.2, 0.5, 0.1], [0.5, 0.3, 0.5], [0.0, 0.5, 0.4]])
    perplexities = np.array([[11.0, 12.5, 10.0], [12.0, 10.5, 10.5], [10.0, 10.5, 11.0]])
    what = "best_setting(effects with 0.5 at (0, 1), (1, 0), (1, 2), (2, 1), perplexities, 10.0, 1.3)"
    got = _setting(student, what, effects, perplexities, 10.0, 1.3)
    if got != (1, 2):
        ties = {(0, 1): 12.5, (1, 0): 12.0, (2, 1): 10.5}
        hint = (f" Yours picks a tie of perplexity {ties[got]}: among equal effects the lower perplexity wins, and "
                "among equal perplexities the first in row-major order." if got in ties else "")
        raise AssertionError(f"ties go to the lower perplexity, then to the first in row-major order: expected {what} "
                             f"to be (1, 2) (perplexities 12.5, 12.0, 10.5, 10.5 for the four ties), got {got}.{hint}")
    what = "best_setting(effects, perplexities all above 1.3 * 10.0, 10.0, 1.3)"
    got = call_unchanged(student, "best_setting", what, effects, perplexities + 5.0, 10.0, 1.3)
    if got is not None:
        raise AssertionError(f"no setting within the budget: expected {what} to return None, got {describe(got)}")


@graded("best_setting", points=1, hidden=True)
@learner_errors_fail("best_setting with NaN entries")
def test_best_setting_skips_nan(student):
    effects = np.array([[0.1, np.nan, 0.3], [0.6, 0.2, 0.25]])
    perplexities = np.array([[10.0, 10.0, 10.5], [np.nan, 10.2, 11.0]])
    what = "best_setting(effects with NaN at (0, 1), perplexities with NaN at (1, 0), 10.0, 1.2)"
    got = _setting(student, what, effects, perplexities, 10.0, 1.2)
    if got != (0, 2):
        hint = ""
        if got == (0, 1):
            hint = (" Yours picks a NaN effect (np.argmax and max treat NaN as the largest): leave out every setting "
                    "whose effect or perplexity is NaN.")
        elif got == (1, 0):
            hint = " Yours picks a setting of NaN perplexity: a NaN is never within the budget."
        raise AssertionError(f"NaN entries never qualify: expected {what} to be (0, 2), got {got}.{hint}")
    expect_error("ValueError", "best_setting of effects (2, 3) and perplexities (3, 2) raises ValueError",
                 student.call, "best_setting", effects, perplexities.T, 10.0, 1.2)
    what = "best_setting(effects all NaN, perplexities, 10.0, 1.2)"
    got = call_unchanged(student, "best_setting", what, np.full((2, 3), np.nan), perplexities, 10.0, 1.2)
    if got is not None:
        raise AssertionError(f"NaN entries never qualify: expected {what} to return None, got {describe(got)}")
