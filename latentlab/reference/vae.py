"""Chapter 3's reference variational autoencoder: model, loss, training loop and evaluation.

Everything works on flattened images `x` (n, input_dim) with pixel values in [0, 1] and a
Bernoulli decoder whose output `x_hat` holds per-pixel probabilities.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from latentlab.autoencoders import decode, mlp


def reparameterize(mu, logvar, generator=None):
    """z = mu + exp(logvar / 2) * eps with eps ~ N(0, I); all (batch, latent_dim)."""
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, 1)) per example and dimension: (batch, latent_dim)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def negative_elbo(x, x_hat, mu, logvar, beta=1.0):
    """(loss, recon, kl), each summed over pixels or latent dims and averaged over the batch."""
    recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]
    kl = gaussian_kl(mu, logvar).sum(dim=1).mean()
    return recon + beta * kl, recon, kl


class VAE(nn.Module):
    """MLP encoder x (n, input_dim) -> (mu, logvar) (n, latent_dim); decoder z -> x_hat."""

    def __init__(self, input_dim=64, latent_dim=2, hidden_dim=128, seed=0):
        super().__init__()
        torch.manual_seed(seed)  # the initial weights depend on `seed` only
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.encoder = mlp([input_dim, hidden_dim, hidden_dim, 2 * latent_dim])
        self.decoder = mlp([latent_dim, hidden_dim, hidden_dim, input_dim])

    def encode(self, x):
        """(mu, logvar), each (n, latent_dim)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z):
        """Per-pixel Bernoulli means x_hat (n, input_dim) in (0, 1)."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, generator=None):
        """(x_hat, mu, logvar): encode, sample z, decode z."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator)), mu, logvar


def train(model, x, num_epochs=30, batch_size=64, lr=3e-3, beta=1.0, seed=0, progress=True):
    """Adam on the negative ELBO of a VAE over shuffled minibatches of x (n, input_dim) in [0, 1].

    Returns per-step lists {"loss", "recon", "kl"}.
    """
    x = torch.from_numpy(np.array(x, dtype=np.float32))
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = num_epochs * math.ceil(len(x) / batch_size)
    history = {"loss": [], "recon": [], "kl": []}
    model.train()
    with tqdm(total=steps, desc=f"VAE beta={beta:g}", disable=not progress, mininterval=0.5) as bar:
        for _ in range(num_epochs):
            for idx in torch.randperm(len(x), generator=generator).split(batch_size):
                x_hat, mu, logvar = model(x[idx], generator)
                loss, recon, kl = negative_elbo(x[idx], x_hat, mu, logvar, beta)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                for key, value in zip(history, (loss, recon, kl), strict=True):
                    history[key].append(value.item())
                bar.update()
                bar.set_postfix(loss=f"{history['loss'][-1]:.1f}", refresh=False)
    model.eval()
    return history


@torch.no_grad()
def evaluate(model, x, seed=0):
    """Test-set terms of the loss, in nats per digit, with one seeded sample z per digit.

    Returns {"mu": (n, latent_dim) posterior means, "distortion": mean BCE(x, decode(z)),
    "kl_per_dim": (latent_dim,) mean KL per unit, "rate": their sum}.
    """
    x = torch.from_numpy(np.array(x, dtype=np.float32))
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, torch.Generator().manual_seed(seed))
    kl = gaussian_kl(mu, logvar).mean(dim=0)
    distortion = F.binary_cross_entropy(model.decode(z), x, reduction="sum").item() / len(x)
    return {"mu": mu.numpy(), "distortion": distortion, "kl_per_dim": kl.numpy(),
            "rate": float(kl.sum())}


def active_units(mu, threshold=0.01):
    """Number of latent units whose posterior mean varies over the data: Var_x(mu_u) > threshold."""
    return int((np.var(np.asarray(mu), axis=0) > threshold).sum())


def decoded_manifold(model, n=15, span=(0.03, 0.97)):
    """Decode an n x n grid of latent points at Gaussian quantiles `span`: (n * n, input_dim).

    Row i has z_2 falling from top to bottom, column j has z_1 rising left to right.
    """
    from scipy.stats import norm

    values = norm.ppf(np.linspace(*span, n))  # (n,)
    z1, z2 = np.meshgrid(values, values[::-1])
    return decode(model, np.stack([z1.ravel(), z2.ravel()], axis=1))  # from z (n * n, 2)
