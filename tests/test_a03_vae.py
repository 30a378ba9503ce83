"""Tests of assignment a03_vae: the solution scores full marks and every plausible mistake costs points.

Mutants run the solution's setup and exercise cells without its demo cells (the demo cells
train models for the reader and no check uses them), so that the table takes seconds; one
mutant also runs the whole notebook, as a learner would.
"""

from __future__ import annotations

import numpy as np
import torch

from tests.helpers import (
    ChapterTests,
    Mistake,
    OddReturn,
    returns,
)

A = "a03_vae"

# The mistakes the chapter must catch: each is written into the solution and must fail the named
# check of its own exercise by an assertion (tests/helpers.py applies the table).
MISTAKES = [
    Mistake('a missing seed for the initial weights', 'VAE', {'        torch.manual_seed(seed)  # the initial weights depend on `seed` only\n': ''},
            'test_seed_sets_the_initial_weights'),
    Mistake('sigma = exp(logvar) instead of exp(logvar / 2)', 'reparameterize', {'sigma = torch.exp(0.5 * logvar)': 'sigma = torch.exp(logvar)'},
            'test_reparameterize_gradients_reach_mu_and_logvar'),
    Mistake('eps drawn without the generator', 'reparameterize', {'eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)': 'eps = torch.randn_like(mu)'},
            'test_reparameterize_shape_and_seed'),
    Mistake('eps of shape (latent_dim,), shared by all examples', 'reparameterize', {'eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)': 'eps = torch.randn(mu.shape[-1], generator=generator, dtype=mu.dtype)'},
            'test_reparameterize_sample_moments'),
    Mistake('eps of shape (batch, 1), shared by all dimensions', 'reparameterize', {'eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)': 'eps = torch.randn(mu.shape[0], 1, generator=generator, dtype=mu.dtype)'},
            'test_reparameterize_draws_independent_noise'),
    Mistake('KL with its sign flipped', 'gaussian_kl', {'return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)': 'return -0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)'},
            'test_gaussian_kl_is_zero_at_the_prior_and_never_negative'),
    Mistake('KL without its 1/2', 'gaussian_kl', {'return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)': 'return (mu.pow(2) + logvar.exp() - 1.0 - logvar)'},
            'test_gaussian_kl_matches_torch_distributions'),
    Mistake('KL with sigma = exp(logvar)', 'gaussian_kl', {'return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)': 'return 0.5 * (mu.pow(2) + (2 * logvar).exp() - 1.0 - 2 * logvar)'},
            'test_gaussian_kl_matches_monte_carlo'),
    Mistake('KL summed over the batch instead of averaged', 'negative_elbo', {'kl = gaussian_kl(mu, logvar).sum(dim=1).mean()': 'kl = gaussian_kl(mu, logvar).sum()'},
            'test_negative_elbo_averages_over_the_batch'),
    Mistake('KL averaged over latent dimensions too', 'negative_elbo', {'kl = gaussian_kl(mu, logvar).sum(dim=1).mean()': 'kl = gaussian_kl(mu, logvar).mean()'},
            'test_negative_elbo_gradients'),
    Mistake('reconstruction averaged over pixels too (the reverse reduction)', 'negative_elbo', {'recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]': 'recon = F.binary_cross_entropy(x_hat, x)'},
            'test_negative_elbo_matches_bce_plus_kl'),
    Mistake('reconstruction summed over the batch', 'negative_elbo', {'recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x.shape[0]': 'recon = F.binary_cross_entropy(x_hat, x, reduction="sum")'},
            'test_negative_elbo_matches_bce_plus_kl'),
    Mistake('beta applied to the reconstruction term', 'negative_elbo', {'loss = recon + beta * kl': 'loss = beta * recon + kl'},
            'test_beta_scales_only_the_kl_term'),
    Mistake('forward decodes mu instead of a sample z', 'VAE', {'x_hat = self.decode(z)': 'x_hat = self.decode(mu)'},
            'test_forward_decodes_a_sample_not_mu'),
    Mistake('training decodes mu instead of a sample z', 'train_vae', {'x_hat, mu, logvar = model(x[idx], generator)': 'mu, logvar = model.encode(x[idx])\n            x_hat = model.decode(mu)'},
            'test_training_decodes_samples'),
    Mistake('training ignores beta', 'train_vae', {'negative_elbo(x[idx], x_hat, mu, logvar, beta)': 'negative_elbo(x[idx], x_hat, mu, logvar)'},
            'test_train_vae_records_every_step'),
    Mistake('training never steps the optimiser', 'train_vae', {'optimizer.step()': 'pass'},
            'test_training_improves_the_elbo'),
    Mistake('prior samples drawn without the generator', 'sample_prior', {'z = torch.randn(n, model.latent_dim, generator=generator)': 'z = torch.randn(n, model.latent_dim)'},
            'test_prior_samples_decode_to_images'),
    Mistake('prior samples drawn from a uniform distribution', 'sample_prior', {'z = torch.randn(n, model.latent_dim, generator=generator)': 'z = torch.rand(n, model.latent_dim, generator=generator)'},
            'test_prior_samples_are_standard_normal'),
    Mistake('active units by standard deviation instead of variance', 'active_units', {'mu.var(dim=0, unbiased=False) > threshold': 'mu.std(dim=0) > threshold'},
            'test_active_units_counts_over_examples_with_any_threshold'),
    Mistake('active units from the variance over latent dimensions instead of examples', 'active_units', {'mu.var(dim=0, unbiased=False) > threshold': 'mu.var(dim=1, unbiased=False) > threshold'},
            'test_active_units_counts_over_examples_with_any_threshold'),
    Mistake('active units by the mean of mu squared instead of the variance', 'active_units', {'mu.var(dim=0, unbiased=False) > threshold': 'mu.pow(2).mean(dim=0) > threshold'},
            'test_active_units_on_constructed_latents'),
    Mistake("forward draws its own noise instead of using reparameterize with the generator", "VAE",
            {"z = reparameterize(mu, logvar, generator)": "z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)"},
            "test_forward_uses_reparameterize_with_the_generator"),
    Mistake("a decoder without a sigmoid", "VAE",
            {"nn.Linear(hidden_dim, input_dim), nn.Sigmoid())": "nn.Linear(hidden_dim, input_dim))"},
            "test_decode_gives_images_in_the_unit_range"),
    Mistake("logvar read from the mu head", "VAE", {"return self.to_mu(h), self.to_logvar(h)": "return self.to_mu(h), self.to_mu(h)"},
            "test_encode_returns_mu_and_logvar_of_width_latent_dim"),
]


# Degenerate but plain answers: each must fail its check by an assertion with a message (never
# pass on a degenerate answer), and the same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("a KL of zeros everywhere", "test_gaussian_kl_is_zero_at_the_prior_and_never_negative",
              {"gaussian_kl": lambda mu, logvar: torch.zeros_like(mu)}),
    OddReturn("a loss returned as an array of text", "test_negative_elbo_matches_bce_plus_kl",
              {"negative_elbo": returns((np.array("one"),) * 3)}),
    OddReturn("samples of NaN", "test_reparameterize_sample_moments",
              {"reparameterize": lambda mu, logvar, generator: torch.full_like(mu, float("nan"))}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns = A, MISTAKES, ODD_RETURNS
    full_marks_seconds = 20
    whole_notebook_mistake = next(i for i, m in enumerate(MISTAKES) if m.name.startswith("forward decodes mu"))
    blame_once = False
