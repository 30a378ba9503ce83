"""Checks of a08_probing: the first word piece of each word, word features from one hidden state,
control labels, a softmax-regression probe with weight decay, its accuracy, selectivity and a
layer-wise curve.

Oracles: MiniLM's fast tokenizer's own `word_to_tokens` on real sentences (first pieces);
hidden states built so that every number names its state and token (word features);
the properties of a control task: one label per type, the tokens' label distribution, only the
labels seen, and the seed alone deciding (control labels); scikit-learn's `LogisticRegression`,
whose minimum of the same penalised objective the probe must reach, and whose predictions it
must share (probe); scikit-learn's `accuracy_score` (accuracy); synthetic hidden states whose
held-out accuracies are known, one of them only memorisable (layer curve).
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from autograder.api import (
    call_unchanged,
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
from latentlab import data

# Real sentences of different lengths, with words the tokenizer cuts into several pieces; padded
# together, the shorter ones end in padding (None) as well as [SEP].
SENTENCES = [
    ["Goulburn", "firefighters", "said", "the", "blaze", "was", "unbelievably", "fast", "."],
    ["The", "Taliban", "'s", "leader", "Mullah", "Omar", "fled", "Kandahar", "."],
    ["Hundreds", "evacuated", "."],
    ["Qantas"],
]


@functools.lru_cache(maxsize=1)
def _encoded():
    return data.minilm_tokenizer()(SENTENCES, is_split_into_words=True, padding=True)


def _first_pieces(i):
    """The tokenizer's own first token of each word of sentence i."""
    enc = _encoded()
    return np.array([enc.word_to_tokens(i, w).start for w in range(len(SENTENCES[i]))])


def _last_pieces(i):
    enc = _encoded()
    return np.array([enc.word_to_tokens(i, w).end - 1 for w in range(len(SENTENCES[i]))])


def _int_array(value, what, n):
    return expect_array(value, what, shape=(n,), dtype_kind="iu")


# first_subword_index


@graded("first_subword_index", points=2)
@learner_errors_fail("first_subword_index(word_ids) for a tokenizer's word ids")
def test_first_subword_index_matches_the_tokenizer(student):
    enc = _encoded()
    for i, words in enumerate(SENTENCES):
        ids = enc.word_ids(i)
        what = f"first_subword_index of the word ids of {' '.join(words)!r}"
        got = _int_array(call_unchanged(student, "first_subword_index", what, ids), what, len(words))
        want = _first_pieces(i)
        expect_close(got, want, f"{what} ({enc.tokens(i)}): each word's first piece, as the tokenizer's "
                     "word_to_tokens gives it", rtol=0, atol=0, hints=[
                         (lambda g, w, i=i: near(g, _last_pieces(i)), "Yours gives each word's last piece: the first "
                          "is where the word's number first appears."),
                         (lambda g, w: near(g, w - 1), "Yours is one position early: count positions in the whole "
                          "list, [CLS] (None) included, since the hidden states include [CLS]."),
                         (lambda g, w: near(g, w + 1), "Yours is one position late: positions start at 0."),
                     ])


@graded("first_subword_index", points=1, hidden=True)
@learner_errors_fail("first_subword_index(word_ids) for short lists")
def test_first_subword_index_edge_cases(student):
    cases = [([None, None], []), ([None, 0, None], [1]), ([0, 0, 0, 1], [0, 3]),
             ([None, 0, 1, 1, 1, 2, None, None, None], [1, 2, 5])]
    for ids, want in cases:
        what = f"first_subword_index({ids})"
        got = _int_array(call_unchanged(student, "first_subword_index", what, ids), what, len(want))
        expect_close(got, np.array(want), f"{what}: the first position of each word number, specials (None) "
                     "not words", rtol=0, atol=0)


# word_features


def _labelled_states(n_states, n_tokens, dim=3):
    """States whose entries say where they came from: [state, token, 100 state + token, ...]."""
    s, t = np.meshgrid(np.arange(n_states), np.arange(n_tokens), indexing="ij")
    out = np.zeros((n_states, n_tokens, dim))
    out[..., 0], out[..., 1], out[..., 2] = s, t, 100 * s + t
    return out


def _feature_hints(states, i, layer):
    first, last = _first_pieces(i), _last_pieces(i)
    hints = [(lambda g, w: near(g, states[layer][last]), "Yours reads each word's last piece: read the first.")]
    if layer >= 1:
        hints.append((lambda g, w: near(g, states[layer - 1][first]), "Yours reads the state before the one "
                      "asked for: hidden_states[0] is the embeddings and hidden_states[l] layer l's output, so "
                      "layer l is hidden_states[l], not hidden_states[l - 1]."))
    if layer + 1 < len(states):
        hints.append((lambda g, w: near(g, states[layer + 1][first]), "Yours reads the state after the one "
                      "asked for: layer l is hidden_states[l] (state 0 is the embeddings)."))
    hints.append((lambda g, w: near(g[:, 1], first - 1), "Yours is one token early: the states include [CLS], "
                  "so use positions in the whole word_ids list."))
    return hints


@graded("word_features", points=2, depends=("first_subword_index",))
@learner_errors_fail("word_features(hidden_states, word_ids, layer)")
def test_word_features_reads_the_state_asked_for_at_first_pieces(student):
    enc = _encoded()
    n_tokens = len(enc.word_ids(0))
    states = _labelled_states(7, n_tokens)
    for i, layer in [(0, 2), (1, 0), (0, 6), (2, 4)]:
        what = f"word_features(states (7, {n_tokens}, 3), word ids of {' '.join(SENTENCES[i])!r}, layer={layer})"
        got = expect_array(call_unchanged(student, "word_features", what, states, enc.word_ids(i), layer), what,
                           shape=(len(SENTENCES[i]), 3))
        expect_close(got, states[layer][_first_pieces(i)], f"{what}, entries [state, token, 100 state + token]: "
                     f"hidden state {layer} at each word's first piece", rtol=0, atol=1e-6,
                     hints=_feature_hints(states, i, layer))


@graded("word_features", points=1)
@learner_errors_fail("word_features with a layer out of range")
def test_word_features_rejects_a_layer_out_of_range(student):
    states = _labelled_states(7, 5)
    ids = [None, 0, 1, 1, None]
    for layer in (7, -1):
        expect_error("ValueError", f"word_features(states of 7 hidden states, ..., layer={layer}) raises ValueError "
                     "(the states are 0 .. 6)", student.call, "word_features", states, ids, layer)


@graded("word_features", points=1, hidden=True, depends=("first_subword_index",))
@learner_errors_fail("word_features on float64 states")
def test_word_features_on_float64_states(student):
    states = _labelled_states(3, 6, dim=4)
    ids = [None, 0, 0, 1, None, None]
    what = "word_features(float64 states (3, 6, 4), [None, 0, 0, 1, None, None], layer=1)"
    got = expect_array(call_unchanged(student, "word_features", what, states, ids, 1), what, shape=(2, 4),
                       dtype=np.float32)
    expect_close(got, states[1][[1, 3]], f"{what}: state 1 at tokens 1 and 3", rtol=0, atol=1e-6)


# control_labels


def _distribution_case():
    """2,000 types seen once (labels 0, 1, 2 at 60, 30, 10 %) and "the" seen 2,000 times with
    label 3: the tokens' distribution is (0.3, 0.15, 0.05, 0.5), the types' (0.6, 0.3, 0.1, 0)."""
    rng = np.random.default_rng(80)
    once = [f"w{i}" for i in range(2000)]
    labels = rng.choice(3, size=2000, p=[0.6, 0.3, 0.1]).tolist()
    words = once + ["the"] * 2000
    order = rng.permutation(4000)
    return [words[i] for i in order], [int(([*labels, *[3] * 2000])[i]) for i in order]


def _control(student, words, labels, seed):
    what = f"control_labels({len(words)} words, their labels, seed={seed})"
    return _int_array(call_unchanged(student, "control_labels", what, words, labels, seed), what, len(words))


def _types_of(words, got):
    """{type: set of labels given to its tokens}."""
    seen = {}
    for w, label in zip(words, got, strict=True):
        seen.setdefault(w.lower(), set()).add(int(label))
    return seen


@graded("control_labels", points=1)
@learner_errors_fail("control_labels(words, labels, seed)")
def test_control_labels_give_each_type_one_label(student):
    words = "The run was long and the RUN ended ; the runners ran the run again . The end".split()
    labels = [5, 0, 3, 1, 2, 5, 0, 0, 4, 5, 0, 3, 5, 0, 1, 4, 5, 0]  # "run" is a noun and a verb
    for seed in (0, 1, 2):
        got = _control(student, words, labels, seed)
        split = {t: sorted(v) for t, v in _types_of(words, got).items() if len(v) > 1}
        if split:
            t = next(iter(split))
            cased = len({w for w in words if w.lower() == t}) > 1
            raise AssertionError(
                f"one control label per word type: expected every token of a type to share one label, got the "
                f"type {t!r} with labels {split[t]} (seed={seed}). "
                + ("Types are lower-cased words: 'The' and 'the' are one type. " if cased else "")
                + "Draw one label per type, then give it to each of the type's tokens (not one draw per token).")


@graded("control_labels", points=2)
@learner_errors_fail("control_labels on 4,000 tokens")
def test_control_labels_follow_the_tokens_label_distribution(student):
    words, labels = _distribution_case()
    p_tokens = np.bincount(labels, minlength=4) / len(labels)  # (0.3, 0.15, 0.05, 0.5)
    for seed in (0, 1):
        got = _control(student, words, labels, seed)
        per_type = {}
        for w, label in zip(words, got, strict=True):
            per_type.setdefault(w, int(label))
        shares = np.bincount(list(per_type.values()), minlength=4)[:4] / len(per_type)
        expect_close(shares, p_tokens, f"the control labels of 2,001 types follow the labels' distribution over "
                     f"tokens, ({show(p_tokens, 3)}) for labels 0 .. 3 here (seed={seed}): the share of types given "
                     "each label", rtol=0, atol=0.05, hints=[
                         (lambda g, w: near(g, 0.25, atol=0.05), "Yours draws the labels uniformly: draw them with "
                          "the probabilities of the labels' counts."),
                         (lambda g, w: g[3] < 0.05, "Yours draws from the labels' distribution over types (each "
                          "type counted once): the contract's probabilities count tokens."),
                     ])


@graded("control_labels", points=1)
@learner_errors_fail("control_labels called twice with one seed")
def test_control_labels_depend_on_the_seed_alone(student):
    words, labels = _distribution_case()
    student.reseed_globals(1)
    first = _control(student, words, labels, 7)
    student.reseed_globals(2)
    again = _control(student, words, labels, 7)
    if not np.array_equal(first, again):
        raise AssertionError(
            f"the seed decides the control labels: expected the same labels from two calls with seed=7 (numpy's "
            f"and torch's global generators reseeded in between), got {int(np.sum(first != again))} of "
            f"{len(words)} labels different. Draw from np.random.default_rng(seed), not from a global generator "
            "or an unseeded one")
    draws = student.fixture("GlobalDraws")
    student.reseed_globals(5)
    untouched = draws.call("numpy_draw")
    student.reseed_globals(5)
    _control(student, words, labels, 7)
    if draws.call("numpy_draw") != untouched:
        raise AssertionError(
            "control labels leave numpy's global generator alone: expected the global generator to be where it was "
            "before the call, got it reseeded or drawn from. Use a generator of your own, np.random.default_rng(seed), "
            "not np.random.seed(seed) with np.random.choice (that resets everyone else's random state too)")
    other = _control(student, words, labels, 8)
    if np.array_equal(first, other):
        raise AssertionError("the seed decides the control labels: expected seed=8 to give other labels than "
                             "seed=7 for 2,001 types, got the same labels (is the seed used?)")


@graded("control_labels", points=1, hidden=True)
@learner_errors_fail("control_labels with class ids 3, 7 and 11")
def test_control_labels_draw_only_labels_that_occur(student):
    rng = np.random.default_rng(81)
    words = [f"t{i}" for i in rng.integers(0, 400, size=1200)]
    labels = rng.choice([3, 7, 11], size=1200, p=[0.5, 0.3, 0.2]).tolist()
    got = _control(student, words, labels, 0)
    drawn = sorted({int(v) for v in got})
    if drawn != [3, 7, 11]:
        raise AssertionError(f"control labels are drawn from the labels that occur: expected the labels 3, 7 and "
                             f"11 (each with a share of the tokens), got the labels {drawn}. Draw among the "
                             "labels' values, not among 0 .. max(labels)")


# train_probe


def _objective(x, y, w, b, weight_decay):
    """Mean cross-entropy of softmax(x W + b) plus (weight_decay / 2) ||W||^2, in float64."""
    logits = np.asarray(x, np.float64) @ np.asarray(w, np.float64) + np.asarray(b, np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean() + weight_decay / 2 * np.sum(np.asarray(w, np.float64) ** 2))


def _sklearn_probe(x, y, n_classes, weight_decay):
    """The minimiser of the same objective by scikit-learn: C = 1 / (weight_decay n) scales the
    summed cross-entropy against (1/2) ||W||^2 as the mean does against (weight_decay / 2) ||W||^2."""
    fit = LogisticRegression(C=1 / (weight_decay * len(y)), tol=1e-10, max_iter=20_000).fit(x, y)
    w = np.zeros((x.shape[1], n_classes))
    b = np.full(n_classes, -np.inf)
    w[:, fit.classes_], b[fit.classes_] = fit.coef_.T, fit.intercept_
    return w, b


@functools.lru_cache(maxsize=16)
def _blobs_optimum(seed, n, d, k, spread, weight_decay):
    """(x, y, W, b) for `_blobs(seed, n, d, k, spread)` and the minimiser of the objective on them."""
    x, y = _blobs(seed, n, d, k, spread)
    w, b = _sklearn_probe(x, y, k, weight_decay)
    return x, y, w, b


def _blobs(seed, n, d, k, spread):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * spread
    y = rng.integers(0, k, size=n)
    return (centres[y] + rng.normal(size=(n, d))).astype(np.float32), y


def _probe(student, what, x, y, k, weight_decay, seed=0):
    out = expect_tuple(call_unchanged(student, "train_probe", what, x, y, k, weight_decay, seed), what, 2,
                       ("W", "b"))
    w = expect_array(out[0], f"W from {what}", shape=(x.shape[1], k))
    b = expect_array(out[1], f"b from {what}", shape=(k,))
    return w, b


@graded("train_probe", points=3)
@learner_errors_fail("train_probe(x, y, n_classes, weight_decay, seed)")
def test_train_probe_reaches_the_minimum_of_its_objective(student):
    for weight_decay, seed in ((0.05, 82), (0.005, 83)):
        x, y, w_best, b_best = _blobs_optimum(seed, 300, 20, 4, 0.6, weight_decay)
        what = f"train_probe(x (300, 20), y, 4, weight_decay={weight_decay}, seed=0)"
        w, b = _probe(student, what, x, y, 4, weight_decay)
        best, got = _objective(x, y, w_best, b_best, weight_decay), _objective(x, y, w, b, weight_decay)
        if got <= best + 1e-3:
            continue
        ratio = np.linalg.norm(w) / np.linalg.norm(w_best)
        hint = ""
        if ratio > 1.15:
            hint = (" Your W is larger than at the minimum: is the weight decay missing (AdamW's decoupled "
                    "weight_decay is not this penalty), or the cross-entropy summed over rows instead of averaged?")
        elif ratio < 0.87:
            hint = (" Your W is smaller than at the minimum: is the penalty weight_decay ||W||^2 without the 1/2, "
                    "or applied twice (AdamW's decoupled weight_decay is not this penalty)?")
        elif np.linalg.norm(b - b.mean()) < 0.85 * np.linalg.norm(b_best - b_best.mean()):  # b up to a constant
            hint = (" Your b is smaller than at the minimum while W is about right: is b penalised too? The penalty "
                    "is on W only.")
        else:
            hint = " Is the training stopped before it converges (too few steps, or too small a step)?"
        raise AssertionError(
            f"the probe minimises mean cross-entropy + (weight_decay / 2) ||W||^2: expected {what} to reach the "
            f"objective's minimum {best:.4f} (scikit-learn's LogisticRegression) within 1e-3, got {got:.4f}, "
            f"with ||W|| {np.linalg.norm(w):.3f} against {np.linalg.norm(w_best):.3f} at the minimum.{hint}")


@graded("train_probe", points=2)
@learner_errors_fail("train_probe on few rows of many features")
def test_train_probe_predicts_as_sklearn_does(student):
    x, y = _blobs(84, 480, 60, 3, 0.3)
    fit_x, fit_y, new_x, new_y = x[:80], y[:80], x[80:], y[80:]
    what = "train_probe(x (80, 60), y, 3, weight_decay=0.1, seed=0)"
    w, b = _probe(student, what, fit_x, fit_y, 3, 0.1)
    w_best, b_best = _sklearn_probe(fit_x, fit_y, 3, 0.1)
    mine = (new_x.astype(np.float64) @ w + b).argmax(axis=1)
    theirs = (new_x.astype(np.float64) @ w_best + b_best).argmax(axis=1)
    agree = float(np.mean(mine == theirs))
    if agree < 0.97:
        raise AssertionError(
            f"the probe predicts as the minimiser of its objective does: expected the predictions of {what} on 400 "
            f"new rows to agree with scikit-learn's LogisticRegression on at least 97 % of them, got {agree:.1%} "
            f"(accuracy {np.mean(mine == new_y):.3f} against {np.mean(theirs == new_y):.3f}). With few rows of many features "
            "the weight decay decides which W is found: is it missing or of another strength, or is the training "
            "stopped before it converges?")


@graded("train_probe", points=1)
@learner_errors_fail("train_probe called twice with one seed")
def test_train_probe_is_reproducible_under_its_seed(student):
    x, y = _blobs(85, 150, 12, 3, 0.7)
    what = "train_probe(x (150, 12), y, 3, weight_decay=0.01, seed=3)"
    student.reseed_globals(1)
    w1, b1 = _probe(student, what, x, y, 3, 0.01, 3)
    student.reseed_globals(2)
    w2, b2 = _probe(student, what, x, y, 3, 0.01, 3)
    if not (np.array_equal(w1, w2) and np.array_equal(b1, b2)):
        gap = max(np.abs(w1 - w2).max(), np.abs(b1 - b2).max())
        raise AssertionError(
            f"the probe is reproducible under its seed: expected two calls of {what} to give the same W and b, "
            f"torch's global generator reseeded in between, got them differing by up to {gap:.3g}. Draw the start "
            "from a torch.Generator seeded with `seed` (or start from zeros), not from the global generator")


@graded("train_probe", points=1, hidden=True)
@learner_errors_fail("train_probe with a class that has no rows")
def test_train_probe_returns_float32_for_every_class(student):
    x, y = _blobs(86, 160, 8, 4, 1.0)
    what = "train_probe(x (160, 8), y in 0 .. 3, n_classes=5, weight_decay=0.01, seed=0)"
    out = expect_tuple(call_unchanged(student, "train_probe", what, x, y, 5, 0.01, 0), what, 2, ("W", "b"))
    w = expect_array(out[0], f"W from {what}", shape=(8, 5), dtype=np.float32)
    b = expect_array(out[1], f"b from {what}", shape=(5,), dtype=np.float32)
    predicted = (x.astype(np.float64) @ w + b).argmax(axis=1)
    if np.any(predicted == 4):
        raise AssertionError(f"a class without rows is never the best: expected {what} to predict class 4 for no "
                             f"training row, got it for {int(np.sum(predicted == 4))}")


# probe_accuracy


def _accuracy(student, what, x, y, w, b):
    return expect_scalar(call_unchanged(student, "probe_accuracy", what, x, y, w, b), what)


@graded("probe_accuracy", points=2)
@learner_errors_fail("probe_accuracy(x, y, weights, bias)")
def test_probe_accuracy_matches_sklearn(student):
    rng = np.random.default_rng(87)
    x = rng.normal(size=(200, 6)).astype(np.float32)
    w, b = rng.normal(size=(6, 4)), np.array([0.0, 3.0, -1.0, 0.5])  # the bias changes many predictions
    y = (x @ w + b).argmax(axis=1)
    noisy = rng.random(200) < 0.4
    y[noisy] = rng.integers(0, 4, size=int(noisy.sum()))
    want = accuracy_score(y, (x.astype(np.float64) @ w + b).argmax(axis=1))
    what = "probe_accuracy(x (200, 6), y, weights (6, 4), bias (4,))"
    got = _accuracy(student, what, x, y, w, b)
    expect_close(got, want, f"{what}: the share of rows whose highest score x W + b is their label "
                 "(scikit-learn's accuracy_score)", rtol=0, atol=1e-9, hints=[
                     (lambda g, w_: near(g, accuracy_score(y, (x @ w).argmax(axis=1))), "Yours ignores the bias."),
                     (lambda g, w_: near(g, 200 * w_), "Yours counts the correct rows: return their share."),
                     (lambda g, w_: near(g, 1 - w_), "Yours is the error rate: return the share correct."),
                 ])


@graded("probe_accuracy", points=1, hidden=True)
@learner_errors_fail("probe_accuracy with equal scores")
def test_probe_accuracy_ties_and_no_rows(student):
    x = np.ones((4, 2))
    w = np.zeros((2, 3))  # every score 0: the lowest class, 0, is predicted
    what = "probe_accuracy(4 rows, labels [0, 0, 1, 2], weights of zeros, bias of zeros)"
    got = _accuracy(student, what, x, np.array([0, 0, 1, 2]), w, np.zeros(3))
    expect_close(got, 0.5, f"{what}: equal scores predict the lowest class, so 2 of 4 are right", rtol=0, atol=1e-12)
    expect_error("ValueError", "probe_accuracy of 0 rows raises ValueError", student.call, "probe_accuracy",
                 np.zeros((0, 2)), np.zeros(0, dtype=np.int64), w, np.zeros(3))


# selectivity


@graded("selectivity", points=1)
@learner_errors_fail("selectivity(task_accuracy, control_accuracy)")
def test_selectivity_is_task_minus_control(student):
    task, control = [0.90, 0.93, 0.95, 0.94], [0.76, 0.70, 0.66, 0.61]
    what = f"selectivity({task}, {control})"
    got = expect_array(call_unchanged(student, "selectivity", what, task, control), what, shape=(4,))
    want = np.subtract(task, control)
    expect_close(got, want, f"{what}: task accuracy minus control accuracy, state by state", rtol=0, atol=1e-12,
                 hints=[(lambda g, w: near(g, -w), "Yours has the sign reversed: task minus control, so that a "
                         "selective probe scores above 0."),
                        (lambda g, w: near(g, np.divide(task, control)), "Yours is a ratio: selectivity is the "
                         "difference.")])


@graded("selectivity", points=1, hidden=True)
@learner_errors_fail("selectivity of arrays of different lengths")
def test_selectivity_needs_one_length(student):
    expect_error("ValueError", "selectivity of 7 task accuracies and 6 control accuracies raises ValueError",
                 student.call, "selectivity", np.full(7, 0.9), np.full(6, 0.5))
    what = "selectivity(np.array([0.5, 0.75]), np.array([0.25, 0.5]))"
    got = expect_array(call_unchanged(student, "selectivity", what, np.array([0.5, 0.75]), np.array([0.25, 0.5])),
                       what, shape=(2,), dtype=np.float64)
    expect_close(got, [0.25, 0.25], what, rtol=0, atol=1e-12)


# layer_curve


def _curve_case(seed=88):
    """Four states of 240 words (180 for training): state 0 is noise of width 200, which a probe
    can only memorise (its held-out accuracy is near 1/3, its training accuracy 1); states 1, 2, 3
    carry the label weakly, strongly and moderately."""
    rng = np.random.default_rng(seed)
    n, dim = 240, 200
    y = rng.integers(0, 3, size=n)
    centres = rng.normal(size=(3, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    states = [rng.normal(size=(n, dim))]
    for strength in (1.2, 6.0, 2.2):
        states.append(centres[y] * strength + rng.normal(size=(n, dim)) * 0.9)
    train = np.zeros(n, dtype=bool)
    train[rng.permutation(n)[:180]] = True
    return np.stack(states).astype(np.float32), y, train


def _oracle_curve(features, y, train, weight_decay):
    curve = []
    for state in features:
        w, b = _sklearn_probe(state[train], y[train], 3, weight_decay)
        curve.append(np.mean((state[~train].astype(np.float64) @ w + b).argmax(axis=1) == y[~train]))
    return np.array(curve)


def _expected_curve(student, features, y, train, weight_decay):
    """The curve from the learner's own train_probe and probe_accuracy, so that a mistake there is
    not charged to layer_curve; scikit-learn's when those do not work."""
    try:
        curve = []
        for state in features:
            w, b = student.call("train_probe", state[train], y[train], 3, weight_decay, 0)
            curve.append(float(student.call("probe_accuracy", state[~train], y[~train], w, b)))
        return np.array(curve), "your train_probe and probe_accuracy"
    except Exception:  # noqa: BLE001 - those exercises are graded by their own checks
        return _oracle_curve(features, y, train, weight_decay), "scikit-learn's LogisticRegression"


def _curve(student, features, y, train, weight_decay=1e-3):
    what = (f"layer_curve(features {features.shape}, labels, train ({int(train.sum())} True), 3, "
            f"weight_decay={weight_decay}, seed=0)")
    got = call_unchanged(student, "layer_curve", what, features, y, train, 3, weight_decay, 0)
    if isinstance(got, np.ndarray) and got.shape == (len(features) - 1,):
        raise AssertionError(f"{what}: expected one accuracy per hidden state, shape ({len(features)},), got shape "
                             f"{got.shape}. Is state 0, the embeddings, left out? It is features[0]")
    return what, expect_array(got, what, shape=(len(features),))


@graded("layer_curve", points=2, depends=("train_probe", "probe_accuracy"))
@learner_errors_fail("layer_curve on a state a probe can only memorise")
def test_layer_curve_scores_held_out_words(student):
    features, y, train = _curve_case()
    want, source = _expected_curve(student, features[:1], y, train, 1e-3)
    what, got = _curve(student, features, y, train)
    near_chance = abs(got[0] - want[0]) <= 0.035 if source.startswith("your") else got[0] <= 0.6
    if not near_chance:
        raise AssertionError(
            f"the curve scores the held-out words: expected state 0 (noise of width 200, which a probe can only "
            f"memorise) to score {want[0]:.3f} on the 60 words where train is False ({source}), got {got[0]:.3f} from "
            f"{what}. "
            "Train on the words where train is True, and score on the others")


@graded("layer_curve", points=3, depends=("train_probe", "probe_accuracy"))
@learner_errors_fail("layer_curve(features, labels, train, n_classes)")
def test_layer_curve_has_one_accuracy_per_state_in_order(student):
    features, y, train = _curve_case()
    want, source = _expected_curve(student, features, y, train, 1e-3)
    what, got = _curve(student, features, y, train)
    signal = slice(1, None)  # state 0's accuracy is chance, and chance differs between probes
    expect_close(got[signal], want[signal], f"{what}: entry s is the held-out accuracy of a probe on state s "
                 f"(states 1 .. 3, compared with {source}, to 0.05)", rtol=0, atol=0.05,
                 hints=[(lambda g, w: near(g[:-1], want[2:], atol=0.05), "Yours is shifted by one state: entry s "
                         "is features[s], entry 0 the embedding state."),
                        (lambda g, w: near(g[1:], want[1:-1], atol=0.05), "Yours is shifted by one state: entry s "
                         "is features[s].")])


@graded("layer_curve", points=1, hidden=True, depends=("train_probe", "probe_accuracy"))
@learner_errors_fail("layer_curve with another split")
def test_layer_curve_follows_the_split_it_is_given(student):
    features, y, _ = _curve_case(89)
    train = np.random.default_rng(90).random(len(y)) < 0.7
    features = features[[0, 3]]  # noise, and a state of moderate signal
    want, source = _expected_curve(student, features, y, train, 1e-2)
    exact = source.startswith("your") and np.array_equal(want, _expected_curve(student, features, y, train, 1e-2)[0])
    what, got = _curve(student, features, y, train, 1e-2)
    expect_array(got, what, dtype=np.float64)
    # with the learner's own (reproducible) probe the curve is theirs exactly: every argument is passed on
    expect_close(got, want, f"{what}: held-out accuracies of the two states for a split of its own, with "
                 f"weight_decay=0.01 passed on to train_probe (compared with {source}"
                 + (")" if exact else ", to 0.05)"), rtol=0, atol=0.5 / np.sum(~train) if exact else 0.05)
