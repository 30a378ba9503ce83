"""Chapter 3's reference variational autoencoder: model, loss, training loop and plots.

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


def _mlp(sizes):
    """Linear layers of the given widths with ReLU between them."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """MLP encoder x (n, input_dim) -> (mu, logvar) (n, latent_dim); decoder z -> x_hat."""

    def __init__(self, input_dim=64, latent_dim=2, hidden_dim=128):
        super().__init__()
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.encoder = _mlp([input_dim, hidden_dim, hidden_dim, 2 * latent_dim])
        self.decoder = _mlp([latent_dim, hidden_dim, hidden_dim, input_dim])

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


class Autoencoder(nn.Module):
    """Chapter 2's deterministic autoencoder with the same layers: x -> z -> x_hat."""

    def __init__(self, input_dim=64, latent_dim=2, hidden_dim=128):
        super().__init__()
        self.input_dim, self.latent_dim = input_dim, latent_dim
        self.encoder = _mlp([input_dim, hidden_dim, hidden_dim, latent_dim])
        self.decoder = _mlp([latent_dim, hidden_dim, hidden_dim, input_dim])

    def encode(self, x):
        """(z, None): the code (n, latent_dim) and no variance."""
        return self.encoder(x), None

    def decode(self, z):
        """x_hat (n, input_dim) in (0, 1)."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, generator=None):
        """(x_hat, z, None)."""
        z = self.encoder(x)
        return self.decode(z), z, None


def make_model(kind="vae", input_dim=64, latent_dim=2, hidden_dim=128, seed=0):
    """A freshly initialised `VAE` or `Autoencoder`, its weights set by `seed`."""
    torch.manual_seed(seed)
    cls = {"vae": VAE, "ae": Autoencoder}[kind]
    return cls(input_dim, latent_dim, hidden_dim)


def train(model, x, num_epochs=30, batch_size=64, lr=3e-3, beta=1.0, seed=0, progress=True):
    """Adam on the negative ELBO (or on the reconstruction alone for an Autoencoder).

    x is (n, input_dim) in [0, 1]; returns per-step lists {"loss", "recon", "kl"}.
    """
    x = torch.from_numpy(np.array(x, dtype=np.float32))
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = num_epochs * math.ceil(len(x) / batch_size)
    history = {"loss": [], "recon": [], "kl": []}
    model.train()
    desc = type(model).__name__ + (f" beta={beta:g}" if isinstance(model, VAE) else "")
    with tqdm(total=steps, desc=desc, disable=not progress, mininterval=0.5) as bar:
        for _ in range(num_epochs):
            for idx in torch.randperm(len(x), generator=generator).split(batch_size):
                x_hat, mu, logvar = model(x[idx], generator)
                if logvar is None:
                    recon = F.binary_cross_entropy(x_hat, x[idx], reduction="sum") / len(idx)
                    loss, kl = recon, torch.zeros(())
                else:
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
    if logvar is None:
        z, kl = mu, torch.zeros(mu.shape[1])
    else:
        z = reparameterize(mu, logvar, torch.Generator().manual_seed(seed))
        kl = gaussian_kl(mu, logvar).mean(dim=0)
    distortion = F.binary_cross_entropy(model.decode(z), x, reduction="sum").item() / len(x)
    return {"mu": mu.numpy(), "distortion": distortion, "kl_per_dim": kl.numpy(),
            "rate": float(kl.sum())}


def distance_to_real(images, reference):
    """Mean over images (n, 64) of the MSE per pixel to the nearest image of reference (m, 64)."""
    a = torch.from_numpy(np.array(images, dtype=np.float32))
    b = torch.from_numpy(np.array(reference, dtype=np.float32))
    return float((torch.cdist(a, b).min(dim=1).values ** 2).mean() / a.shape[1])


def active_units(mu, threshold=0.01):
    """Number of latent units whose posterior mean varies over the data: Var_x(mu_u) > threshold."""
    return int((np.var(np.asarray(mu), axis=0) > threshold).sum())


def image_grid(images, ncols, pad=1):
    """Tile images (n, 64) as 8x8 tiles, `pad` blank pixels apart, into one 2-D array."""
    images = np.asarray(images).reshape(-1, 8, 8)
    nrows = math.ceil(len(images) / ncols)
    grid = np.zeros((nrows * (8 + pad) - pad, ncols * (8 + pad) - pad))
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        grid[r * (8 + pad):r * (8 + pad) + 8, c * (8 + pad):c * (8 + pad) + 8] = img
    return grid


def show_images(ax, images, ncols, title=""):
    """Draw images (n, 64) on `ax` as a tiled grid, dark strokes on white."""
    ax.imshow(image_grid(images, ncols), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_axis_off()


@torch.no_grad()
def decoded_manifold(model, n=15, span=(0.03, 0.97)):
    """Decode an n x n grid of latent points at Gaussian quantiles `span`: (n * n, input_dim).

    Row i has z_2 falling from top to bottom, column j has z_1 rising left to right.
    """
    from scipy.stats import norm

    values = norm.ppf(np.linspace(*span, n)).astype(np.float32)  # (n,)
    z1, z2 = np.meshgrid(values, values[::-1])
    z = torch.from_numpy(np.stack([z1.ravel(), z2.ravel()], axis=1))  # (n * n, 2)
    return model.decode(z).numpy()
