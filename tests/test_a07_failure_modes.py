"""Tests of assignment a07_failure_modes: the solution earns every point, every listed mistake loses
points in its own exercise, correct solutions in other styles earn every point, and degenerate
answers fail with a message.
"""

import numpy as np

from tests.helpers import (
    Alternative,
    ChapterTests,
    Mistake,
    OddReturn,
    returns,
)

A = "a07_failure_modes"

# Source lines of the solution that the mistakes below rewrite.
AN_UNIT = "unit = x / np.linalg.norm(x, axis=1, keepdims=True)  # (n, d)"
AN_RET = "return float((cos.sum() - np.trace(cos)) / (n * (n - 1)))"
AN_CHECK = "    if n < 2:\n        raise ValueError(f\"anisotropy needs at least 2 rows, got {n}\")\n"
AB_CENTRE = "centred = x - x.mean(axis=0)  # (n, D)"
AB_SVD = "_, _, vt = np.linalg.svd(centred, full_matrices=False)"
AB_TOP = "top = vt[:d]  # (d, D): orthonormal principal directions"
AB_RET = "return centred - (centred @ top.T) @ top"
WH_COV = "eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False))"
WH_RET = "return centred @ (eigenvectors / np.sqrt(eigenvalues))  # (n, D)"
KO_UNIT = "unit = x / np.linalg.norm(x, axis=1, keepdims=True)\n    cos = unit @ unit.T  # (n, n)"
KO_DIAG = "    np.fill_diagonal(cos, -np.inf)  # a row is not its own neighbour\n"
KO_SORT = 'nearest = np.argsort(-cos, axis=1, kind="stable")[:, :k]  # (n, k)'
KO_RET = "return np.bincount(nearest.ravel(), minlength=len(x)).astype(np.int64)"
HB_MOMENTS = "m2, m3 = np.mean(centred**2), np.mean(centred**3)"
HB_RET = "return 0.0 if m2 == 0 else float(m3 / m2**1.5)"
CS_SAME = "    if same:\n        np.fill_diagonal(others, -np.inf)\n"
CS_RX = "r_of_x = -np.sort(-others, axis=1)[:, :k].mean(axis=1)  # (n,)"
CS_RY = "r_of_y = -np.sort(-others, axis=0)[:k, :].mean(axis=0)  # (m,)"
CS_RET = "return 2 * cos - r_of_x[:, None] - r_of_y[None, :]"
WE_EFFECT = "effect = float((s_x.mean() - s_y.mean()) / s.std(ddof=1))"
WE_P = "return effect, float(np.mean(stats >= observed - 1e-12))"
WE_RNG = "draws = np.random.default_rng(seed)"
WE_SPLITS = "combinations(range(len(s)), n_x)"
SP_INDEX = "index = {w: i for i, w in enumerate(words)}"
SP_KEPT = "kept = [(index[w1], index[w2], score) for w1, w2, score in pairs if w1 in index and w2 in index]"
SP_UNIT = "unit = v / np.linalg.norm(v, axis=1, keepdims=True)"
SP_COS = "cosines = [float(unit[i] @ unit[j]) for i, j, _ in kept]"
SP_RHO = "rho = spearmanr(cosines, [score for _, _, score in kept])[0]"
SP_RET = "return float(rho), 1.0 - len(kept) / len(pairs)"

m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())
MISTAKES = [
    # anisotropy
    m("the diagonal (self-similarity 1) counted", "anisotropy", {AN_RET: "return float(cos.mean())"},
      "test_anisotropy_leaves_out_self_similarity"),
    m("the diagonal left out but n^2 pairs counted", "anisotropy",
      {AN_RET: "return float((cos.sum() - np.trace(cos)) / (n * n))"}, "test_anisotropy_leaves_out_self_similarity"),
    m("vectors not normalised", "anisotropy", {AN_UNIT: "unit = x  # (n, d)"}, "test_anisotropy_matches_pairwise_cosines"),
    m("a single row accepted", "anisotropy", {AN_CHECK: ""}, "test_anisotropy_ignores_lengths_and_needs_two_rows"),
    # all_but_the_top
    m("all-but-the-top removing the directions before the mean", "all_but_the_top",
      {AB_SVD: "_, _, vt = np.linalg.svd(x, full_matrices=False)"},
      "test_all_but_the_top_centres_before_finding_directions"),
    m("the mean never removed", "all_but_the_top", {AB_RET: "return x - (x @ top.T) @ top"},
      "test_all_but_the_top_leaves_nothing_of_what_it_removes"),
    m("the input's float32 kept", "all_but_the_top",
      {"x = np.asarray(x, dtype=np.float64)\n    centred = x - x.mean(axis=0)  # (n, D)":
       "centred = x - x.mean(axis=0)  # (n, D)"}, "test_all_but_the_top_leaves_nothing_of_what_it_removes"),
    m("one direction too many", "all_but_the_top", {AB_TOP: "top = vt[:d + 1]"},
      "test_all_but_the_top_matches_sklearn_pca"),
    m("the directions read from the columns of V^T", "all_but_the_top", {AB_TOP: "top = vt.T[:d]"},
      "test_all_but_the_top_matches_sklearn_pca"),
    # whiten
    m("whitening without centring", "whiten", {WH_RET: "return x @ (eigenvectors / np.sqrt(eigenvalues))"},
      "test_whitened_rows_are_centred"),
    m("the covariance divided by n", "whiten",
      {WH_COV: "eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False, bias=True))"},
      "test_whitened_covariance_is_the_identity"),
    m("each column standardised, not decorrelated", "whiten", {WH_RET: "return centred / centred.std(axis=0, ddof=1)"},
      "test_whitening_keeps_the_mahalanobis_products"),
    m("scaled by the square roots instead of divided", "whiten",
      {WH_RET: "return centred @ (eigenvectors * np.sqrt(eigenvalues))"}, "test_whitened_covariance_is_the_identity"),
    m("the eigenvectors read as rows", "whiten", {WH_RET: "return centred @ (eigenvectors.T / np.sqrt(eigenvalues))"},
      "test_whitened_covariance_is_the_identity"),
    # k_occurrence
    m("a point counted among its own neighbours", "k_occurrence", {KO_DIAG: ""}, "test_k_occurrence_matches_sklearn"),
    m("the nearest dropped as if it were always the point itself", "k_occurrence",
      {KO_DIAG: "", KO_SORT: 'nearest = np.argsort(-cos, axis=1, kind="stable")[:, 1:k + 1]'},
      "test_k_occurrence_ties_go_to_the_lower_row"),
    m("neighbours by Euclidean distance", "k_occurrence",
      {KO_UNIT: "cos = -((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)"},
      "test_k_occurrence_ignores_lengths_and_adds_up"),
    m("the k least similar counted", "k_occurrence",
      {KO_DIAG: "    np.fill_diagonal(cos, np.inf)\n", KO_SORT: 'nearest = np.argsort(cos, axis=1, kind="stable")[:, :k]'},
      "test_k_occurrence_matches_sklearn"),
    m("neighbours sorted without a stable sort", "k_occurrence",
      {KO_SORT: "nearest = np.argsort(-cos, axis=1)[:, :k]  # (n, k)"}, "test_k_occurrence_ties_go_to_the_lower_row"),
    m("counts as int32", "k_occurrence", {KO_RET: "return np.bincount(nearest.ravel(), minlength=len(x)).astype(np.int32)"},
      "test_k_occurrence_matches_sklearn"),
    # hubness
    m("the wrong skewness estimator: bias corrected", "hubness",
      {HB_MOMENTS + "\n    " + HB_RET: "from scipy.stats import skew\n    return float(skew(c, bias=False))"},
      "test_hubness_matches_scipy_skew"),
    m("the variance with ddof = 1", "hubness", {HB_MOMENTS: "m2, m3 = np.var(c, ddof=1), np.mean(centred**3)"},
      "test_hubness_matches_scipy_skew"),
    m("equal counts give NaN", "hubness", {HB_RET: "return float(m3 / m2**1.5)"}, "test_hubness_of_equal_counts_is_zero"),
    # csls
    m("a point counted among its own neighbours in CSLS's r term", "csls", {CS_SAME: ""},
      "test_csls_within_one_set_leaves_each_row_out"),
    m("r over k + 1 neighbours", "csls",
      {CS_RX: CS_RX.replace(":k]", ":k + 1]"), CS_RY: CS_RY.replace(":k, :]", ":k + 1, :]")},
      "test_csls_matches_its_definition"),
    m("CSLS without the factor 2", "csls", {CS_RET: "return cos - r_of_x[:, None] - r_of_y[None, :]"},
      "test_csls_with_k_the_whole_other_set"),
    m("r from the least similar rows", "csls",
      {CS_RX: "r_of_x = np.sort(cos, axis=1)[:, :k].mean(axis=1)", CS_RY: "r_of_y = np.sort(cos, axis=0)[:k, :].mean(axis=0)"},
      "test_csls_matches_its_definition"),
    # weat
    m("the WEAT standard deviation with ddof = 0", "weat", {WE_EFFECT: WE_EFFECT.replace("s.std(ddof=1)", "s.std()")},
      "test_weat_effect_size_matches_its_definition"),
    m("the WEAT standard deviation over the wrong set (x only)", "weat",
      {WE_EFFECT: WE_EFFECT.replace("s.std(ddof=1)", "s_x.std(ddof=1)")}, "test_weat_effect_size_matches_its_definition"),
    m("a p-value that is one-sided in the wrong direction", "weat",
      {WE_P: "return effect, float(np.mean(stats <= observed + 1e-12))"}, "test_weat_exact_p_value"),
    m("the observed split left out of the count", "weat",
      {WE_P: "return effect, float(np.mean(stats > observed + 1e-12))"}, "test_weat_exact_p_value"),
    m("a two-sided p-value", "weat",
      {WE_P: "return effect, float(np.mean(np.abs(stats) >= abs(observed) - 1e-12))"}, "test_weat_exact_p_value"),
    m("the effect size's sign dropped", "weat", {WE_EFFECT: WE_EFFECT.replace("float((", "abs(float((") + ")"},
      "test_weat_swapped_targets_flip_the_sign_and_equal_ones_give_zero"),
    m("splits into halves whatever the sizes", "weat", {WE_SPLITS: "combinations(range(len(s)), len(s) // 2)"},
      "test_weat_targets_of_different_sizes"),
    m("the exact test only below n_permutations splits", "weat",
      {"if comb(len(s), n_x) <= n_permutations:": "if comb(len(s), n_x) < n_permutations:"},
      "test_weat_targets_of_different_sizes"),
    m("random splits not seeded", "weat", {WE_RNG: "draws = np.random.default_rng()"},
      "test_weat_sampled_p_value_is_seeded_and_close_to_exact"),
    # word_pair_spearman
    m("out-of-vocabulary pairs counted (cosine 0) instead of skipped", "word_pair_spearman",
      {SP_COS + "\n    " + SP_RHO: (
          "cosines = [float(unit[index[a]] @ unit[index[b]]) if a in index and b in index else 0.0 for a, b, _ in pairs]\n"
          "    rho = spearmanr(cosines, [score for _, _, score in pairs])[0]")},
      "test_spearman_matches_gensim"),
    m("Pearson instead of Spearman", "word_pair_spearman",
      {"from scipy.stats import spearmanr": "from scipy.stats import pearsonr as spearmanr"}, "test_spearman_matches_gensim"),
    m("raw dot products", "word_pair_spearman", {SP_UNIT: "unit = v"}, "test_spearman_matches_gensim"),
    m("words matched without case", "word_pair_spearman",
      {SP_INDEX: "index = {w.lower(): i for i, w in enumerate(words)}",
       SP_KEPT: ("kept = [(index[w1.lower()], index[w2.lower()], score) for w1, w2, score in pairs "
                 "if w1.lower() in index and w2.lower() in index]")},
      "test_spearman_matches_gensim"),
    m("the share skipped in percent", "word_pair_spearman",
      {SP_RET: "return float(rho), 100 * (1.0 - len(kept) / len(pairs))"}, "test_spearman_on_glove_and_wordsim"),
    m("the share kept instead of skipped", "word_pair_spearman",
      {SP_RET: "return float(rho), len(kept) / len(pairs)"}, "test_spearman_reports_the_share_skipped"),
]

ALTERNATIVES = [
    Alternative("anisotropy over i < j; all-but-the-top with scikit-learn's PCA; ZCA whitening; neighbours by "
                "lexsort; skewness by scipy; CSLS with np.partition; WEAT in loops; Spearman from ranks", {
                    AN_RET: "iu = np.triu_indices(n, 1)\n    return float(cos[iu].mean())",
                    AB_SVD + "\n    " + AB_TOP + "\n    " + AB_RET: (
                        "from sklearn.decomposition import PCA\n"
                        "    top = PCA(n_components=d, svd_solver='full').fit(x).components_\n"
                        "    return centred - centred @ top.T @ top"),
                    WH_RET: ("inv_sqrt = (eigenvectors / np.sqrt(eigenvalues)) @ eigenvectors.T  # ZCA\n"
                             "    return centred @ inv_sqrt"),
                    KO_SORT: ("nearest = np.array([np.lexsort((np.arange(len(row)), -row))[:k] for row in cos])"),
                    HB_MOMENTS + "\n    " + HB_RET: (
                        "from scipy.stats import skew\n"
                        "    return 0.0 if np.all(c == c[0]) else float(skew(c, bias=True))"),
                    CS_RX + "\n    " + CS_RY: (
                        "r_of_x = np.array([np.mean(np.sort(row)[-k:]) for row in others])\n"
                        "    r_of_y = np.array([np.mean(np.sort(col)[-k:]) for col in others.T])"),
                    SP_RHO: ("from scipy.stats import rankdata\n"
                             "    r1, r2 = rankdata(cosines), rankdata([score for _, _, score in kept])\n"
                             "    rho = np.corrcoef(r1, r2)[0, 1]"),
                }),
]

ODD_RETURNS = [
    OddReturn("anisotropy as an array", "test_anisotropy_matches_pairwise_cosines",
              {"anisotropy": returns(np.zeros(3))}),
    OddReturn("no exception for one row", "test_anisotropy_ignores_lengths_and_needs_two_rows",
              {"anisotropy": returns(0.0)}),
    OddReturn("the input returned", "test_all_but_the_top_matches_sklearn_pca",
              {"all_but_the_top": lambda x, d: np.asarray(x, dtype=np.float64)}),
    OddReturn("whitened rows of NaN", "test_whitened_covariance_is_the_identity",
              {"whiten": lambda x: np.full(np.shape(x), np.nan)}),
    OddReturn("counts as a list", "test_k_occurrence_matches_sklearn", {"k_occurrence": returns([1] * 80)}),
    OddReturn("hubness of None", "test_hubness_matches_scipy_skew", {"hubness": returns(None)}),
    OddReturn("CSLS of the wrong shape", "test_csls_matches_its_definition", {"csls": returns(np.zeros((7, 7)))}),
    OddReturn("WEAT without a p-value", "test_weat_effect_size_matches_its_definition", {"weat": returns(1.0)}),
    OddReturn("a p-value of NaN", "test_weat_exact_p_value", {"weat": returns((1.0, float("nan")))}),
    OddReturn("Spearman as a string", "test_spearman_matches_gensim", {"word_pair_spearman": returns("0.5")}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 15
    whole_notebook_mistake = 0  # the diagonal counted in anisotropy
    blame_once = True
