"""Measurements shared by the book's pages, each computed by a library where one exists."""

from __future__ import annotations

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
