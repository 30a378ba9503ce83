"""latentlab's own helpers against independent oracles (numpy, scikit-learn, torch).

The reference answers in latentlab/reference/ are graded by their chapters' checks
(tests/test_assignments.py); data loaders are tested offline in test_data_offline.py.
"""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from latentlab import metrics, models, plotting


def test_mlp_has_relu_between_layers_only():
    net = models.mlp([5, 7, 3, 2])
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [(layer.in_features, layer.out_features) for layer in net if hasattr(layer, "in_features")] == [
        (5, 7), (7, 3), (3, 2)]


class _Affine(torch.nn.Module):
    """encode(x) = x @ a; decode(z) = z @ a.T: enough to check the numpy wrappers."""

    def __init__(self):
        super().__init__()
        self.a = torch.tensor(np.random.default_rng(0).normal(size=(4, 2)), dtype=torch.float32)

    def encode(self, x):
        return x @ self.a

    def decode(self, z):
        return z @ self.a.T


def test_encode_and_decode_wrap_numpy_without_gradients():
    model = _Affine()
    x = np.random.default_rng(1).normal(size=(6, 4))
    z = models.encode(model, x)
    assert isinstance(z, np.ndarray) and z.shape == (6, 2)
    assert np.allclose(z, x @ model.a.numpy(), atol=1e-5)
    assert np.allclose(models.decode(model, z), z @ model.a.numpy().T, atol=1e-5)


def test_encode_takes_the_mean_of_a_model_that_returns_a_distribution():
    class Gaussian(_Affine):
        def encode(self, x):
            return x @ self.a, torch.zeros(len(x), 2)

    x = np.ones((3, 4))
    assert np.allclose(models.encode(Gaussian(), x), x @ Gaussian().a.numpy(), atol=1e-5)


def test_decoded_manifold_covers_a_grid_of_gaussian_quantiles():
    class Identity(torch.nn.Module):
        def decode(self, z):
            return z

    grid = models.decoded_manifold(Identity(), n=5, span=(0.1, 0.9))
    assert grid.shape == (25, 2)
    assert np.isclose(grid[:, 0].max(), 1.2815516, atol=1e-5)  # the 0.9 quantile of N(0, 1)
    assert grid[0, 1] > grid[-1, 1] and grid[0, 0] < grid[4, 0], "rows fall in z_2, columns rise in z_1"


def test_reconstruction_error_is_the_mean_squared_error():
    rng = np.random.default_rng(2)
    x, x_hat = rng.random((5, 3)), rng.random((5, 3))
    assert metrics.reconstruction_error(x, x_hat) == pytest.approx(((x - x_hat) ** 2).sum() / 15)


def test_pca_reconstruction_projects_on_the_top_principal_directions():
    rng = np.random.default_rng(3)
    x_train = rng.normal(size=(50, 5)) @ rng.normal(size=(5, 5)) + 2.0
    x = rng.normal(size=(7, 5))
    mean = x_train.mean(axis=0)
    vt = np.linalg.svd(x_train - mean, full_matrices=False)[2][:2]  # (2, 5)
    want = (x - mean) @ vt.T @ vt + mean
    assert np.allclose(metrics.pca_reconstruction(x_train, x, 2), want, atol=1e-8)
    assert np.allclose(want, PCA(2).fit(x_train).inverse_transform(PCA(2).fit(x_train).transform(x)))


def test_distance_to_real_is_the_mean_squared_distance_to_the_nearest_row():
    rng = np.random.default_rng(4)
    images, reference = rng.random((6, 8)), rng.random((20, 8))
    squared = ((images[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2)  # (6, 20)
    assert metrics.distance_to_real(images, reference) == pytest.approx(squared.min(axis=1).mean() / 8)
    assert metrics.distance_to_real(reference[:3], reference) == pytest.approx(0.0, abs=1e-12)


def test_markdown_table_rounds_floats_and_escapes_pipes():
    table = plotting.markdown_table(["a", "b"], [[0.12345, "x|y"], [1234, 2.0]], digits=2)
    lines = table.splitlines()
    assert lines[0] == "| a | b |" and lines[1] == "| --- | --- |"
    assert lines[2] == "| 0.12 | x\\|y |" and lines[3] == "| 1,234 | 2.00 |"


def test_over_seeds_gives_mean_min_and_max_per_seed_result():
    calls = []

    def run(seed):
        calls.append(seed)
        return {"a": float(seed) ** 2, "b": np.array([seed, -seed], dtype=float)}

    out = metrics.over_seeds(run, seeds=(1, 2, 4))
    assert calls == [1, 2, 4]
    assert out["a"].mean == pytest.approx(np.mean([1, 4, 16])) and (out["a"].min, out["a"].max) == (1, 16)
    assert np.allclose(out["b"].mean, [7 / 3, -7 / 3]) and np.allclose(out["b"].min, [1, -4])
    assert np.allclose(out["b"].errors, [[7 / 3 - 1, 4 - 7 / 3], [4 - 7 / 3, 7 / 3 - 1]])
    single = metrics.over_seeds(lambda seed: 0.5 * seed)  # seeds 0, 1, 2 by default
    assert isinstance(single.mean, float) and single.mean == pytest.approx(0.5)
    assert single.range(".1f") == "0.0 to 1.0" and single.values.shape == (3,)
    assert single.text(".0%") == "50% (0%–100%)"
    assert single.between(".2f") == "between 0.00 and 1.00"
    assert metrics.spread([0.501, 0.499, 0.5]).between(".2f") == "0.50"


def test_classifier_scores_match_predict_proba_and_the_entropy_of_label_counts():
    from scipy.stats import entropy
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = digits.data / 16.0, digits.target
    clf = metrics.digit_classifier(x[:1000], y[:1000])
    images = np.vstack([x[1000:1100], x[1000:1010] * 2.0 - 0.5])  # the last ten leave [0, 1]
    proba = clf.predict_proba(np.clip(images, 0, 1))
    got = metrics.classifier_scores(images, clf)
    assert got["confidence"] == pytest.approx(proba.max(axis=1).mean())
    assert got["class_entropy"] == pytest.approx(entropy(np.bincount(proba.argmax(axis=1), minlength=10)))
    same = metrics.classifier_scores(np.repeat(x[:1].clip(0, 1), 20, axis=0), clf)
    assert same["class_entropy"] == 0.0 and str(same["class_entropy"]) == "0.0"
    assert metrics.classifier_scores(x[1000:], clf)["confidence"] > same["confidence"] - 0.5


def _small_vae(latent_dim=2):
    from latentlab.reference import vae

    model = vae.VAE(input_dim=6, latent_dim=latent_dim, hidden_dim=5, seed=3)
    x = np.random.default_rng(5).random((4, 6)).astype(np.float32)
    return model, x


def test_importance_weighted_bound_matches_a_direct_monte_carlo_computation():
    from torch.distributions import Normal

    from latentlab.reference import vae

    model, x = _small_vae()
    got = vae.importance_weighted_bound(model, x, k=7, seed=11, chunk=3)
    with torch.no_grad():  # the same draws, scored with torch.distributions in one go
        xt = torch.from_numpy(x)
        mu, logvar = model.encode(xt)
        q = Normal(mu, torch.exp(0.5 * logvar))
        g = torch.Generator().manual_seed(11)
        z = torch.cat([mu + q.scale * torch.randn((m, 4, 2), generator=g) for m in (3, 3, 1)])  # (7, 4, 2)
        p = torch.sigmoid(model.decoder(z))  # (7, 4, 6) Bernoulli means
        log_px = (xt * p.log() + (1 - xt) * (1 - p).log()).sum(-1)
        log_w = log_px + Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)  # (7, 4)
        want = (torch.logsumexp(log_w, 0) - np.log(7)).numpy()
    assert got.shape == (4,) and np.allclose(got, want, atol=1e-4)
    many = vae.importance_weighted_bound(model, x, k=2000, seed=0)
    one = np.mean([vae.importance_weighted_bound(model, x, k=1, seed=s).mean() for s in range(200)])
    assert many.mean() >= one - 0.05, "more samples give a tighter (higher) bound on average"


def test_aggregate_posterior_kl_is_zero_for_the_prior_and_matches_a_gaussian_case():
    from latentlab.reference import vae

    class Fixed(torch.nn.Module):
        """q(z | x) = N(m, s^2) for every x: the aggregate is that Gaussian, with a known KL."""

        def __init__(self, m, s):
            super().__init__()
            self.m, self.s = m, s

        def encode(self, x):
            ones = torch.ones(len(x), 2)
            return self.m * ones, 2 * np.log(self.s) * ones

    x = np.zeros((5, 3))
    assert abs(vae.aggregate_posterior_kl(Fixed(0.0, 1.0), x, num_samples=4000)) < 1e-5
    m, s = 0.5, 0.7
    exact = 2 * 0.5 * (m ** 2 + s ** 2 - 1 - np.log(s ** 2))  # two independent dimensions
    assert vae.aggregate_posterior_kl(Fixed(m, s), x, num_samples=20000) == pytest.approx(exact, abs=0.03)


def test_in_how_many_names_the_share_of_seeds():
    assert metrics.in_how_many([True, True, True]) == "in every seed"
    assert metrics.in_how_many(np.array([0.2, 0.5, 0.1]) > 1) == "in no seed"
    assert metrics.in_how_many([True, False, True]) == "in 2 of 3 seeds"
