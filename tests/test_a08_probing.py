"""Tests of assignment a08_probing: the solution earns every point, every listed mistake loses
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

A = "a08_probing"

# Source lines of the solution that the mistakes below rewrite.
FS_LOOP = "for spot, owner in enumerate(word_ids):"
FS_SET = "first_of.setdefault(owner, spot)"
FS_NONE = "if owner is not None:"
WF_CHECK = ("    if not 0 <= layer < len(hidden_states):\n"
            "        raise ValueError(f\"layer {layer} is not one of the {len(hidden_states)} hidden states\")\n")
WF_STATE = "chosen_state = np.asarray(hidden_states[layer])"
WF_RET = "return chosen_state[first_subword_index(word_ids)].astype(np.float32)"
CL_COUNTS = "label_values, label_counts = np.unique(np.asarray(labels), return_counts=True)"
CL_TYPES = "type_list = list(dict.fromkeys(token.lower() for token in words))"
CL_RNG = "sampler = np.random.default_rng(seed)"
CL_DRAW = "drawn = sampler.choice(label_values, size=len(type_list), p=label_counts / label_counts.sum())"
CL_RET = "return np.array([label_of_type[token.lower()] for token in words], dtype=np.int64)"
TP_START = "weight = torch.randn(feats.shape[1], n_classes, generator=start_draw).mul_(0.01).requires_grad_()"
TP_OPT = "lbfgs = torch.optim.LBFGS([weight, offset], lr=1, max_iter=100, tolerance_grad=1e-6,"
TP_CE = "penalised = torch.nn.functional.cross_entropy(feats @ weight + offset, targets)"
TP_PEN = "penalised = penalised + 0.5 * weight_decay * weight.pow(2).sum()"
PA_CHECK = "    if len(y) == 0:\n        raise ValueError(\"probe_accuracy needs at least one row\")\n"
PA_GUESS = "guesses = np.argmax(np.asarray(x, dtype=np.float64) @ weights + bias, axis=1)"
PA_RET = "return float(np.mean(guesses == np.asarray(y)))"
SE_RET = "return on_task - on_control"
LC_LOOP = "for state_rows in features:"
LC_FIT = "w_fit, b_fit = train_probe(state_rows[~held_out], labels[~held_out], n_classes, weight_decay, seed)"
LC_SCORE = "scores_by_state.append(probe_accuracy(state_rows[held_out], labels[held_out], w_fit, b_fit))"

m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())
MISTAKES = [
    # first_subword_index
    m("the last piece of each word", "first_subword_index", {FS_SET: "first_of[owner] = spot"},
      "test_first_subword_index_matches_the_tokenizer",
      also=("word_features",)),
    m("positions counted without the special tokens", "first_subword_index",
      {FS_LOOP: "for spot, owner in enumerate([w for w in word_ids if w is not None]):"},
      "test_first_subword_index_matches_the_tokenizer",
      also=("word_features",)),
    m("special tokens counted as words (a start wherever the id changes)", "first_subword_index",
      {FS_LOOP + "\n        " + FS_NONE + "\n            " + FS_SET: (
          "return np.array([i for i in range(len(word_ids)) if i == 0 or word_ids[i] != word_ids[i - 1]])")},
      "test_first_subword_index_matches_the_tokenizer",
      also=("word_features",)),
    m("positions from 1", "first_subword_index", {FS_LOOP: "for spot, owner in enumerate(word_ids, start=1):"},
      "test_first_subword_index_matches_the_tokenizer",
      also=("word_features",)),
    m("words counted up to the largest id seen, an empty list failing", "first_subword_index",
      {"range(len(first_of))": "range(max(first_of) + 1)"}, "test_first_subword_index_edge_cases"),
    # word_features
    m("the embeddings mistaken for layer 1", "word_features", {WF_STATE: "chosen_state = np.asarray(hidden_states[layer - 1])"},
      "test_word_features_reads_the_state_asked_for_at_first_pieces"),
    m("the state after the one asked for", "word_features",
      {WF_CHECK: "", WF_STATE: "chosen_state = np.asarray(hidden_states[min(layer + 1, len(hidden_states) - 1)])"},
      "test_word_features_reads_the_state_asked_for_at_first_pieces"),
    m("the mean of a word's pieces", "word_features",
      {WF_RET: ("owners = np.array([-1 if w is None else w for w in word_ids])\n"
                "    return np.stack([chosen_state[owners == w].mean(axis=0) for w in range(owners.max() + 1)])"
                ".astype(np.float32)")},
      "test_word_features_reads_the_state_asked_for_at_first_pieces"),
    m("no check of the layer", "word_features", {WF_CHECK: ""}, "test_word_features_rejects_a_layer_out_of_range"),
    m("the states' float64 kept", "word_features", {".astype(np.float32)": ""}, "test_word_features_on_float64_states"),
    # control_labels
    m("control labels drawn per token", "control_labels",
      {CL_DRAW: "drawn = sampler.choice(label_values, size=len(words), p=label_counts / label_counts.sum())",
       CL_RET: "return np.asarray(drawn, dtype=np.int64)"}, "test_control_labels_give_each_type_one_label"),
    m("types that keep their case", "control_labels",
      {CL_TYPES: "type_list = list(dict.fromkeys(words))", CL_RET: CL_RET.replace("token.lower()", "token")},
      "test_control_labels_give_each_type_one_label"),
    m("control labels drawn uniformly from the classes", "control_labels",
      {CL_DRAW: "drawn = sampler.choice(label_values, size=len(type_list))"},
      "test_control_labels_follow_the_tokens_label_distribution"),
    m("the labels' distribution over types", "control_labels",
      {CL_COUNTS: ("first_seen = np.unique([token.lower() for token in words], return_index=True)[1]\n"
                   "    label_values, label_counts = np.unique(np.asarray(labels)[first_seen], return_counts=True)")},
      "test_control_labels_follow_the_tokens_label_distribution"),
    m("labels drawn from 0 .. the largest label", "control_labels",
      {CL_DRAW: "drawn = sampler.integers(0, max(labels) + 1, size=len(type_list))"},
      "test_control_labels_draw_only_labels_that_occur"),
    m("an unseeded generator", "control_labels", {CL_RNG: "sampler = np.random.default_rng()"},
      "test_control_labels_depend_on_the_seed_alone"),
    m("numpy's global generator", "control_labels", {CL_DRAW: CL_DRAW.replace("sampler.choice", "np.random.choice")},
      "test_control_labels_depend_on_the_seed_alone"),
    m("numpy's global generator, reseeded with the seed", "control_labels",
      {CL_RNG: "np.random.seed(seed)", CL_DRAW: CL_DRAW.replace("sampler.choice", "np.random.choice")},
      "test_control_labels_depend_on_the_seed_alone"),
    m("the seed ignored (a fixed one)", "control_labels", {CL_RNG: "sampler = np.random.default_rng(0)"},
      "test_control_labels_depend_on_the_seed_alone"),
    # train_probe
    m("no weight decay", "train_probe", {TP_PEN: ""}, "test_train_probe_predicts_as_sklearn_does"),
    m("no weight decay, 40 L-BFGS steps from zeros", "train_probe",
      {TP_START: "weight = torch.zeros(feats.shape[1], n_classes, requires_grad=True)", TP_PEN: "",
       TP_OPT: "lbfgs = torch.optim.LBFGS([weight, offset], lr=1, max_iter=40, tolerance_grad=1e-6,"},
      "test_train_probe_reaches_the_minimum_of_its_objective"),
    m("weight decay without the 1/2", "train_probe", {TP_PEN: TP_PEN.replace("0.5 * ", "")},
      "test_train_probe_reaches_the_minimum_of_its_objective"),
    m("cross-entropy summed over rows", "train_probe", {TP_CE: TP_CE.replace("targets)", "targets, reduction='sum')")},
      "test_train_probe_reaches_the_minimum_of_its_objective"),
    m("training stopped after 3 steps", "train_probe", {TP_OPT: TP_OPT.replace("max_iter=100", "max_iter=3")},
      "test_train_probe_reaches_the_minimum_of_its_objective"),
    m("no seed: the start from torch's global generator", "train_probe",
      {TP_START: "weight = torch.randn(feats.shape[1], n_classes).mul_(0.01).requires_grad_()"},
      "test_train_probe_is_reproducible_under_its_seed"),
    m("no bias", "train_probe", {"lbfgs = torch.optim.LBFGS([weight, offset]": "lbfgs = torch.optim.LBFGS([weight]"},
      "test_train_probe_reaches_the_minimum_of_its_objective"),
    m("float64 weights", "train_probe",
      {"return weight.detach().numpy().copy(), offset.detach().numpy().copy()":
       "return weight.detach().numpy().astype(np.float64), offset.detach().numpy().astype(np.float64)"},
      "test_train_probe_returns_float32_for_every_class"),
    # probe_accuracy
    m("the bias ignored", "probe_accuracy", {PA_GUESS: PA_GUESS.replace(" + bias", "")},
      "test_probe_accuracy_matches_sklearn"),
    m("the number right, not the share", "probe_accuracy", {PA_RET: PA_RET.replace("np.mean", "np.sum")},
      "test_probe_accuracy_matches_sklearn"),
    m("the error rate", "probe_accuracy", {PA_RET: "return float(np.mean(guesses != np.asarray(y)))"},
      "test_probe_accuracy_matches_sklearn"),
    m("ties to the highest class", "probe_accuracy",
      {PA_GUESS: "guesses = weights.shape[1] - 1 - np.argmax((np.asarray(x, dtype=np.float64) @ weights + bias)[:, ::-1], axis=1)"},
      "test_probe_accuracy_ties_and_no_rows"),
    m("no rows: NaN instead of ValueError", "probe_accuracy", {PA_CHECK: ""}, "test_probe_accuracy_ties_and_no_rows"),
    # selectivity
    m("selectivity with its sign reversed", "selectivity", {SE_RET: "return on_control - on_task"},
      "test_selectivity_is_task_minus_control"),
    m("selectivity as a ratio", "selectivity", {SE_RET: "return on_task / on_control"},
      "test_selectivity_is_task_minus_control"),
    m("selectivity as a list", "selectivity", {SE_RET: "return list(on_task - on_control)"},
      "test_selectivity_is_task_minus_control"),
    m("float32 selectivity", "selectivity", {SE_RET: "return (on_task - on_control).astype(np.float32)"},
      "test_selectivity_needs_one_length"),
    # layer_curve
    m("evaluated on the training words", "layer_curve",
      {LC_SCORE: "scores_by_state.append(probe_accuracy(state_rows[~held_out], labels[~held_out], w_fit, b_fit))"},
      "test_layer_curve_scores_held_out_words"),
    m("trained on every word", "layer_curve",
      {LC_FIT: "w_fit, b_fit = train_probe(state_rows, labels, n_classes, weight_decay, seed)"},
      "test_layer_curve_scores_held_out_words"),
    m("the embedding state skipped", "layer_curve", {LC_LOOP: "for state_rows in features[1:]:"},
      "test_layer_curve_has_one_accuracy_per_state_in_order"),
    m("the last state scored twice, in place of the first", "layer_curve",
      {LC_LOOP: "for state_rows in [*features[1:], features[-1]]:"},
      "test_layer_curve_has_one_accuracy_per_state_in_order"),
    m("the split ignored: every fourth word held out", "layer_curve",
      {"held_out = ~np.asarray(train, dtype=bool)": "held_out = np.arange(len(labels)) % 4 == 0"},
      "test_layer_curve_has_one_accuracy_per_state_in_order"),
    m("the weight decay not passed on", "layer_curve",
      {LC_FIT: "w_fit, b_fit = train_probe(state_rows[~held_out], labels[~held_out], n_classes)"},
      "test_layer_curve_follows_the_split_it_is_given"),
    m("the bias penalised too", "train_probe",
      {TP_PEN: TP_PEN + " + 0.5 * weight_decay * offset.pow(2).sum()"},
      "test_train_probe_reaches_the_minimum_of_its_objective"),
    m("the split inverted: trained on the held-out words", "layer_curve",
      {"held_out = ~np.asarray(train, dtype=bool)": "held_out = np.asarray(train, dtype=bool)"},
      "test_layer_curve_follows_the_split_it_is_given"),
]

ALTERNATIVES = [
    Alternative("first pieces by list.index; features by np.take; control labels by inverse-CDF draws; a probe "
                "as nn.Linear with torch.manual_seed and Adam on the weights only; accuracy by scikit-learn", {
                    FS_LOOP + "\n        " + FS_NONE + "\n            " + FS_SET: (
                        "listed = list(word_ids)\n"
                        "    n_words = 1 + max((w for w in listed if w is not None), default=-1)\n"
                        "    return np.array([listed.index(w) for w in range(n_words)], dtype=np.int32)"),
                    WF_RET: "return np.take(chosen_state, first_subword_index(word_ids), axis=0).astype('float32')",
                    CL_DRAW: ("cdf = np.cumsum(label_counts) / label_counts.sum()\n"
                              "    drawn = label_values[np.searchsorted(cdf, sampler.random(len(type_list)), side='right')]"),
                    TP_START + "\n    " + "offset = torch.zeros(n_classes, requires_grad=True)": (
                        "torch.manual_seed(seed)\n"
                        "    layer = torch.nn.Linear(feats.shape[1], n_classes)\n"
                        "    weight, offset = layer.weight, layer.bias  # (n_classes, d), (n_classes,)\n"
                        "    adam = torch.optim.Adam([{'params': [weight], 'weight_decay': weight_decay},\n"
                        "                             {'params': [offset]}], lr=0.1)\n"
                        "    for _ in range(300):\n"
                        "        adam.zero_grad()\n"
                        "        torch.nn.functional.cross_entropy(layer(feats), targets).backward()\n"
                        "        adam.step()\n"
                        "    return weight.detach().numpy().T.copy(), offset.detach().numpy().copy()"),
                    PA_GUESS + "\n    " + PA_RET: (
                        "from sklearn.metrics import accuracy_score\n"
                        "    return float(accuracy_score(y, np.argmax(x @ weights + bias, axis=1)))"),
                }),
]

ODD_RETURNS = [
    OddReturn("first pieces as a list", "test_first_subword_index_matches_the_tokenizer",
              {"first_subword_index": returns([1, 2, 3])}),
    OddReturn("features of the wrong shape", "test_word_features_reads_the_state_asked_for_at_first_pieces",
              {"word_features": returns(np.zeros((2, 3), dtype=np.float32))}),
    OddReturn("control labels as floats", "test_control_labels_give_each_type_one_label",
              {"control_labels": lambda words, labels, seed: np.zeros(len(words))}),
    OddReturn("a probe without a bias", "test_train_probe_reaches_the_minimum_of_its_objective",
              {"train_probe": lambda x, y, k, wd=1e-3, seed=0: np.zeros((x.shape[1], k), dtype=np.float32)}),
    OddReturn("a probe of NaN", "test_train_probe_reaches_the_minimum_of_its_objective",
              {"train_probe": lambda x, y, k, wd=1e-3, seed=0: (np.full((x.shape[1], k), np.nan, dtype=np.float32),
                                                             np.zeros(k, dtype=np.float32))}),
    OddReturn("accuracy as a string", "test_probe_accuracy_matches_sklearn", {"probe_accuracy": returns("0.5")}),
    OddReturn("selectivity of None", "test_selectivity_is_task_minus_control", {"selectivity": returns(None)}),
    OddReturn("a curve of one number", "test_layer_curve_has_one_accuracy_per_state_in_order",
              {"layer_curve": returns(0.5)}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 20
    whole_notebook_mistake = 10  # control labels drawn per token
    blame_once = True
