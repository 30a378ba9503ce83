"""Tests of assignment a02_autoencoders: the solution earns every point, every listed mistake loses
points in its own exercise (and only there) with a message, correct solutions in other styles earn
every point, and degenerate answers fail with a message.

Mutants run the solution's setup and exercise cells without its demo cells; one mutant also runs
the whole notebook, as a learner would.
"""

import numpy as np
import torch

from tests.helpers import (
    Alternative,
    ChapterTests,
    Mistake,
    OddReturn,
    returns,
)

A = "a02_autoencoders"

# Source lines of the solution that the mistakes below rewrite.
SVD = "_, _, vt = np.linalg.svd(x - self.mean, full_matrices=False)  # vt: (min(n, d), d)"
KEEP = "self.components = vt[: self.latent_dim]"
ENCODE = "return (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T"
DECODE = "return np.asarray(z, dtype=np.float64) @ self.components + self.mean"
CURVE = "left_out = np.append(np.cumsum(s2[::-1])[::-1], 0.0)  # (r + 1,): sum of s_j^2 for j >= k"
SCALE = "return left_out / (n * d)"
ENCODER = "self.encoder = mlp(sizes)  # d -> ... -> latent_dim"
DECODER = "self.decoder = mlp(sizes[::-1])  # latent_dim -> ... -> d"
SEED = "        torch.manual_seed(seed)  # the initial weights depend on `seed` only\n"
RELU = "layers.append(nn.ReLU())"
FORWARD = "return self.decode(self.encode(x))"
LOSS = "return ((x_hat - x) ** 2).mean()"
GENERATOR = "generator = torch.Generator().manual_seed(seed)\n"
OPTIMIZER = "optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
EPOCH = "    for _ in range(num_epochs):\n"
ORDER = "for idx in torch.randperm(len(x), generator=generator).split(batch_size):"
STEP_LOSS = "loss = loss_fn(model(x[idx]), x[idx])"
ZERO_GRAD = "            optimizer.zero_grad()\n"
RECORD = "history.append(sum(losses) / len(losses))"
NEAREST = 'nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]  # (n, k)'
DIAGONAL = "    np.fill_diagonal(dist, np.inf)  # a point is not its own neighbour\n"
SKIP = {DECODER: DECODER + "\n        self.skip = nn.Linear(sizes[0], sizes[0])",
        FORWARD: "return self.decode(self.encode(x)) + self.skip(x)"}

# Each mistake is written into the solution and must fail the named check of its own exercise by
# an assertion, and cost no other exercise anything (tests/helpers.py applies the table).
MISTAKES = [
    # PCA
    Mistake("PCA without centring (SVD of the raw data)", "PCA",
            {SVD: "_, _, vt = np.linalg.svd(x, full_matrices=False)"},
            "test_pca_subspace_matches_sklearn"),
    Mistake("PCA without centring anywhere (mean kept at zero)", "PCA",
            {"self.mean = x.mean(axis=0)  # (d,)": "self.mean = np.zeros(x.shape[1])  # (d,)"},
            "test_pca_on_digits_matches_sklearn_error"),
    Mistake("the wrong axis in the SVD (columns of Vt)", "PCA",
            {KEEP: "self.components = vt[:, : self.latent_dim].T"},
            "test_pca_subspace_matches_sklearn"),
    Mistake("the wrong axis in the SVD (rows of U)", "PCA",
            {"_, _, vt = np.linalg.svd(": "vt, _, _ = np.linalg.svd("},
            "test_pca_reconstruction_matches_sklearn"),
    Mistake("the components in increasing order of variance", "PCA",
            {KEEP: "self.components = vt[: self.latent_dim][::-1]"},
            "test_pca_components_are_ordered_by_variance"),
    Mistake("eigh of the covariance, its first eigenvectors (the least variance)", "PCA",
            {SVD: "_, vectors = np.linalg.eigh(np.cov(x, rowvar=False))\n        vt = vectors.T"},
            "test_pca_subspace_matches_sklearn"),
    Mistake("eigh of the covariance, its last eigenvectors left in increasing order", "PCA",
            {SVD: "_, vectors = np.linalg.eigh(np.cov(x, rowvar=False))\n        vt = vectors.T",
             KEEP: "self.components = vt[-self.latent_dim :]"},
            "test_pca_components_are_ordered_by_variance"),
    Mistake("the components stored as columns (d, latent_dim)", "PCA",
            {KEEP: "self.components = vt[: self.latent_dim].T"},
            "test_pca_shapes"),
    Mistake("the mean over the wrong axis", "PCA",
            {"self.mean = x.mean(axis=0)  # (d,)": "self.mean = x.mean(axis=1, keepdims=True)"},
            "test_pca_shapes"),
    Mistake("encode forgets to subtract the mean", "PCA",
            {ENCODE: "return np.asarray(x, dtype=np.float64) @ self.components.T"},
            "test_pca_reconstruction_matches_sklearn"),
    Mistake("decode forgets to add the mean back", "PCA",
            {DECODE: "return np.asarray(z, dtype=np.float64) @ self.components"},
            "test_pca_decoder_inverts_encoder_on_planar_data"),
    Mistake("fit does not return the fitted PCA", "PCA",
            {"        return self\n        ### END SOLUTION": "        ### END SOLUTION"},
            "test_pca_shapes"),
    # pca_error_curve
    Mistake("singular values, not their squares", "pca_error_curve",
            {"s2 = np.asarray(singular_values, dtype=np.float64) ** 2":
             "s2 = np.asarray(singular_values, dtype=np.float64)"},
            "test_error_curve_matches_sklearn_reconstructions"),
    Mistake("a mean over the n rows only", "pca_error_curve",
            {SCALE: "return left_out / n"},
            "test_error_curve_on_a_small_example"),
    Mistake("divided by (n - 1) d, as for a variance", "pca_error_curve",
            {SCALE: "return left_out / ((n - 1) * d)"},
            "test_error_curve_with_fewer_points_than_pixels_and_on_digits"),
    Mistake("what PCA keeps instead of what it leaves out", "pca_error_curve",
            {CURVE: "left_out = np.append(0.0, np.cumsum(s2))"},
            "test_error_curve_on_a_small_example"),
    Mistake("shifted by one latent_dim", "pca_error_curve",
            {CURVE: "left_out = np.append(np.cumsum(s2[::-1])[::-1][1:], [0.0, 0.0])"},
            "test_error_curve_on_a_small_example"),
    Mistake("fractions of the total instead of errors", "pca_error_curve",
            {SCALE: "return left_out / left_out[0]"},
            "test_error_curve_matches_sklearn_reconstructions"),
    Mistake("one error per singular value, latent_dim r left out", "pca_error_curve",
            {CURVE: "left_out = np.cumsum(s2[::-1])[::-1]"},
            "test_error_curve_on_a_small_example"),
    # Autoencoder
    Mistake("the encoder bypassing the bottleneck (a skip connection)", "Autoencoder", SKIP,
            "test_forward_goes_through_the_bottleneck"),
    Mistake("a skip connection, in a linear autoencoder", "Autoencoder", SKIP,
            "test_linear_autoencoder_reconstructions_span_latent_dim"),
    Mistake("the encoder stopping one layer early", "Autoencoder",
            {"self.encoder = mlp(sizes)": "self.encoder = mlp(sizes[:-1])",
             "self.decoder = mlp(sizes[::-1])": "self.decoder = mlp(sizes[-2::-1])"},
            "test_autoencoder_shapes"),
    Mistake("the decoder not mirrored (the encoder's widths again)", "Autoencoder",
            {DECODER: "self.decoder = mlp(sizes)"},
            "test_autoencoder_shapes"),
    Mistake("a missing seed for the initial weights", "Autoencoder", {SEED: ""},
            "test_seed_sets_the_initial_weights"),
    Mistake("the initial weights seeded with 0 whatever the seed", "Autoencoder",
            {SEED: "        torch.manual_seed(0)\n"},
            "test_seed_sets_the_initial_weights"),
    Mistake("a ReLU on the code", "Autoencoder",
            {ENCODER: "self.encoder = nn.Sequential(mlp(sizes), nn.ReLU())"},
            "test_affine_layers_with_relu_between_but_not_at_the_ends"),
    Mistake("a sigmoid on the reconstruction", "Autoencoder",
            {DECODER: "self.decoder = nn.Sequential(mlp(sizes[::-1]), nn.Sigmoid())"},
            "test_affine_layers_with_relu_between_but_not_at_the_ends"),
    Mistake("no ReLU at all", "Autoencoder", {RELU: "pass"},
            "test_affine_layers_with_relu_between_but_not_at_the_ends"),
    Mistake("tanh instead of ReLU", "Autoencoder", {RELU: "layers.append(nn.Tanh())"},
            "test_affine_layers_with_relu_between_but_not_at_the_ends"),
    Mistake("softplus instead of ReLU", "Autoencoder", {RELU: "layers.append(nn.Softplus())"},
            "test_affine_layers_with_relu_between_but_not_at_the_ends"),
    Mistake("layers without biases", "Autoencoder",
            {"layers.append(nn.Linear(widths[i], widths[i + 1]))":
             "layers.append(nn.Linear(widths[i], widths[i + 1], bias=False))"},
            "test_affine_layers_with_relu_between_but_not_at_the_ends"),
    Mistake("a ReLU before the first layer too", "Autoencoder",
            {"                if i > 0:\n                    " + RELU: "                " + RELU},
            "test_gradients_flow_from_x_hat_back_to_x"),
    Mistake("the code detached before decoding", "Autoencoder",
            {FORWARD: "return self.decode(self.encode(x).detach())"},
            "test_gradients_flow_from_x_hat_back_to_x"),
    # reconstruction_loss
    Mistake("a sum instead of a mean", "reconstruction_loss",
            {LOSS: "return ((x_hat - x) ** 2).sum()"},
            "test_loss_is_a_mean_whatever_the_batch_size"),
    Mistake("a sum over the pixels, a mean over the rows", "reconstruction_loss",
            {LOSS: "return ((x_hat - x) ** 2).sum(dim=1).mean()"},
            "test_loss_is_a_mean_whatever_the_batch_size"),
    Mistake("the sum divided by shape[0] * shape[1]", "reconstruction_loss",
            {LOSS: "return ((x_hat - x) ** 2).sum() / (x.shape[0] * x.shape[1])"},
            "test_loss_of_any_shape_and_dtype"),
    Mistake("a root mean square", "reconstruction_loss",
            {LOSS: "return ((x_hat - x) ** 2).mean().sqrt()"},
            "test_loss_matches_torch_mse"),
    Mistake("a mean absolute error", "reconstruction_loss",
            {LOSS: "return (x_hat - x).abs().mean()"},
            "test_loss_matches_torch_mse"),
    Mistake("the loss returned as a float", "reconstruction_loss",
            {LOSS: "return ((x_hat - x) ** 2).mean().item()"},
            "test_loss_matches_torch_mse"),
    Mistake("the loss detached from the autograd graph", "reconstruction_loss",
            {LOSS: "return ((x_hat - x) ** 2).mean().detach()"},
            "test_loss_gradient_reaches_x_hat"),
    Mistake("the loss rebuilt with torch.tensor(float(...))", "reconstruction_loss",
            {LOSS: "return torch.tensor(float(((x_hat - x) ** 2).mean()))"},
            "test_loss_gradient_reaches_x_hat"),
    Mistake("the loss rebuilt as a new leaf that requires grad", "reconstruction_loss",
            {LOSS: "return torch.tensor(float(((x_hat - x) ** 2).mean()), requires_grad=True)"},
            "test_loss_gradient_reaches_x_hat"),
    # train_autoencoder
    Mistake("zero_grad forgotten", "train_autoencoder", {ZERO_GRAD: ""},
            "test_training_matches_a_reference_run"),
    Mistake("zero_grad forgotten, on the digits", "train_autoencoder", {ZERO_GRAD: ""},
            "test_trained_model_reconstructs_digits_like_the_reference"),
    Mistake("gradients cleared between backward and step", "train_autoencoder",
            {ZERO_GRAD: "", "            optimizer.step()\n":
             "            optimizer.zero_grad()\n            optimizer.step()\n"},
            "test_training_matches_a_reference_run"),
    Mistake("no optimizer step", "train_autoencoder", {"            optimizer.step()\n": ""},
            "test_trained_model_reconstructs_digits_like_the_reference"),
    Mistake("the shuffle drawn from torch's global generator", "train_autoencoder",
            {ORDER: "for idx in torch.randperm(len(x)).split(batch_size):"},
            "test_same_seed_same_run_whatever_the_global_generator"),
    Mistake("the shuffle drawn from torch's global generator, against the reference", "train_autoencoder",
            {ORDER: "for idx in torch.randperm(len(x)).split(batch_size):"},
            "test_training_matches_a_reference_run"),
    Mistake("a new generator every epoch", "train_autoencoder",
            {"    " + GENERATOR: "", EPOCH: EPOCH + "        " + GENERATOR},
            "test_training_matches_a_reference_run"),
    Mistake("the generator seeded with 0 whatever the seed", "train_autoencoder",
            {GENERATOR: "generator = torch.Generator().manual_seed(0)\n"},
            "test_different_seeds_give_different_orders"),
    Mistake("no shuffle at all", "train_autoencoder",
            {ORDER: "for idx in torch.arange(len(x)).split(batch_size):"},
            "test_different_seeds_give_different_orders"),
    Mistake("the last, smaller minibatch skipped", "train_autoencoder",
            {ORDER: ORDER + "\n            if len(idx) < batch_size:\n                continue"},
            "test_training_matches_a_reference_run"),
    Mistake("the history records the epoch's last minibatch loss", "train_autoencoder",
            {RECORD: "history.append(losses[-1])"},
            "test_training_matches_a_reference_run"),
    Mistake("the history weighs minibatches by their size", "train_autoencoder",
            {"losses.append(loss.item())": "losses.extend([loss.item()] * len(idx))"},
            "test_training_matches_a_reference_run"),
    Mistake("the history records every minibatch's loss", "train_autoencoder",
            {"            losses.append(loss.item())\n        " + RECORD:
             "            history.append(loss.item())"},
            "test_history_is_one_float_per_epoch"),
    Mistake("the history holds tensors (no .item())", "train_autoencoder",
            {"losses.append(loss.item())": "losses.append(loss)"},
            "test_history_is_one_float_per_epoch"),
    Mistake("the history records the loss of all of x after each epoch", "train_autoencoder",
            {RECORD: "history.append(loss_fn(model(x), x).item())"},
            "test_training_matches_a_reference_run"),
    Mistake("a new optimizer every epoch", "train_autoencoder",
            {"    " + OPTIMIZER: "", EPOCH: EPOCH + "        " + OPTIMIZER},
            "test_training_matches_a_reference_run"),
    Mistake("lr ignored (Adam's default)", "train_autoencoder",
            {OPTIMIZER: "optimizer = torch.optim.Adam(model.parameters())\n"},
            "test_training_matches_a_second_reference_run"),
    Mistake("AdamW instead of Adam", "train_autoencoder",
            {OPTIMIZER: "optimizer = torch.optim.AdamW(model.parameters(), lr=lr)\n"},
            "test_training_matches_a_reference_run"),
    Mistake("Adam's betas changed", "train_autoencoder",
            {OPTIMIZER: "optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))\n"},
            "test_training_matches_a_reference_run"),
    Mistake("a learning-rate schedule not asked for", "train_autoencoder",
            {OPTIMIZER: OPTIMIZER + "    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)\n",
             RECORD: RECORD + "\n        scheduler.step()"},
            "test_training_matches_a_reference_run"),
    Mistake("gradients clipped", "train_autoencoder",
            {"            optimizer.step()\n":
             "            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n            optimizer.step()\n"},
            "test_training_matches_a_second_reference_run"),
    Mistake("SGD instead of Adam", "train_autoencoder",
            {OPTIMIZER: "optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"},
            "test_trained_model_reconstructs_digits_like_the_reference"),
    Mistake("a loss that leaves the autograd graph", "train_autoencoder",
            {STEP_LOSS: "loss = torch.tensor(loss_fn(model(x[idx]), x[idx]).item(), requires_grad=True)"},
            "test_training_matches_a_reference_run"),
    Mistake("loss_fn ignored (reconstruction_loss used)", "train_autoencoder",
            {STEP_LOSS: "loss = reconstruction_loss(model(x[idx]), x[idx])"},
            "test_training_matches_a_reference_run"),
    # found by a learner's trial
    Mistake("the loss's arguments swapped", "train_autoencoder", {STEP_LOSS: "loss = loss_fn(x[idx], model(x[idx]))"},
            "test_training_matches_a_reference_run"),
    Mistake("the error curve returned in float32", "pca_error_curve",
            {SCALE: "return (left_out / (n * d)).astype(np.float32)"}, "test_error_curve_on_a_small_example"),
    Mistake("PCA fitted in the input's float32", "PCA",
            {"x = np.asarray(x, dtype=np.float64)\n        self.mean": "x = np.asarray(x)\n        self.mean"},
            "test_pca_on_digits_matches_sklearn_error"),
    Mistake("fit centres the caller's x in place", "PCA",
            {"x = np.asarray(x, dtype=np.float64)\n        self.mean = x.mean(axis=0)  # (d,)\n": "x = np.asarray(x)\n"
             "        self.mean = x.mean(axis=0).astype(np.float64)  # (d,)\n        x -= x.mean(axis=0)\n"},
            "test_pca_on_digits_matches_sklearn_error"),
    Mistake("every step on the whole data set", "train_autoencoder",
            {STEP_LOSS: "loss = loss_fn(model(x), x)"},
            "test_training_matches_a_second_reference_run"),
    # neighbour_label_agreement
    Mistake("the nearest neighbour counting the point itself", "neighbour_label_agreement",
            {DIAGONAL: ""}, "test_agreement_on_a_small_example"),
    Mistake("only the single nearest neighbour, whatever k", "neighbour_label_agreement",
            {"[:, :k]  # (n, k)": "[:, :1]  # (n, k)"}, "test_agreement_matches_sklearn"),
    Mistake("the farthest points instead of the nearest", "neighbour_label_agreement",
            {DIAGONAL: "    np.fill_diagonal(dist, -np.inf)\n",
             NEAREST: "nearest = np.argsort(-dist, axis=1, kind=\"stable\")[:, :k]"},
            "test_agreement_on_a_small_example"),
    Mistake("a point with at least one agreeing neighbour counted as 1", "neighbour_label_agreement",
            {"return float((y[nearest] == y[:, None]).mean())":
             "return float((y[nearest] == y[:, None]).any(axis=1).mean())"},
            "test_agreement_matches_sklearn"),
    Mistake("neighbours by Manhattan distance", "neighbour_label_agreement",
            {"dist = squared[:, None] + squared[None, :] - 2 * z @ z.T":
             "dist = np.abs(z[:, None, :] - z[None, :, :]).sum(axis=2)"},
            "test_agreement_on_digit_codes_matches_sklearn"),
    Mistake("the first column of the sorted distances dropped, taken to be the point itself",
            "neighbour_label_agreement",
            {DIAGONAL: "", NEAREST: 'nearest = np.argsort(dist, axis=1, kind="stable")[:, 1 : k + 1]'},
            "test_points_that_occur_twice_are_each_others_neighbours"),
]


# Correct solutions in other styles: each must get full marks.
ALTERNATIVES = [
    Alternative("PCA by the eigendecomposition of the covariance, a looped error curve, "
                "neighbours found one point at a time", {
                    SVD + "\n        " + KEEP: (
                        "variances, vectors = np.linalg.eigh(np.cov(x, rowvar=False))  # ascending\n"
                        "        largest = np.argsort(variances)[::-1][: self.latent_dim]\n"
                        "        self.components = vectors[:, largest].T"),
                    "    s2 = np.asarray(singular_values, dtype=np.float64) ** 2  # (r,)\n    " + CURVE
                    + "\n    " + SCALE: (
                        "    errors = []\n"
                        "    for k in range(len(singular_values) + 1):\n"
                        "        errors.append(sum(float(v) ** 2 for v in singular_values[k:]) / (n * d))\n"
                        "    return np.array(errors)"),
                    "    squared = (z**2).sum(axis=1)\n": "",
                    "    dist = squared[:, None] + squared[None, :] - 2 * z @ z.T  # (n, n) squared distances\n"
                    + DIAGONAL + "    " + NEAREST + "\n    return float((y[nearest] == y[:, None]).mean())": (
                        "    shares = []\n"
                        "    for i in range(len(z)):\n"
                        "        dist = np.linalg.norm(z - z[i], axis=1)\n"
                        "        dist[i] = np.inf\n"
                        "        nearest = np.argpartition(dist, k - 1)[:k]\n"
                        "        shares.append(np.mean(y[nearest] == y[i]))\n"
                        "    return float(np.mean(shares))"),
                }),
    Alternative("an Autoencoder of ModuleLists applying torch.relu, a while loop over a shuffled "
                "copy that clears gradients through the model, the loss by torch", {
                    "        def mlp(widths):\n": "        def layers(widths):\n",
                    "            layers = []\n            for i in range(len(widths) - 1):\n"
                    "                if i > 0:\n                    " + RELU + "\n"
                    "                layers.append(nn.Linear(widths[i], widths[i + 1]))\n"
                    "            return nn.Sequential(*layers)": (
                        "            return nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))"),
                    ENCODER: "self.encoder = layers(sizes)",
                    DECODER: "self.decoder = layers(sizes[::-1])\n\n"
                    "    @staticmethod\n"
                    "    def _run(stack, h):\n"
                    "        for i, layer in enumerate(stack):\n"
                    "            h = layer(torch.relu(h) if i > 0 else h)\n"
                    "        return h",
                    "return self.encoder(x)": "return self._run(self.encoder, x)",
                    "return self.decoder(z)": "return self._run(self.decoder, z)",
                    LOSS: "return torch.nn.functional.mse_loss(x_hat, x)",
                    "    history = []\n    for _ in range(num_epochs):\n        losses = []\n"
                    "        " + ORDER + "\n            " + STEP_LOSS + "\n" + ZERO_GRAD
                    + "            loss.backward()\n            optimizer.step()\n"
                    "            losses.append(loss.item())\n        " + RECORD: (
                        "    history, epoch, n = [], 0, len(x)\n"
                        "    while epoch < num_epochs:\n"
                        "        shuffled = x[torch.randperm(n, generator=generator)]\n"
                        "        start, total, count = 0, 0.0, 0\n"
                        "        while start < n:\n"
                        "            model.zero_grad()\n"
                        "            x_batch = shuffled[start : start + batch_size]\n"
                        "            loss = loss_fn(model(x_batch), x_batch)\n"
                        "            loss.backward()\n"
                        "            optimizer.step()\n"
                        "            total, count, start = total + loss.item(), count + 1, start + batch_size\n"
                        "        history.append(total / count)\n"
                        "        epoch += 1"),
                }),
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
    OddReturn("a training loop that trains nothing, against the seed check",
              "test_same_seed_same_run_whatever_the_global_generator",
              {"train_autoencoder": lambda model, x, num_epochs, **kw: [1.0] * num_epochs}),
    OddReturn("a training loop that trains nothing, against the reference run",
              "test_training_matches_a_reference_run",
              {"train_autoencoder": lambda model, x, num_epochs, **kw: [1.0] * num_epochs}),
    OddReturn("an error curve as a Python list", "test_error_curve_on_a_small_example",
              {"pca_error_curve": returns([1.4, 1 / 3, 1 / 15, 0.0])}),
    OddReturn("an error curve of NaN", "test_error_curve_matches_sklearn_reconstructions",
              {"pca_error_curve": returns(np.full(7, np.nan))}),
    OddReturn("an agreement of NaN", "test_agreement_matches_sklearn",
              {"neighbour_label_agreement": returns(float("nan"))}),
    OddReturn("a loss of None", "test_loss_matches_torch_mse", {"reconstruction_loss": returns(None)}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 15
    blame_once = True

