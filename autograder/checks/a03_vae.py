"""Checks of assignment a03_vae: the reparameterisation trick, the KL, the ELBO and a VAE.

Oracles: `torch.distributions.kl_divergence`, a Monte Carlo estimate of the KL, autograd
through `reparameterize`, the moments of many samples, and a negative ELBO computed here from
the learner's encoder and decoder with noise drawn here.
"""

import functools

import numpy as np
import torch
from scipy.stats import norm
from torch.distributions import Normal, kl_divergence

from autograder.api import (
    expect_array,
    expect_scalar,
    expect_tuple,
    expect_type,
    generator,
    graded,
    show,
    tensor,
)
from latentlab import data

A = "a03_vae"


@functools.lru_cache(maxsize=1)
def _all_digits() -> np.ndarray:
    """The 1,347 training digits of `latentlab.data.digits()`, (1347, 64) float32 in [0, 1]."""
    return np.array(data.digits()[0], dtype=np.float32)


def _digits() -> np.ndarray:
    """The first 256 training digits, (256, 64)."""
    return _all_digits()[:256]


def _gaussians(seed, shape):
    """Seeded (mu, logvar), float32 arrays of `shape`: mu in about [-2, 2], logvar in [-3, 2]."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0.0, 1.0, size=shape).astype(np.float32)
    logvar = rng.uniform(-3.0, 2.0, size=shape).astype(np.float32)
    return mu, logvar


def _kl_oracle(mu, logvar) -> np.ndarray:
    """KL(N(mu, exp(logvar/2)^2) || N(0, 1)) elementwise, by torch.distributions (float64)."""
    mu, logvar = torch.from_numpy(np.float64(mu)), torch.from_numpy(np.float64(logvar))
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return kl_divergence(q, p).numpy()


def _bce_oracle(x, x_hat) -> np.ndarray:
    """Binary cross-entropy of each example, summed over pixels: (batch,)."""
    x, x_hat = np.float64(x), np.float64(x_hat)
    return -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(axis=1)


def _triple(value, what):
    """`(loss, recon, kl)` returned by negative_elbo, as three floats."""
    items = expect_tuple(value, what, 3, ("loss", "recon", "kl"))
    return tuple(expect_scalar(v, f"{name} of {what}") for v, name in zip(items, ("loss", "recon", "kl"), strict=True))


def _pair(value, what, shape):
    """Two arrays of `shape` returned as a tuple, e.g. (mu, logvar)."""
    items = expect_tuple(value, what, 2)
    return tuple(expect_array(v, f"element {i} of {what}", shape=shape) for i, v in enumerate(items))


# reparameterize


@graded("reparameterize", points=1)
def test_reparameterize_shape_and_seed(student):
    mu, logvar = _gaussians(0, (5, 3))
    z1 = expect_array(student.call("reparameterize", tensor(mu), tensor(logvar), generator(7)),
                      "reparameterize(mu, logvar, generator) for mu of shape (5, 3)", shape=(5, 3))
    z2 = expect_array(student.call("reparameterize", tensor(mu), tensor(logvar), generator(7)),
                      "reparameterize with the same seed", shape=(5, 3))
    z3 = expect_array(student.call("reparameterize", tensor(mu), tensor(logvar), generator(8)),
                      "reparameterize with another seed", shape=(5, 3))
    assert np.array_equal(z1, z2), (
        "two calls with generators seeded alike should give the same z; they differ, so eps is not "
        "drawn from the generator you are given (use torch.randn(mu.shape, generator=generator))")
    assert not np.allclose(z1, z3), (
        "generators with different seeds should give different z; they gave the same z "
        "(is eps drawn at all?)")


@graded("reparameterize", points=1)
def test_reparameterize_sample_moments(student):
    n = 20_000
    mu0 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    logvar0 = np.array([0.0, -1.5, 1.0], dtype=np.float32)
    mu, logvar = np.tile(mu0, (n, 1)), np.tile(logvar0, (n, 1))
    z = expect_array(student.call("reparameterize", tensor(mu), tensor(logvar), generator(0)),
                     f"reparameterize for mu of shape ({n}, 3)", shape=(n, 3))
    sigma0 = np.exp(0.5 * logvar0)
    assert np.isfinite(z).all(), f"reparameterize gave non-finite values, such as {z[~np.isfinite(z)][:3]}"
    mean, std = z.mean(axis=0), z.std(axis=0)
    assert np.all(std > 1e-3), (
        "all rows of z are (almost) the same: eps should hold one independent draw per example "
        "and per dimension, of shape mu.shape")
    assert np.all(np.abs(mean - mu0) < 5 * sigma0 / np.sqrt(n)), (
        f"the mean of {n} samples should be mu = {show(mu0)}; got {show(mean, 3)}")
    hint = ""
    if np.allclose(std, np.exp(logvar0), rtol=0.05):
        hint = " This is exp(logvar): sigma is exp(logvar / 2), the square root of the variance."
    assert np.allclose(std, sigma0, rtol=0.03), (
        f"the standard deviation of {n} samples should be sigma = exp(logvar / 2) = "
        f"{show(sigma0, 3)} for logvar = {show(logvar0)}; got "
        f"{show(std, 3)}.{hint}")


@graded("reparameterize", points=1)
def test_reparameterize_gradients_reach_mu_and_logvar(student):
    mu, logvar = _gaussians(1, (4, 3))
    z, grads = student.grad("reparameterize", tensor(mu, requires_grad=True),
                            tensor(logvar, requires_grad=True), generator(0))
    z = expect_array(z, "reparameterize(mu, logvar, generator)", shape=(4, 3))
    g_mu, g_logvar = grads
    assert g_mu is not None and g_logvar is not None, (
        "no gradient reached mu or logvar: z must be computed as mu + sigma * eps from the tensors "
        "you are given (a sampler such as Normal(mu, sigma).sample() cuts the graph)")
    assert np.allclose(g_mu, 1.0, atol=1e-5), (
        f"d z / d mu should be 1 for every entry (z = mu + sigma * eps); got {show(g_mu, 3)}")
    want = 0.5 * (z - mu)  # d z / d logvar = sigma * eps / 2
    ratio = float(np.sum(g_logvar * want) / max(np.sum(want * want), 1e-12))
    hint = (" It is twice that: is sigma = exp(logvar) instead of exp(logvar / 2)?"
            if abs(ratio - 2) < 0.05 else "")
    assert np.allclose(g_logvar, want, rtol=1e-4, atol=1e-5), (
        "d z / d logvar should be sigma * eps / 2 = (z - mu) / 2 when sigma = exp(logvar / 2); "
        f"first row: got {show(g_logvar[0], 4)}, expected {show(want[0], 4)}.{hint}")


@graded("reparameterize", points=1, hidden=True)
def test_reparameterize_draws_independent_noise(student):
    n = 4_000
    mu, logvar = np.zeros((n, 4), dtype=np.float32), np.zeros((n, 4), dtype=np.float32)
    z = expect_array(student.call("reparameterize", tensor(mu), tensor(logvar), generator(3)),
                     f"reparameterize for mu of shape ({n}, 4)", shape=(n, 4))
    std = z.std(axis=0)
    assert np.all(np.abs(std - 1) < 0.06), (
        "with mu = 0 and logvar = 0, each column of z should be standard normal across the examples; "
        f"its standard deviations are {show(std, 3)} (is eps shared between examples?)")
    corr = np.corrcoef(z, rowvar=False)
    off = np.abs(corr - np.eye(4)).max()
    assert off < 0.1, (
        "the latent dimensions of z should be independent (eps of shape mu.shape), but two columns "
        f"have correlation {off:.2f} (is one eps shared by all dimensions of an example?)")
    z_single = expect_array(student.call("reparameterize", tensor(mu[:1]), tensor(logvar[:1]),
                                         generator(3)), "reparameterize for one example", shape=(1, 4))
    assert np.isfinite(z_single).all(), "reparameterize of one example gave non-finite values"


# gaussian_kl


@graded("gaussian_kl", points=2)
def test_gaussian_kl_matches_torch_distributions(student):
    mu, logvar = _gaussians(2, (6, 4))
    got = expect_array(student.call("gaussian_kl", tensor(mu), tensor(logvar)),
                       "gaussian_kl(mu, logvar) for mu of shape (6, 4)", shape=(6, 4))
    want = _kl_oracle(mu, logvar)
    hint = ""
    if np.allclose(got, -want, rtol=1e-3, atol=1e-4):
        hint = " Your values are the negative of the KL: check the sign."
    elif np.allclose(got, 2 * want, rtol=1e-3, atol=1e-4):
        hint = " Your values are twice the KL: the closed form has a factor 1/2."
    assert np.allclose(got, want, rtol=1e-4, atol=1e-5), (
        "gaussian_kl should equal torch.distributions.kl_divergence(Normal(mu, exp(logvar / 2)), "
        f"Normal(0, 1)) entry by entry; first row: got {show(got[0], 4)}, expected "
        f"{show(want[0], 4)}.{hint}")


@graded("gaussian_kl", points=1)
def test_gaussian_kl_is_zero_at_the_prior_and_never_negative(student):
    zeros = np.zeros((3, 2), dtype=np.float32)
    at_prior = expect_array(student.call("gaussian_kl", tensor(zeros), tensor(zeros)),
                            "gaussian_kl(0, 0)", shape=(3, 2))
    assert np.allclose(at_prior, 0, atol=1e-6), (
        f"the KL should be 0 when mu = 0 and logvar = 0 (q is the prior); got {show(at_prior[0])}")
    mu, logvar = _gaussians(3, (500, 2))
    mu[:5], logvar[:5] = 0.0, np.linspace(-6, 4, 5)[:, None]
    got = expect_array(student.call("gaussian_kl", tensor(mu), tensor(logvar)),
                       "gaussian_kl on 500 random Gaussians", shape=(500, 2))
    worst = int(np.argmin(got.min(axis=1)))
    assert got.min() >= -1e-6, (
        f"a KL divergence is never negative; got {got.min():.4f} for mu = {show(mu[worst])}, "
        f"logvar = {show(logvar[worst])}")
    assert (got[:5] > 1e-3).all(), (
        "the KL is positive whenever q differs from the prior: with mu = 0 and logvar = "
        f"{show(logvar[:5, 0])} (only 0 gives the prior) it should be > 0, but got "
        f"{show(got[:5, 0], 3)}")


@graded("gaussian_kl", points=1, hidden=True)
def test_gaussian_kl_matches_monte_carlo(student):
    mu = np.array([[0.0, 1.5, -0.5], [2.0, 0.0, 0.3]], dtype=np.float32)
    logvar = np.array([[-1.0, 0.5, 0.0], [0.0, -2.5, 1.2]], dtype=np.float32)
    got = expect_array(student.call("gaussian_kl", tensor(mu), tensor(logvar)),
                       "gaussian_kl(mu, logvar) for mu of shape (2, 3)", shape=(2, 3))
    rng = np.random.default_rng(0)
    sigma = np.exp(0.5 * np.float64(logvar))
    z = mu + sigma * rng.standard_normal((100_000, *mu.shape))  # samples of q
    log_ratio = norm.logpdf(z, mu, sigma) - norm.logpdf(z)  # log q(z) - log p(z)
    estimate = log_ratio.mean(axis=0)
    tolerance = 5 * log_ratio.std(axis=0) / np.sqrt(len(z)) + 1e-3
    assert np.all(np.abs(got - estimate) < tolerance), (
        "gaussian_kl should agree with a Monte Carlo estimate E_q[log q(z) - log p(z)] from 100,000 "
        f"samples; got {show(got, 3)}, estimate {show(estimate, 3)}")


# negative_elbo


def _elbo_inputs(seed, batch=5, latent_dim=3):
    """Real digits x, seeded x_hat in (0.02, 0.98) and (mu, logvar), all float32."""
    rng = np.random.default_rng(seed)
    x = _digits()[seed * batch:(seed + 1) * batch]
    x_hat = rng.uniform(0.02, 0.98, size=x.shape).astype(np.float32)
    mu, logvar = _gaussians(seed + 10, (batch, latent_dim))
    return x, x_hat, mu, logvar


def _elbo(student, x, x_hat, mu, logvar, beta, what="negative_elbo"):
    return _triple(student.call("negative_elbo", tensor(x), tensor(x_hat), tensor(mu),
                                tensor(logvar), beta=beta), what)


@graded("negative_elbo", points=2)
def test_negative_elbo_matches_bce_plus_kl(student):
    x, x_hat, mu, logvar = _elbo_inputs(0)
    recon_want = _bce_oracle(x, x_hat).mean()
    kl_want = _kl_oracle(mu, logvar).sum(axis=1).mean()
    for beta in (1.0, 0.5):
        loss, recon, kl = _elbo(student, x, x_hat, mu, logvar, beta, f"negative_elbo(..., beta={beta})")
        assert np.isclose(recon, recon_want, rtol=1e-4), (
            "recon should be the binary cross-entropy summed over the 64 pixels and averaged over "
            f"the batch of 5: expected {recon_want:.3f}, got {recon:.3f}"
            + (" (that is the mean over pixels too: sum over pixels instead)"
               if np.isclose(recon, recon_want / 64, rtol=1e-3) else "")
            + (" (that is the sum over the batch: average over it)"
               if np.isclose(recon, recon_want * 5, rtol=1e-3) else ""))
        assert np.isclose(kl, kl_want, rtol=1e-4), (
            "kl should be the KL summed over latent dimensions and averaged over the batch of 5: "
            f"expected {kl_want:.4f}, got {kl:.4f}"
            + (" (that is the sum over the batch: average over it)"
               if np.isclose(kl, kl_want * 5, rtol=1e-3) else "")
            + (" (that is the mean over latent dimensions too: sum over them)"
               if np.isclose(kl, kl_want / 3, rtol=1e-3) else ""))
        want = recon_want + beta * kl_want
        assert np.isclose(loss, want, rtol=1e-4), (
            f"loss should be recon + beta * kl = {want:.3f} for beta = {beta}; got {loss:.3f}")


@graded("negative_elbo", points=1)
def test_beta_scales_only_the_kl_term(student):
    x, x_hat, mu, logvar = _elbo_inputs(1)
    runs = {beta: _elbo(student, x, x_hat, mu, logvar, beta, f"negative_elbo(..., beta={beta})")
            for beta in (0.0, 1.0, 3.0)}
    recons = [r[1] for r in runs.values()]
    assert np.allclose(recons, recons[0], rtol=1e-5), (
        f"recon should not depend on beta; for beta = 0, 1, 3 it was {show(recons, 3)}")
    loss0, recon0, _ = runs[0.0]
    assert np.isclose(loss0, recon0, rtol=1e-5), (
        f"with beta = 0 the loss should be the reconstruction term alone ({recon0:.3f}); got "
        f"{loss0:.3f}: beta multiplies the KL term only")
    slope = (runs[3.0][0] - runs[1.0][0]) / 2
    assert np.isclose(slope, runs[1.0][2], rtol=1e-4), (
        f"raising beta by 1 should raise the loss by exactly kl ({runs[1.0][2]:.3f}); it raised it "
        f"by {slope:.3f}: beta multiplies the KL term only")


@graded("negative_elbo", points=1, hidden=True)
def test_negative_elbo_averages_over_the_batch(student):
    x, x_hat, mu, logvar = _elbo_inputs(2, batch=4)
    one = _elbo(student, x, x_hat, mu, logvar, 1.0)
    double = [np.concatenate([a, a]) for a in (x, x_hat, mu, logvar)]
    two = _elbo(student, *double, 1.0, "negative_elbo on the batch repeated twice")
    for name, a, b in zip(("loss", "recon", "kl"), one, two, strict=True):
        assert np.isclose(a, b, rtol=1e-5), (
            f"{name} should be averaged over the batch, so repeating the batch twice must not change "
            f"it; it went from {a:.3f} to {b:.3f}")


@graded("negative_elbo", points=1, hidden=True)
def test_negative_elbo_gradients(student):
    x, x_hat, mu, logvar = _elbo_inputs(3, batch=4)
    beta = 0.5
    out, grads = student.grad("negative_elbo", tensor(x), tensor(x_hat), tensor(mu, requires_grad=True),
                              tensor(logvar, requires_grad=True), beta=beta)
    g_mu, g_logvar = grads
    assert g_mu is not None and g_logvar is not None, (
        "the loss should be differentiable in mu and logvar (keep it a torch computation)")
    want_mu = beta * mu / len(mu)
    want_logvar = beta * 0.5 * (np.exp(logvar) - 1) / len(mu)
    assert np.allclose(g_mu, want_mu, rtol=1e-3, atol=1e-6), (
        f"d loss / d mu should be beta * mu / batch for beta = {beta} and a batch of {len(mu)}; "
        f"got {show(g_mu[0], 4)} for the first row, expected {show(want_mu[0], 4)}")
    assert np.allclose(g_logvar, want_logvar, rtol=1e-3, atol=1e-6), (
        "d loss / d logvar should be beta * (exp(logvar) - 1) / (2 * batch); got "
        f"{show(g_logvar[0], 4)} for the first row, expected "
        f"{show(want_logvar[0], 4)}")


# VAE


@graded("VAE", points=1)
def test_encode_returns_mu_and_logvar_of_width_latent_dim(student):
    model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16)
    latent_dim = expect_type(model.get("latent_dim"), int, "VAE(latent_dim=3).latent_dim")
    assert latent_dim == 3, f"VAE(latent_dim=3).latent_dim should be 3; got {latent_dim}"
    mu, logvar = _pair(model.call("encode", tensor(_digits()[:5])), "encode(x) for x of shape (5, 64)",
                       (5, 3))
    assert not np.allclose(mu, logvar), "encode should give two different outputs, mu and logvar"
    assert np.isfinite(mu).all() and np.isfinite(logvar).all(), "encode gave non-finite values"


@graded("VAE", points=1)
def test_decode_gives_images_in_the_unit_range(student):
    model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16)
    z = 3 * np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    x_hat = expect_array(model.call("decode", tensor(z)), "decode(z) for z of shape (7, 3)", shape=(7, 64))
    assert x_hat.min() >= 0 and x_hat.max() <= 1, (
        f"decode should give pixel probabilities in [0, 1]; got values from {x_hat.min():.3f} to "
        f"{x_hat.max():.3f} (end the decoder with a sigmoid)")


@graded("VAE", points=1)
def test_seed_sets_the_initial_weights(student):
    x = _digits()[:5]

    def mu(seed):
        model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16, seed=seed)
        return _pair(model.call("encode", tensor(x)), f"encode(x) of VAE(..., seed={seed})", (5, 3))[0]

    first, again, other = mu(3), mu(3), mu(4)
    assert np.allclose(first, again), (
        "two VAEs built with seed=3 should start with the same weights, so encode(x) should give the "
        "same mu; set torch's seed from `seed` before creating the layers")
    assert not np.allclose(first, other), (
        "VAEs built with seed=3 and seed=4 start with the same weights: the initial weights should "
        "depend on `seed`")


def _forward(model, x, seed):
    out = model.call("forward", tensor(x), generator(seed))
    if not isinstance(out, tuple | list) or len(out) != 3:
        raise AssertionError("forward(x, generator) should return a tuple (x_hat, mu, logvar)")
    x_hat = expect_array(out[0], "x_hat from forward", shape=x.shape)
    mu = expect_array(out[1], "mu from forward", shape=(len(x), 3))
    logvar = expect_array(out[2], "logvar from forward", shape=(len(x), 3))
    return x_hat, mu, logvar


@graded("VAE", points=1)
def test_forward_decodes_a_sample_not_mu(student):
    model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16)
    x = _digits()[:8]
    x_hat1, mu1, logvar1 = _forward(model, x, 1)
    x_hat2, mu2, _ = _forward(model, x, 2)
    mu_enc, logvar_enc = _pair(model.call("encode", tensor(x)), "encode(x)", (8, 3))
    assert np.allclose(mu1, mu_enc, atol=1e-5) and np.allclose(logvar1, logvar_enc, atol=1e-5), (
        "forward should return the mu and logvar that encode(x) gives")
    assert np.allclose(mu1, mu2, atol=1e-6), "mu should not depend on the generator"
    assert np.abs(x_hat1 - x_hat2).max() > 1e-4, (
        "forward with two different generators gave the same x_hat: it should decode a random sample "
        "z = reparameterize(mu, logvar, generator), not mu")


@graded("VAE", points=1, hidden=True)
def test_forward_uses_reparameterize_with_the_generator(student):
    model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16)
    x = _digits()[8:14]
    x_hat, mu, logvar = _forward(model, x, 5)
    z = expect_array(student.call("reparameterize", tensor(mu), tensor(logvar), generator(5)),
                     "reparameterize(mu, logvar, generator)", shape=mu.shape)
    want = expect_array(model.call("decode", tensor(z)), "decode(z)", shape=x.shape)
    assert np.allclose(x_hat, want, atol=1e-5), (
        "forward(x, generator) should return decode(reparameterize(mu, logvar, generator)), the "
        "decoded sample drawn with the generator it is given; it returned something else")
    small = student.new("VAE", input_dim=10, latent_dim=4, hidden_dim=8)
    out = small.call("forward", tensor(x[:, :10]), generator(0))
    assert isinstance(out, tuple | list) and len(out) == 3, "forward should return (x_hat, mu, logvar)"
    expect_array(out[0], "x_hat of VAE(input_dim=10, latent_dim=4)", shape=(6, 10))
    expect_array(out[1], "mu of VAE(input_dim=10, latent_dim=4)", shape=(6, 4))


# train_vae


def _history(value, what, steps):
    """The {"loss", "recon", "kl"} history as three float arrays of length `steps`."""
    if not isinstance(value, dict):
        raise AssertionError(f"{what} should return a dict with keys 'loss', 'recon', 'kl'; "
                             f"it returned a {type(value).__name__}")
    missing = {"loss", "recon", "kl"} - set(value)
    assert not missing, f"the history from {what} is missing the keys {sorted(missing)}"
    out = {}
    for key in ("loss", "recon", "kl"):
        try:
            arr = np.asarray(value[key], dtype=float)
        except (TypeError, ValueError):
            raise AssertionError(f"history[{key!r}] should be a list of numbers") from None
        assert arr.shape == (steps,), (
            f"history[{key!r}] should hold one number per optimisation step ({steps}); it has "
            f"shape {arr.shape}")
        assert np.isfinite(arr).all(), f"history[{key!r}] holds non-finite values"
        out[key] = arr
    return out


def _oracle_loss(model, x, eps) -> float:
    """Negative ELBO (beta = 1) of the learner's model on x with the noise eps drawn here."""
    mu, logvar = _pair(model.call("encode", tensor(x)), "encode(x)", eps.shape)
    z = (mu + np.exp(0.5 * logvar) * eps).astype(np.float32)
    x_hat = expect_array(model.call("decode", tensor(z)), "decode(z)", shape=x.shape)
    x_hat = np.clip(x_hat, 1e-6, 1 - 1e-6)
    return float((_bce_oracle(x, x_hat) + _kl_oracle(mu, logvar).sum(axis=1)).mean())


@graded("train_vae", points=1, timeout=30)
def test_train_vae_records_every_step(student):
    x = _digits()[:200]
    model = student.new("VAE", input_dim=64, latent_dim=2, hidden_dim=16)
    beta = 0.5
    history = _history(student.call("train_vae", model, tensor(x), num_epochs=2, batch_size=64,
                                    lr=1e-3, beta=beta, seed=0),
                       "train_vae(model, x of 200 digits, num_epochs=2, batch_size=64)", 2 * 4)
    assert np.allclose(history["loss"], history["recon"] + beta * history["kl"], rtol=1e-4), (
        f"at every step, loss should be recon + beta * kl (beta = {beta})")
    assert (history["kl"] >= 0).all() and (history["recon"] > 0).all(), (
        "the recorded recon should be positive and kl non-negative")


@graded("train_vae", points=2, timeout=30)
def test_training_improves_the_elbo(student):
    x = _digits()
    eps = np.random.default_rng(0).standard_normal((len(x), 2)).astype(np.float32)
    model = student.new("VAE", input_dim=64, latent_dim=2, hidden_dim=32)
    before = _oracle_loss(model, x, eps)
    student.call("train_vae", model, tensor(x), num_epochs=6, batch_size=32, lr=3e-3, beta=1.0, seed=0)
    after = _oracle_loss(model, x, eps)
    assert after < 0.85 * before, (
        "48 steps of train_vae should lower the negative ELBO (measured here with noise of our own) by "
        f"more than 15%; it went from {before:.1f} to {after:.1f} nats per digit")


@graded("train_vae", points=1, hidden=True, timeout=30)
def test_training_decodes_samples(student):
    x = _all_digits()
    model = student.new("VAE", input_dim=64, latent_dim=2, hidden_dim=64)
    student.call("train_vae", model, tensor(x), num_epochs=5, batch_size=32, lr=3e-3, beta=0.05,
                 seed=0)
    _, logvar = _pair(model.call("encode", tensor(x)), "encode(x)", (len(x), 2))
    variance = np.exp(np.float64(logvar)).mean(axis=0)  # (2,) mean posterior variance per unit
    assert variance.min() < 0.5, (
        "after 210 steps with beta = 0.05, the posterior of at least one latent unit should be much "
        "narrower than the prior, because the noise of a sample z costs reconstruction; the mean "
        f"posterior variances are {show(variance, 2)}. Does training decode a sample "
        "z = reparameterize(mu, logvar, generator) rather than mu, and does it pass beta on?")


# sample_prior


def _prior(student, model, n, seed, latent_dim):
    out = student.call("sample_prior", model, n, generator(seed))
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise AssertionError("sample_prior(model, n, generator) should return a tuple (z, x_hat)")
    z = expect_array(out[0], f"z from sample_prior(model, {n}, generator)", shape=(n, latent_dim))
    x_hat = expect_array(out[1], f"x_hat from sample_prior(model, {n}, generator)", shape=(n, 64))
    return z, x_hat


@graded("sample_prior", points=2)
def test_prior_samples_decode_to_images(student):
    model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16)
    z, x_hat = _prior(student, model, 10, 0, 3)
    assert x_hat.min() >= 0 and x_hat.max() <= 1, (
        f"samples should be images with pixel values in [0, 1], like the digits; got values from "
        f"{x_hat.min():.3f} to {x_hat.max():.3f}")
    z_again, _ = _prior(student, model, 10, 0, 3)
    z_other, _ = _prior(student, model, 10, 1, 3)
    assert np.array_equal(z, z_again), (
        "two calls with generators seeded alike should draw the same z; draw it with the generator "
        "you are given")
    assert not np.allclose(z, z_other), "generators with different seeds should draw different z"
    want = expect_array(model.call("decode", tensor(z)), "decode(z)", shape=(10, 64))
    assert np.allclose(x_hat, want, atol=1e-5), "x_hat should be model.decode(z) for the z returned"


@graded("sample_prior", points=1, hidden=True)
def test_prior_samples_are_standard_normal(student):
    model = student.new("VAE", input_dim=64, latent_dim=3, hidden_dim=16)
    n = 4_000
    z, _ = _prior(student, model, n, 2, 3)
    mean, std = z.mean(axis=0), z.std(axis=0)
    corr = np.abs(np.corrcoef(z, rowvar=False) - np.eye(3)).max()
    assert np.all(np.abs(mean) < 0.1) and np.all(np.abs(std - 1) < 0.06) and corr < 0.1, (
        f"z should come from the prior N(0, I): {n} draws have means {show(mean, 3)}, "
        f"standard deviations {show(std, 3)} and largest correlation {corr:.2f} "
        "(expected 0, 1 and 0)")


# active_units


def _latents(variances, offsets, n=500, seed=0):
    """Posterior means (n, d) whose column u has population variance variances[u] exactly."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal((n, len(variances)))
    r = (r - r.mean(axis=0)) / r.std(axis=0)
    return (np.asarray(offsets) + r * np.sqrt(variances)).astype(np.float32)


def _count(student, mu, what, **kwargs) -> int:
    value = student.call("active_units", tensor(mu), **kwargs)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iub":
        value = int(value.reshape(()))
    return expect_type(value, int, what)


@graded("active_units", points=2)
def test_active_units_on_constructed_latents(student):
    variances = [1.0, 0.0, 0.05, 0.004, 0.3]
    offsets = [0.0, 2.0, 0.5, 0.0, -1.0]
    mu = _latents(variances, offsets)
    got = _count(student, mu, "active_units(mu)")
    assert got == 3, (
        "unit u is active when the variance over the examples of mu[:, u] exceeds 0.01; for 500 "
        f"examples with column variances {variances} and column means {offsets}, that is 3 units "
        f"(compare the variance, not the standard deviation or the mean of mu squared); got {got}")


@graded("active_units", points=1, hidden=True)
def test_active_units_counts_over_examples_with_any_threshold(student):
    mu = _latents([0.5, 0.2, 0.03], [0.0, 1.0, 0.0], n=50, seed=1)
    got = _count(student, mu, "active_units(mu) for mu of shape (50, 3)")
    assert got == 3, f"all 3 units of mu with column variances [0.5, 0.2, 0.03] are active; got {got}"
    got = _count(student, mu, "active_units(mu, threshold=0.1)", threshold=0.1)
    assert got == 2, f"with threshold=0.1 the units of variance 0.5 and 0.2 are active; got {got}"
    wide = _latents([0.0] * 9 + [2.0], [0.0] * 10, n=6, seed=2)
    got = _count(student, wide, "active_units(mu) for mu of shape (6, 10)")
    assert got == 1, (
        "for 6 examples of 10 units where only the last unit varies, 1 unit is active (take the "
        f"variance over the examples, dimension 0); got {got}")
