"""Checks of a02_autoencoders: PCA as a linear autoencoder, PCA's error curve from its singular
values, an MLP autoencoder, its loss, its seeded training loop and latent nearest-neighbour label
agreement.

Oracles: scikit-learn's `PCA` (compared through projection matrices and reconstructions, so the
sign and the basis of the components do not matter) and `NearestNeighbors`; torch for the mean
squared error and its gradient; closed forms on tiny inputs; and, for training, a reference run
of the exercise's contract replayed here, step by step, from the same initial weights.

Each exercise is checked on its own. The training checks hand `train_autoencoder` the grader's
own model (`autograder.fixtures.LinearAutoencoder`, whose weights are read back before and after)
and the grader's own loss (`WeightedSquaredError`, passed as `loss_fn`), so a bug in `Autoencoder`
or in `reconstruction_loss` costs points there and nowhere else. `pca_error_curve` is given
singular values computed here, never the learner's PCA.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA as SklearnPCA
from sklearn.neighbors import NearestNeighbors

from autograder.api import (
    Handle,
    StudentError,
    describe,
    expect_array,
    expect_close,
    expect_scalar,
    expect_type,
    graded,
    learner_errors_fail,
    near,
    show,
    tensor,
)
from autograder.fixtures import WeightedSquaredError
from latentlab import data

# data


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


def _expect_rows(got, want, prop: str, *, rtol: float = 1e-5, atol: float = 1e-8, hints=()) -> None:
    """expect_close for matrices (m, d), reporting only the row that differs most, so that the
    message stays short; `hints` are evaluated on the whole matrices."""
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if g.shape != w.shape or g.ndim != 2:
        expect_close(g, w, prop, rtol=rtol, atol=atol, hints=hints)
        return
    excess = np.nan_to_num(np.abs(g - w) - (atol + rtol * np.abs(w)), nan=np.inf)  # > 0: too far
    if not (excess > 0).any():
        return
    i = int(np.argmax(excess.max(axis=1)))
    whole = [(lambda gi, wi, symptom=symptom: symptom(g, w), text) for symptom, text in hints]
    expect_close(g[i], w[i], f"{prop}, row {i} of {len(g)} (the row that differs most)", rtol=rtol,
                 atol=atol, hints=whole)


def _slip_hints(slips, rtol: float = 1e-6):
    """Hints for slips given as (the value that slip gives, what to say): a hint holds when the
    learner's value is that slip's, and no other slip gives the same value."""
    def holds(got, value):
        return near(got, value, rtol) and sum(near(value, other, rtol) for other, _ in slips) == 1

    return [(lambda g, w, v=value: holds(g, v), text) for value, text in slips]


# PCA


def _fitted_pca(student, latent_dim: int, x: np.ndarray, watch: bool = False):
    """The learner's PCA(latent_dim) fitted on x, with its mean (d,) and components (k, d); with
    `watch`, fit must also leave x as it was."""
    pca = student.new("PCA", latent_dim)
    if watch and pca.call_watching("fit", x)[1]:
        raise AssertionError(f"x unchanged: expected PCA({latent_dim}).fit(x) to leave the caller's x as it was, "
                             "got it changed in place (centre a copy, not x itself)")
    if not watch:
        pca.call("fit", x)
    n, d = x.shape
    mean = expect_array(pca.get("mean"), f"PCA({latent_dim}).mean after fit(x) for x ({n}, {d})",
                        shape=(d,))
    components = expect_array(pca.get("components"), f"PCA({latent_dim}).components after fit(x) "
                              f"for x ({n}, {d})", shape=(latent_dim, d))
    return pca, mean, components


def _cosines(rows: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The cosines of the principal angles between the spans of `rows` (k, d) and `other` (k, d),
    largest first: all 1 when the spans are the same, whatever their bases (scipy)."""
    return np.sort(np.cos(subspace_angles(np.asarray(rows, dtype=np.float64).T, np.asarray(other).T)))[::-1]


def _same_span(rows: np.ndarray, other: np.ndarray) -> bool:
    return bool(np.allclose(_cosines(rows, other), 1.0, atol=1e-6))


@graded("PCA", points=1)
@learner_errors_fail("PCA(2) fitted on x (40, 6), then encoding and decoding")
def test_pca_shapes(student):
    x = np.array(_blobs(0))
    pca = student.new("PCA", 2)
    fitted = pca.call("fit", x)
    if not (isinstance(fitted, Handle) and fitted.type_name == pca.type_name):
        raise AssertionError("PCA(2).fit(x) for x (40, 6): expected the fitted PCA itself (so that "
                             f"PCA(2).fit(x).encode(x) works), got {describe(fitted)}")
    expect_array(pca.get("mean"), "PCA(2).mean after fit(x) for x (40, 6)", shape=(6,))
    expect_array(pca.get("components"), "PCA(2).components after fit(x) for x (40, 6)", shape=(2, 6))
    z = expect_array(pca.call("encode", x), "PCA(2).encode(x) for x (40, 6)", shape=(40, 2))
    expect_array(pca.call("decode", z), "PCA(2).decode(z) for z (40, 2)", shape=(40, 6))


@graded("PCA", points=2)
@learner_errors_fail("PCA(1) and PCA(3) fitted on x (40, 6)")
def test_pca_subspace_matches_sklearn(student):
    x = np.array(_blobs(1))
    _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)  # (6, 6)
    raw_vt = np.linalg.svd(x, full_matrices=False)[2]  # (6, 6) of the data not centred
    for latent_dim in (1, 3):
        _, mean, components = _fitted_pca(student, latent_dim, x)
        oracle = SklearnPCA(latent_dim, svd_solver="full").fit(x)
        expect_close(mean, oracle.mean_, f"PCA({latent_dim}).mean after fit(x) for x (40, 6): the mean "
                     "of the rows of x", atol=1e-8, hints=[
                         (lambda g, w: np.allclose(g, 0), "Your mean is 0: the data must be centred "
                          "on its own mean before the principal directions are found.")])
        expect_close(components @ components.T, np.eye(latent_dim), f"PCA({latent_dim}).components "
                     "after fit(x) for x (40, 6): orthonormal rows (components @ components.T is the "
                     "identity)", atol=1e-6)
        expect_close(_cosines(components, oracle.components_), np.ones(latent_dim),
                     f"PCA({latent_dim}).components after fit(x) for x (40, 6): the cosines of the "
                     "principal angles between the subspace they span and scikit-learn's (1 for the "
                     "same subspace, whatever the signs and the basis)", atol=1e-6, hints=[
                         (lambda g, w, k=latent_dim, c=components: _same_span(c, raw_vt[:k]),
                          "Yours is the principal subspace of x without centring: the directions "
                          "should be found on x minus its mean."),
                         (lambda g, w, k=latent_dim, c=components: _same_span(c, vt[:, :k].T),
                          "Yours is spanned by columns of Vt; the principal directions are its rows."),
                         (lambda g, w, k=latent_dim, c=components: _same_span(c, vt[-k:]),
                          "Yours spans the directions of least variance: the most variance comes first.")])


@graded("PCA", points=1)
@learner_errors_fail("PCA(2) fitted on 50 points, encoding and decoding 20 others")
def test_pca_reconstruction_matches_sklearn(student):
    x = np.array(_blobs(2, n=70))
    x_fit, x_new = x[:50], x[50:]  # fit on 50 points, reconstruct 20 others
    pca, mean, components = _fitted_pca(student, 2, x_fit)
    z = expect_array(pca.call("encode", x_new), "PCA(2).encode(x) for x (20, 6)", shape=(20, 2))
    x_hat = expect_array(pca.call("decode", z), "PCA(2).decode(z) for z (20, 2)", shape=(20, 6))
    oracle = SklearnPCA(2, svd_solver="full").fit(x_fit)
    want = oracle.inverse_transform(oracle.transform(x_new))
    _expect_rows(x_hat, want, "decode(encode(x)) for 20 points not used to fit: scikit-learn's "
                 "reconstruction inverse_transform(transform(x))", atol=1e-8, hints=[
                     (lambda g, w: near(g + oracle.mean_, w), "Yours is off by the mean: decode "
                      "should return a point of the data space, around `mean`."),
                     (lambda g, w: near(g, x_new @ components.T @ components + mean),
                      "Yours projects x without subtracting the mean first: encode measures the "
                      "coordinates of x - mean.")])


@graded("PCA", points=1)
@learner_errors_fail("PCA(2) fitted on 30 points of a plane, encoding and decoding")
def test_pca_decoder_inverts_encoder_on_planar_data(student):
    rng = np.random.default_rng(3)
    plane = rng.normal(size=(2, 5))  # x = centre + t @ plane: an exact 2-D plane in 5-D
    x = rng.uniform(2.0, 4.0, size=5) + rng.normal(size=(30, 2)) @ plane
    pca, _, _ = _fitted_pca(student, 2, x)
    x_hat = expect_array(pca.call("decode", pca.call("encode", x)),
                         "PCA(2).decode(PCA(2).encode(x)) for x (30, 5)", shape=(30, 5))
    _expect_rows(x_hat, x, "30 points on a 2-D plane that misses the origin, reconstructed by "
                 "PCA(2) fitted on them: the points themselves", atol=1e-8, hints=[
                     (lambda g, w: near(g - g.mean(axis=0), w - w.mean(axis=0)), "Yours is off by a "
                      "constant: is the mean added back in decode?")])
    z = rng.normal(size=(7, 2))
    back = expect_array(pca.call("encode", pca.call("decode", z)),
                        "PCA(2).encode(PCA(2).decode(z)) for z (7, 2)", shape=(7, 2))
    _expect_rows(back, z, "encode(decode(z)) for 7 codes: z itself (encode undoes decode)", atol=1e-8)


@graded("PCA", points=1, hidden=True)
@learner_errors_fail("PCA(4) fitted on x (60, 6), encoding x")
def test_pca_components_are_ordered_by_variance(student):
    x = np.array(_blobs(5, n=60))
    pca, _, _ = _fitted_pca(student, 4, x)
    z = expect_array(pca.call("encode", x), "PCA(4).encode(x) for x (60, 6)", shape=(60, 4))
    want = SklearnPCA(4, svd_solver="full").fit(x).explained_variance_
    expect_close(z.var(axis=0, ddof=1), want, "the variance of each latent coordinate over the "
                 "data: scikit-learn's explained_variance_, largest first", rtol=1e-6, hints=[
                     (lambda g, w: near(np.sort(g)[::-1], w), "These are the right variances in "
                      "the wrong order: the direction of largest variance comes first.")])


@graded("PCA", points=1, hidden=True)
@learner_errors_fail("PCA(8) fitted on the training digits, reconstructing the held-out ones")
def test_pca_on_digits_matches_sklearn_error(student):
    x_train, x_test, _, _ = _digits()
    pca, mean, components = _fitted_pca(student, 8, np.array(x_train), watch=True)  # float32, as the digits come
    for name, value in (("mean", mean), ("components", components)):
        if value.dtype != np.float64:
            raise AssertionError(f"every array is numpy float64: expected PCA(8).{name} in float64 after fitting "
                                 f"the float32 digits, got {value.dtype} (convert x to float64 before the SVD)")
    x_hat = expect_array(pca.call("decode", pca.call("encode", x_test.astype(np.float64))),
                         "PCA(8) reconstruction of the 450 held-out digits", shape=(450, 64))
    error = float(np.mean((x_hat - x_test) ** 2))
    expect_close(error, _pca_test_error(8), "the held-out MSE per pixel of PCA(8) fitted on the "
                 "1,347 training digits: scikit-learn's", rtol=1e-6, digits=6)


# pca_error_curve


def _curve(student, s, n: int, d: int) -> np.ndarray:
    """The learner's pca_error_curve(s, n, d), checked for type and length."""
    what = f"pca_error_curve(singular_values, n={n}, d={d}) for {len(s)} singular values"
    got = expect_array(student.call("pca_error_curve", np.asarray(s, dtype=np.float64), n, d), what)
    if got.shape != (len(s) + 1,):
        raise AssertionError(f"{what}: expected an array of shape ({len(s) + 1},), one error for each "
                             f"latent_dim from 0 to {len(s)}, got shape {got.shape}")
    return got


def _curve_hints(s, n: int, d: int):
    """Symptoms of the likely slips in pca_error_curve, each tied to the numbers it produces."""
    s = np.asarray(s, dtype=np.float64)
    tail = np.append(np.cumsum((s**2)[::-1])[::-1], 0.0)  # sum of s_j^2 for j >= k
    want = tail / (n * d)
    return _slip_hints([
        (want * d, f"Yours is {d} (d) times too large: the error is a mean over all n * d entries."),
        (want * n / (n - 1), "Yours divides by n - 1, a variance's convention; the error is a mean "
         "over the n * d entries."),
        (want * n * d / (n - 1), "Yours divides by n - 1, a variance's convention, and not by d; the "
         "error is a mean over the n * d entries."),
        (want / want[0], "Yours is a fraction of errors[0]; the contract asks for the mean squared "
         "error itself."),
        (np.append(np.cumsum(s[::-1])[::-1], 0.0) / (n * d), "Yours sums singular values; squared "
         "errors add up squared singular values."),
        (np.append(want[1:], 0.0), "Yours is shifted by one latent_dim: with k components PCA keeps "
         "exactly the first k directions."),
        (np.append(0.0, want[:-1]), "Yours is shifted by one latent_dim: with k components PCA keeps "
         "exactly the first k directions."),
    ]) + [(lambda g, w: g[0] < g[-1], "Yours grows with latent_dim: it adds up what PCA keeps, not "
           "what it leaves out.")]


@graded("pca_error_curve", points=1)
@learner_errors_fail("pca_error_curve([4, 2, 1], n=5, d=3)")
def test_error_curve_on_a_small_example(student):
    s, n, d = [4.0, 2.0, 1.0], 5, 3
    want = np.array([21.0, 5.0, 1.0, 0.0]) / 15  # the squares left out, over n * d = 15 entries
    expect_close(_curve(student, s, n, d), want, "pca_error_curve([4, 2, 1], n=5, d=3): "
                 "errors[k] for latent_dim k = 0 to 3", rtol=1e-9, hints=_curve_hints(s, n, d))


@graded("pca_error_curve", points=2)
@learner_errors_fail("pca_error_curve for the singular values of 40 points in 6-D")
def test_error_curve_matches_sklearn_reconstructions(student):
    x = np.array(_blobs(6, n=40))  # (40, 6)
    n, d = x.shape
    s = SklearnPCA(svd_solver="full").fit(x).singular_values_  # (6,) of the centred x
    want = [np.mean((x - x.mean(axis=0)) ** 2)]  # latent_dim 0: only the mean
    for k in range(1, d + 1):
        pca = SklearnPCA(k, svd_solver="full").fit(x)
        want.append(np.mean((pca.inverse_transform(pca.transform(x)) - x) ** 2))
    expect_close(_curve(student, s, n, d), np.array(want), "pca_error_curve on 40 points in 6-D: "
                 "the training MSE per entry of scikit-learn's PCA for latent_dim 0 to 6",
                 rtol=1e-7, atol=1e-12, hints=_curve_hints(s, n, d))


@graded("pca_error_curve", points=1, hidden=True)
@learner_errors_fail("pca_error_curve for 5 points in 8-D and for the digits")
def test_error_curve_with_fewer_points_than_pixels_and_on_digits(student):
    x = np.random.default_rng(7).normal(size=(5, 8)) + 2.0  # n < d: r = 5, the last value ~0
    s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)  # (5,)
    want = [np.mean((x - x.mean(axis=0)) ** 2)]
    for k in range(1, 6):
        pca = SklearnPCA(k, svd_solver="full").fit(x)
        want.append(np.mean((pca.inverse_transform(pca.transform(x)) - x) ** 2))
    expect_close(_curve(student, s, 5, 8), np.array(want), "pca_error_curve for 5 points in 8-D "
                 "(5 singular values): scikit-learn's training MSE per entry for latent_dim 0 to 5",
                 rtol=1e-7, atol=1e-12, hints=_curve_hints(s, 5, 8))
    x_train = _digits()[0].astype(np.float64)
    oracle = SklearnPCA(svd_solver="full").fit(x_train)
    total = np.mean((x_train - x_train.mean(axis=0)) ** 2)
    want = total * np.append(1.0, 1.0 - np.cumsum(oracle.explained_variance_ratio_))
    want[-1] = 0.0
    expect_close(_curve(student, oracle.singular_values_, *x_train.shape), want,
                 "pca_error_curve on the 1,347 training digits: the total variance per pixel times "
                 "the share of variance that scikit-learn's first k components leave out",
                 rtol=1e-6, atol=1e-9, hints=_curve_hints(oracle.singular_values_, *x_train.shape))


# Autoencoder


def _affine_maps(model, d: int, k: int):
    """Read a linear autoencoder's maps through its interface: encode(x) = x @ w_e + b_e,
    decode(z) = z @ w_d + b_d, with w_e (d, k), b_e (k,), w_d (k, d), b_d (d,)."""
    b_e = expect_array(model.call("encode", _f32(np.zeros((1, d)))), f"encode(x) for x (1, {d})",
                       shape=(1, k))[0]
    w_e = expect_array(model.call("encode", _f32(np.eye(d))), f"encode(x) for x ({d}, {d})",
                       shape=(d, k)) - b_e
    b_d = expect_array(model.call("decode", _f32(np.zeros((1, k)))), f"decode(z) for z (1, {k})",
                       shape=(1, d))[0]
    w_d = expect_array(model.call("decode", _f32(np.eye(k))), f"decode(z) for z ({k}, {k})",
                       shape=(k, d)) - b_d
    return w_e, b_e, w_d, b_d


def _bends(values: np.ndarray) -> float:
    """The share of points along an evenly sampled line (rows of `values`) where the function
    bends: its second difference is larger than float32 rounding. A ReLU network bends only at a
    few kinks; a smooth activation bends almost everywhere."""
    v = np.asarray(values, dtype=np.float64)
    second = np.abs(v[2:] - 2 * v[1:-1] + v[:-2]).max(axis=1)  # (m - 2,)
    return float(np.mean(second > 1e-5 * max(1.0, np.abs(v).max())))


@graded("Autoencoder", points=1)
@learner_errors_fail("Autoencoder(sizes, seed=0) made and used for sizes [12, 8, 3], [12, 3] and [12, 10, 6, 3]")
def test_autoencoder_shapes(student):
    rng = np.random.default_rng(10)
    for sizes in ([12, 8, 3], [12, 3], [12, 10, 6, 3]):
        model = student.new("Autoencoder", sizes, seed=0)
        latent_dim = expect_type(model.get("latent_dim"), int, f"Autoencoder({sizes}).latent_dim")
        if latent_dim != 3:
            raise AssertionError(f"Autoencoder({sizes}).latent_dim: expected the last size, 3, got "
                                 f"{latent_dim}")
        x = rng.random((5, 12))
        z = expect_array(model.call("encode", _f32(x)),
                         f"Autoencoder({sizes}).encode(x) for x (5, 12)", shape=(5, 3))
        expect_array(model.call("decode", _f32(z)),
                     f"Autoencoder({sizes}).decode(z) for z (5, 3)", shape=(5, 12))
        expect_array(model.call("forward", _f32(x)),
                     f"Autoencoder({sizes}).forward(x) for x (5, 12)", shape=(5, 12))


@graded("Autoencoder", points=1)
@learner_errors_fail("Autoencoder([10, 6, 2], seed=1) encoding, decoding and reconstructing x (8, 10)")
def test_forward_goes_through_the_bottleneck(student):
    x = np.random.default_rng(11).random((8, 10))
    model = student.new("Autoencoder", [10, 6, 2], seed=1)
    z = expect_array(model.call("encode", _f32(x)), "encode(x) for x (8, 10)", shape=(8, 2))
    via_code = expect_array(model.call("decode", _f32(z)), "decode(z) for z (8, 2)", shape=(8, 10))
    x_hat = expect_array(model.call("forward", _f32(x)), "forward(x) for x (8, 10)", shape=(8, 10))
    if np.allclose(z, z[0]):
        raise AssertionError("encode(x) for 8 different inputs x: expected codes that depend on x "
                             "(even random initial weights map different inputs apart), got the same "
                             f"code {show(z[0])} for all 8")
    _expect_rows(x_hat, via_code, "forward(x) for x (8, 10): decode(encode(x)), everything the model "
                 "knows about x passing through the 2-number code", atol=1e-5, hints=[
                     (lambda g, w: True, "A path from x to x_hat skips the bottleneck.")])


@graded("Autoencoder", points=1)
@learner_errors_fail("Autoencoder([6, 2], seed=0).forward(x) for x (20, 6)")
def test_linear_autoencoder_reconstructions_span_latent_dim(student):
    x = np.random.default_rng(12).normal(size=(20, 6))
    model = student.new("Autoencoder", [6, 2], seed=0)
    x_hat = expect_array(model.call("forward", _f32(x)), "Autoencoder([6, 2]).forward(x) for x (20, 6)",
                         shape=(20, 6))
    if not np.isfinite(x_hat).all():
        raise AssertionError("Autoencoder([6, 2]).forward(x) for x (20, 6): expected finite numbers, "
                             f"got {show(x_hat[0])} for the first row")
    s = np.linalg.svd((x_hat - x_hat.mean(axis=0)).astype(np.float64), compute_uv=False)  # (6,)
    rank = int((s > 1e-4 * s[0]).sum()) if s[0] > 0 else 0
    if not 1 <= rank <= 2:
        raise AssertionError(
            "the reconstructions of 20 inputs by Autoencoder([6, 2]), a linear autoencoder with a "
            f"2-number code: expected points of a plane (1 or 2 dimensions), got {rank} dimensions "
            f"(singular values {show(s)})" + (
                ". Information passes around the code, or the model is not linear." if rank > 2
                else ". x_hat does not depend on x."))


@graded("Autoencoder", points=1)
@learner_errors_fail("Autoencoder([10, 6, 2], seed) made and encoding x (6, 10)")
def test_seed_sets_the_initial_weights(student):
    x = np.random.default_rng(13).random((6, 10))
    codes = []
    for seed, global_seed in ((3, 100), (4, 100), (3, 200)):
        student.reseed_globals(global_seed)  # what was drawn before must not matter
        model = student.new("Autoencoder", [10, 6, 2], seed=seed)
        codes.append(expect_array(model.call("encode", _f32(x)), "encode(x) for x (6, 10)", shape=(6, 2)))
    first, other, again = codes
    expect_close(again, first, "the codes of the same x by two models made with "
                 "Autoencoder([10, 6, 2], seed=3) after different draws from the random generators: "
                 "the same (equal initial weights)", rtol=0, atol=0, hints=[
                     (lambda g, w: True, "The initial weights depend on something besides `seed`.")])
    if np.allclose(first, other):
        raise AssertionError("the codes of the same x by Autoencoder([10, 6, 2], seed=3) and seed=4: "
                             "expected different codes (different initial weights), got the same; is "
                             "`seed` used?")


@graded("Autoencoder", points=1, hidden=True)
@learner_errors_fail("Autoencoder([6, 16, 3], seed=0) encoding and decoding")
def test_affine_layers_with_relu_between_but_not_at_the_ends(student):
    rng = np.random.default_rng(14)
    model = student.new("Autoencoder", [6, 16, 3], seed=0)
    t = np.linspace(-4.0, 4.0, 201)[:, None]
    for part, width, out in (("encode", 6, 3), ("decode", 3, 6)):
        at_zero = expect_array(model.call(part, _f32(np.zeros((1, width)))), f"{part}(v) for v = 0",
                               shape=(1, out))
        if not at_zero.any():
            probe = expect_array(model.call(part, _f32(rng.normal(size=(50, width)))), f"{part}(v) for v (50, {width})",
                                 shape=(50, out))
            cause = ("does a ReLU end the network? Its outputs are never negative" if (probe >= 0).all()
                     else "are the layers built without biases?")
            raise AssertionError(f"{part}(0) of Autoencoder([6, 16, 3]): expected the output of affine "
                                 "layers, which have biases (random at first, so not exactly 0), got "
                                 f"exactly 0: {cause}")
        a, b = rng.normal(size=(30, width)), rng.normal(size=(30, width))
        fa, fb, fm = (expect_array(model.call(part, _f32(v)), f"{part}(v) for v (30, {width})",
                                   shape=(30, out)) for v in (a, b, (a + b) / 2))
        if np.allclose(fm, (fa + fb) / 2, atol=1e-5):
            raise AssertionError(f"{part} of Autoencoder([6, 16, 3]), which has a hidden layer: "
                                 "expected a nonlinear map (a ReLU between its affine layers), got an "
                                 "affine one")
        line = rng.normal(size=width) + t * rng.normal(size=width)  # (201, width) along a line
        along = expect_array(model.call(part, _f32(line)), f"{part}(v) for v ({len(t)}, {width})",
                             shape=(len(t), out))
        bends = _bends(along)
        if bends > 0.3:
            raise AssertionError(
                f"{part} of Autoencoder([6, 16, 3]) along a line through its input space: expected "
                "a piecewise linear function (straight between a few kinks, as ReLU makes it), got "
                f"one that bends at {bends:.0%} of 199 points. A smooth activation (tanh, sigmoid, "
                "softplus, ELU, GELU) bends everywhere.")
        many = expect_array(model.call(part, _f32(3 * rng.normal(size=(200, width)))),
                            f"{part}(v) for v (200, {width})", shape=(200, out))
        if not (many < 0).any():
            raise AssertionError(
                f"{part}(v) for 200 random inputs: expected unconstrained real outputs (no "
                f"activation after the last layer), got only values in [{many.min():.3f}, "
                f"{many.max():.3f}]")


@graded("Autoencoder", points=1, hidden=True)
@learner_errors_fail("Autoencoder([6, 2], seed=2) encoding, decoding and back-propagating")
def test_gradients_flow_from_x_hat_back_to_x(student):
    model = student.new("Autoencoder", [6, 2], seed=2)
    w_e, _, w_d, _ = _affine_maps(model, 6, 2)
    x = np.random.default_rng(15).normal(size=(4, 6))
    with learner_errors_fail("the gradient of forward(x).sum() with respect to x"):
        _, grads = model.grad("forward", tensor(x.astype(np.float32), requires_grad=True))
    if grads[0] is None:
        raise AssertionError("the gradient of forward(x).sum() with respect to x: expected one, got "
                             "none: the computation leaves torch (a .detach(), .numpy() or "
                             "torch.no_grad() inside the model)")
    grad = expect_array(grads[0], "the gradient of forward(x).sum() with respect to x", shape=(4, 6))
    want = np.tile((w_e @ w_d).sum(axis=1), (4, 1))  # d/dx of sum(x @ w_e @ w_d + c)
    _expect_rows(grad, want, "the gradient of forward(x).sum() for the linear Autoencoder([6, 2]): "
                 "the row sums of the encoder-decoder matrix, for every row of x", atol=1e-4)


# reconstruction_loss


def _loss_hints(x_hat: np.ndarray, x: np.ndarray):
    """Symptoms of the likely slips in a mean squared error over every entry of x (n, ...): a hint
    holds when the value is that of one slip and of no other."""
    err = np.asarray(x_hat, dtype=np.float64) - x
    mse, n, size = float(np.mean(err**2)), len(x), x.size
    slips = [
        (mse * size, f"That is {size} times too large, the number of entries: a sum instead of a mean?"),
        (mse * size / n, f"That is {size // n} times too large, the entries per row: a mean over the "
         "rows of per-row sums?"),
        (mse * n, f"That is {n} times too large, the number of rows: a sum over the rows?"),
        (np.sqrt(mse), "That is the square root of the mean squared error (a root mean square)."),
        (float(np.mean(np.abs(err))), "That is the mean absolute error."),
    ]
    return [(lambda g, w, v=value: near(g, v, 1e-5) and sum(near(v, u, 1e-5) for u, _ in slips) == 1,
             text) for value, text in slips]


@graded("reconstruction_loss", points=1)
@learner_errors_fail("reconstruction_loss(x_hat, x) for x (6, 5)")
def test_loss_matches_torch_mse(student):
    rng = np.random.default_rng(20)
    x_hat, x = rng.random((6, 5)).astype(np.float32), rng.random((6, 5)).astype(np.float32)
    value = student.call("reconstruction_loss", tensor(x_hat), tensor(x))
    if type(value) is not np.ndarray:
        raise AssertionError("reconstruction_loss(x_hat, x) for x (6, 5): expected a 0-d torch tensor "
                             f"(training calls .backward() on it), got {describe(value)}")
    got = expect_scalar(value, "reconstruction_loss(x_hat, x) for x (6, 5)")
    want = F.mse_loss(torch.tensor(x_hat), torch.tensor(x)).item()
    expect_close(got, want, "reconstruction_loss(x_hat, x) for x (6, 5): the mean of the squared "
                 "differences over every entry (torch.nn.functional.mse_loss)", rtol=1e-5, digits=6,
                 hints=_loss_hints(x_hat, x))


@graded("reconstruction_loss", points=1)
@learner_errors_fail("reconstruction_loss(x_hat, x) for batches of 3 and 30 rows")
def test_loss_is_a_mean_whatever_the_batch_size(student):
    rng = np.random.default_rng(21)
    for n in (3, 30):
        x = rng.random((n, 4)).astype(np.float32)
        got = expect_scalar(student.call("reconstruction_loss", tensor(x + 0.5), tensor(x)),
                            f"reconstruction_loss(x_hat, x) for x ({n}, 4)")
        expect_close(got, 0.25, f"reconstruction_loss(x + 0.5, x) for a batch of {n} rows of 4: "
                     "0.5 ** 2, whatever the batch size", rtol=1e-5,
                     hints=_loss_hints(x + 0.5, x))


@graded("reconstruction_loss", points=1)
@learner_errors_fail("reconstruction_loss(x_hat, x) and its gradient")
def test_loss_gradient_reaches_x_hat(student):
    rng = np.random.default_rng(22)
    x_hat, x = rng.random((7, 3)).astype(np.float32), rng.random((7, 3)).astype(np.float32)
    prop = "the gradient of reconstruction_loss(x_hat, x) with respect to x_hat, for x (7, 3)"
    left = ("The loss has left torch's autograd graph (a .item(), float(), .detach() or a new "
            "torch.tensor(...) around it): training could not learn from it.")
    try:
        _, grads = student.grad("reconstruction_loss", tensor(x_hat, requires_grad=True), tensor(x))
    except StudentError as err:
        if not err.raised:
            raise
        hint = f" {left}" if ("grad" in err.message or "attribute" in err.message) else ""
        raise AssertionError(f"{prop}: expected 2 (x_hat - x) / 21, got {err.kind} when "
                             f"back-propagating: {err.message[:300]}.{hint}") from None
    if grads[0] is None:
        raise AssertionError(f"{prop}: expected 2 (x_hat - x) / 21, got no gradient at all. {left}")
    grad = expect_array(grads[0], prop, shape=(7, 3))
    want = 2 * (x_hat - x) / x.size
    _expect_rows(grad, want, f"{prop}: 2 (x_hat - x) / 21, 21 being the number of entries", atol=1e-6,
                 hints=[(lambda g, w, k=k: near(g, k * w, 1e-4), text) for k, text in (
                     (21, "That is 21 times too large, the number of entries: a sum instead of a mean?"),
                     (3, "That is 3 times too large, the entries per row: a mean over the rows of per-row sums?"),
                     (7, "That is 7 times too large, the number of rows: a sum over the rows?"))])


@graded("reconstruction_loss", points=1, hidden=True)
@learner_errors_fail("reconstruction_loss(x_hat, x) for tensors of other shapes and dtypes")
def test_loss_of_any_shape_and_dtype(student):
    rng = np.random.default_rng(23)
    for shape, dtype in (((5, 1, 8, 8), np.float32), ((4, 6), np.float64)):
        x_hat, x = rng.random(shape).astype(dtype), rng.random(shape).astype(dtype)
        what = f"reconstruction_loss(x_hat, x) for {np.dtype(dtype).name} tensors of shape {shape}"
        got = expect_scalar(student.call("reconstruction_loss", tensor(x_hat), tensor(x)), what)
        want = F.mse_loss(torch.tensor(x_hat), torch.tensor(x)).item()
        expect_close(got, want, f"{what}: the mean over every entry", rtol=1e-5, digits=6,
                     hints=_loss_hints(x_hat, x))


# train_autoencoder: the grader's model and loss, made on the learner's side, and a replay here


class _Run:
    """One training run of the grader's linear autoencoder: its data (n, d) float32, the fixture's
    weights before training ({name: array}), the fixture loss's per-column weights (d,), the
    arguments of train_autoencoder, and what torch's global generator was seeded with just before
    training (a plain class: the grader loads this module without registering it)."""

    def __init__(self, x, start, weight, num_epochs, lr, batch_size, seed, global_seed):
        self.x, self.start, self.weight = x, start, weight
        self.num_epochs, self.lr, self.batch_size, self.seed = num_epochs, lr, batch_size, seed
        self.global_seed = global_seed

    def settings(self) -> str:
        n, d = self.x.shape
        return (f"x ({n}, {d}), num_epochs={self.num_epochs}, lr={self.lr}, "
                f"batch_size={self.batch_size}, seed={self.seed}")


_PARAMS = ("encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias")


def _start(student, *, x, latent_dim: int, model_seed: int, loss_seed: int, global_seed: int,
           num_epochs: int, lr: float, batch_size: int, seed: int):
    """Make the grader's linear autoencoder and loss on the learner's side, read their weights,
    seed torch's global generator with `global_seed`, and describe the run: (model, loss, run)."""
    n, d = x.shape
    model = student.fixture("LinearAutoencoder", d, latent_dim, seed=model_seed)
    loss = student.fixture("WeightedSquaredError", d, seed=loss_seed)
    start = {name: np.array(value) for name, value in model.state().items()}
    weight = np.array(loss.state()["weight"])
    student.reseed_globals(global_seed)  # moved between building the model and training it
    return model, loss, _Run(np.array(x, dtype=np.float32), start, weight, num_epochs, lr, batch_size,
                             seed, global_seed)


def _train(student, model, loss, run: _Run):
    """The learner's train_autoencoder on `run`: (history as an array, weights after training)."""
    value = student.call("train_autoencoder", model, _f32(run.x), num_epochs=run.num_epochs,
                         lr=run.lr, batch_size=run.batch_size, seed=run.seed, loss_fn=loss)
    history = _history(value, run.num_epochs, run.settings())
    end = {name: np.array(value) for name, value in model.state().items()}
    return history, end


def _history(value, num_epochs: int, settings: str) -> np.ndarray:
    """The loss history returned by train_autoencoder as a float array, checked for type."""
    what = f"train_autoencoder(model, {settings})"
    if type(value) not in (list, tuple):
        raise AssertionError(f"{what}: expected a list of {num_epochs} Python floats (one loss per "
                             f"epoch), got {describe(value)}")
    if len(value) != num_epochs:
        raise AssertionError(f"{what}: expected a list of {num_epochs} losses, one per epoch, got "
                             f"{len(value)}")
    for i, loss in enumerate(value):
        if type(loss) not in (float, int):
            raise AssertionError(f"{what}, history[{i}]: expected a Python float (a tensor's "
                                 f".item()), got {describe(loss)}")
    history = np.array(value, dtype=np.float64)
    if not np.all(np.isfinite(history)):
        raise AssertionError(f"{what}: expected finite losses, got {show(history)}")
    return history


def _replay(run: _Run, *, order: str = "seeded", drop_last: bool = False, record: str = "mean",
            zero_grad: bool = True, fresh_optimizer: bool = False, optimizer: str = "adam",
            lr: float | None = None, weighted: bool = True):
    """The contract's run (or one of its plausible slips, by the keywords), replayed here on the
    same initial weights: (history (num_epochs,), {name: weights after training})."""
    params = {name: torch.tensor(run.start[name], requires_grad=True) for name in _PARAMS}
    w_e, b_e, w_d, b_d = (params[name] for name in _PARAMS)
    x = torch.tensor(run.x)
    weighted_error = WeightedSquaredError(x.shape[1])  # the fixture's loss, with the weights read back
    weighted_error.weight = torch.tensor(run.weight)
    lr = run.lr if lr is None else lr

    def make_optimizer():
        kind = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
        return kind(list(params.values()), lr=lr)

    generator = torch.Generator().manual_seed(run.seed)
    global_generator = torch.Generator().manual_seed(run.global_seed)  # the learner's, reseeded
    opt = make_optimizer()
    history = []
    for _ in range(run.num_epochs):
        if fresh_optimizer:
            opt = make_optimizer()
        order_of = {"seeded": lambda: torch.randperm(len(x), generator=generator),
                    "global": lambda: torch.randperm(len(x), generator=global_generator),
                    "reseeded": lambda: torch.randperm(len(x), generator=torch.Generator().manual_seed(run.seed)),
                    "stored": lambda: torch.arange(len(x))}[order]
        batches = list(order_of().split(run.batch_size))
        if drop_last and len(batches[-1]) < run.batch_size:
            batches = batches[:-1]
        losses, sizes = [], []
        for idx in batches:
            xb = x[idx]
            x_hat = F.linear(F.linear(xb, w_e, b_e), w_d, b_d)
            loss = weighted_error(x_hat, xb) if weighted else ((x_hat - xb) ** 2).mean()
            if zero_grad:
                opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            sizes.append(len(idx))
        if record == "after":  # the loss of all of x once the epoch is over
            with torch.no_grad():
                x_hat = F.linear(F.linear(x, w_e, b_e), w_d, b_d)
                history.append((weighted_error(x_hat, x) if weighted else ((x_hat - x) ** 2).mean()).item())
        else:
            history.append({"mean": np.mean(losses), "last": losses[-1], "sum": np.sum(losses),
                            "weighted": np.dot(losses, sizes) / np.sum(sizes)}[record])
    return np.array(history), {name: p.detach().numpy().copy() for name, p in params.items()}


# Slips a training loop can make, each as the replay that reproduces it and what to say.
_SLIPS = (
    (dict(order="global"), "Your history is that of a run whose batch order comes from torch's "
     "global generator: draw it from a torch.Generator seeded with `seed`."),
    (dict(order="reseeded"), "Your history is that of a run in which every epoch visits the rows in the "
     "same order: draw a new order each epoch, from one generator seeded once per run."),
    (dict(order="stored"), "Your history is that of a run that visits the rows in their stored "
     "order: each epoch's order is a permutation drawn from the generator."),
    (dict(drop_last=True), "Your history is that of a run that skips the last, smaller minibatch of "
     "each epoch: every row is visited once per epoch."),
    (dict(record="last"), "Your history records each epoch's last minibatch loss; the contract asks "
     "for the mean over the epoch's minibatches."),
    (dict(record="weighted"), "Your history weighs each minibatch's loss by its size; the contract "
     "asks for the plain mean over the epoch's minibatches, each counting once."),
    (dict(record="sum"), "Your history sums the epoch's minibatch losses instead of averaging them."),
    (dict(record="after"), "Your history records the loss of all of x after each epoch; the contract "
     "asks for the mean of the losses of the epoch's minibatches, as they were computed for its steps."),
    (dict(zero_grad=False), "Your history is that of a run in which gradients pile up from step to "
     "step: torch adds each backward() to the gradients already stored until they are cleared."),
    (dict(fresh_optimizer=True), "Your history is that of a run with a new Adam optimizer every "
     "epoch, whose running averages restart each time: one optimizer serves the whole run."),
    (dict(lr=1e-3), "Your history is that of a run with lr=0.001, Adam's default: is `lr` passed "
     "to the optimizer?"),
    (dict(weighted=False), "Your history is that of a run on the plain mean squared error: train "
     "on the `loss_fn` given, loss_fn(model(x_batch), x_batch)."),
    (dict(optimizer="sgd"), "Your history is that of a run of plain SGD; the contract asks for Adam."),
)


def _diagnosis(run: _Run, history: np.ndarray, end: dict) -> str:
    """A hint at the cause of a run that differs from the reference, when the numbers point to
    one: the weights did not move, or the history is exactly that of a known slip."""
    if all(np.array_equal(end[name], run.start[name]) for name in _PARAMS):
        return ("The model's weights did not change: no gradient reached them when the optimizer "
                "stepped (a loss taken out of the autograd graph by .item(), float(), .detach() or "
                "torch.tensor(), gradients cleared between backward() and step(), or no step).")
    for slip, text in _SLIPS:
        if near(history, _replay(run, **slip)[0], 1e-5):
            return text
    return ""


def _close_or_diagnosed(got, want, prop: str, run: _Run, history: np.ndarray, end: dict, **tolerance):
    """expect_close, with a hint at the cause (computed only on failure) when one is measured."""
    try:
        if np.ndim(want) == 2:
            _expect_rows(got, want, prop, **{k: v for k, v in tolerance.items() if k != "digits"})
        else:
            expect_close(got, want, prop, **tolerance)
    except AssertionError as failure:
        hint = _diagnosis(run, history, end)
        raise AssertionError(f"{failure}. {hint}" if hint else str(failure)) from None


def _expect_reference(run: _Run, history: np.ndarray, end: dict, what: str) -> None:
    """The learner's run equals the reference replay: history and final weights."""
    want_history, want_end = _replay(run)
    _close_or_diagnosed(history, want_history, f"{what}: the loss history of a reference run of the "
                        f"contract from the same initial weights ({run.settings()})", run, history, end,
                        rtol=1e-4, atol=0, digits=6)
    for name in _PARAMS:
        _close_or_diagnosed(end[name], want_end[name], f"{what}: the model's {name} after training, "
                            f"as in the reference run ({run.settings()})", run, history, end,
                            rtol=1e-4, atol=1e-5)


@graded("train_autoencoder", points=1, timeout=30)
@learner_errors_fail("train_autoencoder on the grader's linear autoencoder")
def test_history_is_one_float_per_epoch(student):
    model, loss, run = _start(student, x=_curved(0, n=30, d=6), latent_dim=2, model_seed=0,
                              loss_seed=0, global_seed=10, num_epochs=3, lr=0.01, batch_size=8,
                              seed=1)
    history, _ = _train(student, model, loss, run)
    if not (history > 0).all():
        raise AssertionError(f"train_autoencoder(model, {run.settings()}): expected positive "
                             f"squared-error losses, got {show(history)}")


@graded("train_autoencoder", points=2, timeout=30)
@learner_errors_fail("train_autoencoder on the grader's linear autoencoder")
def test_training_matches_a_reference_run(student):
    model, loss, run = _start(student, x=_curved(4, n=50, d=8), latent_dim=3, model_seed=4,
                              loss_seed=1, global_seed=123, num_epochs=3, lr=0.02, batch_size=16,
                              seed=7)  # minibatches of 16, 16, 16 and 2 rows
    history, end = _train(student, model, loss, run)
    _expect_reference(run, history, end, "train_autoencoder on the grader's linear autoencoder")


@graded("train_autoencoder", points=1, timeout=30)
@learner_errors_fail("train_autoencoder on the grader's linear autoencoder")
def test_same_seed_same_run_whatever_the_global_generator(student):
    runs = []
    for global_seed in (1, 2):
        model, loss, run = _start(student, x=_curved(2, n=40, d=8), latent_dim=2, model_seed=3,
                                  loss_seed=2, global_seed=global_seed, num_epochs=2, lr=0.01,
                                  batch_size=16, seed=5)
        runs.append((run, *_train(student, model, loss, run)))
    (run, h1, end1), (_, h2, end2) = runs
    if all(np.array_equal(end1[name], run.start[name]) for name in _PARAMS):
        raise AssertionError(f"train_autoencoder(model, {run.settings()}): expected the model it is "
                             "given to be trained in place, got its weights unchanged")
    same = np.array_equal(h1, h2) and all(np.array_equal(end1[k], end2[k]) for k in _PARAMS)
    if not same:
        raise AssertionError(
            f"two runs of train_autoencoder(model, {run.settings()}) from the same initial weights, "
            "torch's global generator seeded differently between building the model and training "
            f"it: expected the same history and weights, got the histories {show(h1, 6)} and "
            f"{show(h2, 6)}. Your run depends on torch's global generator (a torch.randperm, "
            "torch.rand or shuffle without a generator seeded with `seed`).")


@graded("train_autoencoder", points=2, timeout=30)
@learner_errors_fail("train_autoencoder on the grader's linear autoencoder and the digits")
def test_trained_model_reconstructs_digits_like_the_reference(student):
    x_train, x_test, _, _ = _digits()
    model, loss, run = _start(student, x=x_train, latent_dim=2, model_seed=1, loss_seed=3,
                              global_seed=5, num_epochs=4, lr=0.02, batch_size=100,
                              seed=2)  # 13 minibatches of 100 rows and one of 47
    history, end = _train(student, model, loss, run)
    _, want_end = _replay(run)
    xt = torch.tensor(np.asarray(x_test))

    def held_out(p):
        x_hat = F.linear(F.linear(xt, torch.tensor(p["encoder.weight"]), torch.tensor(p["encoder.bias"])),
                         torch.tensor(p["decoder.weight"]), torch.tensor(p["decoder.bias"]))
        return float(((x_hat - xt) ** 2).mean())

    got, want, band = held_out(end), held_out(want_end), 0.03
    _close_or_diagnosed(got, want, "the held-out MSE per pixel on the 450 test digits of the grader's "
                        "linear autoencoder (latent_dim 2) after train_autoencoder(model, "
                        f"{run.settings()}): within {band:.0%} of the reference run's (PCA with 2 "
                        f"components: {_pca_test_error(2):.4f})", run, history, end, rtol=band)


@graded("train_autoencoder", points=1, hidden=True, timeout=30)
@learner_errors_fail("train_autoencoder on the grader's linear autoencoder")
def test_different_seeds_give_different_orders(student):
    histories = []
    for seed in (1, 2):
        model, loss, run = _start(student, x=_curved(3, n=40, d=8), latent_dim=2, model_seed=0,
                                  loss_seed=0, global_seed=9, num_epochs=3, lr=0.01, batch_size=16,
                                  seed=seed)
        histories.append(_train(student, model, loss, run)[0])
    if np.array_equal(histories[0], histories[1]):
        raise AssertionError(
            "train_autoencoder(model, x (40, 8), batch_size=16, ...) with seed=1 and with seed=2, "
            "from the same initial weights: expected different batch orders, so different "
            f"histories, got {show(histories[0], 6)} twice: the order of the rows made no "
            "difference. Is the order drawn from a generator seeded with `seed`, and is each step "
            "taken on its own minibatch?")


@graded("train_autoencoder", points=2, hidden=True, timeout=30)
@learner_errors_fail("train_autoencoder on the grader's linear autoencoder")
def test_training_matches_a_second_reference_run(student):
    model, loss, run = _start(student, x=_curved(8, n=21, d=5), latent_dim=2, model_seed=8,
                              loss_seed=4, global_seed=77, num_epochs=4, lr=0.05, batch_size=8,
                              seed=9)  # minibatches of 8, 8 and 5 rows
    history, end = _train(student, model, loss, run)
    _expect_reference(run, history, end, "train_autoencoder on a second linear autoencoder")


# neighbour_label_agreement


def _agreement(z: np.ndarray, y: np.ndarray, k: int) -> float:
    """Oracle: scikit-learn's k nearest neighbours, each point left out of its own."""
    _, idx = NearestNeighbors(n_neighbors=k).fit(z).kneighbors()  # (n, k)
    return float((y[idx] == y[:, None]).mean())


def _agreement_hints(z: np.ndarray, y: np.ndarray, k: int):
    """Symptoms of the likely slips, each as the number it would give."""
    _, with_self = NearestNeighbors(n_neighbors=k).fit(z).kneighbors(z)  # (n, k), self first
    _, idx = NearestNeighbors(n_neighbors=k).fit(z).kneighbors()
    slips = [((y[with_self] == y[:, None]).mean(), "That is the agreement with each point counted "
              "among its own neighbours: a point is never its own neighbour.")]
    if k > 1:
        slips += [((y[idx[:, :1]] == y[:, None]).mean(), "That is the agreement of the single "
                   f"nearest neighbour; with k={k} each point has {k}."),
                  ((y[idx] == y[:, None]).any(axis=1).mean(), "That is the share of points with at "
                   "least one neighbour of their label; the contract asks for the fraction of the k "
                   "neighbours, averaged.")]
    return _slip_hints(slips, rtol=1e-9)


@graded("neighbour_label_agreement", points=1)
@learner_errors_fail("neighbour_label_agreement(z, y, k) for 5 points on a line")
def test_agreement_on_a_small_example(student):
    z = np.array([[0.0], [0.1], [5.0], [5.2], [10.0]])
    y = np.array([0, 0, 1, 1, 0])
    for k, want, why in ((1, 0.8, "every point's nearest other point has its label except the "
                          "point at 10 (nearest: 5.2, label 1), so 4/5"),
                         (2, 0.4, "each of the first four points has one of its two nearest others "
                          "labelled like it and the point at 10 none, so (4 * 1/2 + 0) / 5")):
        got = expect_scalar(student.call("neighbour_label_agreement", z, y, k=k),
                            f"neighbour_label_agreement(z, y, k={k})")
        expect_close(got, want, f"neighbour_label_agreement(z, y, k={k}) for points at 0, 0.1, 5, "
                     f"5.2 and 10 labelled 0, 0, 1, 1, 0: {why}", atol=1e-9,
                     hints=_agreement_hints(z, y, k))


@graded("neighbour_label_agreement", points=2)
@learner_errors_fail("neighbour_label_agreement(z, y, k) for 60 points in 3-D")
def test_agreement_matches_sklearn(student):
    rng = np.random.default_rng(30)
    y = rng.integers(0, 4, size=60)
    z = 2.0 * rng.normal(size=(4, 3))[y] + rng.normal(size=(60, 3))  # 4 overlapping clusters
    for k in (1, 5):
        got = expect_scalar(student.call("neighbour_label_agreement", z, y, k=k),
                            f"neighbour_label_agreement(z, y, k={k})")
        expect_close(got, _agreement(z, y, k), f"neighbour_label_agreement(z, y, k={k}) on 60 "
                     f"points in 3-D: scikit-learn's NearestNeighbors(n_neighbors={k}), each point "
                     "left out of its own neighbours", atol=1e-9, hints=_agreement_hints(z, y, k))


@graded("neighbour_label_agreement", points=1, hidden=True)
@learner_errors_fail("neighbour_label_agreement(z, y, k=3) for 450 digit codes")
def test_agreement_on_digit_codes_matches_sklearn(student):
    x_train, x_test, _, y_test = _digits()
    z = SklearnPCA(8, svd_solver="full").fit(x_train.astype(np.float64)).transform(
        x_test.astype(np.float64))  # (450, 8) continuous codes
    got = expect_scalar(student.call("neighbour_label_agreement", z, y_test, k=3),
                        "neighbour_label_agreement(z, y, k=3)")
    expect_close(got, _agreement(z, y_test, 3), "neighbour_label_agreement(z, y, k=3) on 8-D PCA "
                 "codes of the 450 held-out digits: scikit-learn's NearestNeighbors", atol=2 / len(z),
                 hints=_agreement_hints(z, y_test, 3))


@graded("neighbour_label_agreement", points=1, hidden=True)
@learner_errors_fail("neighbour_label_agreement(z, y, k=1) for 28 points, 8 of them twice")
def test_points_that_occur_twice_are_each_others_neighbours(student):
    rng = np.random.default_rng(31)
    z = rng.normal(size=(20, 2))
    z = np.concatenate([z, z[:8]])  # rows 20..27 repeat rows 0..7
    y = np.concatenate([rng.integers(0, 3, size=20), rng.integers(0, 3, size=8)])
    got = expect_scalar(student.call("neighbour_label_agreement", z, y, k=1),
                        "neighbour_label_agreement(z, y, k=1)")
    expect_close(got, _agreement(z, y, 1), "neighbour_label_agreement(z, y, k=1) for 28 points of "
                 "which 8 occur twice (a point's copy is its nearest other point): scikit-learn's "
                 "NearestNeighbors", atol=1e-9, hints=[
                     (lambda g, w: True, "A point's copy, at distance 0, is its nearest other point and "
                      "counts as a neighbour; only the point itself is left out (by its index, not by its "
                      "distance)")])
