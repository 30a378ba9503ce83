"""Tests of assignment a05_visualisation: the solution earns every point, every listed mistake loses
points in its own exercise (and, for a knn_indices or trustworthiness that a later exercise calls,
there too, by a message naming it), correct solutions in other styles earn every point, and
degenerate answers fail with a message.
"""

import numpy as np

from tests.helpers import (
    Alternative,
    ChapterTests,
    Mistake,
    OddReturn,
    returns,
)

A = "a05_visualisation"

# Source lines of the solution that the mistakes below rewrite.
KNN_DIAG = "    np.fill_diagonal(d2, np.inf)\n"
KNN_SORT = 'return np.argsort(d2, axis=1, kind="stable")[:, :k].astype(np.int64)'
KNN_RANGE = "    if not 1 <= k <= n - 1:\n        raise ValueError(f\"k must be between 1 and n - 1 = {n - 1}, got {k}\")\n"
KNN_D2 = "d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)  # (n, n) squared distances"
KEPT = "kept = [len(set(a.tolist()) & set(b.tolist())) for a, b in zip(high, low)]"
RECALL = "return float(np.mean(kept) / k)"
RECALL_N = ("    if len(x_high) != len(x_low):\n"
            "        raise ValueError(f\"x_high has {len(x_high)} points and x_low {len(x_low)}\")\n")
RANKS = "rank[i, order[i]] = np.arange(1, n)"
PENALTY = "penalty += sum(max(rank[i, j] - k, 0) for j in neighbours)"
T_SCALE = "return float(1.0 - 2.0 / (n * k * (2 * n - 3 * k - 1)) * penalty)"
T_RANGE = "    if not 1 <= k < n / 2:\n        raise ValueError(f\"k must be at least 1 and below n / 2 = {n / 2}, got {k}\")\n"
T_LOW = "for i, neighbours in enumerate(knn_indices(x_low, k)):"
CONTINUITY = "return trustworthiness(x_low, x_high, k)"
TARGET = "target = np.log(perplexity)"
ENTROPY = "h = -np.sum(p[p > 0] * np.log(p[p > 0]))"
SHIFT = "di = d2[i, others] - d2[i, others].min()  # shifting leaves the normalised row unchanged"
SEARCH = "for _ in range(200):"
SYMMETRISE = "return (cond + cond.T) / (2 * n)"
P_D2 = "d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)  # (n, n)"
P_RANGE = ("    if not 1 <= perplexity <= n - 1:\n"
           "        raise ValueError(f\"perplexity must be between 1 and n - 1 = {n - 1}, got {perplexity}\")\n")
KERNEL = "kernel = 1.0 / (1.0 + (diff**2).sum(axis=2))  # (n, n)"
Q_DIAG = "    np.fill_diagonal(kernel, 0.0)\n"
KL = "kl = float(np.sum(p[nonzero] * np.log(p[nonzero] / q[nonzero])))"
GRAD = 'grad = 4.0 * np.einsum("ij,ijk->ik", (p - q) * kernel, diff)'
KL_IN = "p = np.asarray(p, dtype=np.float64)\n    y = np.asarray(y, dtype=np.float64)"
SPEARMAN = "return float(np.corrcoef(ranks(a), ranks(b))[0, 1])"
PAIRS = "i, j = np.triu_indices(len(x_high), k=1)  # each pair once"
TIES = "return (last - (counts - 1) / 2.0)[inverse]  # ties share the mean of their ranks"

m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())
MISTAKES = [
    # knn_indices
    m("a point counted as its own neighbour", "knn_indices", {KNN_DIAG: ""}, "test_knn_matches_sklearn",
      also=("neighbour_recall", "trustworthiness", "continuity")),
    m("a point left out by its distance being 0, not by its index", "knn_indices",
      {KNN_DIAG: "    d2[d2 == 0] = np.inf\n"}, "test_a_copy_of_a_point_is_its_neighbour",
      also=("neighbour_recall", "trustworthiness", "continuity")),
    m("ties broken by np.argsort's default sort", "knn_indices",
      {KNN_SORT: "return np.argsort(d2, axis=1)[:, :k].astype(np.int64)"}, "test_ties_go_to_the_lower_index",
      also=("trustworthiness", "continuity")),
    m("the k farthest points", "knn_indices", {KNN_SORT: 'return np.argsort(-d2, axis=1, kind="stable")'
                                               "[:, 1:k + 1].astype(np.int64)"}, "test_knn_matches_sklearn",
      also=("neighbour_recall", "trustworthiness", "continuity")),
    m("neighbours by np.argpartition, unordered", "knn_indices",
      {KNN_SORT: "return np.argpartition(d2, k, axis=1)[:, :k].astype(np.int64)"}, "test_ties_go_to_the_lower_index",
      also=("neighbour_recall", "trustworthiness", "continuity")),
    m("k out of range not refused", "knn_indices", {KNN_RANGE: ""}, "test_knn_edges_and_digits",
      also=("neighbour_recall",)),
    # neighbour_recall
    m("the mean count of kept neighbours, not divided by k", "neighbour_recall",
      {RECALL: "return float(np.mean(kept))"}, "test_recall_of_a_perfect_map_is_one"),
    m("the union of both neighbourhoods in the denominator", "neighbour_recall",
      {KEPT: "kept = [len(set(a.tolist()) & set(b.tolist())) * k / len(set(a.tolist()) | set(b.tolist())) "
       "for a, b in zip(high, low)]"}, "test_recall_matches_sklearn_neighbours"),
    m("each point counted among its own neighbours", "neighbour_recall",
      {"high, low = knn_indices(x_high, k), knn_indices(x_low, k)":
       "high = np.c_[np.arange(len(x_high)), knn_indices(x_high, k - 1)]\n"
       "    low = np.c_[np.arange(len(x_low)), knn_indices(x_low, k - 1)]"}, "test_recall_matches_sklearn_neighbours"),
    m("spaces of different sizes not refused", "neighbour_recall",
      {RECALL_N: "    x_low = x_low[:len(x_high)]\n    x_high = x_high[:len(x_low)]\n"},
      "test_recall_of_digits_and_mismatched_spaces"),
    # trustworthiness
    m("ranks starting at 0", "trustworthiness", {RANKS: "rank[i, order[i]] = np.arange(0, n - 1)"},
      "test_trustworthiness_matches_sklearn", also=("continuity",)),
    m("penalties of rank - k - 1", "trustworthiness", {PENALTY: "penalty += sum(max(rank[i, j] - k - 1, 0) "
                                                                 "for j in neighbours)"},
      "test_trustworthiness_of_maps_scored_by_hand", also=("continuity",)),
    m("the normalising constant 1 / (n k (2n - 3k - 1))", "trustworthiness",
      {T_SCALE: "return float(1.0 - 1.0 / (n * k * (2 * n - 3 * k - 1)) * penalty)"},
      "test_trustworthiness_matches_sklearn", also=("continuity",)),
    m("the normalising constant with 2n - 3k + 1", "trustworthiness",
      {T_SCALE: "return float(1.0 - 2.0 / (n * k * (2 * n - 3 * k + 1)) * penalty)"},
      "test_trustworthiness_of_the_pca_map_of_digits", also=("continuity",)),
    m("ranks taken on the map (continuity)", "trustworthiness",
      {"order = knn_indices(x_high, n - 1)": "order = knn_indices(x_low, n - 1)",
       T_LOW: "for i, neighbours in enumerate(knn_indices(x_high, k)):"},
      "test_trustworthiness_matches_sklearn", also=("continuity",)),
    m("every neighbour on the map penalised, kept ones too", "trustworthiness",
      {PENALTY: "penalty += sum(abs(rank[i, j] - k) for j in neighbours)"}, "test_trustworthiness_matches_sklearn",
      also=("continuity",)),
    m("ranks by np.argsort's default sort, ties in any order", "trustworthiness",
      {"order = knn_indices(x_high, n - 1)": "d = ((x_high[:, None] - x_high[None]) ** 2).sum(axis=2)\n"
       "    np.fill_diagonal(d, np.inf)\n    order = np.argsort(d, axis=1)[:, :-1]"},
      "test_trustworthiness_breaks_ties_by_index", also=("continuity",)),
    m("k up to n / 2 allowed", "trustworthiness", {"if not 1 <= k < n / 2:": "if not 1 <= k <= n / 2:"},
      "test_trustworthiness_refuses_large_k", also=("continuity",)),
    m("the inputs centred in place", "trustworthiness",
      {"x_high = np.asarray(x_high, dtype=np.float64)": "x_high -= x_high.mean(axis=0)\n"
       "    x_high = np.asarray(x_high, dtype=np.float64)"}, "test_trustworthiness_in_float32_leaves_its_inputs"),
    # continuity
    m("continuity as trustworthiness, the spaces not swapped", "continuity",
      {CONTINUITY: "return trustworthiness(x_high, x_low, k)"}, "test_continuity_is_trustworthiness_swapped"),
    m("continuity as 2 - trustworthiness", "continuity",
      {CONTINUITY: "return 2.0 - trustworthiness(x_high, x_low, k)"}, "test_continuity_is_trustworthiness_swapped"),
    m("continuity without its own check of k", "continuity",
      {CONTINUITY: "n = len(x_high)\n    k = min(k, (n - 1) // 2)\n    return trustworthiness(x_low, x_high, k)"},
      "test_continuity_of_a_perfect_map_and_its_limits"),
    # tsne_affinities
    m("the target entropy log2(perplexity), in bits", "tsne_affinities", {TARGET: "target = np.log2(perplexity)"},
      "test_each_row_has_the_perplexity_asked_for"),
    m("the entropy in bits against a target in nats", "tsne_affinities",
      {ENTROPY: "h = -np.sum(p[p > 0] * np.log2(p[p > 0]))"}, "test_each_row_has_the_perplexity_asked_for"),
    m("P not symmetrised", "tsne_affinities", {SYMMETRISE: "return cond / n"},
      "test_affinities_form_a_joint_distribution"),
    m("P divided by n, not 2n", "tsne_affinities", {SYMMETRISE: "return (cond + cond.T) / n"},
      "test_affinities_form_a_joint_distribution"),
    m("a Gaussian of the distance, not of its square", "tsne_affinities", {P_D2: "d2 = np.sqrt(((x[:, None, :] - "
                                                                                  "x[None, :, :]) ** 2).sum(axis=2))"},
      "test_affinities_use_squared_distances"),
    m("one fixed precision for every point, no search", "tsne_affinities", {SEARCH: "for _ in range(1):"},
      "test_each_row_has_the_perplexity_asked_for"),
    m("the precision searched only between 1e-3 and 1e3", "tsne_affinities",
      {"lo, hi, beta = 0.0, np.inf, 1.0": "lo, hi, beta = 1e-3, 1e3, 1.0"},
      "test_affinities_of_far_points_do_not_underflow"),
    m("a perplexity out of range not refused", "tsne_affinities", {P_RANGE: ""}, "test_affinities_edges_and_digits"),
    m("the precision's search stopping after 10 halvings", "tsne_affinities", {SEARCH: "for _ in range(10):"},
      "test_affinities_match_sklearn"),
    # tsne_kl_gradient
    m("a Gaussian kernel on the map", "tsne_kl_gradient", {KERNEL: "kernel = np.exp(-(diff**2).sum(axis=2))"},
      "test_kl_and_gradient_match_autograd"),
    m("the gradient's factor 4 missing", "tsne_kl_gradient",
      {GRAD: 'grad = np.einsum("ij,ijk->ik", (p - q) * kernel, diff)'}, "test_kl_and_gradient_match_autograd"),
    m("the gradient's sign reversed", "tsne_kl_gradient",
      {GRAD: 'grad = -4.0 * np.einsum("ij,ijk->ik", (p - q) * kernel, diff)'}, "test_kl_and_gradient_match_autograd"),
    m("the gradient without the kernel's weight", "tsne_kl_gradient",
      {GRAD: 'grad = 4.0 * np.einsum("ij,ijk->ik", p - q, diff)'}, "test_kl_and_gradient_match_autograd"),
    m("Q normalised with its diagonal in", "tsne_kl_gradient",
      {Q_DIAG: "", "q = kernel / kernel.sum()": "q = kernel / kernel.sum()\n    np.fill_diagonal(kernel, 0.0)"},
      "test_a_map_that_fits_has_zero_kl_and_gradient"),
    m("KL(Q || P) instead of KL(P || Q)", "tsne_kl_gradient",
      {KL: "kl = float(np.sum(q[nonzero] * np.log(q[nonzero] / p[nonzero])))"}, "test_kl_and_gradient_match_autograd"),
    m("0 log 0 summed (NaN)", "tsne_kl_gradient",
      {KL: "kl = float(np.sum(p * np.log(np.where(np.eye(len(p)) > 0, 1.0, p) / np.where(np.eye(len(p)) > 0, 1.0, q))))"},
      "test_kl_and_gradient_match_sklearn"),
    m("the map's inputs cast in place", "tsne_kl_gradient",
      {KL_IN: "p = np.asarray(p, dtype=np.float64)\n    y -= y.mean(axis=0)\n    y = np.asarray(y, dtype=np.float64)"},
      "test_gradient_sums_to_zero_and_leaves_its_inputs"),
    m("the objective in the inputs' float32", "tsne_kl_gradient",
      {KL_IN: "p = np.asarray(p)\n    y = np.asarray(y)"}, "test_kl_gradient_in_float32"),
    # shepard_correlation
    m("Pearson's correlation of the distances, not Spearman's", "shepard_correlation",
      {SPEARMAN: "return float(np.corrcoef(a, b)[0, 1])"}, "test_shepard_of_maps_that_keep_or_bend_the_scale"),
    m("every pair twice and each point with itself", "shepard_correlation",
      {PAIRS: "i, j = (g.ravel() for g in np.meshgrid(np.arange(len(x_high)), np.arange(len(x_high))))"},
      "test_shepard_matches_scipy"),
    m("tied distances ranked one after another", "shepard_correlation",
      {TIES: "return np.argsort(np.argsort(v, kind='stable'), kind='stable') + 1.0"},
      "test_tied_distances_share_their_ranks"),
]


# Correct solutions in other styles: each must get full marks.
ALTERNATIVES = [
    Alternative("neighbours by scipy's cdist and a lexsort; recall by np.isin; trustworthiness by a rank "
                "matrix from argsort of argsort; continuity written out; affinities with a bisection on "
                "sigma; the gradient in a loop; Spearman from scipy.stats", {
                    KNN_D2 + "\n" + KNN_DIAG + "    " + KNN_SORT: (
                        "from scipy.spatial.distance import cdist\n"
                        "    d = cdist(x, x)\n    np.fill_diagonal(d, np.inf)\n"
                        "    cols = np.tile(np.arange(n), (n, 1))\n"
                        "    order = np.lexsort((cols, d), axis=1)\n"
                        "    return order[:, :k].astype(np.int64)"),
                    KEPT: "kept = [int(np.isin(a, b).sum()) for a, b in zip(high, low)]",
                    CONTINUITY: (
                        "n = len(x_high)\n"
                        "    if not 1 <= k < n / 2:\n        raise ValueError('k must be below n / 2')\n"
                        "    rank = np.empty((n, n), dtype=np.int64)  # rank[i, j]: j's rank around i on the map\n"
                        "    np.put_along_axis(rank, knn_indices(x_low, n - 1), np.tile(np.arange(1, n), (n, 1)), axis=1)\n"
                        "    pen = np.clip(np.take_along_axis(rank, knn_indices(x_high, k), axis=1) - k, 0, None).sum()\n"
                        "    return float(1 - 2 * pen / (n * k * (2 * n - 3 * k - 1)))"),
                    GRAD: ("grad = np.zeros_like(y)\n"
                           "    for i in range(len(y)):\n"
                           "        for j in range(len(y)):\n"
                           "            grad[i] += 4.0 * (p[i, j] - q[i, j]) * kernel[i, j] * (y[i] - y[j])"),
                    SPEARMAN: "from scipy.stats import spearmanr\n    return float(spearmanr(a, b)[0])",
                }),
]


# Degenerate but plain answers: each must fail its check by an assertion with a message, and the
# same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("neighbours as a list", "test_knn_matches_sklearn", {"knn_indices": returns([[0]] * 40)}),
    OddReturn("a recall of NaN", "test_recall_matches_sklearn_neighbours",
              {"neighbour_recall": returns(float("nan"))}),
    OddReturn("a trustworthiness of None", "test_trustworthiness_matches_sklearn", {"trustworthiness": returns(None)}),
    OddReturn("a continuity of 1.0 always", "test_continuity_is_trustworthiness_swapped",
              {"continuity": returns(1.0)}),
    OddReturn("affinities of the wrong shape", "test_affinities_match_sklearn",
              {"tsne_affinities": returns(np.ones((3, 3)))}),
    OddReturn("affinities of NaN", "test_affinities_form_a_joint_distribution",
              {"tsne_affinities": returns(np.full((30, 30), np.nan))}),
    OddReturn("a gradient without its KL", "test_kl_and_gradient_match_autograd",
              {"tsne_kl_gradient": returns(np.zeros((20, 2)))}),
    OddReturn("a Shepard correlation as a string", "test_shepard_matches_scipy",
              {"shepard_correlation": returns("0.9")}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 15
    whole_notebook_mistake = 31  # a Gaussian kernel on the map: no other exercise calls it
    blame_once = True
