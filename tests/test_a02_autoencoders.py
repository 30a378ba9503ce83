"""Tests of assignment a02_autoencoders: the solution earns every point, the listed mistakes and
a few more lose points with a message, and the notebook's points match the checks."""


import torch

from tests.helpers import (
    ChapterTests,
    Mistake,
    OddReturn,
)

A = "a02_autoencoders"


# The mistakes the chapter must catch: each is written into the solution and must fail the named
# check of its own exercise by an assertion (tests/helpers.py applies the table).
MISTAKES = [
    Mistake('PCA without centring (SVD of the raw data)', 'PCA',
            {'np.linalg.svd(x - self.mean, full_matrices=False)': 'np.linalg.svd(x, full_matrices=False)'},
            'test_pca_subspace_matches_sklearn'),
    Mistake('PCA without centring anywhere (mean kept at zero)', 'PCA',
            {'self.mean = x.mean(axis=0)  # (d,)': 'self.mean = np.zeros(x.shape[1])  # (d,)'},
            'test_pca_on_digits_matches_sklearn_error'),
    Mistake('the wrong axis in the SVD (columns of Vt)', 'PCA',
            {'self.components = vt[: self.latent_dim]': 'self.components = vt[:, : self.latent_dim].T'},
            'test_pca_subspace_matches_sklearn'),
    Mistake('the wrong axis in the SVD (rows of U)', 'PCA',
            {'_, _, vt = np.linalg.svd(': 'vt, _, _ = np.linalg.svd('},
            'test_pca_reconstruction_matches_sklearn'),
    Mistake('a sum instead of a mean in the loss', 'reconstruction_loss',
            {'return ((x_hat - x) ** 2).mean()': 'return ((x_hat - x) ** 2).sum()'},
            'test_loss_is_a_mean_whatever_the_batch_size'),
    Mistake('the encoder bypassing the bottleneck (a skip connection)', 'Autoencoder',
            {'        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n': '        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n        self.skip = nn.Linear(sizes[0], sizes[0])\n', 'return self.decode(self.encode(x))': 'return self.decode(self.encode(x)) + self.skip(x)'},
            'test_forward_goes_through_the_bottleneck'),
    Mistake('the encoder bypassing the bottleneck (it stops one layer early)', 'Autoencoder',
            {'self.encoder = mlp(sizes)': 'self.encoder = mlp(sizes[:-1])', 'self.decoder = mlp(sizes[::-1])': 'self.decoder = mlp(sizes[-2::-1])'},
            'test_autoencoder_shapes'),
    Mistake('zero_grad forgotten', 'train_autoencoder',
            {'            optimizer.zero_grad()\n': ''},
            'test_loss_falls_within_a_few_epochs'),
    Mistake('the nearest neighbour counting the point itself', 'neighbour_label_agreement',
            {'    np.fill_diagonal(dist, np.inf)  # a point is not its own neighbour\n': ''},
            'test_agreement_on_a_small_example'),
    Mistake('a missing seed for the initial weights', 'Autoencoder',
            {'        torch.manual_seed(seed)  # the initial weights depend on `seed` only\n': ''},
            'test_seed_sets_the_initial_weights'),
    Mistake('a missing seed for the shuffle', 'train_autoencoder',
            {'torch.randperm(len(x), generator=generator)': 'torch.randperm(len(x))'},
            'test_same_seed_same_history'),
    Mistake('zero_grad forgotten, against a reference run of Adam', 'train_autoencoder',
            {'            optimizer.zero_grad()\n': ''},
            'test_matches_reference_adam_on_a_linear_autoencoder'),
    Mistake('zero_grad forgotten, on the digits', 'train_autoencoder',
            {'            optimizer.zero_grad()\n': ''},
            'test_beats_pca_at_latent_dim_2_on_held_out_digits'),
    Mistake('a skip connection, on the digits', 'train_autoencoder',
            {'        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n': '        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n        self.skip = nn.Linear(sizes[0], sizes[0])\n', 'return self.decode(self.encode(x))': 'return self.decode(self.encode(x)) + self.skip(x)'},
            'test_beats_pca_at_latent_dim_2_on_held_out_digits'),
    Mistake('a skip connection, in a linear autoencoder', 'Autoencoder',
            {'        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n': '        self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d\n        self.skip = nn.Linear(sizes[0], sizes[0])\n', 'return self.decode(self.encode(x))': 'return self.decode(self.encode(x)) + self.skip(x)'},
            'test_linear_autoencoder_reconstructions_span_latent_dim'),
    Mistake('a sum in the loss, seen in the training history', 'train_autoencoder',
            {'return ((x_hat - x) ** 2).mean()': 'return ((x_hat - x) ** 2).sum()'},
            'test_matches_reference_adam_on_a_linear_autoencoder'),
    Mistake('a ReLU on the code', 'Autoencoder',
            {'        self.encoder = mlp(sizes)  # d -> ... -> latent_dim\n': '        self.encoder = nn.Sequential(mlp(sizes), nn.ReLU())  # d -> ... -> latent_dim\n'},
            'test_relu_between_layers_but_not_at_the_ends'),
    Mistake('no ReLU at all', 'Autoencoder',
            {'                    layers.append(nn.ReLU())\n': '                    pass\n'},
            'test_relu_between_layers_but_not_at_the_ends'),
    Mistake('the loss returned as a float', 'reconstruction_loss',
            {'return ((x_hat - x) ** 2).mean()': 'return ((x_hat - x) ** 2).mean().item()'},
            'test_loss_matches_torch_mse'),
    Mistake('a shuffle that ignores the seed (no shuffle at all)', 'train_autoencoder',
            {'torch.randperm(len(x), generator=generator)': 'torch.arange(len(x))'},
            'test_different_seeds_shuffle_differently'),
    Mistake('PCA components not ordered by variance', 'PCA',
            {'self.components = vt[: self.latent_dim]': 'self.components = vt[: self.latent_dim][::-1]'},
            'test_pca_components_are_orthonormal_and_ordered'),
    Mistake('decode forgets to add the mean back', 'PCA',
            {'return np.asarray(z, dtype=np.float64) @ self.components + self.mean': 'return np.asarray(z, dtype=np.float64) @ self.components'},
            'test_pca_decoder_inverts_encoder_on_planar_data'),
    Mistake("the loss detached from the autograd graph", "reconstruction_loss",
            {"return ((x_hat - x) ** 2).mean()": "return ((x_hat - x) ** 2).mean().detach()"},
            "test_loss_gradient_matches_closed_form"),
    Mistake("the code detached before decoding", "Autoencoder",
            {"return self.decode(self.encode(x))": "return self.decode(self.encode(x).detach())"},
            "test_gradients_flow_from_x_hat_back_to_x"),
    Mistake("only the single nearest neighbour, whatever k", "neighbour_label_agreement",
            {"[:, :k]  # (n, k)": "[:, :1]  # (n, k)"},
            "test_agreement_matches_sklearn"),
    Mistake("neighbours by Manhattan distance", "neighbour_label_agreement",
            {"dist = squared[:, None] + squared[None, :] - 2 * z @ z.T":
             "dist = np.abs(z[:, None, :] - z[None, :, :]).sum(axis=2)"},
            "test_agreement_on_digit_codes_matches_sklearn"),
    Mistake("fit does not return the fitted PCA", "PCA",
            {"        return self\n        ### END SOLUTION": "        ### END SOLUTION"},
            "test_pca_shapes"),
    Mistake("the history records every minibatch's loss", "train_autoencoder",
            {"            losses.append(loss.item())\n        history.append(sum(losses) / len(losses))":
             "            history.append(loss.item())"},
            "test_history_has_one_finite_loss_per_epoch"),
]


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


# Degenerate but plain answers: each must fail its check by an assertion with a message (never
# pass on a degenerate model), and the same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("a constant model, against the bottleneck check",
              "test_forward_goes_through_the_bottleneck", {"Autoencoder": _Flat}),
    OddReturn("a constant model, against the linear-span check",
              "test_linear_autoencoder_reconstructions_span_latent_dim", {"Autoencoder": _Flat}),
    OddReturn("a model giving NaN, against the linear-span check (an SVD of NaN raises)",
              "test_linear_autoencoder_reconstructions_span_latent_dim", {"Autoencoder": _NaN}),
    OddReturn("a training loop that trains nothing, against the seed check", "test_same_seed_same_history",
              {"train_autoencoder": lambda model, x, num_epochs, **kw: [1.0] * num_epochs}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns = A, MISTAKES, ODD_RETURNS
    full_marks_seconds = 15
    blame_once = False
