"""Tests of assignment a02_autoencoders: the solution earns every point, the listed mistakes and
a few more lose points with a message, and the notebook's points match the checks."""


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
    score,
)

A = "a02_autoencoders"


def test_solution_earns_every_point_quickly():
    assert_full_marks(A, within_seconds=15)


# The mistakes issue 5 lists, written into the solution: each must lose points in its exercise,
# by a failed assertion with a message (not by an error in the check).
MISTAKES = {
    "PCA without centring (SVD of the raw data)": (
        "PCA", {"np.linalg.svd(x - self.mean, full_matrices=False)": "np.linalg.svd(x, full_matrices=False)"}),
    "PCA without centring anywhere (mean kept at zero)": (
        "PCA", {"self.mean = x.mean(axis=0)  # (d,)": "self.mean = np.zeros(x.shape[1])  # (d,)"}),
    "the wrong axis in the SVD (columns of Vt)": (
        "PCA", {"self.components = vt[: self.latent_dim]": "self.components = vt[:, : self.latent_dim].T"}),
    "the wrong axis in the SVD (rows of U)": (
        "PCA", {"_, _, vt = np.linalg.svd(": "vt, _, _ = np.linalg.svd("}),
    "a sum instead of a mean in the loss": (
        "reconstruction_loss", {"return ((x_hat - x) ** 2).mean()": "return ((x_hat - x) ** 2).sum()"}),
    "the encoder bypassing the bottleneck (a skip connection)": (
        "Autoencoder", {
            "        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n":
            "        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n"
            "        self.skip = nn.Linear(sizes[0], sizes[0])\n",
            "return self.decode(self.encode(x))": "return self.decode(self.encode(x)) + self.skip(x)"}),
    "the encoder bypassing the bottleneck (it stops one layer early)": (
        "Autoencoder", {"self.encoder = mlp(sizes)": "self.encoder = mlp(sizes[:-1])",
                        "self.decoder = mlp(sizes[::-1])": "self.decoder = mlp(sizes[-2::-1])"}),
    "zero_grad forgotten": (
        "train_autoencoder", {"            optimizer.zero_grad()\n": ""}),
    "the nearest neighbour counting the point itself": (
        "neighbour_label_agreement", {"    np.fill_diagonal(dist, np.inf)  # a point is not its own neighbour\n": ""}),
    "a missing seed for the initial weights": (
        "Autoencoder", {"        torch.manual_seed(seed)  # the initial weights depend on `seed` only\n": ""}),
    "a missing seed for the shuffle": (
        "train_autoencoder", {"torch.randperm(len(x), generator=generator)": "torch.randperm(len(x))"}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_mistake_loses_points(mistake):
    exercise, replacements = MISTAKES[mistake]
    assert_lost_points(lost_points(A, replacements, exercise), mistake, exercise)


# Mistakes that must be caught by one named check (visible ones teach; hidden ones guard).
# These rerun only the exercise cells (no demo cells), which keeps the file fast.
TARGETED = {
    "zero_grad forgotten, against a reference run of Adam": (
        "train_autoencoder", "test_matches_reference_adam_on_a_linear_autoencoder",
        {"            optimizer.zero_grad()\n": ""}),
    "zero_grad forgotten, on the digits": (
        "train_autoencoder", "test_beats_pca_at_latent_dim_2_on_held_out_digits",
        {"            optimizer.zero_grad()\n": ""}),
    "a skip connection, on the digits": (
        "train_autoencoder", "test_beats_pca_at_latent_dim_2_on_held_out_digits",
        {"        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n":
         "        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n"
         "        self.skip = nn.Linear(sizes[0], sizes[0])\n",
         "return self.decode(self.encode(x))": "return self.decode(self.encode(x)) + self.skip(x)"}),
    "a skip connection, in a linear autoencoder": (
        "Autoencoder", "test_linear_autoencoder_reconstructions_span_latent_dim",
        {"        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n":
         "        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n"
         "        self.skip = nn.Linear(sizes[0], sizes[0])\n",
         "return self.decode(self.encode(x))": "return self.decode(self.encode(x)) + self.skip(x)"}),
    "a sum in the loss, seen in the training history": (
        "train_autoencoder", "test_matches_reference_adam_on_a_linear_autoencoder",
        {"return ((x_hat - x) ** 2).mean()": "return ((x_hat - x) ** 2).sum()"}),
    "a ReLU on the code": (
        "Autoencoder", "test_relu_between_layers_but_not_at_the_ends",
        {"        self.encoder = mlp(sizes)  # d -> ... -> latent_dim\n":
         "        self.encoder = nn.Sequential(mlp(sizes), nn.ReLU())  # d -> ... -> latent_dim\n"}),
    "no ReLU at all": (
        "Autoencoder", "test_relu_between_layers_but_not_at_the_ends",
        {"                    layers.append(nn.ReLU())\n": "                    pass\n"}),
    "the loss returned as a float": (
        "reconstruction_loss", "test_loss_matches_torch_mse",
        {"return ((x_hat - x) ** 2).mean()": "return ((x_hat - x) ** 2).mean().item()"}),
    "a shuffle that ignores the seed (no shuffle at all)": (
        "train_autoencoder", "test_different_seeds_shuffle_differently",
        {"torch.randperm(len(x), generator=generator)": "torch.arange(len(x))"}),
    "PCA components not ordered by variance": (
        "PCA", "test_pca_components_are_orthonormal_and_ordered",
        {"self.components = vt[: self.latent_dim]": "self.components = vt[: self.latent_dim][::-1]"}),
    "decode forgets to add the mean back": (
        "PCA", "test_pca_decoder_inverts_encoder_on_planar_data",
        {"return np.asarray(z, dtype=np.float64) @ self.components + self.mean":
         "return np.asarray(z, dtype=np.float64) @ self.components"}),
}


@pytest.mark.parametrize("mistake", list(TARGETED))
def test_targeted_mistake_fails_its_check(mistake):
    exercise, check_name, replacements = TARGETED[mistake]
    _, _, results = score(A, exercise_namespace(A, replacements), exercise)
    failed = {r.name: r for r in results if not r.passed}
    assert check_name in failed, f"{mistake} should fail {check_name}; failed: {sorted(failed)}"
    assert failed[check_name].message.strip(), f"{mistake}: {check_name} failed without a message"




class _Flat(torch.nn.Module):
    """A fake Autoencoder whose codes are all 0 and whose pixels all equal `fill`."""

    fill = 0.5

    def __init__(self, sizes, seed=0):
        super().__init__()
        self.sizes, self.latent_dim = sizes, sizes[-1]

    def encode(self, x):
        return torch.zeros(len(x), self.latent_dim)

    def decode(self, z):
        return torch.full((len(z), self.sizes[0]), self.fill)

    def forward(self, x):
        return self.decode(self.encode(x))


class _NaN(_Flat):
    fill = float("nan")


# Odd but plain return values: each check must fail by assertion with a message, never error
# (and never pass on a degenerate model); a NotImplementedError must still reach the report as is.
ODD_RETURNS = {
    "a constant model, against the bottleneck check": (
        "test_forward_goes_through_the_bottleneck", {"Autoencoder": _Flat}),
    "a constant model, against the linear-span check": (
        "test_linear_autoencoder_reconstructions_span_latent_dim", {"Autoencoder": _Flat}),
    "a model giving NaN, against the linear-span check (an SVD of NaN raises)": (
        "test_linear_autoencoder_reconstructions_span_latent_dim", {"Autoencoder": _NaN}),
    "a training loop that trains nothing, against the seed check": (
        "test_same_seed_same_history", {"train_autoencoder": lambda model, x, num_epochs, **kw: [1.0] * num_epochs}),
}


@pytest.mark.parametrize("case", list(ODD_RETURNS))
def test_odd_return_fails_with_a_message(case):
    check_name, functions = ODD_RETURNS[case]
    assert_check_fails_with_message(A, check_name, {**exercise_namespace(A), **functions}, case)


@pytest.mark.parametrize("check_name", sorted({c for c, _ in ODD_RETURNS.values()}))
def test_not_implemented_reaches_the_report(check_name):
    assert_not_implemented_reported(A, check_name, {"Autoencoder": not_implemented})
