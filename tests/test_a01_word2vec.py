"""Tests of assignment a01_word2vec: the solution earns every point and reproduces gensim's
analogy accuracy, plausible mistakes lose points, and the notebook's points match the checks."""


import pytest

from tests.helpers import (
    ChapterTests,
    Mistake,
    OddReturn,
    checks_module,
    returns,
    solution_namespace,
)

A = "a01_word2vec"


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


# The mistakes the chapter must catch: each is written into the solution and must fail the named
# check of its own exercise by an assertion (tests/helpers.py applies the table).
MISTAKES = [
    Mistake('forgetting to normalise (cosine as a raw dot product)', 'cosine_similarity',
            {'return normalize_rows(x) @ v_hat  # (n,)': 'return np.asarray(x) @ np.asarray(v)'},
            'test_cosine_similarity_ignores_vector_length'),
    Mistake('not excluding the query words', 'analogy_3cosadd',
            {'exclude=(a, b, c))': 'exclude=())'},
            'test_3cosadd_never_returns_a_query_word'),
    Mistake('the wrong sign in the offset', 'analogy_3cosadd',
            {'top_k(b_hat - a_hat + c_hat,': 'top_k(a_hat - b_hat + c_hat,'},
            'test_3cosadd_offset_is_b_minus_a_plus_c'),
    Mistake('an off-by-one in top-k', 'top_k',
            {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(-scores, kind="stable")[:k + 1]  # ties'},
            'test_top_k_returns_exactly_k_best_first'),
    Mistake('3CosMul without its epsilon', 'analogy_3cosmul',
            {'(s_b * s_c / (s_a + eps))': '(s_b * s_c / s_a)'},
            'test_3cosmul_stays_finite_when_a_word_points_away_from_a'),
    Mistake('3CosMul without shifting cosines to [0, 1]', 'analogy_3cosmul',
            {'((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))': '(cosine_similarity(x[index[w]], x) for w in (a, b, c))'},
            'test_3cosmul_shifts_cosines_to_0_1'),
    Mistake('counting out-of-vocabulary questions as wrong instead of skipping them', 'analogy_accuracy',
            {'stats["skipped"] += 1': 'stats["incorrect"] += 1'},
            'test_accuracy_skips_out_of_vocabulary_questions'),
    Mistake('normalize_rows does nothing', 'normalize_rows',
            {'return x / np.where(norms > 0, norms, 1)': 'return x * 1.0'},
            'test_normalize_rows_gives_unit_rows'),
    Mistake('normalize_rows divides in place (fails on integer counts)', 'normalize_rows',
            {'return x / np.where(norms > 0, norms, 1)': 'x /= np.where(norms > 0, norms, 1)\n    return x'},
            'test_normalize_rows_accepts_integer_counts'),
    Mistake('zero rows become NaN', 'normalize_rows',
            {'return x / np.where(norms > 0, norms, 1)': 'return x / norms'},
            'test_normalize_rows_keeps_zero_rows_zero'),
    Mistake('cosine divides by zero for a zero vector', 'cosine_similarity',
            {'return normalize_rows(x) @ v_hat  # (n,)': 'return x @ v / (np.linalg.norm(x, axis=1) * np.linalg.norm(v))'},
            'test_cosine_similarity_zero_vectors_give_zero'),
    Mistake('cosine forgets to normalise v', 'cosine_similarity',
            {'v_hat = normalize_rows(np.asarray(v)[None, :])[0]': 'v_hat = np.asarray(v)'},
            'test_cosine_similarity_ignores_vector_length'),
    Mistake('cosine as a raw dot product, against gensim', 'cosine_similarity',
            {'return normalize_rows(x) @ v_hat  # (n,)': 'return np.asarray(x) @ np.asarray(v)'},
            'test_cosine_similarity_matches_gensim'),
    Mistake('top_k drops the best word', 'top_k',
            {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(-scores, kind="stable")[1:k + 1]  # ties'},
            'test_top_k_returns_exactly_k_best_first'),
    Mistake('top_k returns one too few', 'top_k',
            {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(-scores, kind="stable")[:k - 1]  # ties'},
            'test_top_k_matches_gensim_most_similar'),
    Mistake('top_k returns the query word', 'top_k',
            {'exclude = (*exclude, query)': 'exclude = tuple(exclude)'},
            'test_top_k_never_returns_excluded_words'),
    Mistake('top_k ignores exclude', 'top_k',
            {'scores[[index[w] for w in exclude if w in index]] = -np.inf': 'pass'},
            'test_top_k_never_returns_excluded_words'),
    Mistake('top_k breaks ties the wrong way', 'top_k',
            {'np.argsort(-scores, kind="stable")[:k]  # ties': 'np.argsort(scores, kind="stable")[::-1][:k]  # ties'},
            'test_top_k_breaks_ties_by_frequency_order'),
    Mistake('top_k raises ValueError for an unknown word', 'top_k',
            {'query = x[index[query]]': 'query = x[list(words).index(query)]'},
            'test_top_k_unknown_word_raises_key_error'),
    Mistake('top_k fails on unknown excluded words', 'top_k',
            {'[index[w] for w in exclude if w in index]': '[index[w] for w in exclude]'},
            'test_top_k_ignores_unknown_excluded_words'),
    Mistake('top_k lets NaN through for a zero row', 'top_k',
            {'return x / np.where(norms > 0, norms, 1)': 'return x / norms'},
            'test_top_k_zero_rows_give_no_nan'),
    Mistake('3CosAdd without exclusion, against gensim', 'analogy_3cosadd',
            {'exclude=(a, b, c))': 'exclude=())'},
            'test_3cosadd_never_returns_a_query_word'),
    Mistake('3CosAdd with the offset a - b + c', 'analogy_3cosadd',
            {'top_k(b_hat - a_hat + c_hat,': 'top_k(a_hat - b_hat + c_hat,'},
            'test_3cosadd_offset_is_b_minus_a_plus_c'),
    Mistake('3CosAdd with b + a - c', 'analogy_3cosadd',
            {'top_k(b_hat - a_hat + c_hat,': 'top_k(b_hat + a_hat - c_hat,'},
            'test_3cosadd_matches_gensim_most_similar'),
    Mistake('3CosAdd from raw (unnormalised) vectors', 'analogy_3cosadd',
            {'a_hat, b_hat, c_hat = normalize_rows(x[[index[a], index[b], index[c]]])': 'a_hat, b_hat, c_hat = x[[index[a], index[b], index[c]]]'},
            'test_3cosadd_normalises_before_combining'),
    Mistake('3CosAdd raises ValueError for an unknown word', 'analogy_3cosadd',
            {'normalize_rows(x[[index[a], index[b], index[c]]])': 'normalize_rows(x[[list(words).index(w) for w in (a, b, c)]])'},
            'test_3cosadd_unknown_word_raises_key_error'),
    Mistake('3CosMul without exclusion', 'analogy_3cosmul',
            {'scores[[index[a], index[b], index[c]]] = -np.inf': 'pass'},
            'test_3cosmul_never_returns_a_query_word'),
    Mistake("3CosMul with gensim's epsilon as the default", 'analogy_3cosmul',
            {'k=1, eps=1e-3):': 'k=1, eps=1e-6):'},
            'test_3cosmul_default_eps_is_0_001'),
    Mistake('3CosMul without epsilon, at a word opposite a', 'analogy_3cosmul',
            {'(s_b * s_c / (s_a + eps))': '(s_b * s_c / s_a)'},
            'test_3cosmul_stays_finite_when_a_word_points_away_from_a'),
    Mistake('3CosMul without the shift, against gensim', 'analogy_3cosmul',
            {'((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))': '(cosine_similarity(x[index[w]], x) for w in (a, b, c))'},
            'test_3cosmul_matches_gensim_most_similar_cosmul'),
    Mistake('3CosMul without the shift, negative scores', 'analogy_3cosmul',
            {'((1 + cosine_similarity(x[index[w]], x)) / 2 for w in (a, b, c))': '(cosine_similarity(x[index[w]], x) for w in (a, b, c))'},
            'test_3cosmul_shifts_cosines_to_0_1'),
    Mistake('3CosMul silently uses the last word for an unknown word', 'analogy_3cosmul',
            {'index = {w: i for i, w in enumerate(words)}\n    s_a': 'index = {w: i for i, w in enumerate(words)}\n    index = {w: index.get(w, -1) for w in (a, b, c)}\n    s_a'},
            'test_3cosmul_unknown_word_raises_key_error'),
    Mistake('accuracy without exclusion', 'analogy_accuracy',
            {'scores[row, [j for i in query for j in spellings[i]]] = -np.inf': 'pass'},
            'test_accuracy_excludes_query_words'),
    Mistake('accuracy with the wrong sign', 'analogy_accuracy',
            {'x_unit[b] - x_unit[a] + x_unit[c]': 'x_unit[a] - x_unit[b] + x_unit[c]'},
            'test_accuracy_excludes_query_words'),
    Mistake('accuracy from unnormalised vectors', 'analogy_accuracy',
            {'x_unit = normalize_rows(np.asarray(x)[:restrict_vocab])': 'x_unit = np.asarray(x)[:restrict_vocab]'},
            'test_accuracy_excludes_query_words'),
    Mistake('accuracy counts out-of-vocabulary questions as wrong', 'analogy_accuracy',
            {'stats["skipped"] += 1': 'stats["incorrect"] += 1'},
            'test_accuracy_skips_out_of_vocabulary_questions'),
    Mistake('accuracy of an empty section is NaN', 'analogy_accuracy',
            {'stats["correct"] / evaluated if evaluated else 0.0': 'stats["correct"] / evaluated if evaluated else np.nan'},
            'test_accuracy_skips_out_of_vocabulary_questions'),
    Mistake('overall accuracy as the mean of section accuracies', 'analogy_accuracy',
            {'accuracy = correct / (correct + incorrect) if correct + incorrect else 0.0': 'accuracy = float(np.mean([s["accuracy"] for s in sections.values()]))'},
            'test_accuracy_reproduces_gensim_on_the_google_set'),
    Mistake('accuracy ignores restrict_vocab', 'analogy_accuracy',
            {'np.asarray(x)[:restrict_vocab]': 'np.asarray(x)', 'words[:restrict_vocab]': 'words'},
            'test_accuracy_restricts_the_vocabulary'),
    Mistake('accuracy is case-sensitive', 'analogy_accuracy',
            {'[w.lower() for w in words[:restrict_vocab]]': 'list(words[:restrict_vocab])', 'index.get(w.lower())': 'index.get(w)'},
            'test_accuracy_ignores_case'),
    Mistake('accuracy excludes only the first spelling of a query word', 'analogy_accuracy',
            {'for j in spellings[i]]': 'for j in [i]]'},
            'test_accuracy_ignores_case'),
    Mistake('accuracy maps a question word to its last spelling', 'analogy_accuracy',
            {'index.setdefault(w, i)': 'index[w] = i'},
            'test_accuracy_ignores_case'),
    Mistake('3CosMul accuracy without the shift', 'analogy_accuracy',
            {'((1 + x_unit[q] @ x_unit.T) / 2 for q in (a, b, c))': '(x_unit[q] @ x_unit.T for q in (a, b, c))'},
            'test_accuracy_3cosmul_matches_gensim'),
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
    OddReturn("top_k returns no words, against the exclusion check",
              "test_top_k_never_returns_excluded_words", {"top_k": returns([])}),
    OddReturn("top_k returns no words, against the zero-row check",
              "test_top_k_zero_rows_give_no_nan", {"top_k": returns([])}),
    OddReturn("accuracy returns a dict with keys of mixed types",
              "test_accuracy_skips_out_of_vocabulary_questions",
              {"analogy_accuracy": returns({1: 0.5, "sections": {}})}),
]


@pytest.mark.filterwarnings("ignore:.*encountered in divide:RuntimeWarning")  # the mistakes divide by 0
class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns = A, MISTAKES, ODD_RETURNS
    blame_once = False
