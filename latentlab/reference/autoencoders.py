"""Chapter 2's reference autoencoder: an MLP built from layer sizes, its training loop, PCA
baselines, latent retrieval and the distance of images to the nearest real digit.

Images are flattened digits `x` (n, 64) with pixel values in [0, 1]; every error is the mean
squared error per pixel.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm import tqdm


def mlp(sizes):
    """Linear layers of widths `sizes` with a ReLU between consecutive ones (none at the end)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


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


def train(model, x, num_epochs=100, lr=3e-3, batch_size=128, seed=0, x_val=None, progress=True):
    """Adam on the per-pixel MSE over shuffled minibatches of x (n, d), one bar step per epoch.

    Returns {"train": [...], "held_out": [...]}: per epoch, the mean minibatch loss and (if
    x_val (m, d) is given) the error on x_val after the epoch.
    """
    x = torch.tensor(np.asarray(x, dtype=np.float32))
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train": [], "held_out": []}
    desc = f"training latent_dim={model.latent_dim}"
    for _ in tqdm(range(num_epochs), desc=desc, disable=not progress, mininterval=5.0):
        losses = []
        for idx in torch.randperm(len(x), generator=generator).split(batch_size):
            loss = ((model(x[idx]) - x[idx]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history["train"].append(float(np.mean(losses)))  # as the exercise's train_autoencoder records it
        if x_val is not None:
            history["held_out"].append(reconstruction_error(x_val, decode(model, encode(model, x_val))))
    return history


@torch.no_grad()
def encode(model, x):
    """z (n, latent_dim) as numpy, from x (n, d)."""
    return model.encode(torch.tensor(np.asarray(x, dtype=np.float32))).numpy()


@torch.no_grad()
def decode(model, z):
    """x_hat (n, d) as numpy, from z (n, latent_dim)."""
    return model.decode(torch.tensor(np.asarray(z, dtype=np.float32))).numpy()


def reconstruction_error(x, x_hat):
    """Mean squared error per pixel between x and x_hat, both (n, d): a float."""
    return float(np.mean((np.asarray(x, dtype=np.float64) - x_hat) ** 2))


def pca_reconstruction(x_train, x, latent_dim):
    """x_hat (n, d): x projected on the top `latent_dim` principal components of x_train."""
    from sklearn.decomposition import PCA

    pca = PCA(latent_dim).fit(x_train)
    return pca.inverse_transform(pca.transform(x))


def label_agreement(z, y, k=1):
    """Mean fraction of each point's k nearest neighbours in z (n, m), not itself, with its label y (n,)."""
    return float(same_label_neighbours(z, y, k).mean())


def same_label_neighbours(z, y, k=1):
    """Per point of z (n, m), the fraction (n,) of its k nearest neighbours, not itself, labelled like it."""
    from sklearn.neighbors import NearestNeighbors

    _, idx = NearestNeighbors(n_neighbors=k).fit(z).kneighbors()  # (n, k), the point itself left out
    y = np.asarray(y)
    return (y[idx] == y[:, None]).mean(axis=1)


def distance_to_real(images, reference):
    """Mean over images (n, d) of the MSE per pixel to the nearest row of reference (m, d): a float."""
    from sklearn.neighbors import NearestNeighbors

    reference = np.asarray(reference, dtype=np.float64)
    dist, _ = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(
        np.asarray(images, dtype=np.float64))  # (n, 1) Euclidean distances
    return float(np.mean(dist[:, 0] ** 2) / reference.shape[1])
