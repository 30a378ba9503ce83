"""Tests of assignment a01_word2vec: the solution earns every point and reproduces gensim's
analogy accuracy, plausible mistakes lose points, and the notebook's points match the checks."""


import pytest

from autograder.api import StudentError
from autograder.local import LocalStudent
from tests.helpers import (
    assert_check_fails_with_message,
    assert_full_marks,
    assert_lost_points,
    assert_not_implemented_reported,
    checks_module,
    exercise_namespace,
    lost_points,
    not_implemented,
    returns,
    solution_namespace,
)

A = "a01_word2vec"


def test_solution_earns_every_point():
    assert_full_marks(A)


def test_solution_reproduces_gensim_analogy_accuracy():
    """The learner-facing solution gives gensim's evaluate_word_analogies number, to the last digit."""
    checks = checks_module(A)
    x, words, _ = checks._glove(30_000)
    got = solution_namespace(A)["analogy_accuracy"](list(checks._google()), x, list(words), restrict_vocab=30_000)
    want = checks._reproduction()
    assert got["accuracy"] == want["accuracy"], (got["accuracy"], want["accuracy"])
    assert (got["correct"], got["incorrect"], got["skipped"]) == (want["correct"], want["incorrect"], want["skipped"])
    assert got["sections"] == want["sections"]
    assert len(got["sections"]) == 14 and got["correct"] + got["incorrect"] + got["skipped"] == 19_544


# The mistakes the assignment must catch, written into the solution (each must lose points).
MISTAKES = {
    "forgetting to normalise (cosine as a raw dot product)": (
        "cosine_similarity", {"return normalize_rows(x) @ v_hat  # (n,)": "return np.asarray(x) @ np.asarray(v)"}),
    "not excluding the query words": (
        "analogy_3cosadd", {"exclude=(a, b, c))": "exclude=())"}),
    "the wrong sign in the offset": (
        "analogy_3cosadd", {"top_k(b_hat - a_hat + c_hat,": "top_k(a_hat - b_hat + c_hat,"}),
    "an off-by-one in top-k": (
        "top_k", {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(-scores, kind="stable")[:k + 1]  # ties'}),
    "3CosMul without its epsilon": (
        "analogy_3cosmul", {"(s_b * s_c / (s_a + eps))": "(s_b * s_c / s_a)"}),
    "3CosMul without shifting cosines to [0, 1]": (
        "analogy_3cosmul", {"((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))":
                            "(cosine_similarity(x[index[w]], x) for w in (a, b, c))"}),
    "counting out-of-vocabulary questions as wrong instead of skipping them": (
        "analogy_accuracy", {'stats["skipped"] += 1': 'stats["incorrect"] += 1'}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_mistake_loses_points(mistake):
    exercise, replacements = MISTAKES[mistake]
    assert_lost_points(lost_points(A, replacements, exercise), mistake, exercise)


# More plausible mistakes, each aimed at one check: that check must fail with a message.
# These rerun only the exercise cells (no demo cells), which keeps the file fast.
TARGETED = {
    "normalize_rows does nothing": (
        "test_normalize_rows_gives_unit_rows", {"return x / np.where(norms > 0, norms, 1)": "return x * 1.0"}),
    "normalize_rows divides in place (fails on integer counts)": (
        "test_normalize_rows_accepts_integer_counts",
        {"return x / np.where(norms > 0, norms, 1)": "x /= np.where(norms > 0, norms, 1)\n    return x"}),
    "zero rows become NaN": (
        "test_normalize_rows_keeps_zero_rows_zero", {"return x / np.where(norms > 0, norms, 1)": "return x / norms"}),
    "cosine divides by zero for a zero vector": (
        "test_cosine_similarity_zero_vectors_give_zero",
        {"return normalize_rows(x) @ v_hat  # (n,)":
         "return x @ v / (np.linalg.norm(x, axis=1) * np.linalg.norm(v))"}),
    "cosine forgets to normalise v": (
        "test_cosine_similarity_ignores_vector_length",
        {"v_hat = normalize_rows(np.asarray(v)[None, :])[0]": "v_hat = np.asarray(v)"}),
    "cosine as a raw dot product, against gensim": (
        "test_cosine_similarity_matches_gensim",
        {"return normalize_rows(x) @ v_hat  # (n,)": "return np.asarray(x) @ np.asarray(v)"}),
    "top_k drops the best word": (
        "test_top_k_returns_exactly_k_best_first",
        {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(-scores, kind="stable")[1:k + 1]  # ties'}),
    "top_k returns one too few": (
        "test_top_k_matches_gensim_most_similar",
        {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(-scores, kind="stable")[:k - 1]  # ties'}),
    "top_k returns the query word": (
        "test_top_k_never_returns_excluded_words", {"exclude = (*exclude, query)": "exclude = tuple(exclude)"}),
    "top_k ignores exclude": (
        "test_top_k_never_returns_excluded_words",
        {"scores[[index[w] for w in exclude if w in index]] = -np.inf": "pass"}),
    "top_k breaks ties the wrong way": (
        "test_top_k_breaks_ties_by_frequency_order",
        {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(scores, kind="stable")[::-1][:k]  # ties'}),
    "top_k raises ValueError for an unknown word": (
        "test_top_k_unknown_word_raises_key_error",
        {"query = x[index[query]]": "query = x[list(words).index(query)]"}),
    "top_k fails on unknown excluded words": (
        "test_top_k_ignores_unknown_excluded_words",
        {"[index[w] for w in exclude if w in index]": "[index[w] for w in exclude]"}),
    "top_k lets NaN through for a zero row": (
        "test_top_k_zero_rows_give_no_nan", {"return x / np.where(norms > 0, norms, 1)": "return x / norms"}),
    "3CosAdd without exclusion, against gensim": (
        "test_3cosadd_never_returns_a_query_word", {"exclude=(a, b, c))": "exclude=())"}),
    "3CosAdd with the offset a - b + c": (
        "test_3cosadd_offset_is_b_minus_a_plus_c", {"top_k(b_hat - a_hat + c_hat,": "top_k(a_hat - b_hat + c_hat,"}),
    "3CosAdd with b + a - c": (
        "test_3cosadd_matches_gensim_most_similar", {"top_k(b_hat - a_hat + c_hat,": "top_k(b_hat + a_hat - c_hat,"}),
    "3CosAdd from raw (unnormalised) vectors": (
        "test_3cosadd_normalises_before_combining",
        {"a_hat, b_hat, c_hat = normalize_rows(x[[index[a], index[b], index[c]]])":
         "a_hat, b_hat, c_hat = x[[index[a], index[b], index[c]]]"}),
    "3CosAdd raises ValueError for an unknown word": (
        "test_3cosadd_unknown_word_raises_key_error",
        {"normalize_rows(x[[index[a], index[b], index[c]]])":
         "normalize_rows(x[[list(words).index(w) for w in (a, b, c)]])"}),
    "3CosMul without exclusion": (
        "test_3cosmul_never_returns_a_query_word", {"scores[[index[a], index[b], index[c]]] = -np.inf": "pass"}),
    "3CosMul with gensim's epsilon as the default": (
        "test_3cosmul_default_eps_is_0_001", {"k=1, eps=1e-3):": "k=1, eps=1e-6):"}),
    "3CosMul without epsilon, at a word opposite a": (
        "test_3cosmul_stays_finite_when_a_word_points_away_from_a",
        {"(s_b * s_c / (s_a + eps))": "(s_b * s_c / s_a)"}),
    "3CosMul without the shift, against gensim": (
        "test_3cosmul_matches_gensim_most_similar_cosmul",
        {"((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))":
         "(cosine_similarity(x[index[w]], x) for w in (a, b, c))"}),
    "3CosMul without the shift, negative scores": (
        "test_3cosmul_shifts_cosines_to_0_1",
        {"((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))":
         "(cosine_similarity(x[index[w]], x) for w in (a, b, c))"}),
    "3CosMul silently uses the last word for an unknown word": (
        "test_3cosmul_unknown_word_raises_key_error",
        {"index = {w: i for i, w in enumerate(words)}\n    s_a":
         "index = {w: i for i, w in enumerate(words)}\n    index = {w: index.get(w, -1) for w in (a, b, c)}\n    s_a"}),
    "accuracy without exclusion": (
        "test_accuracy_excludes_query_words",
        {"scores[row, [j for i in query for j in spellings[i]]] = -np.inf": "pass"}),
    "accuracy with the wrong sign": (
        "test_accuracy_excludes_query_words",
        {"x_unit[b] - x_unit[a] + x_unit[c]": "x_unit[a] - x_unit[b] + x_unit[c]"}),
    "accuracy from unnormalised vectors": (
        "test_accuracy_excludes_query_words",
        {"x_unit = normalize_rows(np.asarray(x)[:restrict_vocab])": "x_unit = np.asarray(x)[:restrict_vocab]"}),
    "accuracy counts out-of-vocabulary questions as wrong": (
        "test_accuracy_skips_out_of_vocabulary_questions", {'stats["skipped"] += 1': 'stats["incorrect"] += 1'}),
    "accuracy of an empty section is NaN": (
        "test_accuracy_skips_out_of_vocabulary_questions",
        {'stats["correct"] / evaluated if evaluated else 0.0': 'stats["correct"] / evaluated if evaluated else np.nan'}),
    "overall accuracy as the mean of section accuracies": (
        "test_accuracy_reproduces_gensim_on_the_google_set",
        {"accuracy = correct / (correct + incorrect) if correct + incorrect else 0.0":
         'accuracy = float(np.mean([s["accuracy"] for s in sections.values()]))'}),
    "accuracy ignores restrict_vocab": (
        "test_accuracy_restricts_the_vocabulary",
        {"np.asarray(x)[:restrict_vocab]": "np.asarray(x)", "words[:restrict_vocab]": "words"}),
    "accuracy is case-sensitive": (
        "test_accuracy_ignores_case",
        {"[w.lower() for w in words[:restrict_vocab]]": "list(words[:restrict_vocab])",
         "index.get(w.lower())": "index.get(w)"}),
    "accuracy excludes only the first spelling of a query word": (
        "test_accuracy_ignores_case", {"for j in spellings[i]]": "for j in [i]]"}),
    "accuracy maps a question word to its last spelling": (
        "test_accuracy_ignores_case", {"index.setdefault(w, i)": "index[w] = i"}),
    "3CosMul accuracy without the shift": (
        "test_accuracy_3cosmul_matches_gensim",
        {"((1 + x_unit[q] @ x_unit.T) / 2 for q in (a, b, c))": "(x_unit[q] @ x_unit.T for q in (a, b, c))"}),
}


@pytest.mark.filterwarnings("ignore:.*encountered in divide:RuntimeWarning")  # the mistakes divide by 0
@pytest.mark.parametrize("mistake", list(TARGETED))
def test_targeted_mistake_fails_its_check(mistake):
    check_name, replacements = TARGETED[mistake]
    check_fn = getattr(checks_module(A), check_name)
    with pytest.raises((AssertionError, StudentError)) as failure:  # a learner's error fails a check too
        check_fn(LocalStudent(exercise_namespace(A, replacements)))
    assert str(failure.value).strip(), f"{check_name} failed without a message for: {mistake}"
    assert getattr(failure.value, "kind", "") != "NotImplementedError"


def test_every_check_is_targeted_by_a_mistake():
    checks = {name for name in dir(checks_module(A)) if hasattr(getattr(checks_module(A), name), "graded")}
    targeted = {check for check, _ in TARGETED.values()}
    assert checks == targeted, f"checks with no mistake that makes them fail: {sorted(checks - targeted)}"




# Odd but plain return values: each check must fail by assertion with a message, never error
# (and never pass on an empty answer); a NotImplementedError must still reach the report as is.
ODD_RETURNS = {
    "3CosAdd returns no words, against the exclusion check": (
        "test_3cosadd_never_returns_a_query_word", "analogy_3cosadd", []),
    "3CosMul returns no words, against the exclusion check": (
        "test_3cosmul_never_returns_a_query_word", "analogy_3cosmul", []),
    "3CosMul returns no words, against the epsilon check": (
        "test_3cosmul_default_eps_is_0_001", "analogy_3cosmul", []),
    "3CosMul returns a word outside the vocabulary": (
        "test_3cosmul_default_eps_is_0_001", "analogy_3cosmul", [("qwzxv", 0.5)] * 5),
    "top_k returns no words, against the exclusion check": (
        "test_top_k_never_returns_excluded_words", "top_k", []),
    "top_k returns no words, against the zero-row check": (
        "test_top_k_zero_rows_give_no_nan", "top_k", []),
    "accuracy returns a dict with keys of mixed types": (
        "test_accuracy_skips_out_of_vocabulary_questions", "analogy_accuracy", {1: 0.5, "sections": {}}),
}


@pytest.mark.parametrize("case", list(ODD_RETURNS))
def test_odd_return_fails_with_a_message(case):
    check_name, function, value = ODD_RETURNS[case]
    assert_check_fails_with_message(A, check_name, {function: returns(value)}, case)


@pytest.mark.parametrize("check_name, function", sorted({(c, f) for c, f, _ in ODD_RETURNS.values()}))
def test_not_implemented_reaches_the_report(check_name, function):
    assert_not_implemented_reported(A, check_name, {function: not_implemented})
