"""Checks of a02_autoencoders: PCA by the SVD, an MLP autoencoder, its loss, its seeded training
loop and latent nearest-neighbour label agreement.

Oracles: scikit-learn's `PCA` (compared through projection matrices and reconstructions, so the
sign and the basis of the components do not matter) and `NearestNeighbors`; torch for the mean
squared error, gradients and a reference run of Adam; closed forms on tiny inputs. Checks that
need a trained model ask the learner's own `train_autoencoder` to train the learner's own
`Autoencoder` on small seeded data.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from sklearn.decomposition import PCA as SklearnPCA
from sklearn.neighbors import NearestNeighbors

from autograder.api import (
    Handle,
    describe,
    expect_array,
    expect_scalar,
    expect_type,
    graded,
    learner_errors_fail,
    tensor,
)
from latentlab import data

# helpers


def _f32(x):
    """`x` as a float32 torch tensor argument."""
    return tensor(np.asarray(x, dtype=np.float32))


@functools.lru_cache(maxsize=None)
def _blobs(seed: int, n: int = 40) -> np.ndarray:
    """Gaussian data (n, 6) far from the origin with well separated variances, float64."""
    rng = np.random.default_rng(seed)
    scales = np.array([5.0, 3.0, 1.5, 0.7, 0.3, 0.1])  # standard deviations along the axes
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))  # (6, 6) orthogonal
    offset = rng.uniform(3.0, 6.0, size=6)  # a mean far from 0: centring matters
    x = (rng.normal(size=(n, 6)) * scales) @ rotation + offset
    x.setflags(write=False)
    return x


@functools.lru_cache(maxsize=None)
def _curved(seed: int, n: int = 64, d: int = 8) -> np.ndarray:
    """Points near a curved 2-D surface in [0, 1]^d with a little noise: (n, d) float32."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1.0, 1.0, size=(n, 2))  # (n, 2) the true 2-D coordinates
    a = 2.0 * rng.normal(size=(2, d))
    x = 1.0 / (1.0 + np.exp(-(t @ a + np.sin(3.0 * t[:, :1]))))  # (n, d)
    x = (x + 0.02 * rng.normal(size=(n, d))).astype(np.float32)
    x.setflags(write=False)
    return x


@functools.lru_cache(maxsize=1)
def _digits():
    """The course's digits split: x_train (1347, 64), x_test (450, 64) float32, and labels."""
    return data.digits()


@functools.lru_cache(maxsize=None)
def _pca_test_error(latent_dim: int) -> float:
    """scikit-learn PCA's held-out MSE per pixel on the digits with `latent_dim` components."""
    x_train, x_test, _, _ = _digits()
    pca = SklearnPCA(latent_dim, svd_solver="full").fit(x_train.astype(np.float64))
    x_hat = pca.inverse_transform(pca.transform(x_test.astype(np.float64)))
    return float(np.mean((x_hat - x_test) ** 2))


def _fitted_pca(student, latent_dim: int, x: np.ndarray):
    """The learner's PCA(latent_dim) fitted on x, with its mean (d,) and components (k, d)."""
    pca = student.new("PCA", latent_dim)
    pca.call("fit", x)
    d = x.shape[1]
    mean = expect_array(pca.get("mean"), f"PCA({latent_dim}).mean after fit(x) with x {x.shape}",
                        shape=(d,))
    components = expect_array(pca.get("components"), f"PCA({latent_dim}).components after fit(x) "
                              f"with x {x.shape}", shape=(latent_dim, d))
    return pca, mean, components


def _history(value, num_epochs: int) -> np.ndarray:
    """The loss history returned by train_autoencoder as a float array, checked for type."""
    if type(value) not in (list, tuple):
        raise AssertionError(f"train_autoencoder should return a list of {num_epochs} floats (one "
                             f"loss per epoch), but it returned {describe(value)}")
    if len(value) != num_epochs:
        raise AssertionError(f"train_autoencoder(..., num_epochs={num_epochs}) should return one "
                             f"loss per epoch, {num_epochs} in all; it returned {len(value)}")
    for i, loss in enumerate(value):
        if type(loss) not in (float, int):
            raise AssertionError(f"each loss in the history should be a Python float (use "
                                 f"loss.item()), but history[{i}] is {describe(loss)}")
    history = np.array(value, dtype=np.float64)
    if not np.all(np.isfinite(history)):
        raise AssertionError(f"the loss history should hold finite numbers; got {list(value)}")
    return history


def _affine_maps(model, d: int, k: int):
    """Read a linear autoencoder's maps through its interface: encode(x) = x @ w_e + b_e,
    decode(z) = z @ w_d + b_d, with w_e (d, k), b_e (k,), w_d (k, d), b_d (d,)."""
    b_e = expect_array(model.call("encode", _f32(np.zeros((1, d)))), "encode(x) for x (1, d)",
                       shape=(1, k))[0]
    w_e = expect_array(model.call("encode", _f32(np.eye(d))), "encode(x) for x (d, d)",
                       shape=(d, k)) - b_e
    b_d = expect_array(model.call("decode", _f32(np.zeros((1, k)))), "decode(z) for z (1, k)",
                       shape=(1, d))[0]
    w_d = expect_array(model.call("decode", _f32(np.eye(k))), "decode(z) for z (k, k)",
                       shape=(k, d)) - b_d
    return w_e, b_e, w_d, b_d


def _reference_adam(params, x: np.ndarray, num_epochs: int, lr: float):
    """Full-batch Adam on the mean squared error of a linear autoencoder from `params`:
    (loss history, final params), the reference for train_autoencoder."""
    w_e, b_e, w_d, b_d = (torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in params)
    xt = torch.tensor(x)
    optimizer = torch.optim.Adam([w_e, b_e, w_d, b_d], lr=lr)
    history = []
    for _ in range(num_epochs):
        loss = (((xt @ w_e + b_e) @ w_d + b_d - xt) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return np.array(history), [p.detach().numpy() for p in (w_e, b_e, w_d, b_d)]


def _agreement(z: np.ndarray, y: np.ndarray, k: int) -> float:
    """Oracle: scikit-learn's k nearest neighbours, each point left out of its own."""
    _, idx = NearestNeighbors(n_neighbors=k).fit(z).kneighbors()  # (n, k)
    return float((y[idx] == y[:, None]).mean())


# PCA


@graded("PCA", points=1)
def test_pca_shapes(student):
    x = np.array(_blobs(0))
    pca = student.new("PCA", 2)
    fitted = pca.call("fit", x)
    assert isinstance(fitted, Handle) and fitted.type_name == pca.type_name, (
        "PCA.fit(x) should return the fitted PCA itself (end with `return self`), so that "
        f"PCA(2).fit(x).encode(x) works; it returned {describe(fitted)}")
    expect_array(pca.get("mean"), "PCA(2).mean after fit(x) with x (40, 6)", shape=(6,))
    expect_array(pca.get("components"), "PCA(2).components after fit(x) with x (40, 6)",
                 shape=(2, 6))
    z = expect_array(pca.call("encode", x), "PCA(2).encode(x) for x (40, 6)", shape=(40, 2))
    expect_array(pca.call("decode", z), "PCA(2).decode(z) for z (40, 2)", shape=(40, 6))


@graded("PCA", points=2)
def test_pca_subspace_matches_sklearn(student):
    x = np.array(_blobs(1))
    for latent_dim in (1, 3):
        _, mean, components = _fitted_pca(student, latent_dim, x)
        oracle = SklearnPCA(latent_dim, svd_solver="full").fit(x)
        gap = np.abs(mean - oracle.mean_).max()
        assert gap < 1e-8, (
            f"PCA.mean should be the mean of the rows of x, x.mean(axis=0); it differs from it by "
            f"up to {gap:.3g}")
        projection = components.T @ components  # (6, 6), independent of signs and basis
        gap = np.abs(projection - oracle.components_.T @ oracle.components_).max()
        assert gap < 1e-6, (
            f"with latent_dim={latent_dim}, your components should span the same subspace as "
            "scikit-learn's principal components (compared as projection matrices "
            "components.T @ components, so signs and the choice of basis do not matter), but "
            f"the projections differ by up to {gap:.3g}. Did you centre x before the SVD, and "
            "keep the first rows of Vt (not its columns, nor U)?")


@graded("PCA", points=1)
def test_pca_reconstruction_matches_sklearn(student):
    x = np.array(_blobs(2, n=70))
    x_fit, x_new = x[:50], x[50:]  # fit on 50 points, reconstruct 20 others
    pca, _, _ = _fitted_pca(student, 2, x_fit)
    z = expect_array(pca.call("encode", x_new), "PCA(2).encode(x) for x (20, 6)", shape=(20, 2))
    x_hat = expect_array(pca.call("decode", z), "PCA(2).decode(z) for z (20, 2)", shape=(20, 6))
    oracle = SklearnPCA(2, svd_solver="full").fit(x_fit)
    want = oracle.inverse_transform(oracle.transform(x_new))
    error, want_error = np.mean((x_hat - x_new) ** 2), np.mean((want - x_new) ** 2)
    assert np.allclose(x_hat, want, atol=1e-8), (
        "decode(encode(x)) of new points should equal scikit-learn's reconstruction "
        "pca.inverse_transform(pca.transform(x)); they differ by up to "
        f"{np.abs(x_hat - want).max():.3g}, and your reconstruction error is {error:.4f} where "
        f"scikit-learn's is {want_error:.4f}")


@graded("PCA", points=1)
def test_pca_decoder_inverts_encoder_on_planar_data(student):
    rng = np.random.default_rng(3)
    plane = rng.normal(size=(2, 5))  # x = centre + t @ plane: an exact 2-D plane in 5-D
    x = rng.uniform(2.0, 4.0, size=5) + rng.normal(size=(30, 2)) @ plane
    pca, _, _ = _fitted_pca(student, 2, x)
    x_hat = expect_array(pca.call("decode", pca.call("encode", x)),
                         "PCA(2).decode(PCA(2).encode(x)) for x (30, 5)", shape=(30, 5))
    gap = np.abs(x_hat - x).max()
    assert gap < 1e-8, (
        "these 30 points lie exactly on a 2-D plane (which does not pass through 0), so PCA with "
        "latent_dim=2 should reconstruct them exactly: decode(encode(x)) == x; the largest error "
        f"is {gap:.3g}. Is x centred before the SVD, and the mean added back in decode?")
    z = rng.normal(size=(7, 2))
    back = expect_array(pca.call("encode", pca.call("decode", z)),
                        "PCA(2).encode(PCA(2).decode(z)) for z (7, 2)", shape=(7, 2))
    gap = np.abs(back - z).max()
    assert gap < 1e-8, (
        "encode should undo decode: encode(decode(z)) == z, because the rows of components are "
        f"orthonormal; the largest difference is {gap:.3g}")


@graded("PCA", points=1, hidden=True)
def test_pca_components_are_orthonormal_and_ordered(student):
    x = np.array(_blobs(5, n=60))
    pca, _, components = _fitted_pca(student, 4, x)
    gap = np.abs(components @ components.T - np.eye(4)).max()
    assert gap < 1e-8, (
        "the rows of components should be orthonormal (components @ components.T == identity); "
        f"the largest deviation is {gap:.3g}")
    z = expect_array(pca.call("encode", x), "PCA(4).encode(x) for x (60, 6)", shape=(60, 4))
    variance = z.var(axis=0, ddof=1)
    want = SklearnPCA(4, svd_solver="full").fit(x).explained_variance_
    assert np.allclose(variance, want, rtol=1e-6), (
        "latent coordinate j should carry the j-th largest variance of the data, as in "
        f"scikit-learn's explained_variance_ {np.round(want, 4).tolist()}; the variances of your "
        f"codes are {np.round(variance, 4).tolist()}")


@graded("PCA", points=1, hidden=True)
def test_pca_on_digits_matches_sklearn_error(student):
    x_train, x_test, _, _ = _digits()
    x_train, x_test = x_train.astype(np.float64), x_test.astype(np.float64)
    pca, _, _ = _fitted_pca(student, 8, x_train)
    x_hat = expect_array(pca.call("decode", pca.call("encode", x_test)),
                         "PCA(8) reconstruction of the 450 held-out digits", shape=(450, 64))
    error, want = float(np.mean((x_hat - x_test) ** 2)), _pca_test_error(8)
    assert abs(error - want) <= 1e-6 * want, (
        "on the digits with latent_dim=8, your held-out reconstruction error should equal "
        f"scikit-learn PCA's, {want:.6f}; yours is {error:.6f}")


# Autoencoder


@graded("Autoencoder", points=1)
def test_autoencoder_shapes(student):
    rng = np.random.default_rng(10)
    for sizes in ([12, 8, 3], [12, 3], [12, 10, 6, 3]):
        model = student.new("Autoencoder", sizes, seed=0)
        latent_dim = expect_type(model.get("latent_dim"), int, f"Autoencoder({sizes}).latent_dim")
        assert latent_dim == 3, (
            f"Autoencoder({sizes}).latent_dim should be the last size, 3; it is {latent_dim}")
        x = rng.random((5, 12))
        z = expect_array(model.call("encode", _f32(x)),
                         f"Autoencoder({sizes}).encode(x) for x (5, 12)", shape=(5, 3))
        expect_array(model.call("decode", _f32(z)),
                     f"Autoencoder({sizes}).decode(z) for z (5, 3)", shape=(5, 12))
        expect_array(model.call("forward", _f32(x)),
                     f"Autoencoder({sizes}).forward(x) for x (5, 12)", shape=(5, 12))


@graded("Autoencoder", points=1)
def test_forward_goes_through_the_bottleneck(student):
    x = np.random.default_rng(11).random((8, 10))
    model = student.new("Autoencoder", [10, 6, 2], seed=1)
    z = expect_array(model.call("encode", _f32(x)), "encode(x) for x (8, 10)", shape=(8, 2))
    via_code = expect_array(model.call("decode", _f32(z)), "decode(z) for z (8, 2)", shape=(8, 10))
    x_hat = expect_array(model.call("forward", _f32(x)), "forward(x) for x (8, 10)", shape=(8, 10))
    assert not np.allclose(z, z[0]), (
        "encode(x) gave the same code to 8 different inputs: the code z should depend on x (even "
        f"an untrained model's random weights map different inputs apart); got z[0] = {z[0].tolist()}")
    gap = np.abs(x_hat - via_code).max()
    assert gap < 1e-5, (
        "forward(x) should be decode(encode(x)): everything the model knows about x must pass "
        f"through the latent_dim-number code z. Yours differs from decode(encode(x)) by up to "
        f"{gap:.3g}; is there a path from x to x_hat that skips the bottleneck?")


@graded("Autoencoder", points=1)
def test_linear_autoencoder_reconstructions_span_latent_dim(student):
    x = np.random.default_rng(12).normal(size=(20, 6))
    model = student.new("Autoencoder", [6, 2], seed=0)
    x_hat = expect_array(model.call("forward", _f32(x)), "Autoencoder([6, 2]).forward(x) for x (20, 6)",
                         shape=(20, 6))
    assert np.isfinite(x_hat).all(), (
        f"Autoencoder([6, 2]).forward(x) should give finite numbers; got {np.round(x_hat[0], 4).tolist()} "
        "for the first row")
    s = np.linalg.svd((x_hat - x_hat.mean(axis=0)).astype(np.float64), compute_uv=False)  # (6,)
    rank = int((s > 1e-4 * s[0]).sum())
    assert rank >= 1, (
        "Autoencoder([6, 2]).forward(x) gave the same reconstruction for 20 different inputs: "
        "x_hat should depend on x through the 2-number code")
    assert rank <= 2, (
        "with sizes [6, 2] the autoencoder is linear with a 2-number code, so its reconstructions "
        f"of any inputs lie on a 2-D plane; yours span {rank} dimensions (singular values "
        f"{np.round(s, 4).tolist()}). Something passes information around the code, or the "
        "linear autoencoder is not linear.")


@graded("Autoencoder", points=1)
def test_seed_sets_the_initial_weights(student):
    x = np.random.default_rng(13).random((6, 10))
    z_first = student.new("Autoencoder", [10, 6, 2], seed=3).call("encode", _f32(x))
    z_other = student.new("Autoencoder", [10, 6, 2], seed=4).call("encode", _f32(x))
    z_again = student.new("Autoencoder", [10, 6, 2], seed=3).call("encode", _f32(x))
    z_first, z_other, z_again = (expect_array(z, "encode(x) for x (6, 10)", shape=(6, 2))
                                 for z in (z_first, z_other, z_again))
    assert np.array_equal(z_first, z_again), (
        "two models made with Autoencoder([10, 6, 2], seed=3) should start with the same weights, "
        "but their codes of the same x differ by up to "
        f"{np.abs(z_first - z_again).max():.3g}; call torch.manual_seed(seed) before creating "
        "the layers")
    assert not np.allclose(z_first, z_other), (
        "Autoencoder(..., seed=3) and Autoencoder(..., seed=4) should start with different "
        "weights, but they give the same codes; is `seed` used?")


@graded("Autoencoder", points=1, hidden=True)
def test_relu_between_layers_but_not_at_the_ends(student):
    rng = np.random.default_rng(14)
    model = student.new("Autoencoder", [6, 16, 3], seed=0)
    x1, x2 = rng.normal(size=(30, 6)), rng.normal(size=(30, 6))
    z1, z2, z_mid = (expect_array(model.call("encode", _f32(x)), "encode(x) for x (30, 6)",
                                  shape=(30, 3)) for x in (x1, x2, (x1 + x2) / 2))
    assert not np.allclose(z_mid, (z1 + z2) / 2, atol=1e-5), (
        "with a hidden layer (sizes [6, 16, 3]) the encoder should be nonlinear, a ReLU between "
        "its linear layers, but your encode is affine")
    z = expect_array(model.call("encode", _f32(rng.normal(size=(200, 6)))),
                     "encode(x) for x (200, 6)", shape=(200, 3))
    assert (z < 0).any(), (
        "codes z should be unconstrained real numbers (no ReLU after the encoder's last layer), "
        "but none of 200 codes has a negative coordinate")
    x_hat = expect_array(model.call("decode", _f32(rng.normal(size=(200, 3)))),
                         "decode(z) for z (200, 3)", shape=(200, 6))
    assert (x_hat < 0).any(), (
        "x_hat should be unconstrained (no activation after the decoder's last layer), but "
        f"decoding 200 random codes gave values only in [{x_hat.min():.3f}, {x_hat.max():.3f}]")


@graded("Autoencoder", points=1, hidden=True)
def test_gradients_flow_from_x_hat_back_to_x(student):
    model = student.new("Autoencoder", [6, 2], seed=2)
    w_e, _, w_d, _ = _affine_maps(model, 6, 2)
    x = np.random.default_rng(15).normal(size=(4, 6))
    _, grads = model.grad("forward", tensor(x.astype(np.float32), requires_grad=True))
    grad = grads[0]
    assert grad is not None, (
        "no gradient reached x through forward(x): the computation must stay in torch (no "
        ".detach(), .numpy() or torch.no_grad() inside the model)")
    grad = expect_array(grad, "the gradient of forward(x).sum() with respect to x", shape=(4, 6))
    want = np.tile((w_e @ w_d).sum(axis=1), (4, 1))  # d/dx of sum(x @ w_e @ w_d + c)
    assert np.allclose(grad, want, atol=1e-4), (
        "for the linear autoencoder, the gradient of forward(x).sum() with respect to x should "
        "be the row sums of the encoder-decoder matrix, the same for every row of x; it differs "
        f"by up to {np.abs(grad - want).max():.3g}")


# reconstruction_loss


@graded("reconstruction_loss", points=1)
def test_loss_matches_torch_mse(student):
    rng = np.random.default_rng(20)
    x_hat, x = rng.random((6, 5)).astype(np.float32), rng.random((6, 5)).astype(np.float32)
    value = student.call("reconstruction_loss", tensor(x_hat), tensor(x))
    if type(value) is float:
        raise AssertionError(
            "reconstruction_loss should return a 0-d torch tensor, not a Python float (no "
            ".item()), so that training can call .backward() on it")
    got = expect_scalar(value, "reconstruction_loss(x_hat, x)")
    want = torch.nn.functional.mse_loss(torch.tensor(x_hat), torch.tensor(x)).item()
    hint = " (that is 30 times too large: a sum instead of a mean?)" if np.isclose(got, 30 * want) else ""
    assert np.isclose(got, want, rtol=1e-5), (
        "reconstruction_loss(x_hat, x) should be the mean squared error over every entry, like "
        f"torch.nn.functional.mse_loss: for x (6, 5) expected {want:.6f}, got {got:.6f}{hint}")


@graded("reconstruction_loss", points=1)
def test_loss_is_a_mean_whatever_the_batch_size(student):
    rng = np.random.default_rng(21)
    for n in (3, 30):
        x = rng.random((n, 4)).astype(np.float32)
        got = expect_scalar(student.call("reconstruction_loss", tensor(x + 0.5), tensor(x)),
                      "reconstruction_loss(x_hat, x)")
        assert np.isclose(got, 0.25, rtol=1e-5), (
            "reconstruction_loss should be a mean, not a sum: when every entry of x_hat is 0.5 "
            f"away from x the loss is 0.5 ** 2 = 0.25 whatever the batch size, but for a batch "
            f"of {n} rows of 4 you return {got:.4f}")


@graded("reconstruction_loss", points=1, hidden=True)
def test_loss_gradient_matches_closed_form(student):
    rng = np.random.default_rng(22)
    x_hat, x = rng.random((7, 3)).astype(np.float32), rng.random((7, 3)).astype(np.float32)
    with learner_errors_fail("gradient of the loss: reconstruction_loss should return a torch tensor "
                             "that back-propagates to x_hat"):
        _, grads = student.grad("reconstruction_loss", tensor(x_hat, requires_grad=True), tensor(x))
    assert grads[0] is not None, "no gradient of reconstruction_loss reached x_hat; keep it in torch"
    grad = expect_array(grads[0], "the gradient of reconstruction_loss with respect to x_hat",
                        shape=(7, 3))
    want = 2 * (x_hat - x) / x.size
    assert np.allclose(grad, want, atol=1e-6), (
        "the gradient of the mean squared error with respect to x_hat should be "
        f"2 (x_hat - x) / {x.size} (the number of entries); yours differs by up to "
        f"{np.abs(grad - want).max():.3g}")


# train_autoencoder


@graded("train_autoencoder", points=1, timeout=30)
def test_history_has_one_finite_loss_per_epoch(student):
    model = student.new("Autoencoder", [8, 6, 2], seed=0)
    history = student.call("train_autoencoder", model, _f32(_curved(0)), num_epochs=5, lr=1e-2,
                           batch_size=16, seed=0)
    history = _history(history, 5)
    assert (history > 0).all(), f"squared-error losses should be positive; got {history.tolist()}"


@graded("train_autoencoder", points=1, timeout=30)
def test_loss_falls_within_a_few_epochs(student):
    model = student.new("Autoencoder", [8, 6, 2], seed=0)
    history = _history(student.call("train_autoencoder", model, _f32(_curved(1)), num_epochs=15,
                                    lr=1e-2, batch_size=16, seed=0), 15)
    assert history[-1] < 0.5 * history[0], (
        "on 64 seeded points near a curved surface, 15 epochs of Adam (lr 0.01, batch_size 16) "
        "should at least halve the loss of the first epoch; your history went from "
        f"{history[0]:.4f} to {history[-1]:.4f}. Are zero_grad, backward and the optimizer step "
        "all called for every minibatch?")


@graded("train_autoencoder", points=1, timeout=30)
def test_same_seed_same_history(student):
    x = _f32(_curved(2))
    runs = []
    for other_seed in (7, 8):
        model = student.new("Autoencoder", [8, 6, 2], seed=0)
        student.new("Autoencoder", [8, 6, 2], seed=other_seed)  # moves torch's global generator
        z_start = expect_array(model.call("encode", x), "encode(x) before training", shape=(64, 2))
        history = _history(student.call("train_autoencoder", model, x, num_epochs=3, lr=1e-2,
                                        batch_size=16, seed=5), 3)
        z = expect_array(model.call("encode", x), "encode(x) after training", shape=(64, 2))
        assert not np.allclose(z, z_start), (
            "train_autoencoder(model, x, num_epochs=3, ...) should update the model it is given, "
            "but its codes of x are the same before and after training")
        runs.append((history, z))
    (h1, z1), (h2, z2) = runs
    assert np.allclose(h1, h2, rtol=1e-6, atol=0) and np.allclose(z1, z2, rtol=1e-5, atol=1e-6), (
        "training two identically made models with the same seed should give the same loss "
        f"history and the same model, but the histories were {np.round(h1, 6).tolist()} and "
        f"{np.round(h2, 6).tolist()}. Shuffle with torch.randperm(n, generator=g), where "
        "g = torch.Generator().manual_seed(seed), and seed the model's initial weights")


@graded("train_autoencoder", points=1, hidden=True, timeout=30)
def test_different_seeds_shuffle_differently(student):
    x = _f32(_curved(3))
    histories = []
    for seed in (1, 2):
        model = student.new("Autoencoder", [8, 6, 2], seed=0)
        histories.append(_history(student.call("train_autoencoder", model, x, num_epochs=3,
                                                lr=1e-2, batch_size=16, seed=seed), 3))
    assert not np.allclose(histories[0], histories[1], rtol=1e-7, atol=0), (
        "with batch_size 16 < n = 64, training with seed=1 and seed=2 should visit the "
        "minibatches in different orders and give different histories, but both gave "
        f"{np.round(histories[0], 6).tolist()}; shuffle every epoch with torch.randperm(n, generator=g)")


@graded("train_autoencoder", points=2, hidden=True, timeout=30)
def test_matches_reference_adam_on_a_linear_autoencoder(student):
    x = np.array(_curved(4))  # (64, 8)
    model = student.new("Autoencoder", [8, 3], seed=4)  # linear: its weights can be read back
    start = _affine_maps(model, 8, 3)
    history = _history(student.call("train_autoencoder", model, _f32(x), num_epochs=6, lr=0.02,
                                    batch_size=64, seed=0), 6)  # one full batch per epoch
    end = _affine_maps(model, 8, 3)
    want_history, want_end = _reference_adam(start, x, num_epochs=6, lr=0.02)
    assert np.allclose(history, want_history, rtol=1e-4), (
        "full-batch training of a linear autoencoder for 6 epochs should match torch's Adam on "
        f"the mean squared error step for step: expected the history "
        f"{np.round(want_history, 5).tolist()}, got {np.round(history, 5).tolist()}")
    gap = max(np.abs(a - b).max() for a, b in zip(end, want_end, strict=True))
    assert gap < 1e-4, (
        "after 6 full-batch epochs, your linear autoencoder's weights should match a reference "
        f"run of torch.optim.Adam(model.parameters(), lr=lr); they differ by up to {gap:.3g}. "
        "Is optimizer.zero_grad() called before every backward()? (Without it, torch adds each "
        "new gradient to the old ones.)")


@graded("train_autoencoder", points=2, timeout=60)
def test_beats_pca_at_latent_dim_2_on_held_out_digits(student):
    x_train, x_test, _, _ = _digits()
    model = student.new("Autoencoder", [64, 64, 2], seed=0)
    student.call("train_autoencoder", model, _f32(x_train), num_epochs=20, lr=1e-2,
                 batch_size=128, seed=0)
    x_hat = expect_array(model.call("forward", _f32(x_test)),
                         "forward(x) for the 450 held-out digits", shape=(450, 64))
    error = float(np.mean((x_hat - x_test) ** 2))
    pca2, pca16, tolerance = _pca_test_error(2), _pca_test_error(16), 0.10
    assert error <= (1 + tolerance) * pca2, (
        "trained by your train_autoencoder on the 1,347 training digits (20 epochs, lr 0.01, "
        "batch_size 128, seed 0), Autoencoder([64, 64, 2]) should reconstruct the 450 held-out "
        "digits at least as well as PCA with 2 components, within a tolerance of 10%: PCA's "
        f"MSE per pixel is {pca2:.4f}, so at most {(1 + tolerance) * pca2:.4f} passes; yours is "
        f"{error:.4f}. Is training working (zero_grad, the loss, the optimizer step)?")
    assert error >= pca16, (
        f"a 2-number code reconstructed the held-out digits with MSE {error:.5f}, better than "
        f"PCA keeping 16 numbers per digit ({pca16:.5f}); two numbers cannot carry that much, "
        "so information is flowing around the bottleneck")


# neighbour_label_agreement


@graded("neighbour_label_agreement", points=1)
def test_agreement_on_a_small_example(student):
    z = np.array([[0.0], [0.1], [5.0], [5.2], [10.0]])
    y = np.array([0, 0, 1, 1, 0])
    got = expect_scalar(student.call("neighbour_label_agreement", z, y, k=1),
                  "neighbour_label_agreement(z, y, k=1)")
    hint = " A point must not count as its own neighbour." if np.isclose(got, 1.0) else ""
    assert np.isclose(got, 0.8), (
        "points at 0, 0.1, 5, 5.2 and 10 with labels 0, 0, 1, 1, 0: every point's nearest other "
        "point has its label except the point at 10 (nearest: 5.2, label 1), so with k=1 the "
        f"agreement is 4/5 = 0.8; you returned {got:.4f}.{hint}")
    got = expect_scalar(student.call("neighbour_label_agreement", z, y, k=2),
                  "neighbour_label_agreement(z, y, k=2)")
    assert np.isclose(got, 0.4), (
        "with k=2 on the same points, each of the first four points has one neighbour of its own "
        "label among its two nearest others (1/2) and the point at 10 has none, so the agreement "
        f"is (4 * 0.5 + 0) / 5 = 0.4; you returned {got:.4f}")


@graded("neighbour_label_agreement", points=2)
def test_agreement_matches_sklearn(student):
    rng = np.random.default_rng(30)
    y = rng.integers(0, 4, size=60)
    z = 2.0 * rng.normal(size=(4, 3))[y] + rng.normal(size=(60, 3))  # 4 overlapping clusters
    for k in (1, 5):
        got = expect_scalar(student.call("neighbour_label_agreement", z, y, k=k),
                      f"neighbour_label_agreement(z, y, k={k})")
        want = _agreement(z, y, k)
        assert abs(got - want) < 1e-9, (
            f"with k={k} on 60 points in 3-D, the agreement should match scikit-learn's "
            f"NearestNeighbors(n_neighbors={k}) with each point left out of its own neighbours: "
            f"expected {want:.4f}, got {got:.4f}")


@graded("neighbour_label_agreement", points=1, hidden=True)
def test_agreement_on_digit_codes_matches_sklearn(student):
    x_train, x_test, _, y_test = _digits()
    z = SklearnPCA(8, svd_solver="full").fit(x_train.astype(np.float64)).transform(
        x_test.astype(np.float64))  # (450, 8) continuous codes
    got = expect_scalar(student.call("neighbour_label_agreement", z, y_test, k=3),
                  "neighbour_label_agreement(z, y, k=3)")
    want = _agreement(z, y_test, 3)
    assert 0.0 <= got <= 1.0 and abs(got - want) <= 2 / len(z), (
        "on 8-D PCA codes of the 450 held-out digits with k=3, the agreement should match "
        f"scikit-learn's NearestNeighbors: expected {want:.4f}, got {got:.4f}")
