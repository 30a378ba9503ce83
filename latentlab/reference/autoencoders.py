"""Reference versions of assignment a02_autoencoders: PCA by the SVD, PCA's error curve from its
singular values, an MLP autoencoder, its loss, its seeded training loop, and latent
nearest-neighbour label agreement.

Images are flattened digits `x` (n, 64) with pixel values in [0, 1]; every error is the mean
squared error per pixel.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from latentlab.models import mlp
from latentlab.plotting import progress as progress_bar


class PCA:
    """PCA as a linear autoencoder, fitted by the SVD: `mean` (d,), `components` (latent_dim, d)."""

    def __init__(self, latent_dim):
        self.latent_dim = latent_dim
        self.mean = self.components = None

    def fit(self, x):
        """Fit to x (n, d); returns self."""
        x = np.asarray(x, dtype=np.float64)
        self.mean = x.mean(axis=0)
        self.components = np.linalg.svd(x - self.mean, full_matrices=False)[2][: self.latent_dim]
        return self

    def encode(self, x):
        """z (n, latent_dim) from x (n, d)."""
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T

    def decode(self, z):
        """x_hat (n, d) from z (n, latent_dim)."""
        return np.asarray(z, dtype=np.float64) @ self.components + self.mean


def pca_error_curve(singular_values, n, d):
    """PCA's mean squared error per entry on its own training data x (n, d), for latent_dim = 0..r,
    from the singular values (r,) of the centred x alone: a float64 array (r + 1,)."""
    s2 = np.asarray(singular_values, dtype=np.float64) ** 2  # (r,)
    tail = np.append(np.cumsum(s2[::-1])[::-1], 0.0)  # (r + 1,): what latent_dim = k leaves out
    return tail / (n * d)


class Autoencoder(nn.Module):
    """Encoder of widths `sizes` = [d, ..., latent_dim], decoder the mirror: x (n, d) -> x_hat (n, d)."""

    def __init__(self, sizes, seed=0):
        super().__init__()
        torch.manual_seed(seed)  # the initial weights depend on `seed` only
        self.latent_dim = sizes[-1]
        self.encoder = mlp(sizes)
        self.decoder = mlp(sizes[::-1])

    def encode(self, x):
        """z (n, latent_dim) from x (n, d)."""
        return self.encoder(x)

    def decode(self, z):
        """x_hat (n, d) from z (n, latent_dim)."""
        return self.decoder(z)

    def forward(self, x):
        """x_hat (n, d) = decode(encode(x))."""
        return self.decode(self.encode(x))


def reconstruction_loss(x_hat, x):
    """Mean squared error over every entry of x_hat, x (n, d): a 0-d tensor."""
    return torch.nn.functional.mse_loss(x_hat, x)


def train_autoencoder(model, x, num_epochs=10, lr=1e-3, batch_size=64, seed=0, *, loss_fn=None,
                      on_epoch=None, progress=False):
    """Adam on `loss_fn` (by default the per-pixel MSE) over minibatches of x (n, d) shuffled by a
    generator seeded with `seed`; returns the mean minibatch loss of each epoch. `on_epoch(model)`
    runs after each epoch (the pages record held-out errors with it)."""
    loss_fn = reconstruction_loss if loss_fn is None else loss_fn
    x = torch.tensor(np.array(x, dtype=np.float32))  # a copy: the cached digits are read-only
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    epochs = range(num_epochs)
    for _ in progress_bar(epochs, desc=f"training latent_dim={model.latent_dim}") if progress else epochs:
        losses = []
        for idx in torch.randperm(len(x), generator=generator).split(batch_size):
            loss = loss_fn(model(x[idx]), x[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
        if on_epoch is not None:
            on_epoch(model)
    return history


def same_label_neighbours(z, y, k=1):
    """Per point of z (n, m), the fraction (n,) of its k nearest neighbours, not itself, labelled
    like it (scikit-learn's NearestNeighbors)."""
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=k).fit(z).kneighbors()  # (n, k), the point itself left out
    y = np.asarray(y)
    return (y[idx] == y[:, None]).mean(axis=1)


def neighbour_label_agreement(z, y, k=1):
    """Mean over points of z (n, m) of the fraction of their k nearest other points labelled alike."""
    return float(same_label_neighbours(np.asarray(z, dtype=np.float64), y, k).mean())
