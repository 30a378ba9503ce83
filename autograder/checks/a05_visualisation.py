"""Checks of a05_visualisation: nearest neighbours, neighbour recall, trustworthiness and
continuity, t-SNE's affinities and its objective with the gradient, and the Shepard correlation.

Oracles: scikit-learn's `NearestNeighbors` (neighbours, itself excluded), `manifold.trustworthiness`
(continuity is it with the spaces swapped) and t-SNE's own affinities and objective
(`sklearn.manifold._t_sne._joint_probabilities` and `_kl_divergence`); torch's autograd for the
gradient; `scipy.stats.spearmanr` on `scipy.spatial.distance.pdist`; closed forms on small inputs
(points on a line with tied distances, a regular polygon whose rows' entropies are log(perplexity),
a map that keeps every neighbour, a map that already fits).
`neighbour_recall` may call the learner's `knn_indices` and `continuity` their `trustworthiness`;
a failure there is named.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from scipy.spatial.distance import pdist, squareform
from scipy.stats import pearsonr, spearmanr
from sklearn.manifold import trustworthiness as sk_trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities, _kl_divergence
from sklearn.neighbors import NearestNeighbors

from autograder.api import (
    call_unchanged,
    expect_array,
    expect_close,
    expect_error,
    expect_tuple,
    expect_type,
    graded,
    learner_errors_fail,
    near,
)
from latentlab import data


def _float(value, what: str) -> float:
    return float(expect_type(value, float, f"{what}, a Python float"))


@functools.lru_cache(maxsize=None)
def _digits(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The first n test digits (n, 64) float64, jittered by about 1e-4 so that no two distances
    tie (pixels are multiples of 1/16, whose distances often do), and their PCA(2) map (n, 2)."""
    x = data.digits()[1][:n].astype(np.float64)
    x = x + 1e-4 * np.random.default_rng(n).normal(size=x.shape)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return x, centred @ vt[:2].T


def _line(n: int) -> np.ndarray:
    """n points at 0, 1, ..., n - 1 on a line in 2 dimensions: every distance ties with another."""
    return np.stack([np.arange(n, dtype=np.float64), np.zeros(n)], axis=1)


# knn_indices


def _expect_rows(got, want, prop: str, hints=()) -> None:
    """Integer matrices equal row by row; a mismatch is reported by its first differing row, whole."""
    bad = np.flatnonzero((np.asarray(got) != np.asarray(want)).any(axis=1))
    if len(bad):
        i = int(bad[0])
        hint = next((text for symptom, text in hints if symptom(np.asarray(got), np.asarray(want))), "")
        raise AssertionError(f"{prop}: expected row {i} to be {np.asarray(want)[i].tolist()}, got "
                             f"{np.asarray(got)[i].tolist()} ({len(bad)} of {len(want)} rows differ)"
                             + (f". {hint}" if hint else ""))


def _oracle_knn(x, k) -> np.ndarray:
    """Each point's k nearest others: scikit-learn's where no distances tie, and where they do
    (its order among equals is not the contract's), its neighbour distances sorted stably."""
    nn = NearestNeighbors(n_neighbors=len(x) - 1).fit(x)
    dist, idx = nn.kneighbors(return_distance=True)
    order = np.lexsort((idx, np.round(dist, 12)), axis=1)  # by distance, then by the lower index
    return np.take_along_axis(idx, order, axis=1)[:, :k]


def _knn(student, x, k, what: str) -> np.ndarray:
    return expect_array(student.call("knn_indices", x, k), what, shape=(len(x), k), dtype_kind="iu",
                        dtype=np.int64)


_TIE_HINT = (lambda g, w: np.array_equal(np.sort(g, axis=1), np.sort(w, axis=1)), "Yours has the right neighbours "
             "in another order among equal distances: ties go to the lower index, which a stable sort "
             "(kind=\"stable\") keeps and np.argsort's default does not.")


def _knn_hints(x, k):
    with_self = np.argsort(squareform(pdist(x)), axis=1, kind="stable")[:, :k]
    return [(lambda g, w: (g[:, 0] == np.arange(len(x))).all(), "Each point's first neighbour is the point "
             "itself: leave i out of its own neighbours."),
            (lambda g, w: np.array_equal(g, with_self), "Yours counts each point as its own neighbour."),
            (lambda g, w: np.array_equal(np.sort(g, axis=1), np.sort(w, axis=1)), "Yours has the right "
             "neighbours in the wrong order: nearest first."),
            (lambda g, w: np.array_equal(g[:, ::-1], _oracle_knn(x, len(x) - 1)[:, -k:]), "Yours are the "
             "farthest points: the nearest have the smallest distances.")]


@graded("knn_indices", points=1)
@learner_errors_fail("knn_indices(x, k) for 40 points in 5 dimensions")
def test_knn_matches_sklearn(student):
    x = np.random.default_rng(10).normal(size=(40, 5))
    for k in (1, 6):
        _expect_rows(_knn(student, x, k, f"knn_indices(x, {k}) for x (40, 5)"), _oracle_knn(x, k),
                     f"knn_indices(x, {k}): scikit-learn's NearestNeighbors, each point's {k} nearest other "
                     "points, nearest first", hints=_knn_hints(x, k))


@graded("knn_indices", points=1)
@learner_errors_fail("knn_indices(x, k) for points with repeated rows")
def test_a_copy_of_a_point_is_its_neighbour(student):
    rng = np.random.default_rng(11)
    base = rng.normal(size=(12, 3))
    x = np.concatenate([base, base[[2, 7]]])  # rows 12 and 13 repeat rows 2 and 7
    got = _knn(student, x, 3, "knn_indices(x, 3) for 14 points, rows 12 and 13 repeating rows 2 and 7")
    for i, twin in ((2, 12), (7, 13), (12, 2), (13, 7)):
        if got[i, 0] == i:
            raise AssertionError(f"a point is not its own neighbour: expected row {i}'s nearest neighbour to be its "
                                 f"copy, row {twin}, got row {i} itself. Dropping the first column of a sort "
                                 "assumes the point comes first, which a copy at distance 0 can break.")
        if got[i, 0] != twin:
            raise AssertionError(f"a copy of a point is its neighbour at distance 0: expected row {i}'s nearest "
                                 f"neighbour to be its copy, row {twin}, got row {int(got[i, 0])}. A point is left "
                                 "out by its index, not by its distance being 0.")
    _expect_rows(got, _oracle_knn(x, 3), "knn_indices(x, 3) with repeated rows: scikit-learn's distances, ties "
                 "to the lower index", hints=_knn_hints(x, 3) + [_TIE_HINT])


@graded("knn_indices", points=1)
@learner_errors_fail("knn_indices(x, k) for points on a line, whose distances tie")
def test_ties_go_to_the_lower_index(student):
    n = 24  # enough points that no sort keeps equal entries in order by luck
    x = _line(n)  # point i's neighbours at distance 1 are i - 1 and i + 1, and so on
    got = _knn(student, x, 6, f"knn_indices(x, 6) for {n} points at 0, 1, ..., {n - 1} on a line")
    want = np.array([sorted((j for j in range(n) if j != i), key=lambda j: (abs(i - j), j))[:6] for i in range(n)])
    _expect_rows(got, want, f"knn_indices(x, 6) for points at 0, 1, ..., {n - 1}: nearest first, and of two points "
                 "at the same distance the lower index first (point 4: 3, 5, 2, 6, 1, 7)", hints=[_TIE_HINT])


@graded("knn_indices", points=1, hidden=True)
@learner_errors_fail("knn_indices(x, k) for k out of range, and for float32 digits")
def test_knn_edges_and_digits(student):
    x = np.random.default_rng(12).normal(size=(6, 2))
    for k in (0, 6):
        expect_error("ValueError", f"knn_indices(x, {k}) for 6 points: k must be between 1 and n - 1 = 5",
                     student.call, "knn_indices", x, k)
    x = np.array(_digits()[0], dtype=np.float32)
    got = expect_array(call_unchanged(student, "knn_indices", "knn_indices(x, 10)", x, 10),
                       "knn_indices(x, 10) for 200 float32 digits", shape=(200, 10), dtype_kind="iu",
                       dtype=np.int64)
    expect_close(got, _oracle_knn(x.astype(np.float64), 10), "the 10 nearest of 200 float32 digits: "
                 "scikit-learn's, computed in float64", atol=0)


# neighbour_recall


def _oracle_recall(x_high, x_low, k) -> float:
    high, low = _oracle_knn(x_high, k), _oracle_knn(x_low, k)
    return float(np.mean([len(set(a) & set(b)) for a, b in zip(high, low, strict=True)]) / k)


def _recall_hints(x_high, x_low, k):
    self_in = np.mean([len(set(a) & set(b)) + 1 for a, b in zip(_oracle_knn(x_high, k - 1),
                                                              _oracle_knn(x_low, k - 1), strict=True)]) / k
    return [(lambda g, w: near(g, self_in), "Yours counts each point among its own neighbours (in both "
             "spaces, so it is always kept)."),
            (lambda g, w: near(g, w * k), "Yours is the mean count of kept neighbours: divide by k for a "
             "fraction."),
            (lambda g, w: near(g, w / len(x_high)), "Yours divides by n twice: the mean over points already "
             "divides by n.")]


def _recall(student, x_high, x_low, k, what: str) -> float:
    return _float(student.call("neighbour_recall", x_high, x_low, k), what)


@graded("neighbour_recall", points=1, depends=("knn_indices",))
@learner_errors_fail("neighbour_recall(x_high, x_low, k) for a map of 60 points")
def test_recall_matches_sklearn_neighbours(student):
    rng = np.random.default_rng(20)
    x_high = rng.normal(size=(60, 8))
    x_low = x_high[:, :2] + 0.5 * rng.normal(size=(60, 2))
    for k in (3, 10):
        want = _oracle_recall(x_high, x_low, k)
        expect_close(_recall(student, x_high, x_low, k, f"neighbour_recall(x_high, x_low, {k})"), want,
                     f"neighbour_recall at k = {k} for 60 points mapped from 8 to 2 dimensions: the mean fraction "
                     "of each point's k nearest (scikit-learn's) that are also its k nearest on the map",
                     rtol=1e-12, hints=_recall_hints(x_high, x_low, k))


@graded("neighbour_recall", points=1, depends=("knn_indices",))
@learner_errors_fail("neighbour_recall(x_high, x_low, k) for maps that keep every neighbour")
def test_recall_of_a_perfect_map_is_one(student):
    rng = np.random.default_rng(21)
    x_high = rng.normal(size=(30, 4))
    rotation = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    for name, x_low in (("the identity", x_high), ("a rotation scaled by 3", 3.0 * x_high @ rotation)):
        got = _recall(student, x_high, x_low, 5, f"neighbour_recall(x, {name} of x, 5)")
        expect_close(got, 1.0, f"neighbour_recall of {name}, a map that keeps every distance's order: 1.0",
                     rtol=1e-12, hints=[(lambda g, w: near(g, 5.0), "Yours is a count: divide by k.")])


@graded("neighbour_recall", points=1, hidden=True, depends=("knn_indices",))
@learner_errors_fail("neighbour_recall(x_high, x_low, k) for digits, and for mismatched spaces")
def test_recall_of_digits_and_mismatched_spaces(student):
    x, pca = _digits()
    expect_close(_recall(student, x, pca, 7, "neighbour_recall(x, PCA(2) of x, 7) for 200 digits"),
                 _oracle_recall(x, pca, 7), "neighbour_recall of the PCA map of 200 digits at k = 7: "
                 "scikit-learn's neighbours", rtol=1e-12, hints=_recall_hints(x, pca, 7))
    expect_error("ValueError", "neighbour_recall(x_high, x_low, 3) for 200 and 199 points: the two spaces must "
                 "hold the same points", student.call, "neighbour_recall", x, pca[:-1], 3)
    for k in (0, 200):
        expect_error("ValueError", f"neighbour_recall(x, PCA(2) of x, {k}) for 200 points: k must be between 1 "
                     "and n - 1 = 199", student.call, "neighbour_recall", x, pca, k)


# trustworthiness and continuity


def _trust(student, name, x_high, x_low, k, what: str) -> float:
    return _float(student.call(name, x_high, x_low, k), what)


def _penalty_scale(n, k) -> float:
    return 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))


def _trust_hints(x_high, x_low, k):
    """Symptoms of slips in a trustworthiness of x_high -> x_low at k."""
    n = len(x_high)
    penalty = (1.0 - sk_trustworthiness(x_high, x_low, n_neighbors=k)) / _penalty_scale(n, k)
    brought_in = sum(len(set(a) - set(b)) for a, b in zip(_oracle_knn(x_low, k), _oracle_knn(x_high, k),
                                                            strict=True))
    wrong_scales = [1.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)), 2.0 / (n * k * (2.0 * n - 3.0 * k + 1.0)),
                    2.0 / (n * k * (2.0 * n - 3.0 * k)), 1.0 / (n * k), 2.0 / (n * n * k)]
    return [(lambda g, w: near(g, 1.0 - _penalty_scale(n, k) * (penalty + brought_in)), "Your penalties are "
             "each 1 too large: the penalty of a neighbour brought in is its rank minus k."),
            (lambda g, w: near(g, 1.0 - _penalty_scale(n, k) * (penalty - brought_in)), "Your penalties are "
             "each 1 too small: ranks start at 1 (not 0) for the nearest other point."),
            (lambda g, w: near(g, sk_trustworthiness(x_low, x_high, n_neighbors=k)), "Yours is continuity: "
             "trustworthiness ranks the map's neighbours by their distance in the original space."),
            (lambda g, w: any(near(1.0 - g, c * penalty) for c in wrong_scales), "Your penalty sum is right and "
             "its scale is not: the normalising constant is 2 / (n k (2n - 3k - 1)).")]


@graded("trustworthiness", points=2, depends=("knn_indices",))
@learner_errors_fail("trustworthiness(x_high, x_low, k) for maps of 50 points")
def test_trustworthiness_matches_sklearn(student):
    rng = np.random.default_rng(30)
    x_high = rng.normal(size=(50, 6))
    x_low = x_high[:, :2] + 0.3 * rng.normal(size=(50, 2))
    for k in (1, 5, 12):
        expect_close(_trust(student, "trustworthiness", x_high, x_low, k, f"trustworthiness(x_high, x_low, {k})"),
                     sk_trustworthiness(x_high, x_low, n_neighbors=k), f"trustworthiness at k = {k} of a map of 50 "
                     "points from 6 to 2 dimensions: scikit-learn's trustworthiness", rtol=1e-10,
                     hints=_trust_hints(x_high, x_low, k))


@graded("trustworthiness", points=1, depends=("knn_indices",))
@learner_errors_fail("trustworthiness(x_high, x_low, k) for a perfect map and a map by hand")
def test_trustworthiness_of_maps_scored_by_hand(student):
    positions = np.array([0.0, 1.0, 2.5, 4.5, 7.0, 10.0])  # gaps 1, 1.5, 2, 2.5, 3: no point's distances tie
    x = np.stack([positions, np.zeros(6)], axis=1)
    expect_close(_trust(student, "trustworthiness", x, 2.0 * x, 2, "trustworthiness(x, 2 x, 2)"), 1.0,
                 "trustworthiness of a map that keeps every neighbour (6 points on a line, doubled): 1.0",
                 atol=1e-12)
    swapped = x[[1, 0, 2, 3, 4, 5]]  # the first two points change places on the map
    # k = 2: on the map, point 2 (at 2.5) has neighbours 0 (now at 1) and 3; in x, 0 is its 3rd nearest
    # (after 1 and 3), a penalty of 3 - 2 = 1. No other point gains a stranger, so
    # T = 1 - 2 / (6 * 2 * (12 - 6 - 1)) * 1 = 1 - 1 / 30.
    expect_close(_trust(student, "trustworthiness", x, swapped, 2, "trustworthiness(x, swapped, 2)"), 1.0 - 1.0 / 30,
                 "trustworthiness at k = 2 of 6 points on a line whose first two swap places on the map: one "
                 "neighbour brought in at rank 3, a penalty of 1, so 1 - 2 / (6 * 2 * 5)", atol=1e-12,
                 hints=_trust_hints(x, swapped, 2))


@graded("trustworthiness", points=1, depends=("knn_indices",))
@learner_errors_fail("trustworthiness(x_high, x_low, k) for 200 digits and their PCA map")
def test_trustworthiness_of_the_pca_map_of_digits(student):
    x, pca = _digits()
    expect_close(_trust(student, "trustworthiness", x, pca, 10, "trustworthiness(x, PCA(2) of x, 10)"),
                 sk_trustworthiness(x, pca, n_neighbors=10), "trustworthiness at k = 10 of the PCA map of 200 "
                 "digits: scikit-learn's", rtol=1e-10, hints=_trust_hints(x, pca, 10))


def _tied_trustworthiness(x_high, x_low, k) -> float:
    """Oracle for data with tied distances: the formula over ranks in which ties go to the lower
    index (scikit-learn's argsort may order equals either way)."""
    n = len(x_high)
    rank = np.empty((n, n))
    rank[np.arange(n)[:, None], _oracle_knn(x_high, n - 1)] = np.arange(1, n)
    penalty = np.clip(rank[np.arange(n)[:, None], _oracle_knn(x_low, k)] - k, 0, None).sum()
    return 1.0 - _penalty_scale(n, k) * penalty


@graded("trustworthiness", points=1, hidden=True, depends=("knn_indices",))
@learner_errors_fail("trustworthiness(x_high, x_low, k) for points whose distances tie")
def test_trustworthiness_breaks_ties_by_index(student):
    x = _line(20)
    perm = np.random.default_rng(34).permutation(20)
    for name, x_high, x_low in (("points on a line, shuffled on the map", x, x[perm]),
                                ("a map that is a line, of shuffled points", x[perm], x),
                                ("points with a copy", np.concatenate([x, x[[5]]]), np.concatenate([x[perm], x[[9]]]))):
        expect_close(_trust(student, "trustworthiness", x_high, x_low, 3, f"trustworthiness for {name}"),
                     _tied_trustworthiness(x_high, x_low, 3), f"trustworthiness at k = 3 for {name}, whose distances "
                     "tie: ranks with ties to the lower index", rtol=1e-10, hints=[
                         (lambda g, w: True, "Ties in distance go to the lower index, in the ranks and in the "
                          "map's neighbours alike; a point is left out by its index, even when a copy of it sits "
                          "at distance 0.")])


@graded("trustworthiness", points=1, hidden=True, depends=("knn_indices",))
@learner_errors_fail("trustworthiness(x_high, x_low, k) for k at the limit n / 2")
def test_trustworthiness_refuses_large_k(student):
    x = np.random.default_rng(31).normal(size=(10, 3))
    for k in (0, 5, 7):
        expect_error("ValueError", f"trustworthiness(x, y, {k}) for 10 points: k must be at least 1 and below "
                     "n / 2 = 5", student.call, "trustworthiness", x, x[:, :2], k)
    x11 = np.random.default_rng(33).normal(size=(11, 3))
    expect_close(_trust(student, "trustworthiness", x11, x11[:, :2], 5, "trustworthiness(x, y, 5) for 11 points"),
                 sk_trustworthiness(x11, x11[:, :2], n_neighbors=5), "trustworthiness at k = 5 for 11 points "
                 "(5 < 11 / 2, so allowed): scikit-learn's", rtol=1e-10, hints=_trust_hints(x11, x11[:, :2], 5))


@graded("trustworthiness", points=1, hidden=True, depends=("knn_indices",))
@learner_errors_fail("trustworthiness(x_high, x_low, k) for float32 points, and its inputs")
def test_trustworthiness_in_float32_leaves_its_inputs(student):
    rng = np.random.default_rng(32)
    x_high = rng.normal(size=(40, 5)).astype(np.float32)
    x_low = (x_high[:, :2] + 0.4 * rng.normal(size=(40, 2))).astype(np.float32)
    got = _float(call_unchanged(student, "trustworthiness", "trustworthiness(x_high, x_low, 6)", x_high, x_low, 6),
                 "trustworthiness(x_high, x_low, 6) for float32 points")
    want = sk_trustworthiness(x_high.astype(np.float64), x_low.astype(np.float64), n_neighbors=6)
    expect_close(got, want, "trustworthiness at k = 6 of float32 points: scikit-learn's, in float64", rtol=1e-10)


@graded("continuity", points=2, depends=("trustworthiness", "knn_indices"))
@learner_errors_fail("continuity(x_high, x_low, k) for maps where it differs from trustworthiness")
def test_continuity_is_trustworthiness_swapped(student):
    x, pca = _digits()
    rng = np.random.default_rng(40)
    folded = np.abs(x[:, :2] - 0.5) + 0.01 * rng.normal(size=(200, 2))  # folds the pixel plane: tears apart
    for name, x_low in (("the PCA map", pca), ("a folded map", folded)):
        for k in (3, 10):
            want = sk_trustworthiness(x_low, x, n_neighbors=k)
            expect_close(_trust(student, "continuity", x, x_low, k, f"continuity(x, {name}, {k})"), want,
                         f"continuity at k = {k} of {name} of 200 digits: scikit-learn's trustworthiness with the "
                         "two spaces swapped", rtol=1e-10, hints=[
                             (lambda g, w, m=x_low, k=k: near(g, sk_trustworthiness(x, m, n_neighbors=k)), "Yours is "
                              "trustworthiness: continuity penalises the true neighbours the map pushes out, "
                              "by their rank on the map.")])


@graded("continuity", points=1, hidden=True, depends=("trustworthiness", "knn_indices"))
@learner_errors_fail("continuity(x_high, x_low, k) for a perfect map and for k too large")
def test_continuity_of_a_perfect_map_and_its_limits(student):
    x = np.random.default_rng(41).normal(size=(12, 3))
    expect_close(_trust(student, "continuity", x, -x, 3, "continuity(x, -x, 3)"), 1.0, "continuity of a map that "
                 "keeps every distance (x mirrored): 1.0", atol=1e-12)
    expect_error("ValueError", "continuity(x, y, 6) for 12 points: k must be below n / 2 = 6", student.call,
                 "continuity", x, x[:, :2], 6)


# tsne_affinities


def _oracle_p(x, perplexity) -> np.ndarray:
    """scikit-learn's exact-method affinities, as a square matrix."""
    return squareform(_joint_probabilities(squareform(pdist(x, "sqeuclidean")), perplexity, 0))


def _affinities(student, x, perplexity, what: str) -> np.ndarray:
    got = expect_array(student.call("tsne_affinities", x, perplexity), what, shape=(len(x), len(x)),
                       dtype=np.float64)
    if not np.isfinite(got).all():
        raise AssertionError(f"{what}: expected finite affinities, got NaN or inf. Subtract each row's smallest "
                             "squared distance before exp (it leaves the normalised row unchanged), so that far "
                             "points cannot underflow every weight to 0.")
    return got


def _p_hints(x, perplexity):
    n = len(x)
    return [(lambda g, w: near(g.sum(), 2.0), "Yours sums to 2: divide P_cond + P_cond^T by 2n, not by n."),
            (lambda g, w: near(g.sum(), float(n)), "Yours sums to n: the conditional rows each sum to 1, and "
             "P = (P_cond + P_cond^T) / (2n)."),
            (lambda g, w: not np.allclose(g, g.T, rtol=1e-9, atol=1e-15), "Yours is not symmetric: symmetrise the "
             "conditional distributions, (P_cond + P_cond^T) / (2n)."),
            (lambda g, w: near(g, _oracle_p(x, perplexity ** np.log2(np.e)), rtol=1e-3), "Yours matches a "
             "perplexity of perplexity ** 1.44: is the target entropy log2(perplexity) while the entropy is in "
             "nats? Both must be in nats (natural logs)."),
            (lambda g, w: near(g, _oracle_p(x, perplexity ** np.log(2.0)), rtol=1e-3), "Yours matches a "
             "perplexity of perplexity ** 0.69: is the entropy in bits (log2) while its target is "
             "log(perplexity) in nats? Both must be in nats."),
            (lambda g, w: near(g, _sqrt_p(x, perplexity), rtol=1e-3), "Yours is a Gaussian of the distance; "
             "t-SNE's is a Gaussian of the squared distance.")]


def _sqrt_p(x, perplexity) -> np.ndarray:
    """Affinities from a Gaussian of the distance (a slip): the oracle fed distances as if squared."""
    return squareform(_joint_probabilities(squareform(pdist(x)), perplexity, 0))


def _row_entropies(p_cond) -> np.ndarray:
    """The entropy in nats of each row of a matrix of conditional distributions."""
    safe = np.where(p_cond > 0, p_cond, 1.0)
    return -(p_cond * np.log(safe)).sum(axis=1)


@graded("tsne_affinities", points=2)
@learner_errors_fail("tsne_affinities(x, perplexity) for 50 points")
def test_affinities_match_sklearn(student):
    x = np.random.default_rng(50).normal(size=(50, 5)) * np.array([1.0, 1.0, 2.0, 0.5, 3.0])
    for perplexity in (5.0, 20.0):
        got = _affinities(student, x, perplexity, f"tsne_affinities(x, {perplexity}) for x (50, 5)")
        want = _oracle_p(x, perplexity)
        expect_close(got, want, f"tsne_affinities(x, {perplexity}) for 50 points: scikit-learn's t-SNE affinities "
                     "(exact method)", rtol=1e-3, atol=1e-4 * want.max(), hints=_p_hints(x, perplexity))


@graded("tsne_affinities", points=2)
@learner_errors_fail("tsne_affinities(x, perplexity): symmetry, diagonal and total")
def test_affinities_form_a_joint_distribution(student):
    x = np.random.default_rng(51).normal(size=(30, 3))
    got = _affinities(student, x, 8.0, "tsne_affinities(x, 8.0) for x (30, 3)")
    hints = _p_hints(x, 8.0)
    expect_close(got.sum(), 1.0, "the affinities are a joint distribution over pairs: their sum is 1", rtol=1e-9,
                 hints=hints[:2])
    expect_close(np.diag(got), np.zeros(30), "no point is its own neighbour: the diagonal of P is 0", atol=0)
    expect_close(got, got.T, "P is symmetric, p_ij = p_ji", rtol=1e-9, atol=1e-15, hints=hints[2:3])
    if (got < 0).any():
        raise AssertionError(f"affinities are probabilities: expected no negative entry, got {got.min():.3g}")


@graded("tsne_affinities", points=2)
@learner_errors_fail("tsne_affinities(x, perplexity) for the corners of a regular polygon")
def test_each_row_has_the_perplexity_asked_for(student):
    n = 16  # every corner sees the others alike, so each conditional row is n P's row
    angles = 2 * np.pi * np.arange(n) / n
    x = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for perplexity in (3.0, 9.0):
        got = _affinities(student, x, perplexity, f"tsne_affinities(x, {perplexity}) for the 16 corners of a "
                          "regular polygon")
        entropy = _row_entropies(n * got)
        expect_close(entropy, np.full(n, np.log(perplexity)), f"perplexity {perplexity}: on a regular polygon each "
                     "point's conditional distribution is n times its row of P, and its entropy in nats must be "
                     f"log({perplexity}) = {np.log(perplexity):.4f}", atol=1e-4,
                     hints=[(lambda g, w, pp=perplexity: near(g, np.log2(pp) * np.ones(n), rtol=1e-3), "Yours has entropy "
                             "log2(perplexity) in nats: the target entropy is in nats, log(perplexity)."),
                            (lambda g, w, pp=perplexity: near(g, np.log(pp) * np.log(2.0), rtol=1e-3), "Your entropy is in "
                             "bits while its target is in nats: use natural logs for both."),
                            (lambda g, w: np.abs(g - w).max() < 1e-2, "Yours is close but not within 1e-4: does "
                             "the binary search go on until the entropy is within 1e-5 of log(perplexity)?"),
                            (lambda g, w: near(g, np.log(n - 1.0), rtol=1e-3), "Yours is uniform over the other "
                             "points: does the binary search ever change the precision?")])


@graded("tsne_affinities", points=1)
@learner_errors_fail("tsne_affinities(x, perplexity) with a Gaussian of the squared distance")
def test_affinities_use_squared_distances(student):
    rng = np.random.default_rng(52)
    x = np.concatenate([rng.normal(size=(15, 2)), rng.normal(size=(15, 2)) + 6.0])
    got = _affinities(student, x, 6.0, "tsne_affinities(x, 6.0) for two clusters of 15 points")
    want = _oracle_p(x, 6.0)
    expect_close(got, want, "tsne_affinities(x, 6.0) for two clusters: scikit-learn's, a Gaussian of the squared "
                 "distance", rtol=1e-3, atol=1e-4 * want.max(), hints=_p_hints(x, 6.0)[-1:] + _p_hints(x, 6.0))


@graded("tsne_affinities", points=1, hidden=True)
@learner_errors_fail("tsne_affinities(x, perplexity) for points far apart")
def test_affinities_of_far_points_do_not_underflow(student):
    x = np.random.default_rng(53).normal(size=(25, 4)) * 1000.0  # squared distances of millions
    got = _affinities(student, x, 5.0, "tsne_affinities(x, 5.0) for 25 points thousands apart")
    want = _oracle_p(x, 5.0)
    expect_close(got, want, "tsne_affinities for points thousands apart: scikit-learn's (no NaN, no row of zeros)",
                 rtol=1e-3, atol=1e-4 * want.max(), hints=_p_hints(x, 5.0))
    x = np.concatenate([np.random.default_rng(55).normal(size=(24, 4)), [[3000.0, 0.0, 0.0, 0.0]]])
    got = _affinities(student, x, 5.0, "tsne_affinities(x, 5.0) for 24 points and one 3,000 away")
    # Nobody else gives the outlier any weight, so 2n times its row of P is its own conditional row.
    entropy = _row_entropies(2 * len(x) * got[-1:])[0]
    expect_close(entropy, np.log(5.0), "the outlier's conditional distribution has perplexity 5 too: the entropy "
                 "of 2n times its row of P is log(5) nats", atol=1e-3, hints=[
                     (lambda g, w: g < w, "The outlier's distribution is too narrow: exp(-beta d^2) underflows to 0 "
                      "for all but its nearest points. Subtract the row's smallest squared distance before exp; "
                      "it leaves the normalised row unchanged.")])


@graded("tsne_affinities", points=1, hidden=True)
@learner_errors_fail("tsne_affinities(x, perplexity) for perplexities out of range, float32 digits")
def test_affinities_edges_and_digits(student):
    x = np.random.default_rng(54).normal(size=(8, 3))
    for perplexity in (0.5, 7.5, 8.0):
        expect_error("ValueError", f"tsne_affinities(x, {perplexity}) for 8 points: the perplexity must be between "
                     "1 and n - 1 = 7", student.call, "tsne_affinities", x, perplexity)
    x = np.array(_digits(60)[0], dtype=np.float32)
    got = expect_array(call_unchanged(student, "tsne_affinities", "tsne_affinities(x, 10.0)", x, 10.0),
                       "tsne_affinities(x, 10.0) for 60 float32 digits", shape=(60, 60), dtype=np.float64)
    want = _oracle_p(x.astype(np.float64), 10.0)
    expect_close(got, want, "tsne_affinities(x, 10.0) for 60 float32 digits: scikit-learn's", rtol=1e-3,
                 atol=1e-4 * want.max(), hints=_p_hints(x.astype(np.float64), 10.0))


# tsne_kl_gradient


def _torch_kl(p, y) -> tuple[float, np.ndarray]:
    """Oracle: KL(P || Q) with Q's Student-t kernel, and its gradient by torch's autograd."""
    yt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    pt = torch.tensor(p, dtype=torch.float64)
    kernel = 1.0 / (1.0 + ((yt[:, None, :] - yt[None, :, :]) ** 2).sum(dim=2))
    kernel = kernel * (1.0 - torch.eye(len(y), dtype=torch.float64))
    q = kernel / kernel.sum()
    mask = pt > 0
    kl = (pt[mask] * torch.log(pt[mask] / q[mask])).sum()
    kl.backward()
    return kl.item(), yt.grad.numpy().copy()


def _kl_hints(p, y):
    kl, grad = _torch_kl(p, y)
    d2 = squareform(pdist(y, "sqeuclidean"))
    gauss = np.exp(-d2)
    np.fill_diagonal(gauss, 0.0)
    q_gauss = gauss / gauss.sum()
    mask = p > 0
    kl_gauss = float(np.sum(p[mask] * np.log(p[mask] / q_gauss[mask])))
    kernel = 1.0 / (1.0 + d2)  # the diagonal left in: q_ii = 1 / sum
    q_diag = kernel / kernel.sum()
    kl_diag = float(np.sum(p[mask] * np.log(p[mask] / q_diag[mask])))
    return {"kl": [(lambda g, w: near(g, kl_gauss), "Yours uses a Gaussian kernel on the map: t-SNE's Q is a "
                    "Student-t kernel, (1 + |y_i - y_j|^2)^-1."),
                   (lambda g, w: near(g, kl_diag), "Your Q counts the pairs i = i: q_ii = 0, and Q is normalised "
                    "over the pairs i != j."),
                   (lambda g, w: near(g, -w), "Yours has the wrong sign: KL(P || Q) = sum p log(p / q).")],
            "grad": [(lambda g, w: near(g, grad / 4.0), "Yours is a quarter of the gradient: the factor 4 is "
                      "missing."),
                     (lambda g, w: near(g, grad / 2.0), "Yours is half the gradient: the factor is 4."),
                     (lambda g, w: near(g, -grad), "Yours points uphill: the sign is reversed.")]}


def _kl_grad(student, p, y, what: str):
    kl, grad = expect_tuple(student.call("tsne_kl_gradient", p, y), what, 2, ("kl", "grad"))
    return (_float(kl, f"kl of {what}"),
            expect_array(grad, f"grad of {what}", shape=y.shape, dtype=np.float64))


def _random_p(n, seed) -> np.ndarray:
    return _oracle_p(np.random.default_rng(seed).normal(size=(n, 4)), 5.0)


@graded("tsne_kl_gradient", points=2)
@learner_errors_fail("tsne_kl_gradient(p, y) for 20 points on a random map")
def test_kl_and_gradient_match_autograd(student):
    p = _random_p(20, 60)
    y = np.random.default_rng(61).normal(size=(20, 2))
    kl, grad = _kl_grad(student, p, y, "tsne_kl_gradient(p, y) for p (20, 20) and y (20, 2)")
    want_kl, want_grad = _torch_kl(p, y)
    hints = _kl_hints(p, y)
    expect_close(kl, want_kl, "kl of tsne_kl_gradient: KL(P || Q) in nats with Q's Student-t kernel (torch)",
                 rtol=1e-6, hints=hints["kl"])
    expect_close(grad, want_grad, "grad of tsne_kl_gradient: the gradient of KL(P || Q) with respect to y, by "
                 "torch's autograd", rtol=1e-7, atol=1e-10, hints=hints["grad"])


@graded("tsne_kl_gradient", points=2)
@learner_errors_fail("tsne_kl_gradient(p, y) for affinities with zeros, in 3 dimensions")
def test_kl_and_gradient_match_sklearn(student):
    rng = np.random.default_rng(62)
    p = _random_p(15, 63)
    cut = np.triu(rng.uniform(size=(15, 15)) < 0.3, 1)
    p[cut | cut.T] = 0.0  # some pairs carry no affinity at all
    p /= p.sum()
    y = rng.normal(size=(15, 3)) * 2.0
    kl, grad = _kl_grad(student, p, y, "tsne_kl_gradient(p, y) for p (15, 15) with zeros and y (15, 3)")
    want_kl, want_grad = _kl_divergence(y.ravel().copy(), squareform(p, checks=False), 1, 15, 3)
    hints = _kl_hints(p, y)
    expect_close(kl, want_kl, "kl for affinities where some p_ij = 0 (those pairs add nothing): scikit-learn's "
                 "t-SNE objective", rtol=1e-6, hints=hints["kl"] + [(lambda g, w: np.isnan(g), "0 log 0 gives "
                                                                      "NaN: leave the pairs with p_ij = 0 out.")])
    expect_close(grad, want_grad.reshape(15, 3), "grad for a map in 3 dimensions: scikit-learn's t-SNE gradient",
                 rtol=1e-7, atol=1e-10, hints=hints["grad"])


@graded("tsne_kl_gradient", points=1)
@learner_errors_fail("tsne_kl_gradient(p, y) for a map that already fits")
def test_a_map_that_fits_has_zero_kl_and_gradient(student):
    y = np.random.default_rng(64).normal(size=(12, 2))
    kernel = 1.0 / (1.0 + squareform(pdist(y, "sqeuclidean")))
    np.fill_diagonal(kernel, 0.0)
    p = kernel / kernel.sum()  # P equal to the map's own Q
    kl, grad = _kl_grad(student, p, y, "tsne_kl_gradient(p, y) for p equal to the map's own Q")
    hints = _kl_hints(p, y)
    expect_close(kl, 0.0, "kl of a map whose Q equals P: 0", atol=1e-12, hints=hints["kl"])
    expect_close(grad, np.zeros_like(y), "grad of a map whose Q equals P: 0 for every point", atol=1e-12)


@graded("tsne_kl_gradient", points=1, hidden=True)
@learner_errors_fail("tsne_kl_gradient(p, y): the gradient of a whole map sums to zero")
def test_gradient_sums_to_zero_and_leaves_its_inputs(student):
    p = _random_p(25, 65)
    y = np.random.default_rng(66).normal(size=(25, 2)) * 5.0
    kl, grad = _kl_grad(student, p, y, "tsne_kl_gradient(p, y) for p (25, 25) and y (25, 2)")
    expect_close(grad.sum(axis=0), np.zeros(2), "moving every point by the same amount changes nothing, so the "
                 "gradient summed over the points is 0", atol=1e-12)
    call_unchanged(student, "tsne_kl_gradient", "tsne_kl_gradient(p, y)", p, y)
    expect_close(grad, _torch_kl(p, y)[1], "grad for a map spread over tens of units: torch's autograd",
                 rtol=1e-7, atol=1e-12, hints=_kl_hints(p, y)["grad"])


@graded("tsne_kl_gradient", points=1, hidden=True)
@learner_errors_fail("tsne_kl_gradient(p, y) for float32 inputs")
def test_kl_gradient_in_float32(student):
    p = _random_p(18, 67).astype(np.float32)
    y = np.random.default_rng(68).normal(size=(18, 2)).astype(np.float32)
    kl, grad = _kl_grad(student, p, y, "tsne_kl_gradient(p, y) for float32 p and y")
    want_kl, want_grad = _torch_kl(p.astype(np.float64), y.astype(np.float64))
    expect_close(kl, want_kl, "kl for float32 inputs: computed in float64", rtol=1e-6, hints=_kl_hints(p.astype(np.float64), y.astype(np.float64))["kl"])
    expect_close(grad, want_grad, "grad for float32 inputs: computed in float64", rtol=1e-6, atol=1e-9,
                 hints=_kl_hints(p.astype(np.float64), y.astype(np.float64))["grad"])


# shepard_correlation


def _shepard(student, x_high, x_low, what: str) -> float:
    return _float(student.call("shepard_correlation", x_high, x_low), what)


def _shepard_hints(x_high, x_low):
    a, b = pdist(x_high), pdist(x_low)
    full = spearmanr(squareform(pdist(x_high)).ravel(), squareform(pdist(x_low)).ravel()).statistic
    ordinal = np.corrcoef(np.argsort(np.argsort(a, kind="stable")), np.argsort(np.argsort(b, kind="stable")))[0, 1]
    return [(lambda g, w: near(g, pearsonr(a, b).statistic), "Yours is Pearson's correlation of the distances: "
             "Spearman's correlates their ranks."),
            (lambda g, w: near(g, full), "Yours counts every pair twice and each point with itself (the full "
             "matrix): each pair i < j once."),
            (lambda g, w: near(g, ordinal), "Yours ranks equal distances one after another: they share the mean of "
             "their ranks.")]


@graded("shepard_correlation", points=1)
@learner_errors_fail("shepard_correlation(x_high, x_low) for a map of 30 points")
def test_shepard_matches_scipy(student):
    rng = np.random.default_rng(70)
    x_high = rng.normal(size=(30, 6))
    x_low = x_high[:, :2] + 0.5 * rng.normal(size=(30, 2))
    expect_close(_shepard(student, x_high, x_low, "shepard_correlation(x_high, x_low)"),
                 spearmanr(pdist(x_high), pdist(x_low)).statistic, "shepard_correlation for 30 points: scipy's "
                 "spearmanr of the 435 pairwise distances", rtol=1e-10, hints=_shepard_hints(x_high, x_low))


@graded("shepard_correlation", points=1)
@learner_errors_fail("shepard_correlation(x_high, x_low) for maps that keep or bend the scale")
def test_shepard_of_maps_that_keep_or_bend_the_scale(student):
    rng = np.random.default_rng(71)
    x = rng.normal(size=(15, 3))
    rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    expect_close(_shepard(student, x, 0.2 * x @ rotation, "shepard_correlation(x, a rotated, shrunk x)"), 1.0,
                 "shepard_correlation of a map that rotates and shrinks: it keeps the order of every distance, "
                 "so 1.0", atol=1e-12, hints=_shepard_hints(x, x @ rotation))
    line = np.sort(rng.uniform(0.0, 4.0, size=12))
    x_high, x_low = np.stack([line, np.zeros(12)], axis=1), np.stack([line**3, np.zeros(12)], axis=1)
    expect_close(_shepard(student, x_high, x_low, "shepard_correlation(points on a line, their cubes)"),
                 spearmanr(pdist(x_high), pdist(x_low)).statistic, "shepard_correlation of a map that cubes points "
                 "on a line, bending the scale: scipy's spearmanr of the distances", rtol=1e-10,
                 hints=_shepard_hints(x_high, x_low))


@graded("shepard_correlation", points=1, hidden=True)
@learner_errors_fail("shepard_correlation(x_high, x_low) for points whose distances tie")
def test_tied_distances_share_their_ranks(student):
    grid = np.array([(i, j) for i in range(4) for j in range(4)], dtype=np.float64)  # many equal distances
    x_low = grid + np.random.default_rng(72).normal(scale=0.3, size=grid.shape)
    expect_close(_shepard(student, grid, x_low, "shepard_correlation(a 4 x 4 grid, a jittered copy)"),
                 spearmanr(pdist(grid), pdist(x_low)).statistic, "shepard_correlation of a grid, whose distances "
                 "tie: scipy's spearmanr, equal distances sharing their mean rank", rtol=1e-10,
                 hints=_shepard_hints(grid, x_low))
