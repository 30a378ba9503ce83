"""Reference versions of assignment a05_visualisation: nearest neighbours, the neighbour recall
between two spaces, trustworthiness and continuity, t-SNE's joint affinities and its KL
divergence with the gradient, and the Shepard rank correlation of pairwise distances.

Every function takes numpy arrays of points, one per row, and works in float64 with Euclidean
distances, so the book's pages can score any map of any space with them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import rankdata

PERPLEXITY_TOL = 1e-5  # nats: the binary search stops when a row's entropy is this close
PERPLEXITY_STEPS = 100


def _sq_distances(x) -> np.ndarray:
    """The (n, n) matrix of squared Euclidean distances, in float64."""
    x = np.asarray(x, dtype=np.float64)
    return squareform(pdist(x, "sqeuclidean"))


def _ranked(x) -> np.ndarray:
    """(n, n - 1) int64: every other point, nearest first, ties to the lower index."""
    d = _sq_distances(x)
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1, kind="stable")[:, :-1].astype(np.int64)


def knn_indices(x, k):
    """The k nearest neighbours of each point of x (n, D), itself excluded: (n, k) int64, nearest
    first, ties to the lower index. Raises ValueError unless 1 <= k <= n - 1."""
    n = len(x)
    if not 1 <= k <= n - 1:
        raise ValueError(f"knn_indices: k must be between 1 and n - 1 = {n - 1}, got {k}")
    return _ranked(x)[:, :k]


def neighbour_recall(x_high, x_low, k):
    """The mean, over points, of the fraction of each point's k nearest neighbours in x_high
    (n, D) that are also among its k nearest in x_low (n, d): a float in [0, 1]. Raises
    ValueError if the two spaces hold different numbers of points."""
    if len(x_high) != len(x_low):
        raise ValueError(f"neighbour_recall: x_high has {len(x_high)} points and x_low {len(x_low)}")
    high, low = knn_indices(x_high, k), knn_indices(x_low, k)
    shared = [len(np.intersect1d(a, b)) for a, b in zip(high, low, strict=True)]
    return float(np.mean(shared) / k)


def trustworthiness(x_high, x_low, k):
    """Venna and Kaski's trustworthiness of the map x_high (n, D) -> x_low (n, d) at k: one
    minus the normalised sum, over each point's k nearest neighbours in x_low that are not among
    its k nearest in x_high, of their rank in x_high minus k. A float in [0, 1]; raises
    ValueError unless 1 <= k < n / 2."""
    n = len(x_high)
    if not 1 <= k < n / 2:
        raise ValueError(f"trustworthiness: k must be at least 1 and below n / 2 = {n / 2}, got {k}")
    order = _ranked(x_high)
    rank = np.empty((n, n), dtype=np.int64)
    rank[np.arange(n)[:, None], order] = np.arange(1, n)  # rank[i, j]: j's rank among i's neighbours
    low = knn_indices(x_low, k)
    r = rank[np.arange(n)[:, None], low]
    penalty = np.clip(r - k, 0, None).sum()
    return float(1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty)


def continuity(x_high, x_low, k):
    """Continuity at k: trustworthiness with the two spaces swapped, so that it penalises the
    true neighbours a map tears away. A float in [0, 1]."""
    return trustworthiness(x_low, x_high, k)


def _row_affinities(sq_row, beta):
    """exp(-beta * d^2) normalised over the row, and its entropy in nats (the row excludes i)."""
    shifted = sq_row - sq_row.min()  # the same row after normalising, without underflow
    w = np.exp(-beta * shifted)
    p = w / w.sum()
    entropy = -float(np.sum(p[p > 0] * np.log(p[p > 0])))
    return p, entropy


def tsne_affinities(x, perplexity):
    """t-SNE's joint affinities of the points x (n, D): (n, n) float64, symmetric, zero on the
    diagonal, summing to 1. Row i's conditional distribution is a Gaussian of the squared
    distances whose precision is found by a binary search so that its entropy is log(perplexity)
    nats; P = (P_cond + P_cond^T) / (2n). Raises ValueError unless 1 <= perplexity <= n - 1."""
    n = len(x)
    if not 1 <= perplexity <= n - 1:
        raise ValueError(f"tsne_affinities: perplexity must be between 1 and n - 1 = {n - 1}, got {perplexity}")
    sq = _sq_distances(x)
    target = math.log(perplexity)
    cond = np.zeros((n, n))
    for i in range(n):
        row = np.delete(sq[i], i)
        lo, hi, beta = 0.0, math.inf, 1.0
        for _ in range(PERPLEXITY_STEPS):
            p, entropy = _row_affinities(row, beta)
            if abs(entropy - target) < PERPLEXITY_TOL:
                break
            if entropy > target:  # too flat: sharpen
                lo = beta
                beta = beta * 2.0 if hi == math.inf else (beta + hi) / 2.0
            else:
                hi = beta
                beta = (beta + lo) / 2.0
        cond[i, np.arange(n) != i] = p
    return (cond + cond.T) / (2.0 * n)


def tsne_kl_gradient(p, y):
    """t-SNE's objective for joint affinities p (n, n) and an embedding y (n, d): (kl, grad),
    the KL divergence KL(P || Q) in nats as a float (pairs with p = 0 add nothing) and its
    gradient with respect to y, (n, d) float64. Q is the Student-t kernel (1 + |y_i - y_j|^2)^-1
    over all pairs i != j, normalised to sum to 1."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    kernel = 1.0 / (1.0 + _sq_distances(y))
    np.fill_diagonal(kernel, 0.0)
    q = kernel / kernel.sum()
    mask = p > 0
    kl = float(np.sum(p[mask] * np.log(p[mask] / q[mask])))
    weights = (p - q) * kernel  # (n, n)
    grad = 4.0 * (weights.sum(axis=1)[:, None] * y - weights @ y)
    return kl, grad


def shepard_correlation(x_high, x_low):
    """Spearman's rank correlation between the pairwise distances of x_high (n, D) and those of
    x_low (n, d), each pair i < j counted once: a float in [-1, 1]. Tied distances share their
    mean rank."""
    a = rankdata(pdist(np.asarray(x_high, dtype=np.float64)))
    b = rankdata(pdist(np.asarray(x_low, dtype=np.float64)))
    return float(np.corrcoef(a, b)[0, 1])
