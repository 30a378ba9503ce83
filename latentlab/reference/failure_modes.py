"""Reference versions of assignment a07_failure_modes: anisotropy, all-but-the-top, whitening,
k-occurrence and hubness, CSLS, WEAT with its permutation test, and Spearman evaluation on
word-pair similarity data.

The contracts are the exercises' own; the book's pages call these functions and never print them.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.stats import skew, spearmanr


def _unit(x):
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm == 0, 1.0, norm)


def anisotropy(x):
    """Mean cosine over the n (n - 1) ordered pairs of distinct rows of x (n, d), n >= 2: a float."""
    u = _unit(x)
    n = len(u)
    if n < 2:
        raise ValueError(f"anisotropy needs at least 2 rows, got {n}")
    total = u.sum(axis=0)
    return float((total @ total - (u * u).sum()) / (n * (n - 1)))


def all_but_the_top(x, d):
    """x (n, D) minus its mean, then minus its projection on the top d principal directions of
    the centred rows (Mu & Viswanath 2018): (n, D) float64."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0)
    if d == 0:
        return centred
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    top = vt[:d]  # (d, D)
    return centred - centred @ top.T @ top


def whiten(x):
    """(x - mean) W with W = U diag(1 / sqrt(lambda)) from the eigendecomposition of the sample
    covariance (n - 1): (n, D) float64 whose sample covariance is the identity (Su et al. 2021)."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0)
    lam, u = np.linalg.eigh(np.cov(centred, rowvar=False))
    return centred @ (u / np.sqrt(lam))


def k_occurrence(x, k):
    """How often each row of x (n, d) is among the k nearest others (by cosine) of the other rows,
    (n,) int64; ties go to the lower index."""
    u = _unit(x)
    cos = u @ u.T
    np.fill_diagonal(cos, -np.inf)
    nearest = np.argsort(-cos, axis=1, kind="stable")[:, :k]  # (n, k)
    return np.bincount(nearest.ravel(), minlength=len(u)).astype(np.int64)


def hubness(counts):
    """Skewness of k-occurrence counts: the third standardised moment (scipy's skew, bias=True);
    0.0 for counts that are all equal."""
    c = np.asarray(counts, dtype=np.float64)
    return 0.0 if np.all(c == c[0]) else float(skew(c, bias=True))


def csls(x, y, k, same=False):
    """CSLS (Conneau et al. 2018) between the rows of x (n, d) and y (m, d): (n, m) float64,
    2 cos(x_i, y_j) - r_y(x_i) - r_x(y_j), r_y(x_i) the mean cosine of x_i's k nearest rows of y.
    With same=True (x and y are one set) a row is not its own neighbour."""
    ux, uy = _unit(x), _unit(y)
    cos = ux @ uy.T  # (n, m)
    pick = cos.copy()
    if same:
        np.fill_diagonal(pick, -np.inf)
    r_x = np.sort(pick, axis=1)[:, ::-1][:, :k].mean(axis=1)  # (n,): each x_i's neighbourhood in y
    r_y = np.sort(pick, axis=0)[::-1][:k].mean(axis=0)  # (m,): each y_j's neighbourhood in x
    return 2 * cos - r_x[:, None] - r_y[None, :]


def _association(w, a, b):
    """s(w, A, B) for every row w: mean cosine with A minus mean cosine with B, (len(w),)."""
    return (_unit(w) @ _unit(a).T).mean(axis=1) - (_unit(w) @ _unit(b).T).mean(axis=1)


def weat(x, y, a, b, n_permutations=10_000, seed=0):
    """WEAT (Caliskan et al. 2017) of target sets x, y against attribute sets a, b: (effect size,
    one-sided permutation p-value). Effect size: (mean s over x - mean s over y) / the sample
    standard deviation (ddof 1) of s over x and y together. p: the share of equal-size splits of
    x and y together whose statistic sum s(X_i) - sum s(Y_i) is at least the observed one; all
    splits when there are at most n_permutations of them, else n_permutations random ones."""
    sx, sy = _association(x, a, b), _association(y, a, b)
    both = np.concatenate([sx, sy])
    effect = float((sx.mean() - sy.mean()) / both.std(ddof=1))
    observed = sx.sum() - sy.sum()
    n, total = len(sx), both.sum()
    from math import comb

    if comb(len(both), n) <= n_permutations:
        stats = np.array([2 * both[list(idx)].sum() - total for idx in itertools.combinations(range(len(both)), n)])
    else:
        rng = np.random.default_rng(seed)
        stats = np.array([2 * both[rng.permutation(len(both))[:n]].sum() - total for _ in range(n_permutations)])
    return effect, float(np.mean(stats >= observed - 1e-12))


def word_pair_spearman(words, vectors, pairs):
    """Spearman correlation between the cosines of vectors (n, d) for the word pairs and their human
    scores, pairs (word1, word2, score) with a word missing from words skipped: (rho, share skipped)."""
    index = {w: i for i, w in enumerate(words)}
    u = _unit(vectors)
    kept = [(index[a], index[b], s) for a, b, s in pairs if a in index and b in index]
    if len(kept) < 2:
        raise ValueError(f"only {len(kept)} of the {len(pairs)} pairs have both words")
    cos = [float(u[i] @ u[j]) for i, j, _ in kept]
    return float(spearmanr(cos, [s for _, _, s in kept])[0]), 1 - len(kept) / len(pairs)
