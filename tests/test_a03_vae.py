"""Tests of assignment a03_vae: the solution scores full marks and every plausible mistake costs points.

Mutants run the solution's setup and exercise cells without its demo cells (the demo cells
train models for the reader and no check uses them), so that 21 mutants take seconds; one
mutant also goes through `lost_points` on the whole notebook.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.helpers import (
    assert_check_fails_with_message,
    assert_full_marks,
    assert_lost_points,
    assert_not_implemented_reported,
    exercise_namespace,
    lost_points,
    not_implemented,
    returns,
    score,
)

A = "a03_vae"

# (mistake, {solution source: mutated source}, exercise whose checks must catch it)
MISTAKES = [
    ("a missing seed for the initial weights",
     {"        torch.manual_seed(seed)  # the initial weights depend on `seed` only\n": ""}, "VAE"),
    ("sigma = exp(logvar) instead of exp(logvar / 2)",
     {"sigma = torch.exp(0.5 * logvar)": "sigma = torch.exp(logvar)"}, "reparameterize"),
    ("eps drawn without the generator",
     {"eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)":
      "eps = torch.randn_like(mu)"}, "reparameterize"),
    ("eps of shape (latent_dim,), shared by all examples",
     {"eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)":
      "eps = torch.randn(mu.shape[-1], generator=generator, dtype=mu.dtype)"}, "reparameterize"),
    ("eps of shape (batch, 1), shared by all dimensions",
     {"eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)":
      "eps = torch.randn(mu.shape[0], 1, generator=generator, dtype=mu.dtype)"}, "reparameterize"),
    ("KL with its sign flipped",
     {"return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)":
      "return -0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)"}, "gaussian_kl"),
    ("KL without its 1/2",
     {"return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)":
      "return (mu.pow(2) + logvar.exp() - 1.0 - logvar)"}, "gaussian_kl"),
    ("KL with sigma = exp(logvar)",
     {"return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)":
      "return 0.5 * (mu.pow(2) + (2 * logvar).exp() - 1.0 - 2 * logvar)"}, "gaussian_kl"),
    ("KL summed over the batch instead of averaged",
     {"kl = gaussian_kl(mu, logvar).sum(dim=1).mean()": "kl = gaussian_kl(mu, logvar).sum()"},
     "negative_elbo"),
    ("KL averaged over latent dimensions too",
     {"kl = gaussian_kl(mu, logvar).sum(dim=1).mean()": "kl = gaussian_kl(mu, logvar).mean()"},
     "negative_elbo"),
    ("reconstruction averaged over pixels too (the reverse reduction)",
     {'recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]':
      "recon = F.binary_cross_entropy(x_hat, x)"}, "negative_elbo"),
    ("reconstruction summed over the batch",
     {'recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]':
      'recon = F.binary_cross_entropy(x_hat, x, reduction="sum")'}, "negative_elbo"),
    ("beta applied to the reconstruction term",
     {"loss = recon + beta * kl": "loss = beta * recon + kl"}, "negative_elbo"),
    ("forward decodes mu instead of a sample z",
     {"x_hat = self.decode(z)": "x_hat = self.decode(mu)"}, "VAE"),
    ("training decodes mu instead of a sample z",
     {"x_hat, mu, logvar = model(x[idx], generator)":
      "mu, logvar = model.encode(x[idx])\n            x_hat = model.decode(mu)"}, "train_vae"),
    ("training ignores beta",
     {"negative_elbo(x[idx], x_hat, mu, logvar, beta)": "negative_elbo(x[idx], x_hat, mu, logvar)"},
     "train_vae"),
    ("training never steps the optimiser",
     {"optimizer.step()": "pass"}, "train_vae"),
    ("prior samples drawn without the generator",
     {"z = torch.randn(n, model.latent_dim, generator=generator)":
      "z = torch.randn(n, model.latent_dim)"}, "sample_prior"),
    ("prior samples drawn from a uniform distribution",
     {"z = torch.randn(n, model.latent_dim, generator=generator)":
      "z = torch.rand(n, model.latent_dim, generator=generator)"}, "sample_prior"),
    ("active units by standard deviation instead of variance",
     {"mu.var(dim=0, unbiased=False) > threshold": "mu.std(dim=0) > threshold"}, "active_units"),
    ("active units from the variance over latent dimensions instead of examples",
     {"mu.var(dim=0, unbiased=False) > threshold": "mu.var(dim=1, unbiased=False) > threshold"},
     "active_units"),
    ("active units by the mean of mu squared instead of the variance",
     {"mu.var(dim=0, unbiased=False) > threshold": "mu.pow(2).mean(dim=0) > threshold"},
     "active_units"),
]


def test_solution_gets_full_marks():
    assert_full_marks(A, within_seconds=20)


@pytest.mark.parametrize("mistake, replacements, exercise", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_mistake_loses_points(mistake, replacements, exercise):
    _, _, results = score(A, exercise_namespace(A, replacements), exercise)
    assert_lost_points([r for r in results if not r.passed], mistake, exercise)


def test_mistake_loses_points_in_the_whole_notebook():
    failed = lost_points(A, {"x_hat = self.decode(z)": "x_hat = self.decode(mu)"}, "VAE")
    assert [r.name for r in failed] == ["test_forward_decodes_a_sample_not_mu",
                                        "test_forward_uses_reparameterize_with_the_generator"]
    assert all(r.message for r in failed)


# Odd but plain return values: each check must fail by assertion with a message, never error
# (and never pass on a degenerate answer); a NotImplementedError must still reach the report as is.
ODD_RETURNS = {
    "a KL of zeros everywhere": (
        "test_gaussian_kl_is_zero_at_the_prior_and_never_negative", "gaussian_kl",
        lambda mu, logvar: torch.zeros_like(mu)),
    "a loss returned as an array of text": (
        "test_negative_elbo_matches_bce_plus_kl", "negative_elbo", returns((np.array("one"),) * 3)),
    "samples of NaN": (
        "test_reparameterize_sample_moments", "reparameterize",
        lambda mu, logvar, generator: torch.full_like(mu, float("nan"))),
}


@pytest.mark.parametrize("case", list(ODD_RETURNS))
def test_odd_return_fails_with_a_message(case):
    check_name, function, fake = ODD_RETURNS[case]
    assert_check_fails_with_message(A, check_name, {function: fake}, case)


@pytest.mark.parametrize("check_name, function", sorted((c, f) for c, f, _ in ODD_RETURNS.values()))
def test_not_implemented_reaches_the_report(check_name, function):
    assert_not_implemented_reported(A, check_name, {function: not_implemented})
