"""Tests of assignment a01_word2vec: the solution scores full marks and reproduces gensim's analogy
accuracy, correct code in another style too, and every plausible mistake costs points in its own
exercise, by a message that names the cause.

Mutants run the solution's setup and exercise cells without its demo cells; one mutant also runs
the whole notebook, as a learner would.
"""

from __future__ import annotations

import pytest

from tests.helpers import (
    Alternative,
    ChapterTests,
    Mistake,
    OddReturn,
    checks_module,
    returns,
    solution_namespace,
)

A = "a01_word2vec"


def test_solution_reproduces_gensim_analogy_accuracy():
    """The learner-facing solution gives gensim's evaluate_word_analogies number on all 19,544
    questions, to the last digit (the check uses every 4th question)."""
    checks = checks_module(A)
    x, words, _ = checks._glove(30_000)
    got = solution_namespace(A)["analogy_accuracy"](list(checks._google()), x, list(words), restrict_vocab=30_000)
    want = checks._reproduction()
    assert got["accuracy"] == want["accuracy"], (got["accuracy"], want["accuracy"])
    assert (got["correct"], got["incorrect"], got["skipped"]) == (want["correct"], want["incorrect"], want["skipped"])
    assert got["sections"] == want["sections"]
    assert len(got["sections"]) == 14 and got["correct"] + got["incorrect"] + got["skipped"] == 19_544


# Lines of the solution that the mistakes below rewrite.
NORMS = "norms = np.linalg.norm(x, axis=1, keepdims=True)  # (n, 1)"
DIVIDE = "return x / np.where(norms > 0, norms, 1)  # a zero row is divided by 1 and stays zero"
V_HAT = "v_hat = normalize_rows(np.asarray(v)[None, :])[0]  # (d,)"
COSINE = "return normalize_rows(x) @ v_hat  # (n,)"
TOP_EXCLUDE_QUERY = "exclude = (*exclude, query)"
TOP_QUERY = "query = x[index[query]]  # KeyError for an unknown word"
TOP_SCORES = "scores = cosine_similarity(query, x).astype(float)  # (n,)"
TOP_BAN = "scores[[index[w] for w in exclude if w in index]] = -np.inf"
TOP_ORDER = 'order = np.argsort(-scores, kind="stable")[:k]  # ties keep the lower index first'
TOP_RETURN = "return [(words[i], float(scores[i])) for i in order if scores[i] > -np.inf]"
ADD_ROWS = "a_hat, b_hat, c_hat = normalize_rows(x[[index[a], index[b], index[c]]])  # (d,) each"
ADD_RETURN = "return top_k(b_hat - a_hat + c_hat, x, words, k, exclude=(a, b, c))"
ADD_INDEX = "index = {w: i for i, w in enumerate(words)}\n    a_hat, b_hat"
MUL_S = "s_a, s_b, s_c = ((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))  # (n,) each"
MUL_SCORES = "scores = (s_b * s_c / (s_a + eps)).astype(float)  # (n,)"
MUL_BAN = "scores[[index[a], index[b], index[c]]] = -np.inf"
AVG_A = "a_hat = normalize_rows(x[[index[a] for a, _ in pairs]])  # (m, d)"
AVG_B = "b_hat = normalize_rows(x[[index[b] for _, b in pairs]])  # (m, d)"
AVG_C = "c_hat = normalize_rows(x[[index[c]]])[0]  # (d,)"
AVG_TARGET = "target = c_hat + (b_hat - a_hat).mean(axis=0)  # (d,)"
AVG_RETURN = "return top_k(target, x, words, k, exclude=(c, *(w for pair in pairs for w in pair)))"
ACC_X = "x_unit = normalize_rows(np.asarray(x)[:restrict_vocab])  # (n, d)"
ACC_LOWER = "lower = [w.lower() for w in words[:restrict_vocab]]"
ACC_FIRST = "index.setdefault(w, i)  # the first (most frequent) spelling stands for the word"
ACC_FOUND = "found = [index.get(w.lower()) for w in abcd]"
ACC_SKIP = 'stats["skipped"] += 1'
ACC_ADD = "scores = normalize_rows(x_unit[b] - x_unit[a] + x_unit[c]) @ x_unit.T  # (batch, n)"
ACC_IF = 'if method == "3cosadd":'
ACC_MUL_S = "s_a, s_b, s_c = ((1 + x_unit[q] @ x_unit.T) / 2 for q in (a, b, c))  # (batch, n) each"
ACC_MUL = "scores = s_b * s_c / (s_a + eps)\n"
ACC_BAN = "scores[row, [j for i in query for j in spellings[i]]] = -np.inf"
ACC_RIGHT = "right[start:start + batch_size] = first[scores.argmax(axis=1)] == d  # d in any spelling"
ACC_EMPTY = 'stats["accuracy"] = stats["correct"] / evaluated if evaluated else 0.0'
ACC_TOTAL = "accuracy = correct / (correct + incorrect) if correct + incorrect else 0.0"


m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())


# The mistakes the chapter must catch: each is written into the solution and must fail the named
# check of its own exercise by an assertion, and cost no other exercise anything (unless `also`,
# where the other exercise's failing checks must name this one).
MISTAKES = [
    # normalize_rows
    m("normalize_rows does nothing", "normalize_rows", {DIVIDE: "return x * 1.0"},
      "test_normalize_rows_gives_unit_rows"),
    m("normalize_rows divides its input in place (integer counts fail)", "normalize_rows",
      {DIVIDE: "x /= np.where(norms > 0, norms, 1)\n    return x"}, "test_normalize_rows_accepts_integer_counts"),
    m("normalize_rows writes the result back into its input (integers are truncated)", "normalize_rows",
      {DIVIDE: "x[:] = x / np.where(norms > 0, norms, 1)\n    return x"},
      "test_normalize_rows_accepts_integer_counts"),
    m("normalize_rows divides a float input in place", "normalize_rows",
      {DIVIDE: "if x.dtype.kind == 'f':  # floats divided in place\n        x /= np.where(norms > 0, norms, 1)\n"
               "        return x\n    return x / np.where(norms > 0, norms, 1)"},
      "test_normalize_rows_accepts_integer_counts"),
    m("zero rows become NaN", "normalize_rows", {DIVIDE: "return x / norms"},
      "test_normalize_rows_keeps_zero_rows_zero"),
    m("normalize_rows divides by the squared length", "normalize_rows",
      {NORMS: "norms = np.sum(x ** 2, axis=1, keepdims=True)"}, "test_normalize_rows_gives_unit_rows",
      also=("analogy_accuracy",)),
    m("normalize_rows normalises the columns", "normalize_rows",
      {NORMS: "norms = np.linalg.norm(x, axis=0, keepdims=True)"}, "test_normalize_rows_gives_unit_rows",
      also=("analogy_accuracy",)),
    m("normalize_rows by the largest entry, not the length", "normalize_rows",
      {NORMS: "norms = np.abs(x).max(axis=1, keepdims=True)"}, "test_normalize_rows_gives_unit_rows",
      also=("analogy_accuracy",)),
    # cosine_similarity
    m("cosine as a raw dot product", "cosine_similarity", {COSINE: "return np.asarray(x) @ np.asarray(v)"},
      "test_cosine_similarity_ignores_vector_length"),
    m("cosine normalises only x (v keeps its length)", "cosine_similarity", {V_HAT: "v_hat = np.asarray(v)"},
      "test_cosine_similarity_ignores_vector_length"),
    m("cosine normalises only v (rows keep their lengths)", "cosine_similarity",
      {COSINE: "return np.asarray(x) @ v_hat"}, "test_cosine_similarity_ignores_vector_length"),
    m("cosine normalises only v, against gensim", "cosine_similarity",
      {COSINE: "return np.asarray(x) @ v_hat"}, "test_cosine_similarity_matches_gensim"),
    m("cosine divides by zero for a zero vector", "cosine_similarity",
      {COSINE: "return np.asarray(x) @ v / (np.linalg.norm(x, axis=1) * np.linalg.norm(v))"},
      "test_cosine_similarity_zero_vectors_give_zero"),
    m("cosine distance instead of similarity", "cosine_similarity", {COSINE: "return 1 - normalize_rows(x) @ v_hat"},
      "test_cosine_similarity_matches_gensim"),
    # top_k
    m("top_k returns one word too many", "top_k", {TOP_ORDER: TOP_ORDER.replace("[:k]", "[:k + 1]")},
      "test_top_k_returns_exactly_k_best_first"),
    m("top_k drops the best word", "top_k", {TOP_ORDER: TOP_ORDER.replace("[:k]", "[1:k + 1]")},
      "test_top_k_returns_exactly_k_best_first"),
    m("top_k returns one word too few", "top_k", {TOP_ORDER: TOP_ORDER.replace("[:k]", "[:k - 1]")},
      "test_top_k_matches_gensim_most_similar"),
    m("top_k returns the query word", "top_k", {TOP_EXCLUDE_QUERY: "exclude = tuple(exclude)"},
      "test_top_k_never_returns_excluded_words"),
    m("top_k ignores exclude", "top_k", {TOP_BAN: "pass"}, "test_top_k_never_returns_excluded_words"),
    m("top_k pads with excluded words when fewer than k remain", "top_k",
      {TOP_ORDER + "\n    " + TOP_RETURN: TOP_ORDER + "\n    return [(words[i], float(scores[i])) for i in order]"},
      "test_top_k_never_returns_excluded_words"),
    m("top_k breaks ties the wrong way", "top_k",
      {TOP_ORDER: 'order = np.argsort(scores, kind="stable")[::-1][:k]'}, "test_top_k_breaks_ties_by_vocabulary_order"),
    m("top_k sorts with numpy's default, unstable, quicksort", "top_k",
      {TOP_ORDER: "order = np.argsort(-scores)[:k]"}, "test_top_k_breaks_ties_by_vocabulary_order"),
    m("top_k by argpartition, then a sort of the k best", "top_k",
      {TOP_ORDER: "order = np.argpartition(-scores, k - 1)[:k]\n    order = order[np.argsort(-scores[order])]"},
      "test_top_k_breaks_ties_by_vocabulary_order"),
    m("top_k ranks by raw dot products", "top_k", {TOP_SCORES: "scores = (x @ query).astype(float)"},
      "test_top_k_ranks_by_cosine_not_dot_product"),
    m("top_k raises ValueError for an unknown word", "top_k", {TOP_QUERY: "query = x[list(words).index(query)]"},
      "test_top_k_unknown_word_raises_key_error"),
    m("top_k looks the query up ignoring case", "top_k",
      {TOP_QUERY: "query = x[{w.lower(): i for i, w in enumerate(words)}[query.lower()]]"},
      "test_top_k_unknown_word_raises_key_error"),
    m("top_k matches excluded words ignoring case", "top_k",
      {TOP_BAN: "scores[[i for i, u in enumerate(words) if u.lower() in {w.lower() for w in exclude}]] = -np.inf"},
      "test_top_k_matches_words_exactly"),
    m("top_k fails on unknown excluded words", "top_k",
      {TOP_BAN: "scores[[index[w] for w in exclude]] = -np.inf"}, "test_top_k_ignores_unknown_excluded_words"),
    # analogy_3cosadd
    m("3CosAdd without the exclusion of a, b and c", "analogy_3cosadd",
      {ADD_RETURN: ADD_RETURN.replace("exclude=(a, b, c)", "exclude=()")}, "test_3cosadd_never_returns_a_query_word"),
    m("3CosAdd excludes only c", "analogy_3cosadd",
      {ADD_RETURN: ADD_RETURN.replace("exclude=(a, b, c)", "exclude=(c,)")}, "test_3cosadd_never_returns_a_query_word"),
    m("3CosAdd with the offset a - b + c", "analogy_3cosadd",
      {ADD_RETURN: ADD_RETURN.replace("b_hat - a_hat + c_hat", "a_hat - b_hat + c_hat")},
      "test_3cosadd_offset_is_b_minus_a_plus_c"),
    m("3CosAdd with a + b - c", "analogy_3cosadd",
      {ADD_RETURN: ADD_RETURN.replace("b_hat - a_hat + c_hat", "b_hat + a_hat - c_hat")},
      "test_3cosadd_matches_gensim_most_similar"),
    m("3CosAdd from raw (unnormalised) vectors", "analogy_3cosadd",
      {ADD_ROWS: "a_hat, b_hat, c_hat = x[[index[a], index[b], index[c]]]"},
      "test_3cosadd_normalises_before_combining"),
    m("3CosAdd scores are dot products with the unnormalised target", "analogy_3cosadd",
      {ADD_RETURN: "t = b_hat - a_hat + c_hat\n    return [(w, s * float(np.linalg.norm(t))) for w, s in "
                   "top_k(t, x, words, k, exclude=(a, b, c))]"},
      "test_3cosadd_scores_are_cosines_with_the_target"),
    m("3CosAdd raises ValueError for an unknown word", "analogy_3cosadd",
      {ADD_ROWS: "a_hat, b_hat, c_hat = normalize_rows(x[[list(words).index(w) for w in (a, b, c)]])"},
      "test_3cosadd_unknown_word_raises_key_error"),
    m("3CosAdd looks words up ignoring case", "analogy_3cosadd",
      {ADD_INDEX: "index = {w.lower(): i for i, w in enumerate(words)}\n    a, b, c = a.lower(), b.lower(), "
                  "c.lower()\n    a_hat, b_hat"},
      "test_3cosadd_unknown_word_raises_key_error"),
    # analogy_3cosmul
    m("3CosMul without its epsilon", "analogy_3cosmul", {MUL_SCORES: "scores = (s_b * s_c / s_a).astype(float)"},
      "test_3cosmul_stays_finite_when_a_word_points_away_from_a"),
    m("3CosMul without its epsilon, default eps", "analogy_3cosmul",
      {MUL_SCORES: "scores = (s_b * s_c / s_a).astype(float)"}, "test_3cosmul_default_eps_is_0_001"),
    m("3CosMul without shifting the cosines to [0, 1]", "analogy_3cosmul",
      {MUL_S: "s_a, s_b, s_c = (cosine_similarity(x[index[w]], x) for w in (a, b, c))"},
      "test_3cosmul_shifts_cosines_to_0_1"),
    m("3CosMul shifted by 1 + cos without halving", "analogy_3cosmul",
      {MUL_S: MUL_S.replace(") / 2 for w", ") for w")}, "test_3cosmul_matches_gensim_most_similar_cosmul"),
    m("3CosMul divides by the cosine with b", "analogy_3cosmul", {MUL_S: MUL_S.replace("s_a, s_b, s_c", "s_b, s_a, s_c")},
      "test_3cosmul_matches_gensim_most_similar_cosmul"),
    m("3CosMul with gensim's epsilon as the default", "analogy_3cosmul", {"k=1, eps=1e-3):": "k=1, eps=1e-6):"},
      "test_3cosmul_default_eps_is_0_001"),
    m("3CosMul without exclusion", "analogy_3cosmul", {MUL_BAN: "pass"}, "test_3cosmul_never_returns_a_query_word"),
    m("3CosMul from raw dot products", "analogy_3cosmul",
      {MUL_S: "s_a, s_b, s_c = ((1 + x @ x[index[w]]) / 2 for w in (a, b, c))"}, "test_3cosmul_ignores_vector_length"),
    m("3CosMul silently uses the last word for an unknown word", "analogy_3cosmul",
      {"index = {w: i for i, w in enumerate(words)}\n    s_a": "index = {w: i for i, w in enumerate(words)}\n    "
       "index = {w: index.get(w, -1) for w in (a, b, c)}\n    s_a"}, "test_3cosmul_unknown_word_raises_key_error"),
    # analogy_3cosavg
    m("3CosAvg sums the offsets instead of averaging them", "analogy_3cosavg",
      {AVG_TARGET: AVG_TARGET.replace(".mean(axis=0)", ".sum(axis=0)")}, "test_3cosavg_averages_the_offsets"),
    m("3CosAvg without c in the target", "analogy_3cosavg",
      {AVG_TARGET: "target = (b_hat - a_hat).mean(axis=0)  # (d,)"}, "test_3cosavg_averages_the_offsets"),
    m("3CosAvg from the first pair only", "analogy_3cosavg",
      {AVG_TARGET: "target = c_hat + (b_hat - a_hat)[0]  # (d,)"}, "test_3cosavg_matches_gensim"),
    m("3CosAvg averages over the wrong axis", "analogy_3cosavg",
      {AVG_TARGET: "target = c_hat + (b_hat - a_hat).mean(axis=1, keepdims=True).sum(axis=0)  # (d,)"},
      "test_3cosavg_averages_the_offsets"),
    m("3CosAvg excludes only c", "analogy_3cosavg", {AVG_RETURN: "return top_k(target, x, words, k, exclude=(c,))"},
      "test_3cosavg_never_returns_c_or_an_example_word"),
    m("3CosAvg from raw (unnormalised) vectors", "analogy_3cosavg",
      {AVG_A: "a_hat = x[[index[a] for a, _ in pairs]]", AVG_B: "b_hat = x[[index[b] for _, b in pairs]]",
       AVG_C: "c_hat = x[index[c]]"}, "test_3cosavg_normalises_before_averaging"),
    m("3CosAvg scores are dot products with the unnormalised target", "analogy_3cosavg",
      {AVG_RETURN: "return [(w, s * float(np.linalg.norm(target))) for w, s in "
                   "top_k(target, x, words, k, exclude=(c, *(w for pair in pairs for w in pair)))]"},
      "test_3cosavg_scores_are_cosines_with_the_target"),
    m("3CosAvg silently uses the last word for an unknown c", "analogy_3cosavg",
      {AVG_C: "c_hat = normalize_rows(x[[index.get(c, -1)]])[0]"}, "test_3cosavg_unknown_word_raises_key_error"),
    # analogy_accuracy
    m("accuracy counts out-of-vocabulary questions as wrong", "analogy_accuracy",
      {ACC_SKIP: 'stats["incorrect"] += 1'}, "test_accuracy_skips_out_of_vocabulary_questions"),
    m("accuracy of an empty section is NaN", "analogy_accuracy", {ACC_EMPTY: ACC_EMPTY.replace("else 0.0", "else np.nan")},
      "test_accuracy_skips_out_of_vocabulary_questions"),
    m("overall accuracy as the mean of the sections' accuracies", "analogy_accuracy",
      {ACC_TOTAL: 'accuracy = float(np.mean([s["accuracy"] for s in sections.values()]))'},
      "test_accuracy_reproduces_gensim_on_the_google_set"),
    m("accuracy divides by every question, skipped ones too", "analogy_accuracy",
      {ACC_TOTAL: "accuracy = correct / (correct + incorrect + skipped) if correct + incorrect else 0.0"},
      "test_accuracy_skips_out_of_vocabulary_questions"),
    m("accuracy ignores restrict_vocab", "analogy_accuracy",
      {ACC_X: "x_unit = normalize_rows(np.asarray(x))  # (n, d)", ACC_LOWER: "lower = [w.lower() for w in words]"},
      "test_accuracy_restricts_the_vocabulary"),
    m("accuracy restricts the question words but not the answers (an IndexError)", "analogy_accuracy",
      {ACC_X: "x_unit = normalize_rows(np.asarray(x))  # (n, d)"}, "test_accuracy_restricts_the_vocabulary"),
    m("accuracy keeps restrict_vocab - 1 words", "analogy_accuracy",
      {ACC_X: ACC_X.replace("[:restrict_vocab]", "[:restrict_vocab - 1]"),
       ACC_LOWER: ACC_LOWER.replace("[:restrict_vocab]", "[:restrict_vocab - 1]")},
      "test_accuracy_keeps_exactly_restrict_vocab_words"),
    m("accuracy looks up restrict_vocab - 1 words among restrict_vocab vectors", "analogy_accuracy",
      {ACC_LOWER: ACC_LOWER.replace("[:restrict_vocab]", "[:restrict_vocab - 1]")},
      "test_accuracy_keeps_exactly_restrict_vocab_words"),
    m("accuracy keeps restrict_vocab + 1 words", "analogy_accuracy",
      {ACC_X: ACC_X.replace("[:restrict_vocab]", "[:restrict_vocab + 1]"),
       ACC_LOWER: ACC_LOWER.replace("[:restrict_vocab]", "[:restrict_vocab + 1]")},
      "test_accuracy_keeps_exactly_restrict_vocab_words"),
    m("accuracy is case-sensitive", "analogy_accuracy",
      {ACC_LOWER: "lower = list(words[:restrict_vocab])", ACC_FOUND: "found = [index.get(w) for w in abcd]"},
      "test_accuracy_matches_question_words_ignoring_case"),
    m("accuracy is case-sensitive, on the Google set", "analogy_accuracy",
      {ACC_LOWER: "lower = list(words[:restrict_vocab])", ACC_FOUND: "found = [index.get(w) for w in abcd]"},
      "test_accuracy_reproduces_gensim_on_the_google_set"),
    m("accuracy maps a question word to its last spelling", "analogy_accuracy", {ACC_FIRST: "index[w] = i"},
      "test_accuracy_matches_question_words_ignoring_case"),
    m("accuracy excludes only the first spelling of a query word", "analogy_accuracy",
      {ACC_BAN: "scores[row, query] = -np.inf"}, "test_accuracy_never_answers_another_spelling_of_a_query_word"),
    m("accuracy counts an answer in another spelling of d as wrong", "analogy_accuracy",
      {ACC_RIGHT: "right[start:start + batch_size] = scores.argmax(axis=1) == d"},
      "test_accuracy_never_answers_another_spelling_of_a_query_word"),
    m("accuracy without exclusion", "analogy_accuracy", {ACC_BAN: "pass"}, "test_accuracy_excludes_query_words"),
    # found by a learner's trial
    m("3CosMul accuracy with eps fixed at gensim's 1e-6", "analogy_accuracy",
      {ACC_MUL: "scores = s_b * s_c / (s_a + 1e-6)\n"},
      "test_accuracy_passes_eps_on_and_breaks_ties_by_vocabulary_order"),
    m("accuracy answers the last of tied words", "analogy_accuracy",
      {ACC_RIGHT: "right[start:start + batch_size] = first[scores.shape[1] - 1 - scores[:, ::-1].argmax(axis=1)] == d"},
      "test_accuracy_passes_eps_on_and_breaks_ties_by_vocabulary_order"),
    m("accuracy with the offset a - b + c", "analogy_accuracy",
      {ACC_ADD: ACC_ADD.replace("x_unit[b] - x_unit[a] + x_unit[c]", "x_unit[a] - x_unit[b] + x_unit[c]")},
      "test_accuracy_reproduces_gensim_on_the_google_set"),
    m("accuracy from unnormalised vectors", "analogy_accuracy",
      {ACC_X: "x_unit = np.asarray(x)[:restrict_vocab]  # (n, d)"}, "test_accuracy_normalises_the_vectors"),
    m("3CosMul accuracy without the shift of the cosines", "analogy_accuracy",
      {ACC_MUL_S: "s_a, s_b, s_c = (x_unit[q] @ x_unit.T for q in (a, b, c))  # (batch, n) each"},
      "test_accuracy_3cosmul_matches_gensim"),
    m("accuracy ignores `method`", "analogy_accuracy", {ACC_IF: "if True:"}, "test_accuracy_3cosmul_matches_gensim"),
    m("accuracy ignores `eps`", "analogy_accuracy", {ACC_MUL: "scores = s_b * s_c / (s_a + 1e-3)\n"},
      "test_accuracy_3cosmul_matches_gensim"),
]


# Correct solutions in another style: each must get full marks.
ALTERNATIVES = [
    Alternative("looped top_k, sums of cosines, np.divide with where, per-question accuracy in float64", {
        DIVIDE: "return np.divide(x, norms, out=np.zeros(x.shape), where=norms > 0)",
        V_HAT + "\n    " + COSINE: "v = np.asarray(v, dtype=float)\n"
        "    lengths = np.linalg.norm(x, axis=1) * np.linalg.norm(v)  # (n,)\n"
        "    dots = np.asarray(x, dtype=float) @ v  # (n,)\n"
        "    return np.divide(dots, lengths, out=np.zeros(len(dots)), where=lengths > 0)",
        TOP_BAN + "\n    " + TOP_ORDER + "\n    " + TOP_RETURN:
            "banned = {w for w in exclude}\n"
            "    ranked = sorted((i for i in range(len(words)) if words[i] not in banned),\n"
            "                    key=lambda i: (-scores[i], i))\n"
            "    return [(words[i], float(scores[i])) for i in ranked[:k]]",
        MUL_SCORES: "scores = np.exp(np.log(s_b) + np.log(s_c) - np.log(s_a + eps))  # (n,)",
        AVG_TARGET: "target = c_hat + b_hat.sum(axis=0) / len(pairs) - a_hat.sum(axis=0) / len(pairs)  # (d,)",
        ACC_ADD: "scores = (x_unit[b] @ x_unit.T - x_unit[a] @ x_unit.T + x_unit[c] @ x_unit.T)  # (batch, n)",
    }),
]


# Degenerate but plain answers: each must fail its check by an assertion with a message (never
# pass on an empty answer), and the same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("3CosAdd returns no words, against the exclusion check",
              "test_3cosadd_never_returns_a_query_word", {"analogy_3cosadd": returns([])}),
    OddReturn("3CosMul returns no words, against the exclusion check",
              "test_3cosmul_never_returns_a_query_word", {"analogy_3cosmul": returns([])}),
    OddReturn("3CosMul returns no words, against the epsilon check",
              "test_3cosmul_default_eps_is_0_001", {"analogy_3cosmul": returns([])}),
    OddReturn("3CosMul returns a word outside the vocabulary",
              "test_3cosmul_default_eps_is_0_001", {"analogy_3cosmul": returns([("qwzxv", 0.5)] * 5)}),
    OddReturn("3CosAvg returns no words, against the exclusion check",
              "test_3cosavg_never_returns_c_or_an_example_word", {"analogy_3cosavg": returns([])}),
    OddReturn("3CosAvg returns scores as strings", "test_3cosavg_matches_gensim",
              {"analogy_3cosavg": returns([("queen", "0.9")] * 5)}),
    OddReturn("top_k returns no words, against the exclusion check",
              "test_top_k_never_returns_excluded_words", {"top_k": returns([])}),
    OddReturn("top_k returns a dict", "test_top_k_matches_gensim_most_similar", {"top_k": returns({"dog": 1.0})}),
    OddReturn("cosine_similarity returns a list", "test_cosine_similarity_matches_gensim",
              {"cosine_similarity": returns([0.5, 0.5])}),
    OddReturn("normalize_rows returns None", "test_normalize_rows_gives_unit_rows", {"normalize_rows": returns(None)}),
    OddReturn("accuracy returns a dict with keys of mixed types",
              "test_accuracy_skips_out_of_vocabulary_questions",
              {"analogy_accuracy": returns({1: 0.5, "sections": {}})}),
]


@pytest.mark.filterwarnings("ignore:.*encountered in divide:RuntimeWarning")  # the mistakes divide by 0
@pytest.mark.filterwarnings("ignore:.*encountered in log:RuntimeWarning")
class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 20
    blame_once = True
