"""Tests of assignment a09_steering: the solution earns every point, every listed mistake loses
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

A = "a09_steering"

# Source lines of the solution that the mistakes below rewrite.
SD_POS = "pos = np.asarray(positive, dtype=np.float64)"
SD_NEG = "neg = np.asarray(negative, dtype=np.float64)"
SD_GAP = "gap = pos.mean(axis=0) - neg.mean(axis=0)"
SD_EQUAL = ("    if length == 0:\n"
            "        raise ValueError(\"equal means have no direction between them\")\n")
SD_RET = "return gap / length"
AD_COPY = "steered = np.array(hidden, copy=True)"
AD_PUSH = "push = (float(coefficient) * np.asarray(direction, dtype=np.float64)).astype(steered.dtype)"
AD_LOOP = "for spot in positions:"
AD_ADD = "steered[:, spot] = steered[:, spot] + push"
AB_CHECK = ("    if size == 0:\n"
            "        raise ValueError(\"a zero direction has no component to remove\")\n")
AB_UNIT = "unit = r / size"
AB_RET = "return (x - np.multiply.outer(along, unit)).astype(np.asarray(hidden).dtype)"
PP_SCORES = "scores = np.asarray(logits, dtype=np.float64)[:, :-1]"
PP_WANTED = "wanted = np.asarray(token_ids)[:, 1:]"
PP_COUNTED = "counted = np.asarray(mask)[:, 1:] == 1"
PP_CHECK = ("    if not counted.any():\n"
            "        raise ValueError(\"no token is predicted\")\n")
PP_PEAK = "peak = scores.max(axis=-1, keepdims=True)"
PP_RET = "return float(np.exp(-chosen[counted].mean()))"
SE_TWO = "if after.shape[0] < 2 or good.all() or not good.any():"
SE_SCORE = "return sims[:, good].mean(axis=1) - sims[:, ~good].mean(axis=1)"
SE_CHANGE = "change = score(after) - score(before)"
SE_RET = "return float(change.mean()), float(np.std(change, ddof=1) / np.sqrt(change.size))"
BS_OK = "ok = np.isfinite(gain) & np.isfinite(cost) & (cost <= budget * base_perplexity)"
BS_CANDIDATES = "candidates = [(-gain[i, j], cost[i, j], i, j) for i, j in np.argwhere(ok)]"
BS_NONE = ("    if not candidates:\n"
           "        return None\n")
BS_MIN = "_, _, i, j = min(candidates)"
BS_RET = "return int(i), int(j)"

# whole bodies, for the mistakes and alternatives that rewrite an exercise
SD_BODY = (SD_POS + "\n    " + SD_NEG + "\n"
           "    if pos.ndim != 2 or neg.ndim != 2 or pos.shape[1] != neg.shape[1] or not len(pos) or not len(neg):\n"
           "        raise ValueError(f\"need two non-empty (n, d) arrays of one width, got {pos.shape}, {neg.shape}\")\n"
           "    " + SD_GAP + "\n    length = np.sqrt(gap @ gap)\n" + SD_EQUAL + "    " + SD_RET)
AD_BODY = AD_COPY + "\n    " + AD_PUSH + "\n    " + AD_LOOP + "\n        " + AD_ADD + "\n    return steered"
AB_BODY = ("r = np.asarray(direction, dtype=np.float64)\n    size = np.linalg.norm(r)\n" + AB_CHECK
           + "    " + AB_UNIT + "\n    x = np.asarray(hidden, dtype=np.float64)\n"
           "    along = np.einsum(\"...d,d->...\", x, unit)\n    " + AB_RET)
PP_BODY = (PP_SCORES + "\n    " + PP_WANTED + "\n    " + PP_COUNTED + "\n" + PP_CHECK + "    " + PP_PEAK + "\n"
           "    log_probs = scores - peak - np.log(np.exp(scores - peak).sum(axis=-1, keepdims=True))\n"
           "    chosen = np.take_along_axis(log_probs, wanted[..., None], axis=-1)[..., 0]\n    " + PP_RET)
SE_TAIL = SE_CHANGE + "\n    " + SE_RET
BS_SEARCH = BS_OK + "\n    " + BS_CANDIDATES + "\n" + BS_NONE + "    " + BS_MIN + "\n    " + BS_RET

m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())
PP_LOG = "log_probs = scores - peak - np.log(np.exp(scores - peak).sum(axis=-1, keepdims=True))"
MISTAKES = [
    # steering_direction
    m("the direction reversed (negative minus positive)", "steering_direction",
      {SD_GAP: "gap = neg.mean(axis=0) - pos.mean(axis=0)"},
      "test_steering_direction_agrees_with_a_logistic_regression"),
    m("the difference of means not normalised", "steering_direction", {SD_RET: "return gap"},
      "test_steering_direction_is_the_unit_difference_of_means"),
    m("the mean of unit rows", "steering_direction",
      {SD_GAP: ("gap = (pos / np.linalg.norm(pos, axis=1, keepdims=True)).mean(axis=0) "
                "- (neg / np.linalg.norm(neg, axis=1, keepdims=True)).mean(axis=0)")},
      "test_steering_direction_is_the_unit_difference_of_means"),
    m("the medians instead of the means", "steering_direction",
      {SD_GAP: "gap = np.median(pos, axis=0) - np.median(neg, axis=0)"},
      "test_steering_direction_is_the_unit_difference_of_means"),
    m("the positive mean alone, normalised", "steering_direction", {SD_GAP: "gap = pos.mean(axis=0)"},
      "test_steering_direction_agrees_with_a_logistic_regression"),
    m("equal means: a direction of NaN instead of ValueError", "steering_direction", {SD_EQUAL: ""},
      "test_steering_direction_edge_cases"),
    m("the rows' float32 kept", "steering_direction",
      {SD_POS: "pos = np.asarray(positive)", SD_NEG: "neg = np.asarray(negative)"},
      "test_steering_direction_edge_cases"),
    # add_direction
    m("only the batch's first row steered", "add_direction", {AD_ADD: "steered[0, spot] = steered[0, spot] + push"},
      "test_add_direction_adds_at_the_positions_given"),
    m("a list direction multiplied as it is (a TypeError)", "add_direction",
      {AD_PUSH: "push = (coefficient * direction).astype(steered.dtype)"},
      "test_add_direction_adds_at_the_positions_given"),
    m("every position steered", "add_direction",
      {AD_LOOP + "\n        " + AD_ADD: "steered = steered + push"},
      "test_add_direction_adds_at_the_positions_given"),
    m("negative positions skipped", "add_direction", {AD_LOOP: "for spot in [p for p in positions if p >= 0]:"},
      "test_add_direction_adds_at_the_positions_given"),
    m("negative positions read as positive ones (abs)", "add_direction",
      {AD_LOOP: "for spot in [abs(p) for p in positions]:"}, "test_add_direction_adds_at_the_positions_given"),
    m("negative positions one early (seq + p - 1)", "add_direction",
      {AD_LOOP: "for spot in [p if p >= 0 else steered.shape[1] + p - 1 for p in positions]:"},
      "test_add_direction_adds_at_the_positions_given"),
    m("the input changed in place", "add_direction", {AD_COPY: "steered = np.asarray(hidden)",
                                                      AD_ADD: "steered[:, spot] += push"},
      "test_add_direction_returns_a_new_array_of_the_states_dtype"),
    m("the direction renormalised", "add_direction",
      {AD_PUSH: ("push = (float(coefficient) * np.asarray(direction, dtype=np.float64)\n"
                 "            / np.linalg.norm(direction)).astype(steered.dtype)")},
      "test_add_direction_adds_at_the_positions_given"),
    m("float64 states returned", "add_direction", {AD_COPY: "steered = np.array(hidden, dtype=np.float64)"},
      "test_add_direction_returns_a_new_array_of_the_states_dtype"),
    m("the coefficient ignored", "add_direction",
      {AD_PUSH: "push = np.asarray(direction, dtype=np.float64).astype(steered.dtype)"},
      "test_add_direction_closed_cases"),
    # ablate_direction
    m("the number x . r subtracted, not the vector (x . r) r", "ablate_direction",
      {AB_RET: "return (x - along[..., None]).astype(np.asarray(hidden).dtype)"},
      "test_ablate_direction_removes_the_component_along_the_direction"),
    m("the direction taken to be of length 1", "ablate_direction", {AB_UNIT: "unit = r"},
      "test_ablate_direction_removes_the_component_along_the_direction"),
    m("an outer product that only fits 2-D states", "ablate_direction",
      {AB_RET: "return (x - np.outer(along, unit)).astype(np.asarray(hidden).dtype)"},
      "test_ablate_direction_removes_the_component_along_the_direction"),
    m("the component along r returned instead of the rest", "ablate_direction",
      {AB_RET: "return np.multiply.outer(along, unit).astype(np.asarray(hidden).dtype)"},
      "test_ablate_direction_removes_the_component_along_the_direction"),
    m("the component added, not subtracted", "ablate_direction",
      {AB_RET: "return (x + np.multiply.outer(along, unit)).astype(np.asarray(hidden).dtype)"},
      "test_ablate_direction_closed_cases"),
    m("float64 states returned", "ablate_direction", {AB_RET: "return x - np.multiply.outer(along, unit)"},
      "test_ablate_direction_closed_cases"),
    m("a zero direction: NaN instead of ValueError", "ablate_direction", {AB_CHECK: ""},
      "test_ablate_direction_of_one_vector_and_a_zero_direction"),
    # perplexity
    m("the log of a softmax, which underflows to 0 for a very unlikely token", "perplexity",
      {PP_LOG: "log_probs = np.log(np.exp(scores - peak) / np.exp(scores - peak).sum(axis=-1, keepdims=True))"},
      "test_perplexity_is_stable_for_large_logits"),
    m("no shift: the logits at t scoring token t", "perplexity",
      {PP_SCORES: "scores = np.asarray(logits, dtype=np.float64)", PP_WANTED: "wanted = np.asarray(token_ids)",
       PP_COUNTED: "counted = np.asarray(mask) == 1"},
      "test_perplexity_matches_torch_cross_entropy"),
    m("the mask ignored: padding counted", "perplexity", {PP_COUNTED: "counted = np.ones(wanted.shape, dtype=bool)"},
      "test_perplexity_counts_each_masked_in_target_once"),
    m("the mask read at the predicting position", "perplexity", {PP_COUNTED: "counted = np.asarray(mask)[:, :-1] == 1"},
      "test_perplexity_counts_each_masked_in_target_once"),
    m("right padding assumed: the first mask.sum() - 1 targets of each row counted", "perplexity",
      {PP_COUNTED: "counted = np.arange(wanted.shape[1])[None, :] < np.asarray(mask).sum(axis=1, keepdims=True) - 1"},
      "test_perplexity_counts_each_masked_in_target_once"),
    m("2 ** the mean log-likelihood in nats", "perplexity", {PP_RET: "return float(2 ** -chosen[counted].mean())"},
      "test_perplexity_matches_torch_cross_entropy"),
    m("log-likelihoods in bits undone with exp", "perplexity",
      {PP_RET: "return float(np.exp(-chosen[counted].mean() / np.log(2)))"},
      "test_perplexity_matches_torch_cross_entropy"),
    m("the mean of the rows' perplexities", "perplexity",
      {PP_RET: ("return float(np.mean([np.exp(-chosen[b][counted[b]].mean()) for b in range(len(chosen))\n"
                "                          if counted[b].any()]))")},
      "test_perplexity_matches_torch_cross_entropy"),
    m("the mean of the rows' mean log-likelihoods", "perplexity",
      {PP_RET: ("return float(np.exp(np.mean([-chosen[b][counted[b]].mean() for b in range(len(chosen))\n"
                "                                 if counted[b].any()])))")},
      "test_perplexity_counts_each_masked_in_target_once"),
    m("a softmax by exp without the largest logit taken out", "perplexity", {PP_PEAK: "peak = 0.0"},
      "test_perplexity_is_stable_for_large_logits"),
    m("the mean negative log-likelihood returned, not its exp", "perplexity",
      {PP_RET: "return float(-chosen[counted].mean())"}, "test_perplexity_matches_torch_cross_entropy"),
    m("no token to count: NaN instead of ValueError", "perplexity", {PP_CHECK: ""},
      "test_perplexity_of_uniform_logits_and_no_token"),
    # steering_effect
    m("the change with its sign reversed (base minus steered)", "steering_effect",
      {SE_CHANGE: "change = score(before) - score(after)"}, "test_steering_effect_is_the_mean_change_in_score"),
    m("the mean similarity to all anchors as the score", "steering_effect", {SE_SCORE: "return sims.mean(axis=1)"},
      "test_steering_effect_is_the_mean_change_in_score"),
    m("the positive anchors alone as the score", "steering_effect", {SE_SCORE: "return sims[:, good].mean(axis=1)"},
      "test_steering_effect_is_the_mean_change_in_score"),
    m("an unpaired standard error", "steering_effect",
      {SE_RET: ("return float(change.mean()), float(np.sqrt(score(after).var(ddof=1) / len(after)\n"
                "                                                  + score(before).var(ddof=1) / len(before)))")},
      "test_steering_effect_standard_error_is_of_the_paired_changes"),
    m("the standard error with n (ddof=0)", "steering_effect", {SE_RET: SE_RET.replace("ddof=1", "ddof=0")},
      "test_steering_effect_standard_error_is_of_the_paired_changes"),
    m("the standard deviation, not the standard error", "steering_effect",
      {SE_RET: "return float(change.mean()), float(np.std(change, ddof=1))"},
      "test_steering_effect_standard_error_is_of_the_paired_changes"),
    m("one prompt: a NaN error instead of ValueError", "steering_effect",
      {SE_TWO: "if good.all() or not good.any():"}, "test_steering_effect_of_two_prompts_and_too_few"),
    # best_setting
    m("ranked by the size of the effect", "best_setting",
      {BS_CANDIDATES: "candidates = [(-abs(gain[i, j]), cost[i, j], i, j) for i, j in np.argwhere(ok)]"},
      "test_best_setting_is_the_largest_effect_within_the_budget"),
    m("the budget ignored", "best_setting", {BS_OK: "ok = np.isfinite(gain) & np.isfinite(cost)"},
      "test_best_setting_is_the_largest_effect_within_the_budget"),
    m("strictly under the limit (<)", "best_setting", {BS_OK: BS_OK.replace("<=", "<")},
      "test_best_setting_is_the_largest_effect_within_the_budget"),
    m("the budget added to the base perplexity", "best_setting",
      {BS_OK: BS_OK.replace("budget * base_perplexity", "budget + base_perplexity")},
      "test_best_setting_is_the_largest_effect_within_the_budget"),
    m("the budget relative to the lowest perplexity", "best_setting",
      {BS_OK: BS_OK.replace("budget * base_perplexity", "budget * np.nanmin(cost)")},
      "test_best_setting_is_the_largest_effect_within_the_budget"),
    m("(coefficient index, layer index)", "best_setting", {BS_RET: "return int(j), int(i)"},
      "test_best_setting_is_the_largest_effect_within_the_budget"),
    m("ties not broken by perplexity", "best_setting",
      {BS_CANDIDATES: "candidates = [(-gain[i, j], i, j) for i, j in np.argwhere(ok)]",
       BS_MIN: "_, i, j = min(candidates)"},
      "test_best_setting_breaks_ties_and_may_find_none"),
    m("nothing in the budget: an error instead of None", "best_setting", {BS_NONE: ""},
      "test_best_setting_breaks_ties_and_may_find_none"),
    m("np.argmax over the effects, the out-of-budget ones at -inf: a NaN effect picked", "best_setting",
      {BS_SEARCH: ("within = cost <= budget * base_perplexity\n"
                   "    if not within.any():\n"
                   "        return None\n"
                   "    lowest_first = np.argsort(cost.ravel(), kind=\"stable\")\n"
                   "    scored = np.where(within, gain, -np.inf).ravel()[lowest_first]\n"
                   "    i, j = np.unravel_index(lowest_first[np.argmax(scored)], gain.shape)\n"
                   "    return int(i), int(j)")},
      "test_best_setting_skips_nan"),
]

ALTERNATIVES = [
    Alternative("torch throughout: means by torch and F.normalize, index_add_ for the positions, a projection by "
                "matmul, cross_entropy with ignore_index in float32, torch.std for the error, sorted settings "
                "returned as numpy ints", {
                    SD_BODY: (
                        "rows_pos = torch.as_tensor(np.asarray(positive, dtype=np.float64))\n"
                        "    rows_neg = torch.as_tensor(np.asarray(negative, dtype=np.float64))\n"
                        "    if rows_pos.ndim != 2 or rows_neg.ndim != 2 or rows_pos.shape[1] != rows_neg.shape[1]:\n"
                        "        raise ValueError('two (n, d) arrays of one width')\n"
                        "    if rows_pos.shape[0] == 0 or rows_neg.shape[0] == 0:\n"
                        "        raise ValueError('each side needs a row')\n"
                        "    gap = rows_pos.mean(0) - rows_neg.mean(0)\n"
                        "    if not bool(gap.abs().max() > 0):\n"
                        "        raise ValueError('equal means')\n"
                        "    return torch.nn.functional.normalize(gap, dim=0)"),
                    AD_BODY: (
                        "states = torch.tensor(np.asarray(hidden))  # a copy, (batch, seq, d)\n"
                        "    seq = states.shape[1]\n"
                        "    where = torch.tensor([p % seq for p in positions], dtype=torch.long)\n"
                        "    push = (coefficient * torch.as_tensor(np.asarray(direction, dtype=np.float64))).to(states.dtype)\n"
                        "    states.index_add_(1, where, push.expand(states.shape[0], len(where), -1).contiguous())\n"
                        "    return states"),
                    AB_BODY: (
                        "r = torch.as_tensor(np.asarray(direction, dtype=np.float64))\n"
                        "    if not bool(r.abs().max() > 0):\n"
                        "        raise ValueError('zero direction')\n"
                        "    x = np.asarray(hidden)\n"
                        "    r = r / r.norm()\n"
                        "    keep = torch.eye(len(r), dtype=torch.float64) - torch.outer(r, r)  # (d, d)\n"
                        "    return (torch.as_tensor(x, dtype=torch.float64) @ keep).numpy().astype(x.dtype)"),
                    PP_BODY: (
                        "scores = torch.as_tensor(np.asarray(logits)).float()  # (batch, seq, vocab), float32\n"
                        "    targets = torch.as_tensor(np.asarray(token_ids), dtype=torch.long)[:, 1:].clone()\n"
                        "    targets[torch.as_tensor(np.asarray(mask))[:, 1:] == 0] = -100\n"
                        "    if bool((targets == -100).all()):\n"
                        "        raise ValueError('nothing to predict')\n"
                        "    nll = torch.nn.functional.cross_entropy(scores[:, :-1].reshape(-1, scores.shape[-1]),\n"
                        "                                            targets.reshape(-1), ignore_index=-100)\n"
                        "    return nll.exp().item()"),
                    SE_TAIL: (
                        "change = torch.as_tensor(score(after) - score(before))\n"
                        "    return change.mean().item(), (change.std() / len(change) ** 0.5).item()"),
                    BS_SEARCH: (
                        "limit = budget * base_perplexity\n"
                        "    rows, cols = gain.shape\n"
                        "    cells = sorted((-gain[i, j], cost[i, j], i, j) for i in range(rows) for j in range(cols)\n"
                        "                   if gain[i, j] == gain[i, j] and cost[i, j] <= limit)  # NaN != NaN\n"
                        "    if not cells:\n"
                        "        return None\n"
                        "    return (np.int64(cells[0][2]), np.int64(cells[0][3]))"),
                }),
    Alternative("numpy and scipy: sums over counts, a boolean mask of positions, einsum, logsumexp with a "
                "weighted mean, scipy.stats.sem, np.lexsort over the settings", {
                    SD_GAP: "gap = pos.sum(axis=0) / pos.shape[0] - neg.sum(axis=0) / neg.shape[0]",
                    SD_RET: "return gap / np.linalg.norm(gap)",
                    AD_BODY: (
                        "seq = np.shape(hidden)[1]\n"
                        "    chosen = np.zeros(seq, dtype=bool)\n"
                        "    chosen[np.asarray(positions, dtype=int)] = True\n"
                        "    shift = np.where(chosen[:, None], coefficient * np.asarray(direction), 0.0)  # (seq, d)\n"
                        "    return (hidden + shift[None]).astype(np.asarray(hidden).dtype)"),
                    AB_BODY: (
                        "r = np.asarray(direction, dtype=np.float64)\n"
                        "    if np.linalg.norm(r) == 0:\n"
                        "        raise ValueError('zero direction')\n"
                        "    x = np.asarray(hidden)\n"
                        "    coords = np.einsum('...i,i->...', x.astype(np.float64), r) / (r @ r)\n"
                        "    return (x - np.einsum('...,i->...i', coords, r)).astype(x.dtype)"),
                    PP_BODY: (
                        "from scipy.special import logsumexp\n"
                        "    x = np.asarray(logits, dtype=np.float64)[:, :-1]\n"
                        "    nxt = np.asarray(token_ids)[:, 1:]\n"
                        "    weight = np.asarray(mask, dtype=np.float64)[:, 1:]\n"
                        "    if weight.sum() == 0:\n"
                        "        raise ValueError('nothing to predict')\n"
                        "    picked = np.take_along_axis(x, nxt[..., None], axis=-1)[..., 0]\n"
                        "    nll = logsumexp(x, axis=-1) - picked\n"
                        "    return float(np.exp((nll * weight).sum() / weight.sum()))"),
                    SE_TAIL: (
                        "from scipy.stats import sem\n"
                        "    change = score(after) - score(before)\n"
                        "    return float(np.mean(change)), float(sem(change))"),
                    BS_SEARCH: (
                        "flat_gain, flat_cost = gain.ravel(), cost.ravel()\n"
                        "    ok = np.flatnonzero(~np.isnan(flat_gain) & (flat_cost <= budget * base_perplexity))\n"
                        "    if ok.size == 0:\n"
                        "        return None\n"
                        "    order = np.lexsort((ok, flat_cost[ok], -flat_gain[ok]))  # effect down, perplexity, order\n"
                        "    i, j = divmod(int(ok[order[0]]), gain.shape[1])\n"
                        "    return i, j"),
                }),
]

ODD_RETURNS = [
    OddReturn("a direction as a list", "test_steering_direction_is_the_unit_difference_of_means",
              {"steering_direction": lambda positive, negative: [0.0] * np.shape(positive)[1]}),
    OddReturn("a direction of NaN", "test_steering_direction_agrees_with_a_logistic_regression",
              {"steering_direction": lambda positive, negative: np.full(np.shape(positive)[1], np.nan)}),
    OddReturn("the states returned as they came", "test_add_direction_adds_at_the_positions_given",
              {"add_direction": lambda hidden, direction, coefficient, positions: hidden}),
    OddReturn("steered states of the wrong shape", "test_add_direction_returns_a_new_array_of_the_states_dtype",
              {"add_direction": lambda hidden, direction, coefficient, positions: hidden[0]}),
    OddReturn("ablated states of None", "test_ablate_direction_removes_the_component_along_the_direction",
              {"ablate_direction": returns(None)}),
    OddReturn("a perplexity as a string", "test_perplexity_matches_torch_cross_entropy",
              {"perplexity": returns("12.5")}),
    OddReturn("a perplexity per row", "test_perplexity_counts_each_masked_in_target_once",
              {"perplexity": lambda logits, token_ids, mask: np.ones(len(token_ids))}),
    OddReturn("a perplexity of NaN", "test_perplexity_is_stable_for_large_logits",
              {"perplexity": returns(float("nan"))}),
    OddReturn("the effect alone", "test_steering_effect_is_the_mean_change_in_score",
              {"steering_effect": returns(0.1)}),
    OddReturn("an effect of three numbers", "test_steering_effect_standard_error_is_of_the_paired_changes",
              {"steering_effect": returns((0.1, 0.02, 12))}),
    OddReturn("a flat index", "test_best_setting_is_the_largest_effect_within_the_budget",
              {"best_setting": returns(7)}),
    OddReturn("indices as floats", "test_best_setting_breaks_ties_and_may_find_none",
              {"best_setting": returns((1.0, 2.0))}),
    OddReturn("indices as an array", "test_best_setting_skips_nan",
              {"best_setting": returns(np.array([0, 2]))}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 5
    whole_notebook_mistake = 23  # the mask ignored: padding counted
    blame_once = True
