"""Checks of assignment a01_word2vec: word vectors, nearest neighbours and analogies in numpy.

gensim is the oracle: `KeyedVectors.most_similar`, `most_similar_cosmul` and
`evaluate_word_analogies`, run on GloVe 6B 50d restricted to its most frequent words
(`latentlab.data.glove(n)`) and on small seeded matrices. Oracle results are computed once per
process; the heaviest is gensim's evaluation of the full Google analogy set on 30,000 words.
"""

import functools
import tempfile
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from threadpoolctl import threadpool_limits

from autograder.api import expect_array, expect_error, expect_type, graded, learner_errors_fail
from latentlab import data

A = "a01_word2vec"
SMALL = 5_000  # GloVe words used by the fast checks
REPRODUCE = 30_000  # the restriction of the reproduction check (and of the book page)
QUESTIONS = [("man", "king", "woman"), ("france", "paris", "italy"), ("good", "better", "bad"),
             ("walk", "walked", "run"), ("brother", "sister", "father"), ("big", "bigger", "small")]


# oracles and data, computed once per process


def _kv(x, words) -> KeyedVectors:
    """gensim KeyedVectors holding exactly `x` (n, d) for `words`."""
    kv = KeyedVectors(vector_size=x.shape[1], dtype=np.float32)
    kv.add_vectors(list(words), np.array(x, dtype=np.float32))
    return kv


@functools.lru_cache(maxsize=None)
def _glove(n: int):
    """GloVe's n most frequent words: (x (n, 50) float32, words tuple, a private gensim copy)."""
    kv = data.glove(n)
    x, words = np.array(kv.vectors), tuple(kv.index_to_key)
    x.setflags(write=False)
    return x, words, _kv(x, words)


@functools.lru_cache(maxsize=None)
def _google() -> tuple:
    """The Google analogy questions as plain (section, a, b, c, d) tuples."""
    return tuple((q.section, q.a, q.b, q.c, q.d) for q in data.analogy_questions())


def _write_questions(questions, path: Path) -> str:
    """Write questions in gensim's format (": section" lines) to `path`."""
    lines, section = [], None
    for s, a, b, c, d in questions:
        if s != section:
            lines.append(f": {s}")
            section = s
        lines.append(f"{a} {b} {c} {d}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _gensim_accuracy(kv, questions, restrict_vocab) -> dict:
    """gensim's evaluate_word_analogies on `questions`, as the dict analogy_accuracy returns."""
    with tempfile.TemporaryDirectory(prefix="a01_word2vec_") as folder:
        path = _write_questions(questions, Path(folder) / "questions.txt")
        with threadpool_limits(limits=1, user_api="blas"):  # gensim scores one question at a time
            score, sections = kv.evaluate_word_analogies(path, restrict_vocab=restrict_vocab)
    asked = {}
    for s, *_ in questions:
        asked[s] = asked.get(s, 0) + 1
    out = {}
    for sec in sections[:-1]:  # the last one is gensim's "Total accuracy"
        c, i = len(sec["correct"]), len(sec["incorrect"])
        out[sec["section"]] = {"accuracy": c / (c + i) if c + i else 0.0, "correct": c,
                               "incorrect": i, "skipped": asked[sec["section"]] - c - i}
    return {"accuracy": float(score), "correct": sum(s["correct"] for s in out.values()),
            "incorrect": sum(s["incorrect"] for s in out.values()),
            "skipped": sum(s["skipped"] for s in out.values()), "sections": out}


@functools.lru_cache(maxsize=None)
def _reproduction() -> dict:
    """gensim's accuracy of GloVe on the full Google set, top 30,000 words."""
    return _gensim_accuracy(_glove(REPRODUCE)[2], _google(), REPRODUCE)


def _section(name: str) -> list:
    return [q for q in _google() if q[0] == name]


def _synthetic(seed: int, n: int = 12, d: int = 4):
    """A seeded (n, d) float32 matrix with row lengths between 0.2 and 5, words w0..w{n-1}."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * rng.uniform(0.2, 5.0, size=(n, 1))
    return x.astype(np.float32), [f"w{i}" for i in range(n)]


# shared validation


def _pairs(value, what: str, k: int) -> list:
    """Validate a list of exactly k (word, score) pairs and return it as [(str, float)]."""
    expect_type(value, (list, tuple), what)
    if len(value) != k:
        raise AssertionError(f"exactly k: {what} should return k = {k} (word, score) pairs, best "
                             f"first; it returned {len(value)}")
    out = []
    for item in value:
        if type(item) not in (list, tuple) or len(item) != 2:
            raise AssertionError(f"{what} should be a list of (word, score) pairs; one item is {item!r}")
        word, score = item
        expect_type(word, str, f"the word in each pair of {what}")
        expect_type(score, (float, int), f"the score in each pair of {what}")
        out.append((word, float(score)))
    return out


def _same_pairs(got: list, want: list, what: str, prop: str, rtol=1e-4, atol=1e-5) -> None:
    """Assert that two (word, score) lists agree: same words in the same order, close scores."""
    got_words, want_words = [w for w, _ in got], [w for w, _ in want]
    if got_words != want_words:
        raise AssertionError(f"{prop}: {what} should return {want_words} (best first); got {got_words}")
    got_s, want_s = np.array([s for _, s in got]), np.array([s for _, s in want])
    if not np.allclose(got_s, want_s, rtol=rtol, atol=atol):
        raise AssertionError(f"{prop}: {what} returns the right words but their scores should be "
                             f"{np.round(want_s, 6).tolist()}; got {np.round(got_s, 6).tolist()}")


def _result(value, what: str) -> dict:
    """Validate the dict analogy_accuracy returns."""
    expect_type(value, dict, what)
    for key, kinds in [("accuracy", (float, int)), ("correct", int), ("incorrect", int),
                       ("skipped", int), ("sections", dict)]:
        if key not in value:
            keys = ", ".join(sorted(repr(k) for k in value))
            raise AssertionError(f"{what} should be a dict with the key {key!r}; it has the keys [{keys}]")
        expect_type(value[key], kinds, f"{what}[{key!r}]")
    for name, sec in value["sections"].items():
        expect_type(sec, dict, f"{what}['sections'][{name!r}]")
        for key, kinds in [("accuracy", (float, int)), ("correct", int), ("incorrect", int), ("skipped", int)]:
            if key not in sec:
                raise AssertionError(f"{what}['sections'][{name!r}] should have the key {key!r}")
            expect_type(sec[key], kinds, f"{what}['sections'][{name!r}][{key!r}]")
    return value


def _same_accuracy(got: dict, want: dict, what: str, prop: str) -> None:
    """Assert that analogy_accuracy's result equals gensim's, section by section."""
    if list(got["sections"]) != list(want["sections"]):
        raise AssertionError(f"{prop}: {what}['sections'] should have the sections "
                             f"{list(want['sections'])}, in order; got {list(got['sections'])}")
    wrong = []
    for name, w in want["sections"].items():
        g = got["sections"][name]
        if (g["correct"], g["incorrect"], g["skipped"]) != (w["correct"], w["incorrect"], w["skipped"]) \
                or not abs(g["accuracy"] - w["accuracy"]) <= 1e-9:  # NaN fails too
            wrong.append(f"  {name}: gensim {w['correct']} correct, {w['incorrect']} incorrect, "
                         f"{w['skipped']} skipped, accuracy {w['accuracy']:.4f}; you {g['correct']}, "
                         f"{g['incorrect']}, {g['skipped']}, {g['accuracy']:.4f}")
    if wrong:
        raise AssertionError(f"{prop}: {what} differs from gensim's evaluate_word_analogies in "
                             f"{len(wrong)} section(s):\n" + "\n".join(wrong[:4]))
    totals = [(k, got[k], want[k]) for k in ("correct", "incorrect", "skipped") if got[k] != want[k]]
    if totals or not abs(got["accuracy"] - want["accuracy"]) <= 1e-9:
        raise AssertionError(f"{prop}: {what} overall should be accuracy {want['accuracy']:.6f} "
                             f"({want['correct']} correct, {want['incorrect']} incorrect, "
                             f"{want['skipped']} skipped); got {got['accuracy']:.6f} ({got['correct']}, "
                             f"{got['incorrect']}, {got['skipped']}). The overall accuracy is correct / "
                             "(correct + incorrect) over all sections.")


def _raises_key_error(student, what: str, name: str, *args, **kwargs) -> None:
    """Assert that the learner's `name` raises KeyError for an out-of-vocabulary word."""
    expect_error("KeyError", f"out of vocabulary: {what} for a word that is not in `words`", student.call,
                 name, *args, **kwargs)


def _never_returns_a_query_word(student, name: str) -> None:
    """Assert that the learner's analogy function `name` never answers a, b or c (k=10 on GloVe)."""
    x, words, _ = _glove(SMALL)
    for a, b, c in QUESTIONS:
        what = f"{name}('{a}', '{b}', '{c}', x, words, k=10)"
        leaked = [w for w, _ in _pairs(student.call(name, a, b, c, x, list(words), k=10), what, 10)
                  if w in (a, b, c)]
        assert not leaked, (f"exclusion: the answer is never one of the three query words (gensim "
                            f"excludes them); {what} returned {leaked}")


# normalize_rows


@graded("normalize_rows", points=1)
def test_normalize_rows_gives_unit_rows(student):
    x, words = _synthetic(0, n=6, d=4)
    got = expect_array(student.call("normalize_rows", x), "normalize_rows(x) for x of shape (6, 4)",
                       shape=(6, 4))
    lengths = np.linalg.norm(got, axis=1)
    assert np.allclose(lengths, 1, atol=1e-5), (
        f"unit rows: every row of normalize_rows(x) should have length 1; got lengths {np.round(lengths, 4)}")
    want = _kv(x, words).get_normed_vectors()
    assert np.allclose(got, want, atol=1e-5), (
        "same direction: row i of normalize_rows(x) should be x[i] / |x[i]| (gensim's "
        "get_normed_vectors); the lengths are 1 but the directions changed")


@graded("normalize_rows", points=1)
def test_normalize_rows_keeps_zero_rows_zero(student):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    got = expect_array(student.call("normalize_rows", x), "normalize_rows(x) for a (3, 2) x with a zero row",
                       shape=(3, 2))
    assert not np.isnan(got).any(), (
        f"zero rows: a row of zeros has no direction and should stay zeros, never NaN; "
        f"normalize_rows([[3, 4], [0, 0], [0, -2]]) gave {got.tolist()}")
    want = np.array([[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]])
    assert np.allclose(got, want), (
        f"zero rows: normalize_rows([[3, 4], [0, 0], [0, -2]]) should be {want.tolist()}; got {got.tolist()}")


@graded("normalize_rows", points=1, hidden=True)
def test_normalize_rows_accepts_integer_counts(student):
    x = np.array([[3, 4], [0, 0], [1, 0], [0, 7]])  # e.g. co-occurrence counts
    with learner_errors_fail("integer input: normalize_rows should return a new float array for integer counts, "
                             "without dividing `x` in place"):
        got = expect_array(student.call("normalize_rows", x), "normalize_rows(x) for an integer (4, 2) x",
                           shape=(4, 2))
    want = np.array([[0.6, 0.8], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert np.allclose(got, want), (
        f"integer input: normalize_rows should return a new float array, also for integer counts; "
        f"normalize_rows([[3, 4], [0, 0], [1, 0], [0, 7]]) should be {want.tolist()}; got {got.tolist()}")


# cosine_similarity


@graded("cosine_similarity", points=1)
def test_cosine_similarity_matches_gensim(student):
    x, words, kv = _glove(SMALL)
    for word in ["king", "dog"]:
        v = x[words.index(word)]
        got = expect_array(student.call("cosine_similarity", v, x),
                           f"cosine_similarity(vector of '{word}', x)", shape=(SMALL,))
        want = kv.cosine_similarities(v, x)
        err = float(np.abs(got - want).max())
        assert err < 1e-5, (
            f"cosine against gensim: cosine_similarity(vector of '{word}', x) should match gensim's "
            f"cosine_similarities on the {SMALL:,} most frequent GloVe words; the largest difference is "
            f"{err:.3g} (at '{words[int(np.abs(got - want).argmax())]}')")


@graded("cosine_similarity", points=2)
def test_cosine_similarity_ignores_vector_length(student):
    x, _ = _synthetic(1, n=8, d=5)
    v = np.random.default_rng(2).normal(size=5).astype(np.float32)
    scale = np.random.default_rng(3).uniform(0.1, 10.0, size=(8, 1)).astype(np.float32)
    base = expect_array(student.call("cosine_similarity", v, x), "cosine_similarity(v, x)", shape=(8,))
    scaled = expect_array(student.call("cosine_similarity", 3.7 * v, scale * x),
                          "cosine_similarity(3.7 * v, rows of x rescaled)", shape=(8,))
    assert np.all(np.abs(base) <= 1 + 1e-6), (
        f"cosines lie in [-1, 1]: divide the dot products by both lengths; got {np.round(base, 3).tolist()}")
    assert np.allclose(base, scaled, atol=1e-5), (
        "length does not matter: multiplying v by 3.7 and each row of x by a positive number should "
        f"leave every cosine unchanged; got {np.round(base, 4).tolist()} before and "
        f"{np.round(scaled, 4).tolist()} after (are both v and the rows normalised?)")


@graded("cosine_similarity", points=1, hidden=True)
def test_cosine_similarity_zero_vectors_give_zero(student):
    x = np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, 1.0]])
    got = expect_array(student.call("cosine_similarity", np.array([2.0, 0.0]), x),
                       "cosine_similarity(v, x) with a zero row in x", shape=(3,))
    assert not np.isnan(got).any() and np.allclose(got, [1.0, 0.0, -np.sqrt(0.5)]), (
        f"zero vectors: a zero row of x should get cosine 0 (never NaN); cosine_similarity([2, 0], "
        f"[[1, 0], [0, 0], [-1, 1]]) should be [1, 0, -0.7071]; got {got.tolist()}")
    got = expect_array(student.call("cosine_similarity", np.zeros(2), x),
                       "cosine_similarity(zero vector, x)", shape=(3,))
    assert not np.isnan(got).any() and np.allclose(got, 0), (
        f"zero vectors: a zero v has cosine 0 with every row (never NaN); got {got.tolist()}")


# top_k


@graded("top_k", points=2)
def test_top_k_matches_gensim_most_similar(student):
    x, words, kv = _glove(SMALL)
    for word in ["dog", "france", "computer", "river"]:
        got = _pairs(student.call("top_k", word, x, list(words), k=10), f"top_k('{word}', x, words, k=10)", 10)
        _same_pairs(got, kv.most_similar(word, topn=10), f"top_k('{word}', x, words, k=10)",
                    "nearest neighbours like gensim's most_similar")


@graded("top_k", points=1)
def test_top_k_returns_exactly_k_best_first(student):
    x, words = _synthetic(4, n=20, d=6)
    kv = _kv(x, words)
    v = np.random.default_rng(5).normal(size=6).astype(np.float32)
    for k in (1, 3, 7):
        got = _pairs(student.call("top_k", v, x, words, k=k), f"top_k(v, x, words, k={k})", k)
        _same_pairs(got, kv.most_similar(positive=[v], topn=k), f"top_k(v, x, words, k={k})",
                    "the k best, best first (no word skipped, none added)")


@graded("top_k", points=1)
def test_top_k_never_returns_excluded_words(student):
    x, words = _synthetic(6, n=15, d=5)
    v = x[3] + 0.1 * x[5]  # nearest to w3, then probably w5
    exclude = ["w3", "w5", "w8"]
    got = _pairs(student.call("top_k", v, x, words, k=6, exclude=exclude),
                 "top_k(v, x, words, k=6, exclude=['w3', 'w5', 'w8'])", 6)
    leaked = [w for w, _ in got if w in exclude]
    assert not leaked, f"exclusion: top_k should never return a word of `exclude`; it returned {leaked}"
    ranked = _kv(x, words).most_similar(positive=[v], topn=len(words))
    want = [(w, s) for w, s in ranked if w not in exclude][:6]
    _same_pairs(got, want, "top_k(v, x, words, k=6, exclude=['w3', 'w5', 'w8'])",
                "exclusion keeps exactly k of the remaining words")
    got = _pairs(student.call("top_k", "w3", x, words, k=4), "top_k('w3', x, words, k=4)", 4)
    assert "w3" not in [w for w, _ in got], (
        "exclusion: when the query is a word, that word itself should not be returned (like gensim's "
        f"most_similar); top_k('w3', ...) returned {[w for w, _ in got]}")


@graded("top_k", points=1, hidden=True)
def test_top_k_breaks_ties_by_frequency_order(student):
    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.6, 0.8], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    words = ["w0", "w1", "w2", "w3", "w4", "w5", "w6"]
    got = _pairs(student.call("top_k", np.array([1.0, 0.0]), x, words, k=5), "top_k([1, 0], x, words, k=5)", 5)
    want = ["w1", "w3", "w5", "w2", "w0"]
    assert [w for w, _ in got] == want, (
        "ties: words with equal cosines should keep the vocabulary order (lower index, i.e. more "
        f"frequent, first); top_k([1, 0], ...) with w1, w3, w5 identical and w0, w4 identical should give "
        f"{want}; got {[w for w, _ in got]}")


@graded("top_k", points=1, hidden=True)
def test_top_k_unknown_word_raises_key_error(student):
    x, words, _ = _glove(2_000)
    _raises_key_error(student, "top_k('qwzxv', x, words)", "top_k", "qwzxv", x, list(words), k=3)


@graded("top_k", points=1, hidden=True)
def test_top_k_ignores_unknown_excluded_words(student):
    x, words = _synthetic(7, n=10, d=4)
    with learner_errors_fail("out of vocabulary: words of `exclude` that are not in `words` are ignored"):
        got = _pairs(student.call("top_k", "w2", x, words, k=3, exclude=["not-a-word", "w0"]),
                     "top_k('w2', x, words, k=3, exclude=['not-a-word', 'w0'])", 3)
    ranked = _kv(x, words).most_similar("w2", topn=len(words))
    _same_pairs(got, [(w, s) for w, s in ranked if w != "w0"][:3],
                "top_k('w2', x, words, k=3, exclude=['not-a-word', 'w0'])",
                "out of vocabulary: words of `exclude` that are not in `words` are ignored")


@graded("top_k", points=1, hidden=True)
def test_top_k_zero_rows_give_no_nan(student):
    x, words = _synthetic(8, n=8, d=3)
    x = x.copy()
    x[2] = 0.0
    got = _pairs(student.call("top_k", "w0", x, words, k=7), "top_k('w0', x, words, k=7), x[2] = 0", 7)
    scores = {w: s for w, s in got}
    assert not any(np.isnan(s) for s in scores.values()), (
        f"zero vectors: a zero row should get cosine 0, never NaN; top_k returned {got}")
    assert abs(scores.get("w2", 0.0)) < 1e-6 and "w2" in scores, (
        f"zero vectors: the zero row w2 should be ranked with cosine 0; top_k returned {got}")


# analogy_3cosadd


@graded("analogy_3cosadd", points=2)
def test_3cosadd_matches_gensim_most_similar(student):
    x, words, kv = _glove(SMALL)
    for a, b, c in QUESTIONS:
        what = f"analogy_3cosadd('{a}', '{b}', '{c}', x, words, k=5)"
        got = _pairs(student.call("analogy_3cosadd", a, b, c, x, list(words), k=5), what, 5)
        _same_pairs(got, kv.most_similar(positive=[b, c], negative=[a], topn=5), what,
                    "3CosAdd like gensim's most_similar(positive=[b, c], negative=[a])")


@graded("analogy_3cosadd", points=1)
def test_3cosadd_offset_is_b_minus_a_plus_c(student):
    rng = np.random.default_rng(9)
    a, b, c = rng.normal(size=(3, 6))
    a, b, c = (u / np.linalg.norm(u) for u in (a, b, c))
    planted = {"b-a+c": b - a + c, "a-b+c": a - b + c, "a+b-c": a + b - c, "a+b+c": a + b + c,
               "-a-b+c": -a - b + c}
    words = ["a", "b", "c", *planted] + [f"w{i}" for i in range(8)]
    x = np.vstack([a, b, c, *planted.values(), rng.normal(size=(8, 6))]).astype(np.float32)
    got = _pairs(student.call("analogy_3cosadd", "a", "b", "c", x, words, k=1),
                 "analogy_3cosadd('a', 'b', 'c', x, words, k=1)", 1)
    assert got[0][0] == "b-a+c", (
        "offset sign: the target is b_hat - a_hat + c_hat (the offset from a to b, added to c). In a "
        "small vocabulary with a word planted at each signed combination, the answer should be "
        f"'b-a+c'; you returned {got[0][0]!r}")


@graded("analogy_3cosadd", points=1)
def test_3cosadd_never_returns_a_query_word(student):
    _never_returns_a_query_word(student, "analogy_3cosadd")


@graded("analogy_3cosadd", points=1, hidden=True)
def test_3cosadd_normalises_before_combining(student):
    x, words = _synthetic(3, n=40, d=5)
    kv = _kv(x, words)
    for a, b, c in [("w0", "w1", "w2"), ("w3", "w5", "w7"), ("w10", "w4", "w6")]:
        what = f"analogy_3cosadd('{a}', '{b}', '{c}', x, words, k=3) on vectors of very different lengths"
        got = _pairs(student.call("analogy_3cosadd", a, b, c, x, words, k=3), what, 3)
        _same_pairs(got, kv.most_similar(positive=[b, c], negative=[a], topn=3), what,
                    "unit vectors first: combine b_hat - a_hat + c_hat from normalised vectors (a long "
                    "vector must not dominate), then rank by cosine")


@graded("analogy_3cosadd", points=1, hidden=True)
def test_3cosadd_unknown_word_raises_key_error(student):
    x, words, _ = _glove(2_000)
    _raises_key_error(student, "analogy_3cosadd('man', 'king', 'qwzxv', x, words)", "analogy_3cosadd",
                      "man", "king", "qwzxv", x, list(words))


# analogy_3cosmul


@graded("analogy_3cosmul", points=2)
def test_3cosmul_matches_gensim_most_similar_cosmul(student):
    x, words, kv = _glove(SMALL)
    for a, b, c in QUESTIONS:
        what = f"analogy_3cosmul('{a}', '{b}', '{c}', x, words, k=5, eps=1e-6)"
        got = _pairs(student.call("analogy_3cosmul", a, b, c, x, list(words), k=5, eps=1e-6), what, 5)
        _same_pairs(got, kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5), what,
                    "3CosMul like gensim's most_similar_cosmul(positive=[b, c], negative=[a])")


@graded("analogy_3cosmul", points=1)
def test_3cosmul_shifts_cosines_to_0_1(student):
    x, words = _synthetic(11, n=10, d=3)  # in 3 dimensions many cosines are negative
    kv = _kv(x, words)
    what = "analogy_3cosmul('w0', 'w1', 'w2', x, words, k=7, eps=1e-6), every candidate"
    got = _pairs(student.call("analogy_3cosmul", "w0", "w1", "w2", x, words, k=7, eps=1e-6), what, 7)
    negative = [(w, round(s, 4)) for w, s in got if s < 0]
    assert not negative, (
        "cosines shifted to [0, 1]: with s(w, y) = (1 + cos(w, y)) / 2 every factor is in [0, 1], so no "
        f"score can be negative; got negative scores {negative}")
    _same_pairs(got, kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w0"], topn=7), what,
                "cosines shifted to [0, 1] before multiplying, s(w, y) = (1 + cos(w, y)) / 2")


@graded("analogy_3cosmul", points=1)
def test_3cosmul_default_eps_is_0_001(student):
    x, words, kv = _glove(SMALL)
    a, b, c = "man", "king", "woman"
    what = f"analogy_3cosmul('{a}', '{b}', '{c}', x, words, k=5) with the default eps"
    got = _pairs(student.call("analogy_3cosmul", a, b, c, x, list(words), k=5), what, 5)
    s = {w: (1 + kv.cosine_similarities(x[kv.key_to_index[w]], x)) / 2 for w in (a, b, c)}  # (n,) each
    for word, score in got:
        i = kv.key_to_index.get(word)
        assert i is not None, (
            f"vocabulary: {what} returned {word!r}, which is not one of `words`; every answer "
            "should be a word of the vocabulary, scored from its row of x")
        want = float(s[b][i] * s[c][i] / (s[a][i] + 1e-3))
        assert abs(score - want) <= 2e-5 * abs(want), (
            f"epsilon: with the default eps = 0.001 (Levy & Goldberg 2014) the score of '{word}' is "
            f"s(w, b) s(w, c) / (s(w, a) + 0.001) = {want:.6f}; got {score:.6f}. Is eps added to the "
            "denominator, and is the default 1e-3?")


@graded("analogy_3cosmul", points=1, hidden=True)
def test_3cosmul_stays_finite_when_a_word_points_away_from_a(student):
    a, b, c = [1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.6, 0.0, 0.8]
    x = np.array([a, b, c, [-2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.6, 0.8]])
    words = ["a", "b", "c", "anti-a", "y", "z", "yz"]
    what = "analogy_3cosmul('a', 'b', 'c', x, words, k=4), where 'anti-a' = -2 a"
    got = _pairs(student.call("analogy_3cosmul", "a", "b", "c", x, words, k=4), what, 4)
    scores = dict(got)
    assert all(np.isfinite(s) for s in scores.values()), (
        "epsilon: s(w, a) is 0 for a word pointing exactly away from a, and eps keeps the score "
        f"s(w, b) s(w, c) / (0 + eps) finite; got {got}")
    want = 0.2 * 0.2 / 1e-3  # s('anti-a', b) = s('anti-a', c) = (1 - 0.6) / 2
    assert "anti-a" in scores and abs(scores["anti-a"] - want) < 1e-3 * want, (
        f"epsilon: the score of 'anti-a' should be 0.2 * 0.2 / (0 + 0.001) = {want:g}; got {got}")


@graded("analogy_3cosmul", points=1, hidden=True)
def test_3cosmul_never_returns_a_query_word(student):
    _never_returns_a_query_word(student, "analogy_3cosmul")


@graded("analogy_3cosmul", points=1, hidden=True)
def test_3cosmul_unknown_word_raises_key_error(student):
    x, words, _ = _glove(2_000)
    _raises_key_error(student, "analogy_3cosmul('qwzxv', 'king', 'woman', x, words)", "analogy_3cosmul",
                      "qwzxv", "king", "woman", x, list(words))


# analogy_accuracy


@graded("analogy_accuracy", points=3)
def test_accuracy_reproduces_gensim_on_the_google_set(student):
    x, words, _ = _glove(REPRODUCE)
    what = "analogy_accuracy(questions, x, words, restrict_vocab=30000) on all 19,544 Google questions"
    got = _result(student.call("analogy_accuracy", list(_google()), x, list(words),
                               restrict_vocab=REPRODUCE), what)
    _same_accuracy(got, _reproduction(), what,
                   "reproduction of gensim's evaluate_word_analogies(path, restrict_vocab=30000)")


@graded("analogy_accuracy", points=2)
def test_accuracy_skips_out_of_vocabulary_questions(student):
    x, words, kv = _glove(SMALL)
    made_up = [("made-up words", "Qwzxv", "Vxzwq", "Zzqx", "Xqzz")] * 3
    mixed = [("some out of vocabulary", "athens", "greece", "qwzxv", "iraq"),
             ("some out of vocabulary", "man", "king", "woman", "queen"),
             ("some out of vocabulary", "good", "better", "bad", "worse"),
             ("some out of vocabulary", "walk", "walked", "swim", "swam"),
             ("some out of vocabulary", "Japan", "Tokyo", "Zimbabwe", "Harare")]
    questions = _section("family") + made_up + mixed
    what = f"analogy_accuracy(questions, x, words, restrict_vocab={SMALL}) with out-of-vocabulary questions"
    got = _result(student.call("analogy_accuracy", questions, x, list(words), restrict_vocab=SMALL), what)
    _same_accuracy(got, _gensim_accuracy(kv, questions, SMALL), what,
                   "out of vocabulary: a question with any word outside the restricted vocabulary is "
                   "skipped (neither correct nor incorrect; a section with nothing left has accuracy 0.0)")


@graded("analogy_accuracy", points=1, hidden=True)
def test_accuracy_restricts_the_vocabulary(student):
    x, words, kv = _glove(SMALL)
    questions = list(_google()[::4])
    what = f"analogy_accuracy(questions, x, words, restrict_vocab=1500) with {SMALL:,} words in x"
    got = _result(student.call("analogy_accuracy", questions, x, list(words), restrict_vocab=1_500), what)
    _same_accuracy(got, _gensim_accuracy(kv, questions, 1_500), what,
                   "vocabulary restriction: only the first restrict_vocab words exist, as question words "
                   "and as answers")


@graded("analogy_accuracy", points=1, hidden=True)
def test_accuracy_excludes_query_words(student):
    x, words, kv = _glove(SMALL)
    questions = _section("family") + _section("gram3-comparative")
    what = f"analogy_accuracy on the 'family' and 'gram3-comparative' questions, top {SMALL:,} words"
    got = _result(student.call("analogy_accuracy", questions, x, list(words), restrict_vocab=SMALL), what)
    _same_accuracy(got, _gensim_accuracy(kv, questions, SMALL), what,
                   "exclusion: a, b and c are never the answer (without that rule the answer is "
                   "usually c and accuracy collapses)")


def _case_vocabulary():
    """A small mixed-case vocabulary where case handling changes gensim's answers."""
    rng = np.random.default_rng(13)
    words = ["Paris", "France", "Rome", "Italy", "paris", "ROME", "Berlin", "germany", "Madrid",
             "Spain", "italy", "Germany", "spain", "tokyo", "Japan", "TOKYO"]
    x = rng.normal(size=(len(words), 4)).astype(np.float32)
    pairs = [("paris", "france"), ("ROME", "italy"), ("berlin", "GERMANY"), ("madrid", "Spain"),
             ("Tokyo", "japan")]
    questions = [("capitals", p, q, r, s) for p, q in pairs for r, s in pairs if p != r]
    return x, words, questions


@graded("analogy_accuracy", points=1, hidden=True)
def test_accuracy_ignores_case(student):
    x, words, questions = _case_vocabulary()
    what = "analogy_accuracy on a mixed-case vocabulary ('Paris', 'paris', 'ROME', ...)"
    got = _result(student.call("analogy_accuracy", questions, x, words, restrict_vocab=len(words)), what)
    _same_accuracy(got, _gensim_accuracy(_kv(x, words), questions, len(words)), what,
                   "case: compare words ignoring case; a question word stands for its first (most "
                   "frequent) spelling, and no spelling of a, b or c is ever the answer")


@functools.lru_cache(maxsize=None)
def _cosmul_oracle(n_questions: int):
    """gensim's 3CosMul answers to the first in-vocabulary Google questions, top 5,000 words."""
    _, words, kv = _glove(SMALL)
    known = set(words)
    questions = [q for q in _google()[::3] if all(w.lower() in known for w in q[1:])][:n_questions]
    result = {}
    for s, a, b, c, d in questions:
        best = kv.most_similar_cosmul(positive=[b.lower(), c.lower()], negative=[a.lower()], topn=1)
        sec = result.setdefault(s, {"accuracy": 0.0, "correct": 0, "incorrect": 0, "skipped": 0})
        sec["correct" if best[0][0] == d.lower() else "incorrect"] += 1
    for sec in result.values():
        sec["accuracy"] = sec["correct"] / (sec["correct"] + sec["incorrect"])
    correct = sum(s["correct"] for s in result.values())
    incorrect = sum(s["incorrect"] for s in result.values())
    return questions, {"accuracy": correct / (correct + incorrect), "correct": correct,
                       "incorrect": incorrect, "skipped": 0, "sections": result}


@graded("analogy_accuracy", points=1, hidden=True)
def test_accuracy_3cosmul_matches_gensim(student):
    x, words, _ = _glove(SMALL)
    questions, want = _cosmul_oracle(600)
    what = f"analogy_accuracy(questions, x, words, restrict_vocab={SMALL}, method='3cosmul', eps=1e-6)"
    got = _result(student.call("analogy_accuracy", list(questions), x, list(words), restrict_vocab=SMALL,
                               method="3cosmul", eps=1e-6), what)
    _same_accuracy(got, want, what, "3CosMul answers like gensim's most_similar_cosmul")
