"""Measurements shared by the book's pages, each computed by a library where one exists."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def reconstruction_error(x, x_hat):
    """Mean squared error per pixel between x and x_hat, both (n, d): a float."""
    return float(np.mean((np.asarray(x, dtype=np.float64) - x_hat) ** 2))


def pca_reconstruction(x_train, x, latent_dim):
    """x_hat (n, d): x projected on the top `latent_dim` principal components of x_train (scikit-learn)."""
    from sklearn.decomposition import PCA

    pca = PCA(latent_dim).fit(x_train)
    return pca.inverse_transform(pca.transform(x))


def distance_to_real(images, reference):
    """Mean over images (n, d) of the MSE per pixel to the nearest row of reference (m, d): a float."""
    from sklearn.neighbors import NearestNeighbors

    reference = np.asarray(reference, dtype=np.float64)
    dist, _ = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(
        np.asarray(images, dtype=np.float64))  # (n, 1) Euclidean distances
    return float(np.mean(dist[:, 0] ** 2) / reference.shape[1])


class Spread(NamedTuple):
    """One measurement repeated over seeds: `values` (n_seeds, ...) and their mean, min and max."""

    mean: float | np.ndarray
    min: float | np.ndarray
    max: float | np.ndarray
    values: np.ndarray

    def range(self, spec=".3g", sep=" to "):
        """'min to max' (str), each number formatted by `spec`, or one number when both read the same."""
        low, high = f"{self.min:{spec}}", f"{self.max:{spec}}"
        return low if low == high else f"{low}{sep}{high}"

    def between(self, spec=".3g"):
        """'between min and max' (str), or the one number when both read the same in `spec`."""
        low, high = f"{self.min:{spec}}", f"{self.max:{spec}}"
        return low if low == high else f"between {low} and {high}"

    def text(self, spec=".3g"):
        """'mean (min–max)' (str), each number formatted by `spec`: a table cell."""
        return f"{self.mean:{spec}} ({self.min:{spec}}–{self.max:{spec}})"

    @property
    def errors(self):
        """Distances (2, ...) from the mean down to the min and up to the max: matplotlib's yerr."""
        return np.stack([np.asarray(self.mean) - self.min, np.asarray(self.max) - self.mean])


def spread(values):
    """Spread of `values` (n_seeds, ...) over their first axis; 0-d results become floats."""
    values = np.asarray(values, dtype=np.float64)

    def reduce(f):
        out = f(values, axis=0)
        return float(out) if out.ndim == 0 else out

    return Spread(reduce(np.mean), reduce(np.min), reduce(np.max), values)


def over_seeds(fn, seeds=(0, 1, 2), desc=None):
    """Run fn(seed) for each seed: a number or array result gives one Spread, a dict of them a
    dict of Spreads (key by key). With `desc`, a progress bar counts the seeds."""
    seeds = list(seeds)
    if desc is not None:
        from latentlab.plotting import progress

        seeds = progress(seeds, desc=desc)
    results = [fn(seed) for seed in seeds]
    if isinstance(results[0], dict):
        return {key: spread([result[key] for result in results]) for key in results[0]}
    return spread(results)


def digit_classifier(x, y):
    """Multinomial logistic regression (scikit-learn) fitted on images x (n, d) in [0, 1], labels y (n,)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=5000).fit(np.asarray(x, dtype=np.float64), np.asarray(y))


def classifier_scores(images, classifier):
    """How recognisable and how varied images (n, d) are, clipped to [0, 1] first: {"confidence":
    the classifier's mean top-class probability, "class_entropy": the entropy in nats of the
    frequencies of its predicted classes (log 10 = 2.30 when ten classes are equally frequent)}."""
    images = np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0)
    proba = classifier.predict_proba(images)  # (n, n_classes)
    freq = np.bincount(proba.argmax(axis=1), minlength=proba.shape[1]) / len(proba)  # (n_classes,)
    freq = freq[freq > 0]
    return {"confidence": float(proba.max(axis=1).mean()),
            "class_entropy": float(-(freq * np.log(freq)).sum()) + 0.0}  # + 0.0: never "-0.00"


def in_how_many(flags):
    """How many of the seeds' booleans `flags` hold, as a phrase: 'in every seed', 'in no seed'
    or 'in 2 of 3 seeds'."""
    flags = [bool(flag) for flag in flags]
    if all(flags):
        return "in every seed"
    if not any(flags):
        return "in no seed"
    return f"in {sum(flags)} of {len(flags)} seeds"


def midpoint_norm_ratio(d, n_pairs=2000, seed=0):
    """Mean over n_pairs seeded pairs z0, z1 ~ N(0, I_d) of the norm of their midpoint
    (z0 + z1) / 2 over the mean of their two norms: a float, close to sqrt(1/2) for large d."""
    rng = np.random.default_rng(seed)
    z0, z1 = rng.standard_normal((2, n_pairs, d))  # (n_pairs, d) each
    mid = np.linalg.norm((z0 + z1) / 2, axis=1)  # (n_pairs,)
    ends = (np.linalg.norm(z0, axis=1) + np.linalg.norm(z1, axis=1)) / 2
    return float(np.mean(mid / ends))
