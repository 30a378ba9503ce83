"""Two-dimensional maps of a space, PCA, t-SNE and UMAP, each seeded and run on one thread.

One thread because, on the few thousand points of the book, a second one saves little, and
because numba's thread pool (UMAP's) beside scikit-learn's OpenMP one slowed t-SNE down by up to
ten times on the course's busy 2-core machine. umap-learn compiles its numba functions in every
new process (about 10 s); `umap_map` asks numba to cache the ones a seeded Euclidean fit uses,
in NUMBA_CACHE_DIR (the Makefile sets it), so that only the first process pays.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np
from threadpoolctl import threadpool_limits

# The numba functions of umap-learn 0.5 that a seeded, Euclidean fit compiles; umap-learn does
# not cache them itself. The parallel twin of the layout function shares its Python function,
# so it is left uncached: a seeded fit never uses it.
_UMAP_COMPILED = {
    "umap.umap_": ("smooth_knn_dist", "compute_membership_strengths"),
    "umap.utils": ("fast_knn_indices", "tau_rand_int", "tau_rand"),
    "umap.layouts": ("clip", "_nb_optimize_layout_euclidean_single_epoch"),
    "umap.distances": ("euclidean",),
}


@functools.cache
def _umap_class():
    """umap.UMAP, with the numba functions it compiles cached across processes."""
    import umap
    from numba.core.dispatcher import Dispatcher

    for module, names in _UMAP_COMPILED.items():
        for name in names:
            function = getattr(importlib.import_module(module), name, None)
            if isinstance(function, Dispatcher):  # another umap-learn: no cache, same results
                function.enable_caching()
    return umap.UMAP


def pca_map(x, seed=0):
    """The projection (n, 2) float64 of x (n, D) on its top two principal components (scikit-learn)."""
    from sklearn.decomposition import PCA

    with threadpool_limits(limits=1):
        return PCA(2, random_state=seed).fit_transform(np.asarray(x, dtype=np.float64))


def tsne_map(x, seed=0, perplexity=30.0, init="pca", max_iter=500):
    """scikit-learn's Barnes-Hut t-SNE (n, 2) float64 of x (n, D), learning rate 'auto', one thread.

    `max_iter` counts the 250 steps of early exaggeration; `init` is "pca" or "random".
    """
    from sklearn.manifold import TSNE

    tsne = TSNE(2, perplexity=perplexity, init=init, max_iter=max_iter, random_state=seed, n_jobs=1)
    with threadpool_limits(limits=1):  # every OpenMP and BLAS pool loaded by now, not only t-SNE's
        return tsne.fit_transform(np.asarray(x, dtype=np.float64)).astype(np.float64)  # float32 before


def umap_map(x, seed=0, n_neighbors=15, min_dist=0.1, n_epochs=200):
    """UMAP (n, 2) float64 of x (n, D), Euclidean distances, spectral initialisation, one thread."""
    import numba

    umap_class = _umap_class()
    numba.set_num_threads(1)
    model = umap_class(n_neighbors=n_neighbors, min_dist=min_dist, n_epochs=n_epochs,
                       random_state=seed, n_jobs=1)
    with threadpool_limits(limits=1):
        return model.fit_transform(np.asarray(x, dtype=np.float64)).astype(np.float64)


def warm_up():
    """Fit UMAP to 50 seeded points so that numba compiles (or loads) its functions: seconds."""
    import time

    start = time.perf_counter()
    umap_map(np.random.default_rng(0).normal(size=(50, 4)))
    return time.perf_counter() - start


MAPS = {"PCA": pca_map, "t-SNE": tsne_map, "UMAP": umap_map}


def three_maps(x, seed=0):
    """{"PCA", "t-SNE", "UMAP"} -> (n, 2) maps of x (n, D) with their defaults and `seed`."""
    return {name: fn(x, seed=seed) for name, fn in MAPS.items()}


def digits_sample(n=1000, seed=0):
    """n of the 1,797 digits drawn without replacement with a fixed seed: x (n, 64) float64 in
    [0, 1] and labels y (n,), training and test digits alike."""
    from latentlab import data

    x_train, x_test, y_train, y_test = data.digits()
    x, y = np.vstack([x_train, x_test]), np.concatenate([y_train, y_test])  # (1797, 64), (1797,)
    idx = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
    return x[idx].astype(np.float64), y[idx]
