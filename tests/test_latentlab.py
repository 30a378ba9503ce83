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
