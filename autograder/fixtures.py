"""The grader's own objects, made on the learner's side for a check (`student.fixture(name)`).

A check that tests a learner's training loop can hand it a model whose every weight the
grader knows, then replay the same recipe here and compare step by step. Fixtures are
deliberately small and written from the contract alone (torch only); they hold no answer to
any exercise.
"""

from __future__ import annotations

import torch
from torch import nn


class LinearAutoencoder(nn.Module):
    """encode(x) = x W_e^T + b_e, decode(z) = z W_d^T + b_d; weights set by `seed`."""

    def __init__(self, d: int, latent_dim: int, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.latent_dim = latent_dim
        self.encoder = nn.Linear(d, latent_dim)
        self.decoder = nn.Linear(latent_dim, d)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))


class LinearGaussianVAE(nn.Module):
    """A VAE with linear maps: (mu, logvar) = (x A^T + a, x B^T + b); x_hat = sigmoid(z C^T + c).

    forward(x, generator) draws eps = torch.randn(mu.shape, generator=generator) and decodes
    z = mu + exp(logvar / 2) * eps, as the exercises' contract asks of a VAE.
    """

    def __init__(self, input_dim: int, latent_dim: int, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.to_mu = nn.Linear(input_dim, latent_dim)
        self.to_logvar = nn.Linear(input_dim, latent_dim)
        self.decoder = nn.Linear(latent_dim, input_dim)

    def encode(self, x):
        return self.to_mu(x), self.to_logvar(x)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
        return self.decode(mu + torch.exp(0.5 * logvar) * eps), mu, logvar


class WeightedSquaredError(nn.Module):
    """A loss to hand to a training loop: loss(x_hat, x) is the mean over every entry of
    w * (1 + x ** 2) * (x_hat - x) ** 2, a 0-d tensor, with one weight per column, w (d,) in
    [0.5, 1.5) set by `seed` (the buffer `weight`). It differs from a plain mean squared error on
    purpose, so that a loop that ignores the loss it is given shows it, and the target weighs its
    own error, so that a loop that swaps the loss's arguments shows it too."""

    def __init__(self, d: int, seed: int = 0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)  # leaves torch's global generator alone
        self.register_buffer("weight", 0.5 + torch.rand(d, generator=generator))

    def forward(self, x_hat, x):
        return (self.weight * (1 + x ** 2) * (x_hat - x) ** 2).mean()


class GlobalDraws:
    """Draws from the learner's side's global generators, so that a check can see whether a call
    reseeded or used them (the same draw after the same reseeding means they were left alone)."""

    def numpy_draw(self) -> float:
        import numpy as np

        return float(np.random.random())
