"""Model helpers shared by the book's pages: MLPs by layer widths, and numpy in, numpy out."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def mlp(sizes):
    """Linear layers of widths `sizes` with a ReLU between consecutive ones (none at the end)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


@torch.no_grad()
def encode(model, x):
    """z (n, latent_dim) as numpy, from x (n, d); for a VAE, the posterior mean mu."""
    out = model.encode(torch.tensor(np.asarray(x, dtype=np.float32)))
    return (out[0] if isinstance(out, tuple) else out).numpy()


@torch.no_grad()
def decode(model, z):
    """x_hat (n, d) as numpy, from z (n, latent_dim)."""
    return model.decode(torch.tensor(np.asarray(z, dtype=np.float32))).numpy()


def decoded_manifold(model, n=15, span=(0.03, 0.97)):
    """Decode an n x n grid of 2-D latent points at Gaussian quantiles `span`: (n * n, d).

    Row i has z_2 falling from top to bottom, column j has z_1 rising left to right.
    """
    from scipy.stats import norm

    values = norm.ppf(np.linspace(*span, n))  # (n,)
    z1, z2 = np.meshgrid(values, values[::-1])
    return decode(model, np.stack([z1.ravel(), z2.ravel()], axis=1))  # from z (n * n, 2)
