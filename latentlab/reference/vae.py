"""Reference versions of assignment a03_vae: the reparameterisation trick, the Gaussian KL (to any
diagonal Gaussian prior) and its Monte Carlo estimate, the negative ELBO with beta, a VAE, its
training loop, prior samples and active units; and the evaluation the book's pages report.

Everything works on flattened images `x` (n, input_dim) with pixel values in [0, 1] and a
Bernoulli decoder whose output `x_hat` holds per-pixel probabilities.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from latentlab.models import mlp
from latentlab.plotting import progress as progress_bar


def reparameterize(mu, logvar, generator=None):
    """A sample z (batch, latent_dim) of N(mu, exp(logvar)), differentiable in mu and logvar."""
    return Normal(mu, torch.exp(0.5 * logvar)).rsample() if generator is None else (
        mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator, dtype=mu.dtype))


def gaussian_kl(mu, logvar, prior_mu=0.0, prior_logvar=0.0):
    """KL(N(mu, exp(logvar)) || N(prior_mu, exp(prior_logvar))) per example and dimension:
    (batch, latent_dim); the prior's parameters broadcast against mu (default N(0, 1))."""
    prior_mu = torch.as_tensor(prior_mu, dtype=mu.dtype).expand_as(mu)
    prior_logvar = torch.as_tensor(prior_logvar, dtype=mu.dtype).expand_as(mu)
    return kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(prior_mu, torch.exp(0.5 * prior_logvar)))


def monte_carlo_kl(mu, logvar, eps, prior_mu=0.0, prior_logvar=0.0):
    """The Monte Carlo estimate of gaussian_kl from the samples z_s = mu + sigma * eps[s] of q, eps
    (num_samples, batch, latent_dim): the mean of log q(z_s) - log p(z_s), (batch, latent_dim)."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    prior_mu = torch.as_tensor(prior_mu, dtype=mu.dtype)
    p = Normal(prior_mu, torch.exp(0.5 * torch.as_tensor(prior_logvar, dtype=mu.dtype)))
    z = q.loc + q.scale * eps  # (num_samples, batch, latent_dim)
    return (q.log_prob(z) - p.log_prob(z)).mean(dim=0)


def negative_elbo(x, x_hat, mu, logvar, beta=1.0):
    """(loss, recon, kl), each summed over pixels or latent dims and averaged over the batch."""
    recon = F.binary_cross_entropy(x_hat, x, reduction="none").sum(dim=1).mean()
    kl = gaussian_kl(mu, logvar).sum(dim=1).mean()
    return recon + beta * kl, recon, kl


class VAE(nn.Module):
    """MLP encoder x (n, input_dim) -> (mu, logvar) (n, latent_dim); decoder z -> x_hat."""

    def __init__(self, input_dim=64, latent_dim=2, hidden_dim=128, seed=0):
        super().__init__()
        torch.manual_seed(seed)  # the initial weights depend on `seed` only
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.encoder = nn.Sequential(mlp([input_dim, hidden_dim, hidden_dim]), nn.ReLU())
        self.to_mu = nn.Linear(hidden_dim, latent_dim)
        self.to_logvar = nn.Linear(hidden_dim, latent_dim)
        self.decoder = mlp([latent_dim, hidden_dim, hidden_dim, input_dim])

    def encode(self, x):
        """(mu, logvar), each (n, latent_dim): two linear heads on a shared MLP."""
        h = self.encoder(x)  # (n, hidden_dim)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):
        """Per-pixel Bernoulli means x_hat (n, input_dim) in (0, 1)."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, generator=None):
        """(x_hat, mu, logvar): encode, sample z with `generator`, decode z."""
        mu, logvar = self.encode(x)
        return self.decode(reparameterize(mu, logvar, generator)), mu, logvar


def train_vae(model, x, num_epochs=20, batch_size=64, lr=3e-3, beta=1.0, seed=0, *, progress=False):
    """Adam on the negative ELBO over minibatches of x (n, input_dim) in [0, 1]; one generator
    seeded with `seed` shuffles and draws every eps. Returns per-step lists {"loss", "recon", "kl"}."""
    x = torch.tensor(np.array(x, dtype=np.float32))  # a copy: the cached digits are read-only
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"loss": [], "recon": [], "kl": []}
    model.train()
    steps = num_epochs * math.ceil(len(x) / batch_size)
    bar = progress_bar(total=steps, desc=f"VAE beta={beta:g}") if progress else None
    try:
        for _ in range(num_epochs):
            for idx in torch.randperm(len(x), generator=generator).split(batch_size):
                x_hat, mu, logvar = model(x[idx], generator)
                terms = negative_elbo(x[idx], x_hat, mu, logvar, beta)
                optimizer.zero_grad()
                terms[0].backward()
                optimizer.step()
                for key, value in zip(history, terms, strict=True):
                    history[key].append(value.item())
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return history


@torch.no_grad()
def sample_prior(model, n, generator):
    """(z, x_hat): n latent points from N(0, I), drawn with `generator`, and their decodings."""
    z = torch.randn(n, model.latent_dim, generator=generator)
    return z, model.decode(z)


def active_units(mu, threshold=0.01):
    """Number of latent units whose posterior mean varies over the data: Var_x(mu_u) > threshold."""
    return int((np.var(np.asarray(mu, dtype=np.float64), axis=0) > threshold).sum())


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
    return {"mu": mu.numpy(), "distortion": distortion, "kl_per_dim": kl.numpy(), "rate": float(kl.sum())}


@torch.no_grad()
def importance_weighted_bound(model, x, k, seed=0, chunk=100):
    """Burda et al.'s (2016) lower bound on log p(x), per digit of x (n, input_dim): (n,) nats.

    log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x) over k draws z_i ~ q(z | x), seeded by `seed`;
    k = 1 is a one-sample estimate of the ELBO, and the bound rises towards log p(x) as k grows.
    The decoder's Bernoulli likelihood is scored on grey levels, as in training.
    """
    x = torch.from_numpy(np.array(x, dtype=np.float32))
    mu, logvar = model.encode(x)  # (n, latent_dim) each
    q, prior = Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)
    generator = torch.Generator().manual_seed(seed)
    log_w = []
    for start in range(0, k, chunk):
        z = q.loc + q.scale * torch.randn((min(chunk, k - start), *mu.shape), generator=generator)
        logits = model.decoder(z)  # (m, n, input_dim), before the sigmoid
        log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_w.append(log_px + prior.log_prob(z).sum(-1) - q.log_prob(z).sum(-1))  # (m, n)
    return (torch.logsumexp(torch.cat(log_w), dim=0) - math.log(k)).numpy()


@torch.no_grad()
def aggregate_posterior_kl(model, x, num_samples=2000, seed=0, chunk=250):
    """KL(q(z) || N(0, I)) in nats, where q(z) is the mean of q(z | x) over the digits of x (n, input_dim).

    Monte Carlo over `num_samples` draws from q(z) (a digit at random, then z from its posterior),
    with log q(z) computed exactly as the log of the mixture's mean density.
    """
    x = torch.from_numpy(np.array(x, dtype=np.float32))
    mu, logvar = model.encode(x)  # (n, latent_dim) each
    q, prior = Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)
    generator = torch.Generator().manual_seed(seed)
    rows = torch.randint(len(x), (num_samples,), generator=generator)
    z = mu[rows] + q.scale[rows] * torch.randn((num_samples, mu.shape[1]), generator=generator)
    log_q = torch.cat([torch.logsumexp(q.log_prob(part[:, None, :]).sum(-1), dim=1)  # (chunk,)
                       for part in z.split(chunk)]) - math.log(len(x))
    return float((log_q - prior.log_prob(z).sum(-1)).mean())
