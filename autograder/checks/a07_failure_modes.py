"""Checks of a07_failure_modes: anisotropy, all-but-the-top, whitening, k-occurrence and hubness,
CSLS, WEAT with its permutation test, and Spearman evaluation on word-pair similarity data.

Oracles: explicit pairwise cosines in plain loops (anisotropy, CSLS); scikit-learn's `PCA`
(all-but-the-top) and `NearestNeighbors` with the cosine metric (k-occurrence); `scipy.stats.skew`
(hubness); gensim's `KeyedVectors.evaluate_word_pairs` (Spearman); WEAT computed here from its
definition, with every split of small target sets enumerated for the exact p-value, and its
properties (swapping the targets flips the sign, identical targets give 0); whitening held to
its definition: mean 0, covariance the identity, and the dot products between rows that every
whitening shares, (x - mean) inverse(covariance) (x - mean)^T.
"""

from __future__ import annotations

import functools
import itertools
import math
import tempfile
from pathlib import Path

import numpy as np
from scipy.stats import skew
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

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
)
from latentlab import data


def _cosines(x, y):
    """Every cosine between the rows of x and y, in plain loops: (n, m)."""
    return np.array([[float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)) for b in y] for a in x])


def _float(student, what, name, *args):
    value = call_unchanged(student, name, what, *args)
    return expect_scalar(value, what)


# anisotropy


def _anisotropy_hints(x):
    cos = _cosines(x, x)
    n = len(x)
    return [(lambda g, w: near(g, cos.mean()), "Yours includes each row's cosine with itself (always 1): average "
             "over the n (n - 1) pairs of distinct rows."),
            (lambda g, w: near(g, (cos.sum() - n) / (n * n)), "Yours leaves the diagonal out of the sum but still "
             "divides by n^2: there are n (n - 1) distinct ordered pairs."),
            (lambda g, w: near(g, (x @ x.T)[~np.eye(n, dtype=bool)].mean()), "Yours averages raw dot products: "
             "divide each by the two rows' lengths.")]


@graded("anisotropy", points=1)
@learner_errors_fail("anisotropy(x) on random vectors")
def test_anisotropy_matches_pairwise_cosines(student):
    rng = np.random.default_rng(70)
    x = rng.normal(size=(30, 6)) + 0.8  # a shared offset: cosines mostly positive
    cos = _cosines(x, x)
    want = cos[~np.eye(30, dtype=bool)].mean()
    expect_close(_float(student, "anisotropy(x) for x (30, 6)", "anisotropy", x), want,
                 "anisotropy(x) for 30 rows: the mean cosine over the 870 ordered pairs of distinct rows, "
                 "computed pair by pair", rtol=1e-9, hints=_anisotropy_hints(x))


@graded("anisotropy", points=1)
@learner_errors_fail("anisotropy(x) for three rows")
def test_anisotropy_leaves_out_self_similarity(student):
    x = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])  # cosines 0, -1, 0 between distinct rows
    expect_close(_float(student, "anisotropy(x) for 3 rows", "anisotropy", x), -1 / 3,
                 "anisotropy of (1, 0), (0, 2), (-3, 0): the distinct pairs' cosines are 0, 0 and -1 (each "
                 "counted twice), so the mean is -1/3; a row's cosine with itself is not a pair", rtol=1e-9,
                 hints=_anisotropy_hints(x))


@graded("anisotropy", points=1, hidden=True)
@learner_errors_fail("anisotropy(x) with rows of very different lengths")
def test_anisotropy_ignores_lengths_and_needs_two_rows(student):
    rng = np.random.default_rng(71)
    x = rng.normal(size=(12, 4)) * np.geomspace(0.01, 100, 12)[:, None]
    cos = _cosines(x, x)
    expect_close(_float(student, "anisotropy(x) for rows of lengths 0.01 to 100", "anisotropy", x),
                 cos[~np.eye(12, dtype=bool)].mean(), "anisotropy of rows whose lengths span 0.01 to 100: a "
                 "cosine ignores lengths", rtol=1e-9, hints=_anisotropy_hints(x))
    expect_error("ValueError", "anisotropy of a single row raises ValueError (there is no pair)", student.call,
                 "anisotropy", x[:1])


# all_but_the_top


def _abtt_oracle(x, d):
    """x minus its mean, minus the projection on scikit-learn's first d principal components."""
    centred = x - x.mean(axis=0)
    if d == 0:
        return centred
    p = PCA(n_components=d, svd_solver="full").fit(x).components_  # (d, D), of the centred data
    return centred - centred @ p.T @ p


def _abtt(student, x, d):
    what = f"all_but_the_top(x, {d}) for x {x.shape}"
    return expect_array(call_unchanged(student, "all_but_the_top", what, x, d), what, shape=x.shape,
                        dtype=np.float64)


def _abtt_hints(x, d):
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    raw = x - x @ vt[:d].T @ vt[:d]
    _, _, vc = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    return [(lambda g, w: near(g, raw - raw.mean(axis=0), atol=1e-9), "Yours takes the principal directions of "
             "the uncentred rows and removes the mean afterwards: centre first, then find the directions of "
             "the centred rows."),
            (lambda g, w: near(g, raw, atol=1e-9), "Yours never removes the mean: the directions are those of "
             "the uncentred rows, and the rows stay uncentred."),
            (lambda g, w: near(g, x - x @ vc[:d].T @ vc[:d], atol=1e-9), "Yours finds the directions of the "
             "centred rows but removes them from the uncentred ones: the result is the centred rows minus their "
             "projection."),
            (lambda g, w: near(g - g.mean(axis=0), w, atol=1e-9), "Your rows differ from the right ones by a "
             "constant vector: the result is centred, its column means 0."),
            (lambda g, w: near(g, _abtt_oracle(x, d - 1), atol=1e-9) or near(g, _abtt_oracle(x, d + 1), atol=1e-9),
             "Yours removes one direction too few or too many: d directions.")]


@graded("all_but_the_top", points=2)
@learner_errors_fail("all_but_the_top(x, d) on random vectors")
def test_all_but_the_top_matches_sklearn_pca(student):
    rng = np.random.default_rng(72)
    x = rng.normal(size=(60, 8)) @ rng.normal(size=(8, 8)) + 3.0  # correlated, with a mean far from 0
    for d in (1, 3):
        expect_close(_abtt(student, x, d), _abtt_oracle(x, d), f"all_but_the_top(x, {d}): the centred rows minus "
                     f"their projection on scikit-learn PCA's first {d} components", atol=1e-9,
                     hints=_abtt_hints(x, d))


@graded("all_but_the_top", points=1)
@learner_errors_fail("all_but_the_top(x, d): what is left")
def test_all_but_the_top_leaves_nothing_of_what_it_removes(student):
    rng = np.random.default_rng(73)
    x = (rng.normal(size=(40, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.2]) + 2.0).astype(np.float32)
    got = _abtt(student, x, 2)  # float32 in, float64 out
    x = x.astype(np.float64)
    expect_close(got.mean(axis=0), np.zeros(5), "all_but_the_top(x, 2): the column means of the result are 0",
                 atol=1e-9, hints=_abtt_hints(x, 2))
    top = PCA(n_components=2, svd_solver="full").fit(x).components_
    expect_close(got @ top.T, np.zeros((40, 2)), "all_but_the_top(x, 2): nothing is left along the two removed "
                 "principal directions", atol=1e-9, hints=_abtt_hints(x, 2))
    expect_close(_abtt(student, x, 0), x - x.mean(axis=0), "all_but_the_top(x, 0): the centred rows", atol=1e-12)


@graded("all_but_the_top", points=1, hidden=True)
@learner_errors_fail("all_but_the_top(x, d) for rows far from the origin")
def test_all_but_the_top_centres_before_finding_directions(student):
    rng = np.random.default_rng(74)
    x = rng.normal(size=(50, 6)) * np.array([3.0, 1.0, 1.0, 1.0, 1.0, 1.0]) + np.array([0, 20.0, 0, 0, 0, 0])
    expect_close(_abtt(student, x, 1), _abtt_oracle(x, 1), "all_but_the_top(x, 1) for rows whose mean (20 along "
                 "axis 1) is larger than their spread (3 along axis 0): the top direction is that of the centred "
                 "rows, axis 0, not the mean's", atol=1e-9, hints=_abtt_hints(x, 1))


# whiten


def _whiten(student, x):
    what = f"whiten(x) for x {x.shape}"
    return expect_array(call_unchanged(student, "whiten", what, x), what, shape=x.shape, dtype=np.float64)


def _correlated(seed, n=80, d=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d) * 4


def _whiten_hints(x):
    n = len(x)
    return [(lambda g, w: near(np.cov(g, rowvar=False), np.eye(x.shape[1]) * n / (n - 1), atol=1e-6),
             "Your covariance is n / (n - 1) times the identity: estimate the covariance dividing by n - 1, "
             "as np.cov does."),
            (lambda g, w: near(np.cov(g, rowvar=False), np.eye(x.shape[1]) * (n - 1) / n, atol=1e-6),
             "Your covariance is (n - 1) / n times the identity: estimate the covariance dividing by n - 1."),
            (lambda g, w: near(np.diag(np.cov(g, rowvar=False)), np.ones(x.shape[1]), atol=1e-6),
             "Your columns have variance 1 but are still correlated: scaling each column is not whitening; "
             "rotate onto the covariance's eigenvectors first.")]


@graded("whiten", points=1)
@learner_errors_fail("whiten(x): the mean")
def test_whitened_rows_are_centred(student):
    x = _correlated(75)
    got = _whiten(student, x)
    expect_close(got.mean(axis=0), np.zeros(5), "whiten(x) for 80 rows with a mean far from 0: the result's column "
                 "means are 0 (centre before whitening)", atol=1e-9)


@graded("whiten", points=2)
@learner_errors_fail("whiten(x): the covariance")
def test_whitened_covariance_is_the_identity(student):
    for seed, n, d in ((76, 80, 5), (77, 300, 12)):
        x = _correlated(seed, n, d)
        got = _whiten(student, x)
        expect_close(np.cov(got, rowvar=False), np.eye(d), f"whiten(x) for x ({n}, {d}): the sample covariance of "
                     "the result (np.cov, dividing by n - 1) is the identity", atol=1e-8, hints=_whiten_hints(x))


@graded("whiten", points=1)
@learner_errors_fail("whiten(x): the dot products between rows")
def test_whitening_keeps_the_mahalanobis_products(student):
    x = _correlated(78, 60, 4)
    centred = x - x.mean(axis=0)
    want = centred @ np.linalg.inv(np.cov(x, rowvar=False)) @ centred.T  # the same for every whitening
    got = _whiten(student, x)
    expect_close(got @ got.T, want, "whiten(x): the dot products between whitened rows are (x_i - mean) "
                 "inverse(covariance) (x_j - mean), whichever whitening matrix W is used", rtol=1e-6, atol=1e-8,
                 hints=_whiten_hints(x))


# k_occurrence and hubness


def _oracle_counts(x, k):
    """scikit-learn's cosine neighbours (itself excluded), counted."""
    nn = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(x)
    idx = nn.kneighbors(return_distance=False)  # (n, k), each row's k nearest others
    return np.bincount(idx.ravel(), minlength=len(x))


def _counts(student, x, k):
    what = f"k_occurrence(x, {k}) for x {x.shape}"
    return expect_array(call_unchanged(student, "k_occurrence", what, x, k), what, shape=(len(x),),
                        dtype_kind="iu", dtype=np.int64)


def _count_hints(x, k):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = u @ u.T
    with_self = np.bincount(np.argsort(-cos, axis=1, kind="stable")[:, :k].ravel(), minlength=len(x))
    euclid = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(return_distance=False)
    far = np.argsort(cos, axis=1, kind="stable")[:, :k]
    return [(lambda g, w: np.array_equal(g, with_self), "Yours counts each point among its own neighbours: leave "
             "row j out of its own list."),
            (lambda g, w: g.sum() == len(x) * (k - 1), "Your counts add up to n (k - 1): a row's own place was "
             "taken out of its k, rather than the row being left out before picking k."),
            (lambda g, w: np.array_equal(g, np.bincount(euclid.ravel(), minlength=len(x))), "Yours finds neighbours "
             "by Euclidean distance: the contract's neighbours are those of highest cosine."),
            (lambda g, w: np.array_equal(g, np.bincount(far.ravel(), minlength=len(x))), "Yours counts the least "
             "similar rows: the nearest have the highest cosines."),
            (lambda g, w: np.array_equal(g, np.bincount(np.argsort(-cos, axis=0, kind="stable")[:k].ravel(),
                                                        minlength=len(x))),
             "Yours counts, for each row, its own neighbours; k-occurrence counts how often a row is in the "
             "others' lists.")]


@graded("k_occurrence", points=2)
@learner_errors_fail("k_occurrence(x, k) on random vectors")
def test_k_occurrence_matches_sklearn(student):
    rng = np.random.default_rng(79)
    x = rng.uniform(size=(80, 20))  # uniform in a cube: hubs appear
    for k in (1, 5):
        got = _counts(student, x, k)
        expect_close(got, _oracle_counts(x, k), f"k_occurrence(x, {k}) for 80 points: how often each is among the "
                     f"{k} nearest others (scikit-learn's NearestNeighbors, cosine metric) of the other points",
                     atol=0, hints=_count_hints(x, k))


@graded("k_occurrence", points=1)
@learner_errors_fail("k_occurrence(x, k) with scaled rows")
def test_k_occurrence_ignores_lengths_and_adds_up(student):
    rng = np.random.default_rng(80)
    x = rng.uniform(size=(50, 10)) * np.geomspace(0.01, 100, 50)[:, None]
    got = _counts(student, x, 4)
    if got.sum() != 200:
        raise AssertionError(f"k_occurrence(x, 4) for 50 rows: the counts add up to n k = 200, got {got.sum()}")
    expect_close(got, _oracle_counts(x, 4), "k_occurrence(x, 4) for rows whose lengths span 0.01 to 100: cosine "
                 "neighbours ignore lengths", atol=0, hints=_count_hints(x, 4))


@graded("k_occurrence", points=1, hidden=True)
@learner_errors_fail("k_occurrence(x, k) with tied cosines")
def test_k_occurrence_ties_go_to_the_lower_row(student):
    rng = np.random.default_rng(92)
    base = rng.uniform(size=(8, 5))
    # 40 rows, each one of 8 directions scaled by a power of two: every cosine ties exactly with others
    x = base[rng.integers(0, 8, size=40)] * 2.0 ** rng.integers(-3, 4, size=(40, 1))
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = np.round(u @ u.T, 12)
    np.fill_diagonal(cos, -np.inf)
    want = np.bincount(np.array([np.lexsort((np.arange(40), -row))[:6] for row in cos]).ravel(), minlength=40)
    expect_close(_counts(student, x, 6), want, "k_occurrence(x, 6) for 40 rows along 8 directions (many exactly "
                 "parallel): among equal cosines the lower row is the nearer", atol=0,
                 hints=[(lambda g, w: g.sum() == w.sum(), "Your counts add up right but break ties otherwise: the "
                         "lower row first, which a stable sort of the negated cosines gives.")])


@graded("hubness", points=1)
@learner_errors_fail("hubness(counts) of skewed counts")
def test_hubness_matches_scipy_skew(student):
    rng = np.random.default_rng(81)
    for counts in (rng.poisson(3, size=200) ** 2, np.array([0, 0, 1, 1, 1, 2, 2, 3, 9, 30])):
        want = float(skew(counts.astype(np.float64), bias=True))
        expect_close(_float(student, f"hubness(counts) for {len(counts)} counts", "hubness", counts), want,
                     f"hubness of {len(counts)} counts: scipy.stats.skew(counts, bias=True), the third standardised "
                     "moment with means over the n counts", rtol=1e-9,
                     hints=[(lambda g, w, c=counts: near(g, skew(c.astype(float), bias=False)), "Yours corrects for "
                             "small samples (bias=False): the contract's skewness is the population one."),
                            (lambda g, w, c=counts: near(g, np.mean((c - c.mean()) ** 3) / np.std(c, ddof=1) ** 3),
                             "Yours divides by a standard deviation with ddof = 1: use means over the n counts "
                             "for both moments.")])


@graded("hubness", points=1, hidden=True)
@learner_errors_fail("hubness(counts) of equal counts")
def test_hubness_of_equal_counts_is_zero(student):
    got = _float(student, "hubness of 10 equal counts", "hubness", np.full(10, 5))
    if got != 0.0:
        raise AssertionError(f"hubness of counts that are all equal: expected 0.0, got {got} (0 / 0 is not a "
                             "skewness here: the contract says 0.0)")


# csls


def _csls_oracle(x, y, k, same):
    cos = _cosines(x, y)
    n, m = cos.shape
    r_x = np.array([np.mean(sorted((cos[i, j] for j in range(m) if not (same and i == j)), reverse=True)[:k])
                    for i in range(n)])
    r_y = np.array([np.mean(sorted((cos[i, j] for i in range(n) if not (same and i == j)), reverse=True)[:k])
                    for j in range(m)])
    return 2 * cos - r_x[:, None] - r_y[None, :]


def _csls(student, x, y, k, same):
    what = f"csls(x, y, {k}, same={same}) for x {x.shape} and y {y.shape}"
    return expect_array(call_unchanged(student, "csls", what, x, y, k, same), what, shape=(len(x), len(y)),
                        dtype=np.float64)


def _csls_hints(x, y, k, same):
    cos = _cosines(x, y)
    return [(lambda g, w: same and near(g, _csls_oracle(x, y, k, False)), "Yours counts a row among its own k "
             "most similar rows (a cosine of 1) when x and y are the same set: leave it out with same=True."),
            (lambda g, w: near(g, cos), "Yours returns the plain cosines: subtract both neighbourhoods' mean "
             "cosines."),
            (lambda g, w: near(g, _csls_oracle(x, y, k + 1, same)) or near(g, _csls_oracle(x, y, max(k - 1, 1), same)),
             "Your neighbourhoods have one row too many or too few: k rows each.")]


@graded("csls", points=2)
@learner_errors_fail("csls(x, y, k) between two sets")
def test_csls_matches_its_definition(student):
    rng = np.random.default_rng(82)
    x, y = rng.normal(size=(7, 4)) + 0.3, rng.normal(size=(9, 4)) * 3
    for k in (1, 3):
        expect_close(_csls(student, x, y, k, False), _csls_oracle(x, y, k, False), f"csls(x, y, {k}) for 7 and 9 "
                     "rows: 2 cos(x_i, y_j) - the mean cosine of x_i's k most similar rows of y - the mean cosine "
                     "of y_j's k most similar rows of x", atol=1e-9, hints=_csls_hints(x, y, k, False)[1:])


@graded("csls", points=2)
@learner_errors_fail("csls(x, x, k, same=True) within one set")
def test_csls_within_one_set_leaves_each_row_out(student):
    rng = np.random.default_rng(83)
    x = rng.uniform(size=(10, 5))
    for k in (1, 4):
        expect_close(_csls(student, x, x, k, True), _csls_oracle(x, x, k, True), f"csls(x, x, {k}, same=True) for 10 "
                     "rows: a row is not among its own k most similar", atol=1e-9,
                     hints=_csls_hints(x, x, k, True))


@graded("csls", points=1, hidden=True)
@learner_errors_fail("csls(x, y, k) with k equal to the smaller set")
def test_csls_with_k_the_whole_other_set(student):
    rng = np.random.default_rng(84)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(6, 4))
    expect_close(_csls(student, x, y, 3, False), _csls_oracle(x, y, 3, False), "csls(x, y, 3) for 3 and 6 rows: y_j's "
                 "neighbourhood is all three rows of x", atol=1e-9)


# weat


def _assoc(w, a, b):
    return _cosines(w, a).mean(axis=1) - _cosines(w, b).mean(axis=1)


def _weat_oracle(x, y, a, b):
    """(effect size, exact one-sided p) from the definition, every split enumerated."""
    sx, sy = _assoc(x, a, b), _assoc(y, a, b)
    s = np.concatenate([sx, sy])
    effect = (sx.mean() - sy.mean()) / np.std(s, ddof=1)
    observed = sx.sum() - sy.sum()
    total = s.sum()
    stats = [2 * sum(s[i] for i in split) - total for split in itertools.combinations(range(len(s)), len(sx))]
    return float(effect), float(np.mean(np.array(stats) >= observed - 1e-12))


def _weat(student, x, y, a, b, n_permutations, seed, what=""):
    what = what or (f"weat(x, y, a, b, {n_permutations}, {seed}) for {len(x)} and {len(y)} targets, {len(a)} and "
                    f"{len(b)} attributes")
    got = expect_tuple(call_unchanged(student, "weat", what, x, y, a, b, n_permutations, seed), what, 2,
                       ("effect_size", "p_value"))
    return expect_scalar(got[0], f"{what}: the effect size"), expect_scalar(got[1], f"{what}: the p-value")


@functools.lru_cache(maxsize=1)
def _weat_sets(seed=85, n=4):
    """Targets x, y and attributes a, b in 6 dimensions, x leaning towards a."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(5, 6)) + np.eye(6)[0] * 2, rng.normal(size=(5, 6)) - np.eye(6)[0] * 2
    x, y = rng.normal(size=(n, 6)) + np.eye(6)[0] * 0.7, rng.normal(size=(n, 6)) - np.eye(6)[0] * 0.3
    return x, y, a, b


def _effect_hints(x, y, a, b):
    sx, sy = _assoc(x, a, b), _assoc(y, a, b)
    diff = sx.mean() - sy.mean()
    s = np.concatenate([sx, sy])
    return [(lambda g, w: near(g, diff / np.std(s, ddof=0)), "Yours divides by the standard deviation with ddof = 0: "
             "the contract's has ddof = 1."),
            (lambda g, w: near(g, diff / np.std(sx, ddof=1)) or near(g, diff / np.std(sy, ddof=1)), "Yours takes the "
             "standard deviation over one target set only: it is over the words of x and y together."),
            (lambda g, w: near(g, diff / np.std(np.concatenate([_assoc(a, a, b), _assoc(b, a, b)]), ddof=1)),
             "Yours takes the standard deviation over the attribute words: it is over the target words."),
            (lambda g, w: near(g, -w), "Yours has the opposite sign: mean over x minus mean over y, with s = cosine "
             "with a minus cosine with b.")]


@graded("weat", points=2)
@learner_errors_fail("weat(x, y, a, b): the effect size")
def test_weat_effect_size_matches_its_definition(student):
    x, y, a, b = _weat_sets()
    want, _ = _weat_oracle(x, y, a, b)
    effect, _ = _weat(student, x, y, a, b, 1000, 0)
    expect_close(effect, want, "weat's effect size for 4 and 4 targets: (mean s over x - mean s over y) / the "
                 "standard deviation (ddof 1) of s over x and y together", rtol=1e-9,
                 hints=_effect_hints(x, y, a, b))


@graded("weat", points=1)
@learner_errors_fail("weat(x, y, a, b): swapped and identical targets")
def test_weat_swapped_targets_flip_the_sign_and_equal_ones_give_zero(student):
    x, y, a, b = _weat_sets()
    effect, _ = _weat(student, x, y, a, b, 1000, 0)
    swapped, _ = _weat(student, y, x, a, b, 1000, 0)
    expect_close(swapped, -effect, "weat with x and y swapped: the effect size flips its sign", rtol=1e-9)
    same, _ = _weat(student, x, x.copy(), a, b, 1000, 0, "weat(x, x, a, b) with identical target sets")
    expect_close(same, 0.0, "weat with identical target sets: the effect size is 0", atol=1e-12)


def _p_hints(x, y, a, b):
    sx, sy = _assoc(x, a, b), _assoc(y, a, b)
    s = np.concatenate([sx, sy])
    total, observed = s.sum(), sx.sum() - sy.sum()
    stats = np.array([2 * s[list(c)].sum() - total for c in itertools.combinations(range(len(s)), len(sx))])
    return [(lambda g, w: near(g, np.mean(stats <= observed + 1e-12)), "Yours counts the splits whose statistic is "
             "at most the observed one: the test is one-sided the other way, at least the observed one."),
            (lambda g, w: near(g, np.mean(stats > observed + 1e-12)), "Yours leaves out splits equal to the observed "
             "one (the observed split itself among them): count those at least as large."),
            (lambda g, w: near(g, np.mean(np.abs(stats) >= abs(observed) - 1e-12)), "Yours is two-sided: the "
             "contract's p-value is one-sided, splits with a statistic at least the observed one."),
            (lambda g, w: near(g, 1 - w), "Yours is one minus the p-value: count the splits at least as extreme as "
             "the observed one.")]


@graded("weat", points=2)
@learner_errors_fail("weat(x, y, a, b): the exact p-value")
def test_weat_exact_p_value(student):
    for seed in (85, 86):
        x, y, a, b = _weat_sets(seed)
        _, want = _weat_oracle(x, y, a, b)
        _, p = _weat(student, x, y, a, b, 1000, 0)
        expect_close(p, want, "weat's p-value for 4 and 4 targets with n_permutations=1000: all 70 splits fit in "
                     "1000, so the exact share of splits whose statistic is at least the observed one",
                     atol=1e-12, hints=_p_hints(x, y, a, b))


@graded("weat", points=1)
@learner_errors_fail("weat(x, y, a, b) for targets of different sizes")
def test_weat_targets_of_different_sizes(student):
    rng = np.random.default_rng(87)
    x, _, a, b = _weat_sets(88, n=5)
    y = rng.normal(size=(3, 6))
    want_effect, want_p = _weat_oracle(x, y, a, b)
    effect, p = _weat(student, x, y, a, b, 56, 0)  # exactly the 56 splits: still the exact test
    expect_close(effect, want_effect, "weat's effect size for 5 and 3 targets", rtol=1e-9,
                 hints=_effect_hints(x, y, a, b))
    expect_close(p, want_p, "weat's p-value for 5 and 3 targets with n_permutations=56: splits into 5 and 3 rows, "
                 "all 56 of them, since there are at most n_permutations",
                 atol=1e-12, hints=_p_hints(x, y, a, b))


@graded("weat", points=1, hidden=True)
@learner_errors_fail("weat(x, y, a, b) with sampled splits")
def test_weat_sampled_p_value_is_seeded_and_close_to_exact(student):
    rng = np.random.default_rng(89)
    a, b = rng.normal(size=(6, 8)) + np.eye(8)[0], rng.normal(size=(6, 8)) - np.eye(8)[0]
    x, y = rng.normal(size=(8, 8)) + np.eye(8)[0] * 0.25, rng.normal(size=(8, 8))
    _, exact = _weat_oracle(x, y, a, b)  # 12,870 splits
    # Four calls: two unseeded estimates of a p-value near 0.03 from 4000 splits agree about one time
    # in 37, four of them about once in 36,000.
    ps = [_weat(student, x, y, a, b, 4000, 3)[1] for _ in range(4)]
    if len(set(ps)) > 1:
        raise AssertionError(f"weat with the same seed four times: expected the same p-value each time, got "
                             f"{', '.join(map(str, ps))} (draw the splits with np.random.default_rng(seed))")
    p1 = ps[0]
    spread = 4 * math.sqrt(max(exact * (1 - exact), 1e-4) / 4000)
    expect_close(p1, exact, f"weat's p-value from 4000 random splits of 16 targets (12,870 splits in all): close "
                 f"to the exact {exact:.4f}, within four standard errors ({spread:.3f})", atol=spread,
                 hints=_p_hints(x, y, a, b))


# word_pair_spearman


def _gensim_spearman(words, vectors, pairs):
    """gensim's evaluate_word_pairs on the same vectors and pairs: (rho, share skipped)."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(list(words), np.asarray(vectors, dtype=np.float32))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pairs.tsv"
        path.write_text("".join(f"{a}\t{b}\t{s!r}\n" for a, b, s in pairs))
        _, spearman, oov = kv.evaluate_word_pairs(str(path), restrict_vocab=len(words), case_insensitive=False)
    return float(spearman[0]), oov / 100


def _spearman(student, words, vectors, pairs, what):
    got = expect_tuple(call_unchanged(student, "word_pair_spearman", what, words, vectors, pairs), what, 2,
                       ("rho", "skipped"))
    return expect_scalar(got[0], f"{what}: rho"), expect_scalar(got[1], f"{what}: the share skipped")


def _toy_space(seed=90, n=30, d=8):
    rng = np.random.default_rng(seed)
    words = [f"word{i}" for i in range(n)]
    vectors = rng.normal(size=(n, d))
    pairs = [(words[i], words[j], float(np.round(rng.uniform(0, 10), 1))) for i, j in
             rng.integers(0, n, size=(40, 2)) if i != j]
    pairs += [("word1", "unknown", 5.0), ("missing", "word2", 2.0), ("Word3", "word4", 7.5)]
    return words, vectors, pairs


def _spearman_hints(words, vectors, pairs):
    from scipy.stats import pearsonr, spearmanr

    index = {w: i for i, w in enumerate(words)}
    u = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def cos(a, b):
        return float(u[index[a]] @ u[index[b]]) if a in index and b in index else 0.0

    kept = [(a, b, s) for a, b, s in pairs if a in index and b in index]
    zero = spearmanr([cos(a, b) for a, b, _ in pairs], [s for *_, s in pairs])[0]
    return [(lambda g, w: near(g, zero), "Yours scores a pair with an unknown word as a cosine of 0: skip it."),
            (lambda g, w: near(g, pearsonr([cos(a, b) for a, b, _ in kept], [s for *_, s in kept])[0]),
             "Yours is Pearson's correlation: Spearman's correlates the ranks."),
            (lambda g, w: near(g, spearmanr([float(vectors[index[a]] @ vectors[index[b]]) for a, b, _ in kept],
                                            [s for *_, s in kept])[0]),
             "Yours correlates raw dot products: use cosines.")]


@graded("word_pair_spearman", points=2)
@learner_errors_fail("word_pair_spearman(words, vectors, pairs) on a small vocabulary")
def test_spearman_matches_gensim(student):
    words, vectors, pairs = _toy_space()
    want_rho, _ = _gensim_spearman(words, vectors, pairs)
    rho, _ = _spearman(student, words, vectors, pairs, f"word_pair_spearman for {len(words)} words and "
                       f"{len(pairs)} pairs")
    expect_close(rho, want_rho, f"word_pair_spearman for {len(pairs)} pairs, 3 of them with a word not in the "
                 "vocabulary (one differs only by case): gensim's evaluate_word_pairs Spearman", rtol=1e-9,
                 hints=_spearman_hints(words, vectors, pairs))


@graded("word_pair_spearman", points=1)
@learner_errors_fail("word_pair_spearman(words, vectors, pairs): the pairs skipped")
def test_spearman_reports_the_share_skipped(student):
    words, vectors, pairs = _toy_space(91)
    _, want = _gensim_spearman(words, vectors, pairs)
    _, skipped = _spearman(student, words, vectors, pairs, f"word_pair_spearman for {len(pairs)} pairs")
    expect_close(skipped, want, f"word_pair_spearman: the share of the {len(pairs)} pairs skipped for an unknown "
                 "word, a fraction in [0, 1] (gensim reports it in percent)", rtol=1e-9,
                 hints=[(lambda g, w: near(g, 100 * w), "Yours is a percentage: the contract asks for a share in "
                         "[0, 1]."),
                        (lambda g, w: near(g, 3), "Yours is a count: the share is the count over the number of "
                         "pairs.")])
    expect_error("ValueError", "word_pair_spearman with only one pair whose words are both known raises ValueError",
                 student.call, "word_pair_spearman", words, vectors, pairs[:1] + [("missing", "word2", 1.0)])


@graded("word_pair_spearman", points=1, hidden=True)
@learner_errors_fail("word_pair_spearman on GloVe and WordSim-353")
def test_spearman_on_glove_and_wordsim(student):
    glove = data.glove(20_000)
    words, vectors = list(glove.index_to_key), np.asarray(glove.vectors, dtype=np.float64)
    pairs = [(a.lower(), b.lower(), s) for a, b, s in data.word_similarity("wordsim353")]
    want_rho, want_skipped = _gensim_spearman(words, vectors, pairs)
    rho, skipped = _spearman(student, words, vectors, pairs, "word_pair_spearman for GloVe's 20,000 most frequent "
                             "words on WordSim-353")
    expect_close([rho, skipped], [want_rho, want_skipped], "word_pair_spearman on WordSim-353 with GloVe's 20,000 "
                 "most frequent words: gensim's Spearman and share skipped", rtol=1e-7)
