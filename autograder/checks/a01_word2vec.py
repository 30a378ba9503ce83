"""Checks of assignment a01_word2vec: word vectors, nearest neighbours and analogies in numpy.

gensim is the oracle: `KeyedVectors.get_normed_vectors`, `cosine_similarities`, `most_similar`
(with weights, for 3CosAvg), `most_similar_cosmul` and `evaluate_word_analogies`, run on GloVe 6B
50d restricted to its most frequent words (`latentlab.data.glove(n)`) and on small seeded
matrices. Oracle results are computed once per process.

Each exercise is checked on its own. Most checks of the later exercises use unit-length rows,
on which a slip in `normalize_rows` or `cosine_similarity` changes nothing. Where a check needs
more (vectors of many lengths, a function the learner's code may reuse), it accepts a result
that agrees either with the oracle or with what a correct function would give on top of the
learner's own `normalize_rows`, `cosine_similarity` or `top_k`, so a bug costs points once, in
the exercise that has it.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from threadpoolctl import threadpool_limits

from autograder.api import (
    StudentError,
    describe,
    expect_array,
    expect_close,
    expect_error,
    expect_type,
    graded,
    learner_errors_fail,
)
from latentlab import data

A = "a01_word2vec"
SMALL = 5_000  # GloVe words used by the fast checks
REPRODUCE = 30_000  # the restriction of the reproduction check (and of the book page)
QUESTIONS = [("man", "king", "woman"), ("france", "paris", "italy"), ("good", "better", "bad"),
             ("walk", "walked", "run"), ("brother", "sister", "father"), ("big", "bigger", "small")]
RELATIONS = [  # (example pairs of one relation, c) for 3CosAvg, all among the 5,000 GloVe words
    ([("athens", "greece"), ("berlin", "germany"), ("madrid", "spain"), ("tokyo", "japan"),
      ("moscow", "russia")], "paris"),
    ([("brother", "sister"), ("father", "mother"), ("son", "daughter"), ("husband", "wife")], "king"),
    ([("walk", "walked"), ("go", "went"), ("see", "saw"), ("take", "took"), ("write", "wrote")], "run"),
    ([("good", "better"), ("big", "bigger"), ("small", "smaller")], "high"),
]


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
def _glove_unit(n: int):
    """The same words with unit rows (gensim's get_normed_vectors): (x_unit, words, gensim copy)."""
    x, words, kv = _glove(n)
    x_unit = np.array(kv.get_normed_vectors(), dtype=np.float32)
    x_unit.setflags(write=False)
    return x_unit, words, _kv(x_unit, words)


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
    """gensim's accuracy of GloVe on the full Google set, top 30,000 words (the page's number)."""
    return _gensim_accuracy(_glove(REPRODUCE)[2], _google(), REPRODUCE)


@functools.lru_cache(maxsize=None)
def _sampled_reproduction() -> tuple:
    """Every 4th Google question (all 14 sections) and gensim's accuracy on them, top 30,000 words."""
    questions = _google()[::4]
    return questions, _gensim_accuracy(_glove_unit(REPRODUCE)[2], questions, REPRODUCE)


def _section(name: str) -> list:
    return [q for q in _google() if q[0] == name]


def _synthetic(seed: int, n: int = 12, d: int = 4, unit: bool = False):
    """A seeded (n, d) float32 matrix, words w0..w{n-1}; rows of lengths 0.2 to 5, or unit rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    x = x / np.linalg.norm(x, axis=1, keepdims=True) if unit else x * rng.uniform(0.2, 5.0, size=(n, 1))
    return x.astype(np.float32), [f"w{i}" for i in range(n)]


def _ranked(scores, words, k: int, exclude=()) -> list:
    """The k best (word, score) of `scores` (n,), best first, ties in vocabulary order, words of
    `exclude` left out: what a correct top_k gives on these scores."""
    scores = np.asarray(scores, dtype=np.float64)
    banned = set(exclude)
    order = sorted((i for i in range(len(words)) if words[i] not in banned), key=lambda i: (-scores[i], i))
    return [(words[i], float(scores[i])) for i in order[:k]]


# what came back


def _as_pairs(value) -> list | None:
    """`value` as [(str, float)] if it is a list of (word, score) pairs, else None."""
    if type(value) not in (list, tuple):
        return None
    out = []
    for item in value:
        if type(item) not in (list, tuple) or len(item) != 2 or type(item[0]) is not str \
                or type(item[1]) not in (float, int):
            return None
        out.append((item[0], float(item[1])))
    return out


def _pairs(value, what: str, n: int) -> list:
    """Validate a list of exactly n (word, score) pairs and return it as [(str, float)]."""
    expect_type(value, (list, tuple), f"{what}: the list of (word, score) pairs")
    if len(value) != n:
        raise AssertionError(f"exactly k: expected {what} to return {n} (word, score) pairs, best first, "
                             f"got {len(value)}")
    for item in value:
        if type(item) not in (list, tuple) or len(item) != 2:
            raise AssertionError(f"{what}: expected (word, score) pairs, got the item {describe(item)}")
        expect_type(item[0], str, f"{what}: the word of each pair")
        expect_type(item[1], (float, int), f"{what}: the score of each pair")
    return _as_pairs(value)


def _agree(got: list | None, want: list | None, words_only: bool = False, rtol=1e-4, atol=1e-5) -> bool:
    """Whether two (word, score) lists hold the same words in the same order (and close scores)."""
    if got is None or want is None or [w for w, _ in got] != [w for w, _ in want]:
        return False
    return words_only or bool(np.allclose([s for _, s in got], [s for _, s in want], rtol=rtol, atol=atol))


def _hint(hints, *args) -> str:
    """The text of the first (symptom, text) whose symptom holds for `args`, as a sentence tail
    (`text` may be a function of `args`)."""
    for symptom, text in hints:
        try:
            if symptom(*args):
                return f". {text(*args) if callable(text) else text}"
        except Exception:  # noqa: BLE001 - a hint that cannot be evaluated is not given
            continue
    return ""


def _call(student, prop: str, name: str, *args, **kwargs):
    """The learner's `name`(*args, **kwargs); an exception it raises fails the check's property."""
    with learner_errors_fail(prop):
        return student.call(name, *args, **kwargs)


def _explained(got, also_right, words_only: bool = False) -> bool:
    """Whether `got` is what a correct function gives on top of the learner's own version of
    another exercise: `also_right` holds callables returning such answers (or None)."""
    return got is not None and any(_agree(got, other(), words_only) for other in also_right)


def _expect_pairs(raw, want: list, what: str, prop: str, n: int, also_right=(), hints=(), score_hints=(),
                  words_only: bool = False, rtol=1e-4, atol=1e-5) -> None:
    """Assert that the learner's answer `raw` holds the oracle's words in order (and scores), or
    what a correct function gives on top of the learner's own top_k, cosine_similarity or
    normalize_rows (`also_right`), so that a bug there is not charged here.

    `hints` are (symptom(got_words, want_words), text); `score_hints` are expect_close's, for
    the scores when the words are right."""
    got = _as_pairs(raw)
    if got is not None and (_agree(got, want, words_only, rtol, atol) or _explained(got, also_right, words_only)):
        return
    if got is None:
        got = _pairs(raw, what, n)
    got_words, want_words = [w for w, _ in got], [w for w, _ in want]
    if got_words != want_words:
        count = "" if len(got) == n else f" ({len(got)} pairs for k = {n})"
        raise AssertionError(f"{prop}: expected {what} to return {want_words} (best first), got {got_words}{count}"
                             + _hint(hints, got_words, want_words))
    expect_close([s for _, s in got], [s for _, s in want], f"{prop}: the scores of {what} (the words are right)",
                 rtol=rtol, atol=atol, hints=score_hints)


def _expect_none_of(raw, banned, what: str, prop: str, n: int, rule: str, also_right=()) -> None:
    """Assert that the learner's answer `raw` holds n pairs and no word of `banned`, unless a
    correct function on top of the learner's own top_k gives the same answer."""
    got = _as_pairs(raw)
    if got is not None and len(got) == n and not any(w in banned for w, _ in got):
        return
    if _explained(got, also_right, words_only=True):
        return
    got = _pairs(raw, what, n)
    leaked = [w for w, _ in got if w in banned]
    raise AssertionError(f"{prop}: expected {rule} from {what}, got {leaked} among {[w for w, _ in got]}")


def _mine(student, name: str, *args, **kwargs):
    """What the learner's own `name` returns for these arguments, or None when it fails."""
    try:
        return student.call(name, *args, **kwargs)
    except StudentError:
        return None


def _on_learners_cosine(student, v, x, words, k, exclude=()):
    """The answer of a correct top_k built on the learner's own cosine_similarity, or None."""
    scores = _mine(student, "cosine_similarity", np.asarray(v), x)
    if not (isinstance(scores, np.ndarray) and scores.shape == (len(words),) and np.isfinite(scores).all()):
        return None
    return _ranked(scores, words, k, exclude)


def _on_learners_top_k(student, target, x, words, k, exclude):
    """The learner's own top_k on the grader's target and exclusion, as a pair list, or None."""
    return _as_pairs(_mine(student, "top_k", np.asarray(target, dtype=np.float32), x, list(words), k=k,
                           exclude=list(exclude)))


def _on_learners_rows(student, rows, finite: bool = True):
    """The learner's normalize_rows of `rows` (m, d), or None when it fails or has the wrong shape."""
    out = _mine(student, "normalize_rows", np.asarray(rows))
    ok = isinstance(out, np.ndarray) and out.shape == np.shape(rows) and out.dtype.kind in "fiu" \
        and (np.isfinite(out).all() or not finite)
    return np.asarray(out, dtype=np.float64) if ok else None


def _raises_key_error(student, prop: str, what: str, name: str, *args, **kwargs) -> None:
    """Assert that the learner's `name` raises KeyError for these arguments."""
    expect_error("KeyError", f"{prop}: {what}", student.call, name, *args, **kwargs)


# normalize_rows


@graded("normalize_rows", points=1)
def test_normalize_rows_gives_unit_rows(student):
    x, words = _synthetic(0, n=6, d=4)
    what = "normalize_rows(x) for x of shape (6, 4)"
    got = expect_array(_call(student, f"unit rows: {what}", "normalize_rows", x), what, shape=(6, 4))
    want = _kv(x, words).get_normed_vectors()
    expect_close(np.linalg.norm(got, axis=1), np.ones(6), f"unit rows: the length of every row of {what}",
                 atol=1e-5, hints=[
                     (lambda g, w: np.allclose(np.linalg.norm(got, axis=0), 1, atol=1e-5),
                      "Each column has length 1: divide each row by its own length (axis 1), not each column"),
                     (lambda g, w: np.allclose(g, 1 / np.linalg.norm(x, axis=1), rtol=1e-3),
                      "Each length is 1 / |x_i|: divide by the length, not by its square"),
                     (lambda g, w: np.allclose(g, np.linalg.norm(x, axis=1), rtol=1e-3),
                      "The rows kept their lengths: nothing was divided")])
    expect_close(got, want, f"same direction: {what} row by row, against gensim's get_normed_vectors",
                 atol=1e-5, hints=[(lambda g, w: np.allclose(g, -w, atol=1e-5), "Every row points the other way")])


@graded("normalize_rows", points=1)
def test_normalize_rows_keeps_zero_rows_zero(student):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]])
    what = "normalize_rows(x) for a (3, 2) x with a zero row"
    got = expect_array(_call(student, f"zero rows: {what}", "normalize_rows", x), what, shape=(3, 2))
    expect_close(got, [[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]],
                 "zero rows: normalize_rows([[3, 4], [0, 0], [0, -2]]), a row of zeros has no direction and "
                 "stays zeros", hints=[(lambda g, w: np.isnan(g).any(),
                                        "A NaN means a zero length was divided by: leave a zero row as it is")])


@graded("normalize_rows", points=1, hidden=True)
def test_normalize_rows_accepts_integer_counts(student):
    x = np.array([[3, 4], [0, 0], [1, 0], [0, 7]])  # e.g. co-occurrence counts
    with learner_errors_fail("integer input: normalize_rows(x) for integer counts should return a new float "
                             "array, leaving x unchanged (dividing x in place cannot hold fractions)"):
        got = expect_array(student.call("normalize_rows", x), "normalize_rows(x) for an integer (4, 2) x",
                           shape=(4, 2))
    want = np.array([[0.6, 0.8], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    expect_close(got, want, "integer input: normalize_rows([[3, 4], [0, 0], [1, 0], [0, 7]]), a new float array",
                 hints=[(lambda g, w: np.array_equal(g, np.trunc(w)),
                         "The fractions were cut to integers: were the results written back into x?")])
    x_float, _ = _synthetic(4, n=5, d=3)
    with learner_errors_fail("x unchanged: normalize_rows(x) for a float (5, 3) x"):
        _, changed = student.call_watching("normalize_rows", x_float)
    assert not changed, (
        "x unchanged: normalize_rows(x) should return a new array and leave the caller's x as it was, got x "
        "changed in place (divide into a new array instead of assigning into x)")


# cosine_similarity


def _expect_cosines(student, got, v, x, want, prop: str, hints=()) -> None:
    """Assert cosines equal the oracle's, or a correct cosine on the learner's own normalize_rows
    (so that a bug there is not charged here)."""
    if np.allclose(got, want, atol=1e-5) and not np.isnan(got).any():
        return
    x_hat = _on_learners_rows(student, x, finite=False)
    v_hat = _on_learners_rows(student, np.asarray(v)[None, :], finite=False)
    if x_hat is not None and v_hat is not None and np.allclose(got, x_hat @ v_hat[0], atol=1e-5, equal_nan=True):
        return
    expect_close(got, want, prop, atol=1e-5, hints=hints)


NAN_HINT = (lambda g, w: np.isnan(g).any(), "A NaN means a zero length was divided by: a zero vector has cosine 0")


def _side_hints(v, x):
    """(symptom, hint) pairs naming the side that was not normalised."""
    v_len, x_len = np.linalg.norm(v), np.linalg.norm(x, axis=1)
    return [NAN_HINT,
            (lambda g, w: np.allclose(g, w * v_len * x_len, atol=1e-4), "These are raw dot products: divide by "
             "both lengths"),
            (lambda g, w: np.allclose(g, w * v_len, atol=1e-4), "Each value is the cosine times |v|: v is not "
             "normalised"),
            (lambda g, w: np.allclose(g, w * x_len, atol=1e-4), "Each value is the cosine times the length of "
             "its row: the rows of x are not normalised"),
            (lambda g, w: np.allclose(g, 1 - w, atol=1e-4), "That is 1 - cosine, the cosine distance")]


@graded("cosine_similarity", points=1, depends=("normalize_rows",))
def test_cosine_similarity_matches_gensim(student):
    x, words, kv = _glove(SMALL)
    for word in ["king", "dog"]:
        v = x[words.index(word)]
        what = f"cosine_similarity(vector of '{word}', x) for the {SMALL:,} most frequent GloVe words"
        got = expect_array(_call(student, f"cosines: {what}", "cosine_similarity", v, x), what, shape=(SMALL,))
        _expect_cosines(student, got, v, x, kv.cosine_similarities(v, x),
                        f"cosine against gensim's cosine_similarities: {what}", _side_hints(v, x))


@graded("cosine_similarity", points=2, depends=("normalize_rows",))
def test_cosine_similarity_ignores_vector_length(student):
    x, words = _synthetic(1, n=8, d=5)
    v = np.random.default_rng(2).normal(size=5).astype(np.float32) * 2.5
    scale = np.random.default_rng(3).uniform(0.1, 10.0, size=(8, 1)).astype(np.float32)
    what = "cosine_similarity(v, x)"
    base = expect_array(_call(student, f"cosines: {what}", "cosine_similarity", v, x), what, shape=(8,))
    _expect_cosines(student, base, v, x, _kv(x, words).cosine_similarities(v, x),
                    f"cosines in [-1, 1]: {what} for rows of lengths 0.2 to 5 and |v| = {np.linalg.norm(v):.2f}",
                    _side_hints(v, x))
    what = "cosine_similarity(3.7 * v, each row of x times a positive number)"
    scaled = expect_array(_call(student, f"cosines: {what}", "cosine_similarity", 3.7 * v, scale * x), what,
                          shape=(8,))
    _expect_cosines(student, scaled, 3.7 * v, scale * x, base,
                    f"length does not matter: {what}, against cosine_similarity(v, x)",
                    _side_hints(3.7 * v, scale * x))


@graded("cosine_similarity", points=1, hidden=True, depends=("normalize_rows",))
def test_cosine_similarity_zero_vectors_give_zero(student):
    x = np.array([[1.0, 0.0], [0.0, 0.0], [-1.0, 1.0]])
    for v, want, what in [
            (np.array([2.0, 0.0]), np.array([1.0, 0.0, -np.sqrt(0.5)]),
             "cosine_similarity([2, 0], [[1, 0], [0, 0], [-1, 1]]), where a zero row has cosine 0"),
            (np.zeros(2), np.zeros(3), "cosine_similarity([0, 0], x), where a zero v has cosine 0 with every row")]:
        got = expect_array(_call(student, f"zero vectors: {what}", "cosine_similarity", v, x), what, shape=(3,))
        _expect_cosines(student, got, v, x, want, f"zero vectors: {what} (never NaN)", [NAN_HINT])


# top_k


def _top_k(student, prop, *args, **kwargs):
    return _call(student, prop, "top_k", *args, **kwargs)


@graded("top_k", points=2, depends=("cosine_similarity",))
def test_top_k_matches_gensim_most_similar(student):
    x, words, kv = _glove_unit(SMALL)
    prop = "nearest neighbours like gensim's most_similar"
    for word in ["dog", "france", "computer", "river"]:
        what = f"top_k('{word}', x, words, k=10) on unit GloVe rows"
        _expect_pairs(_top_k(student, prop, word, x, list(words), k=10), kv.most_similar(word, topn=10), what,
                      prop, 10,
                      also_right=[lambda w=word: _on_learners_cosine(student, x[words.index(w)], x, words, 10, [w])],
                      hints=[(lambda g, w, q=word: q in g, f"'{word}' itself is returned: a query word is "
                              "excluded from its own neighbours")])


@graded("top_k", points=1, depends=("cosine_similarity",))
def test_top_k_returns_exactly_k_best_first(student):
    x, words = _synthetic(4, n=20, d=6, unit=True)
    kv = _kv(x, words)
    v = np.random.default_rng(5).normal(size=6)
    v = (v / np.linalg.norm(v)).astype(np.float32)
    prop = "the k best, best first"
    for k in (1, 3, 7):
        what = f"top_k(v, x, words, k={k}) for a unit vector v and 20 unit rows"
        _expect_pairs(_top_k(student, prop, v, x, words, k=k), kv.most_similar(positive=[v], topn=k), what, prop, k,
                      also_right=[lambda k=k: _on_learners_cosine(student, v, x, words, k)],
                      hints=[(lambda g, w: g == w[::-1], "That is worst first"),
                             (lambda g, w: g[:-1] == w[1:], "The best word is missing")])


@graded("top_k", points=1, depends=("cosine_similarity",))
def test_top_k_never_returns_excluded_words(student):
    x, words = _synthetic(6, n=15, d=5, unit=True)
    kv = _kv(x, words)
    v = x[3] + 0.1 * x[5]  # nearest to w3, then probably w5
    v /= np.linalg.norm(v)
    exclude = ["w3", "w5", "w8"]
    prop = "exclusion: words of `exclude` are never returned, and k of the others are"
    what = "top_k(v, x, words, k=6, exclude=['w3', 'w5', 'w8'])"
    raw = _top_k(student, prop, v, x, words, k=6, exclude=exclude)
    ranked = kv.most_similar(positive=[v], topn=len(words))
    _expect_pairs(raw, [(w, s) for w, s in ranked if w not in exclude][:6], what, prop, 6,
                  also_right=[lambda: _on_learners_cosine(student, v, x, words, 6, exclude)],
                  hints=[(lambda g, w: any(u in exclude for u in g), "A word of `exclude` is returned")])
    what = "top_k('w3', x, words, k=4)"
    _expect_none_of(_top_k(student, prop, "w3", x, words, k=4), {"w3"}, what,
                    "exclusion: a query word is never its own neighbour", 4, "no 'w3' (gensim's most_similar "
                    "leaves the query word out)")
    what = "top_k('w3', x, words, k=20, exclude=['w5']) for 15 words, of which 13 remain"
    prop = "fewer than k remain: then all of them are returned, and nothing else"
    ranked = [(w, s) for w, s in kv.most_similar("w3", topn=len(words)) if w != "w5"]
    _expect_pairs(_top_k(student, prop, "w3", x, words, k=20, exclude=["w5"]), ranked, what, prop, 13,
                  also_right=[lambda: _on_learners_cosine(student, x[3], x, words, 20, ["w3", "w5"])],
                  hints=[(lambda g, w: "w5" in g or "w3" in g, "An excluded word is returned to make up k")])


@graded("top_k", points=1, depends=("cosine_similarity",))
def test_top_k_ranks_by_cosine_not_dot_product(student):
    x, words = _synthetic(12, n=30, d=5)  # rows of lengths 0.2 to 5
    kv = _kv(x, words)
    prop = "ranked by cosine: vector lengths do not matter"
    for word in ["w0", "w7"]:
        i = words.index(word)
        what = f"top_k('{word}', x, words, k=5) for rows of lengths 0.2 to 5"
        _expect_pairs(_top_k(student, prop, word, x, words, k=5), kv.most_similar(word, topn=5), what, prop, 5,
                      also_right=[lambda i=i: _on_learners_cosine(student, x[i], x, words, 5, [words[i]])],
                      hints=[(lambda g, w, i=i: g == [u for u, _ in _ranked(x @ x[i], words, 5, [words[i]])],
                              "That is the ranking by raw dot products: long vectors win whatever their direction")])


@graded("top_k", points=1, hidden=True, depends=("cosine_similarity",))
def test_top_k_breaks_ties_by_vocabulary_order(student):
    directions = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-0.6, 0.8], [-1.0, 0.0]])
    x = directions[np.random.default_rng(23).integers(0, len(directions), size=60)]  # (60, 2), many exact ties
    words = [f"w{i}" for i in range(len(x))]
    v = np.array([1.0, 0.0])
    prop = "ties: equal cosines keep the order of `words`, lower index (more frequent) first"
    what = "top_k([1, 0], x, words, k=30) for 60 words on 5 directions, so that most cosines are tied"
    _expect_pairs(_top_k(student, prop, v, x, words, k=30), _ranked(x @ v, words, 30), what, prop, 30,
                  also_right=[lambda: _on_learners_cosine(student, v, x, words, 30)],
                  hints=[(lambda g, w: sorted(g) == sorted(w), "The right words in another order among equals: "
                          "a sort that is not stable (numpy's default quicksort, argpartition) does not keep "
                          "ties in index order")])


@graded("top_k", points=1, hidden=True)
def test_top_k_unknown_word_raises_key_error(student):
    x, words, _ = _glove_unit(2_000)
    _raises_key_error(student, "out of vocabulary", "top_k('qwzxv', x, words) for a word not in `words`",
                      "top_k", "qwzxv", x, list(words), k=3)
    _raises_key_error(student, "exact match, case included",
                      "top_k('City', x, words), where `words` holds 'city' but not 'City'", "top_k", "City", x,
                      list(words), k=3)


def _mixed_case():
    """Unit vectors of a vocabulary with several spellings of one word."""
    words = ["paris", "Paris", "rome", "Rome", "ROME", "berlin", "madrid", "london", "PARIS", "tokyo"]
    x, _ = _synthetic(21, n=len(words), d=4, unit=True)
    x[1] = 0.8 * x[0] + 0.6 * x[5]  # 'Paris' between 'paris' and 'berlin'
    x[3], x[4] = 0.9 * x[1] + 0.1 * x[2], 0.8 * x[1] + 0.2 * x[2]  # other spellings of 'rome' near 'Paris'
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), words


@graded("top_k", points=1, hidden=True, depends=("cosine_similarity",))
def test_top_k_matches_words_exactly(student):
    x, words = _mixed_case()
    kv = _kv(x, words)
    prop = "exact match: the query 'Paris' is the row of 'Paris', and only 'Paris' is left out"
    what = "top_k('Paris', x, words, k=9) with 'paris', 'Paris' and 'PARIS' all in `words`"
    _expect_pairs(_top_k(student, prop, "Paris", x, words, k=9), kv.most_similar("Paris", topn=9), what, prop, 9,
                  also_right=[lambda: _on_learners_cosine(student, x[1], x, words, 9, ["Paris"])],
                  hints=[(lambda g, w: "paris" not in g or "PARIS" not in g,
                          "Another spelling of 'Paris' is missing: words are matched exactly, case included")])
    exclude = ["ROME", "berlin", "Madrid"]
    prop = ("exact match: exclude=['ROME', 'berlin', 'Madrid'] leaves out 'ROME' and 'berlin' only ('Madrid' "
            "is not a word of `words`)")
    what = "top_k('Paris', x, words, k=6, exclude=['ROME', 'berlin', 'Madrid'])"
    ranked = [(w, s) for w, s in kv.most_similar("Paris", topn=9) if w not in exclude][:6]
    _expect_pairs(_top_k(student, prop, "Paris", x, words, k=6, exclude=exclude), ranked, what, prop, 6,
                  also_right=[lambda: _on_learners_cosine(student, x[1], x, words, 6, ["Paris", *exclude])],
                  hints=[(lambda g, w: "Rome" not in g or "rome" not in g or "madrid" not in g,
                          "A word that differs only in case from one of `exclude` is missing: `exclude` is matched "
                          "exactly, case included")])


@graded("top_k", points=1, hidden=True, depends=("cosine_similarity",))
def test_top_k_ignores_unknown_excluded_words(student):
    x, words = _synthetic(7, n=10, d=4, unit=True)
    prop = "out of vocabulary: words of `exclude` that are not in `words` are ignored"
    what = "top_k('w2', x, words, k=3, exclude=['not-a-word', 'w0'])"
    ranked = _kv(x, words).most_similar("w2", topn=len(words))
    _expect_pairs(_top_k(student, prop, "w2", x, words, k=3, exclude=["not-a-word", "w0"]),
                  [(w, s) for w, s in ranked if w != "w0"][:3], what, prop, 3,
                  also_right=[lambda: _on_learners_cosine(student, x[2], x, words, 3, ["w2", "w0"])])


# analogy_3cosadd


def _offset_target(x, words, a, b, c, rows=None):
    """b_hat - a_hat + c_hat from `rows` (the unit vectors of a, b, c; gensim's by default)."""
    if rows is None:
        rows = _kv(x, words).get_normed_vectors()[[list(words).index(w) for w in (a, b, c)]]
    return rows[1] - rows[0] + rows[2]


def _add_also_right(student, x, words, a, b, c, k):
    """Answers a correct 3CosAdd gives on top of the learner's own top_k (and normalize_rows)."""
    rows = x[[list(words).index(w) for w in (a, b, c)]]
    return [lambda: _on_learners_top_k(student, _offset_target(x, words, a, b, c), x, words, k, (a, b, c)),
            lambda: (None if (r := _on_learners_rows(student, rows)) is None else
                     _on_learners_top_k(student, _offset_target(x, words, a, b, c, r), x, words, k, (a, b, c)))]


def _3cosadd(student, prop, *args, **kwargs):
    return _call(student, prop, "analogy_3cosadd", *args, **kwargs)


@graded("analogy_3cosadd", points=2, depends=("normalize_rows", "top_k"))
def test_3cosadd_matches_gensim_most_similar(student):
    x, words, kv = _glove_unit(SMALL)
    prop = "3CosAdd like gensim's most_similar(positive=[b, c], negative=[a])"
    for a, b, c in QUESTIONS:
        what = f"analogy_3cosadd('{a}', '{b}', '{c}', x, words, k=5) on unit GloVe rows"
        _expect_pairs(_3cosadd(student, prop, a, b, c, x, list(words), k=5),
                      kv.most_similar(positive=[b, c], negative=[a], topn=5), what, prop, 5, words_only=True,
                      also_right=_add_also_right(student, x, words, a, b, c, 5),
                      hints=[(lambda g, w, a=a, b=b, c=c: g == [u for u, _ in kv.most_similar(
                          positive=[a, c], negative=[b], topn=5)], "That is the answer to b : a :: c : ?: the "
                          "offset has the wrong sign")])


@graded("analogy_3cosadd", points=1, depends=("normalize_rows", "top_k"))
def test_3cosadd_offset_is_b_minus_a_plus_c(student):
    rng = np.random.default_rng(9)
    a, b, c = rng.normal(size=(3, 6))
    a, b, c = (u / np.linalg.norm(u) for u in (a, b, c))
    planted = {"b-a+c": b - a + c, "a-b+c": a - b + c, "a+b-c": a + b - c, "a+b+c": a + b + c,
               "-a-b+c": -a - b + c}
    words = ["a", "b", "c", *planted] + [f"w{i}" for i in range(8)]
    x = np.vstack([a, b, c, *planted.values(), rng.normal(size=(8, 6))])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    prop = "offset sign: the target is the offset from a to b, b_hat - a_hat, added to c_hat"
    what = "analogy_3cosadd('a', 'b', 'c', x, words, k=1), with a word planted at each signed combination"
    _expect_pairs(_3cosadd(student, prop, "a", "b", "c", x, words, k=1), [("b-a+c", 1.0)], what, prop, 1,
                  words_only=True, also_right=_add_also_right(student, x, words, "a", "b", "c", 1))


@graded("analogy_3cosadd", points=1, depends=("normalize_rows", "top_k"))
def test_3cosadd_never_returns_a_query_word(student):
    x, words, _ = _glove_unit(SMALL)
    prop = "exclusion: a, b and c are never the answer"
    for a, b, c in QUESTIONS:
        what = f"analogy_3cosadd('{a}', '{b}', '{c}', x, words, k=10)"
        _expect_none_of(_3cosadd(student, prop, a, b, c, x, list(words), k=10), {a, b, c}, what, prop, 10,
                        "none of the three query words (gensim leaves them out)",
                        also_right=_add_also_right(student, x, words, a, b, c, 10))


@graded("analogy_3cosadd", points=1, hidden=True, depends=("normalize_rows", "top_k"))
def test_3cosadd_normalises_before_combining(student):
    x, words = _synthetic(3, n=40, d=5, unit=True)
    x[[0, 1, 2, 3, 5, 7, 10, 4, 6]] *= np.array([[6.0], [0.2], [3.0], [0.3], [5.0], [0.25], [4.0], [0.2], [2.5]])
    kv = _kv(x, words)
    prop = ("unit vectors first: the offset is made from the unit vectors of a, b and c, so that a long vector "
            "does not dominate")
    for a, b, c in [("w0", "w1", "w2"), ("w3", "w5", "w7"), ("w10", "w4", "w6")]:
        what = f"analogy_3cosadd('{a}', '{b}', '{c}', x, words, k=3), where a, b and c have lengths 0.2 to 6"
        _expect_pairs(_3cosadd(student, prop, a, b, c, x, words, k=3),
                      kv.most_similar(positive=[b, c], negative=[a], topn=3), what, prop, 3, words_only=True,
                      also_right=_add_also_right(student, x, words, a, b, c, 3))


@graded("analogy_3cosadd", points=1, hidden=True, depends=("normalize_rows", "top_k"))
def test_3cosadd_scores_are_cosines_with_the_target(student):
    x, words, kv = _glove_unit(SMALL)
    prop = "scores: the score of a word is the cosine between its vector and the target"
    for a, b, c in QUESTIONS[:3]:
        what = f"analogy_3cosadd('{a}', '{b}', '{c}', x, words, k=5)"
        length = np.linalg.norm(_offset_target(x, words, a, b, c))
        _expect_pairs(_3cosadd(student, prop, a, b, c, x, list(words), k=5),
                      kv.most_similar(positive=[b, c], negative=[a], topn=5), what, prop, 5,
                      also_right=_add_also_right(student, x, words, a, b, c, 5),
                      score_hints=[(lambda g, w, n=length: np.allclose(g, w * n, rtol=1e-3),
                                    "Each score is the cosine times the length of the target: divide by it too")])


@graded("analogy_3cosadd", points=1, hidden=True)
def test_3cosadd_unknown_word_raises_key_error(student):
    x, words, _ = _glove_unit(2_000)
    _raises_key_error(student, "out of vocabulary", "analogy_3cosadd('man', 'king', 'qwzxv', x, words)",
                      "analogy_3cosadd", "man", "king", "qwzxv", x, list(words))
    _raises_key_error(student, "exact match, case included",
                      "analogy_3cosadd('Man', 'king', 'woman', x, words), where `words` holds 'man', not 'Man'",
                      "analogy_3cosadd", "Man", "king", "woman", x, list(words))


# analogy_3cosmul


def _3cosmul(student, prop, *args, **kwargs):
    return _call(student, prop, "analogy_3cosmul", *args, **kwargs)


def _mul_also_right(student, a, b, c, x, words, k, eps):
    """The answer of a correct 3CosMul built on the learner's own cosine_similarity, or None."""
    def answer():
        index = {w: i for i, w in enumerate(words)}
        shifted = []
        for w in (a, b, c):
            cos = _mine(student, "cosine_similarity", x[index[w]], x)
            if not (isinstance(cos, np.ndarray) and cos.shape == (len(words),) and np.isfinite(cos).all()):
                return None
            shifted.append((1 + np.asarray(cos, dtype=np.float64)) / 2)
        return _ranked(shifted[1] * shifted[2] / (shifted[0] + eps), list(words), k, (a, b, c))
    return [answer]


@graded("analogy_3cosmul", points=2, depends=("cosine_similarity",))
def test_3cosmul_matches_gensim_most_similar_cosmul(student):
    x, words, kv = _glove_unit(SMALL)
    prop = "3CosMul like gensim's most_similar_cosmul(positive=[b, c], negative=[a])"
    for a, b, c in QUESTIONS:
        what = f"analogy_3cosmul('{a}', '{b}', '{c}', x, words, k=5, eps=1e-6) on unit GloVe rows"
        _expect_pairs(_3cosmul(student, prop, a, b, c, x, list(words), k=5, eps=1e-6),
                      kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5), what, prop, 5,
                      also_right=_mul_also_right(student, a, b, c, x, words, 5, 1e-6),
                      score_hints=[(lambda g, w: np.allclose(g, 2 * w, rtol=1e-3), "Each score is twice gensim's: "
                                    "a shifted cosine is (1 + cos) / 2")])


@graded("analogy_3cosmul", points=1, depends=("cosine_similarity",))
def test_3cosmul_shifts_cosines_to_0_1(student):
    x, words = _synthetic(11, n=10, d=3, unit=True)  # in 3 dimensions many cosines are negative
    prop = "cosines shifted to [0, 1] before they are multiplied and divided"
    what = "analogy_3cosmul('w0', 'w1', 'w2', x, words, k=7, eps=1e-6), every candidate"
    raw = _3cosmul(student, prop, "w0", "w1", "w2", x, words, k=7, eps=1e-6)
    also_right = _mul_also_right(student, "w0", "w1", "w2", x, words, 7, 1e-6)
    got = _as_pairs(raw)
    negative = [(w, round(s, 4)) for w, s in got or [] if s < 0]
    if negative and not _explained(got, also_right):
        raise AssertionError(f"{prop}: expected no negative score from {what} (each factor of the objective is a "
                             f"shifted cosine, in [0, 1]), got {negative}")
    _expect_pairs(raw, _kv(x, words).most_similar_cosmul(positive=["w1", "w2"], negative=["w0"], topn=7), what,
                  prop, 7, also_right=also_right)


@graded("analogy_3cosmul", points=1, depends=("cosine_similarity",))
def test_3cosmul_default_eps_is_0_001(student):
    x, words, kv = _glove_unit(SMALL)
    a, b, c = "man", "king", "woman"
    prop = "epsilon: the default eps is 0.001 (Levy & Goldberg 2014)"
    what = f"analogy_3cosmul('{a}', '{b}', '{c}', x, words, k=5) with the default eps"
    got = _pairs(_3cosmul(student, prop, a, b, c, x, list(words), k=5), what, 5)
    s = {w: (1 + kv.cosine_similarities(x[kv.key_to_index[w]], x)) / 2 for w in (a, b, c)}  # (n,) each
    for word, score in got:
        i = kv.key_to_index.get(word)
        if i is None:
            raise AssertionError(f"vocabulary: expected every answer of {what} to be a word of `words`, got {word!r}")
        want = float(s[b][i] * s[c][i] / (s[a][i] + 1e-3))
        if np.isclose(score, want, rtol=2e-5):
            continue
        if _explained(got, _mul_also_right(student, a, b, c, x, words, 5, 1e-3)):
            return
        expect_close(score, want, f"{prop}: the score of '{word}' from {what}", rtol=2e-5, atol=0.0, digits=6,
                     hints=[(lambda g, w, i=i: np.isclose(g, s[b][i] * s[c][i] / (s[a][i] + 1e-6), rtol=2e-5),
                             "That is the score with eps = 1e-6, gensim's: the default here is 1e-3"),
                            (lambda g, w, i=i: np.isclose(g, s[b][i] * s[c][i] / s[a][i], rtol=2e-5),
                             "That is the score without eps: eps is added to the denominator"),
                            (lambda g, w, i=i: np.isclose(g, (2 * s[b][i] - 1) * (2 * s[c][i] - 1)
                                                          / (2 * s[a][i] - 1 + 1e-3), rtol=2e-5),
                             "That is the score from raw cosines: shift them to [0, 1] first")])


@graded("analogy_3cosmul", points=1, hidden=True, depends=("cosine_similarity",))
def test_3cosmul_stays_finite_when_a_word_points_away_from_a(student):
    a, b, c = [1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.6, 0.0, 0.8]
    x = np.array([a, b, c, [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.6, 0.8]])
    words = ["a", "b", "c", "anti-a", "y", "z", "yz"]
    prop = "epsilon: a word pointing exactly away from a still gets a finite score"
    what = "analogy_3cosmul('a', 'b', 'c', x, words, k=4), where 'anti-a' = -a"
    raw = _3cosmul(student, prop, "a", "b", "c", x, words, k=4)
    got = _as_pairs(raw)
    if got is not None and _explained(got, _mul_also_right(student, "a", "b", "c", x, words, 4, 1e-3)):
        return
    got = dict(_pairs(raw, what, 4))
    want = 0.2 * 0.2 / 1e-3  # s('anti-a', b) = s('anti-a', c) = (1 - 0.6) / 2, s('anti-a', a) = 0
    if "anti-a" not in got:
        raise AssertionError(f"{prop}: expected 'anti-a', whose shifted cosine with a is 0, among the 4 best of "
                             f"{what} with the score {want:g}, got {sorted(got)}")
    expect_close(got["anti-a"], want, f"{prop}: the score of 'anti-a' from {what}, 0.2 * 0.2 / (0 + 0.001)",
                 rtol=1e-3, hints=[(lambda g, w: not np.isfinite(g), "Without eps the division by 0 is infinite")])


@graded("analogy_3cosmul", points=1, hidden=True)
def test_3cosmul_never_returns_a_query_word(student):
    x, words, _ = _glove_unit(SMALL)
    prop = "exclusion: a, b and c are never the answer"
    for a, b, c in QUESTIONS:
        what = f"analogy_3cosmul('{a}', '{b}', '{c}', x, words, k=10)"
        _expect_none_of(_3cosmul(student, prop, a, b, c, x, list(words), k=10), {a, b, c}, what, prop, 10,
                        "none of the three query words (gensim leaves them out)")


@graded("analogy_3cosmul", points=1, hidden=True, depends=("cosine_similarity",))
def test_3cosmul_ignores_vector_length(student):
    x, words = _synthetic(14, n=30, d=4)
    x[:3] /= np.linalg.norm(x[:3], axis=1, keepdims=True)  # a, b, c of unit length, the candidates not
    kv = _kv(x, words)
    prop = "lengths do not matter: 3CosMul is made of cosines"
    what = "analogy_3cosmul('w0', 'w1', 'w2', x, words, k=5, eps=1e-6), candidates of lengths 0.2 to 5"
    _expect_pairs(_3cosmul(student, prop, "w0", "w1", "w2", x, words, k=5, eps=1e-6),
                  kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w0"], topn=5), what, prop, 5,
                  also_right=_mul_also_right(student, "w0", "w1", "w2", x, words, 5, 1e-6))


@graded("analogy_3cosmul", points=1, hidden=True)
def test_3cosmul_unknown_word_raises_key_error(student):
    x, words, _ = _glove_unit(2_000)
    _raises_key_error(student, "out of vocabulary", "analogy_3cosmul('qwzxv', 'king', 'woman', x, words)",
                      "analogy_3cosmul", "qwzxv", "king", "woman", x, list(words))


# analogy_3cosavg


def _3cosavg(student, prop, *args, **kwargs):
    return _call(student, prop, "analogy_3cosavg", *args, **kwargs)


def _avg_oracle(kv, pairs, c, k, summed: bool = False) -> list:
    """gensim's most_similar for c_hat + the mean (or the sum) of the pairs' offsets b_hat - a_hat."""
    weight = 1.0 if summed else 1.0 / len(pairs)
    positive = [(c, 1.0)] + [(b, weight) for _, b in pairs] + [(a, -weight) for a, _ in pairs]
    return kv.most_similar(positive=positive, topn=k)


def _avg_target(x, words, pairs, c, unit=None):
    """c_hat + the mean offset, from `unit` (the unit vectors of a_1..a_m, b_1..b_m, c; gensim's by default)."""
    m = len(pairs)
    if unit is None:
        names = [a for a, _ in pairs] + [b for _, b in pairs] + [c]
        unit = _kv(x, words).get_normed_vectors()[[list(words).index(w) for w in names]]
    return unit[-1] + (unit[m:2 * m] - unit[:m]).mean(axis=0)


def _avg_also_right(student, x, words, pairs, c, k):
    """Answers a correct 3CosAvg gives on top of the learner's own top_k (and normalize_rows)."""
    banned = (c, *(w for pair in pairs for w in pair))
    m = len(pairs)
    index = [list(words).index(w) for w in [a for a, _ in pairs] + [b for _, b in pairs] + [c]]

    def on_rows():  # the a's, the b's and c normalised as three groups, as a solution would
        groups = [_on_learners_rows(student, x[index[:m]]), _on_learners_rows(student, x[index[m:2 * m]]),
                  _on_learners_rows(student, x[index[-1:]])]
        if any(g is None for g in groups):
            return None
        return _on_learners_top_k(student, _avg_target(x, words, pairs, c, np.vstack(groups)), x, words, k, banned)

    return [lambda: _on_learners_top_k(student, _avg_target(x, words, pairs, c), x, words, k, banned), on_rows]


def _relation_text(pairs, c, k):
    shown = ", ".join(f"('{a}', '{b}')" for a, b in pairs[:2]) + (", ..." if len(pairs) > 2 else "")
    return f"analogy_3cosavg([{shown}], '{c}', x, words, k={k})"


@graded("analogy_3cosavg", points=2, depends=("normalize_rows", "top_k"))
def test_3cosavg_matches_gensim(student):
    x, words, kv = _glove_unit(SMALL)
    prop = "3CosAvg like gensim's most_similar given c with weight 1 and the pairs' words with weights +-1/m"
    for pairs, c in RELATIONS:
        what = _relation_text(pairs, c, 5) + f" ({len(pairs)} pairs, unit GloVe rows)"
        _expect_pairs(_3cosavg(student, prop, [list(p) for p in pairs], c, x, list(words), k=5),
                      _avg_oracle(kv, pairs, c, 5), what, prop, 5, words_only=True,
                      also_right=_avg_also_right(student, x, words, pairs, c, 5),
                      hints=[(lambda g, w, p=pairs, c=c: g == [u for u, _ in _avg_oracle(kv, p, c, 5, True)],
                              "That is the answer for c_hat plus the *sum* of the offsets: average them")])


def _planted_relation():
    """Unit vectors where c_hat + the mean offset and c_hat + the sum of the offsets point to
    different planted words."""
    rng = np.random.default_rng(31)
    d, m = 8, 5
    offset = rng.normal(size=d)
    offset *= 0.8 / np.linalg.norm(offset)
    a = rng.normal(size=(m, d))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = a + offset + 0.15 * rng.normal(size=(m, d))
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    c = rng.normal(size=d)
    c /= np.linalg.norm(c)
    mean = (b - a).mean(axis=0)
    planted = {"mean": c + mean, "sum": c + m * mean, "offset-only": mean, "first-pair": c + b[0] - a[0],
               "little": c + 0.3 * mean}
    words = [f"a{i}" for i in range(m)] + [f"b{i}" for i in range(m)] + ["c", *planted] + [f"w{i}" for i in range(10)]
    x = np.vstack([a, b, c, *planted.values(), rng.normal(size=(10, d))])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return x, words, [(f"a{i}", f"b{i}") for i in range(m)]


@graded("analogy_3cosavg", points=1, depends=("normalize_rows", "top_k"))
def test_3cosavg_averages_the_offsets(student):
    x, words, pairs = _planted_relation()
    prop = "the mean offset: the target is c_hat plus the average of the offsets b_hat - a_hat over all pairs"
    what = ("analogy_3cosavg(pairs, 'c', x, words, k=1) for 5 pairs, with words planted at c_hat + the mean "
            "offset ('mean'), c_hat + their sum ('sum'), the mean offset alone and c_hat + the first offset")
    _expect_pairs(_3cosavg(student, prop, [list(p) for p in pairs], "c", x, words, k=1),
                  _avg_oracle(_kv(x, words), pairs, "c", 1), what, prop, 1, words_only=True,
                  also_right=_avg_also_right(student, x, words, pairs, "c", 1),
                  hints=[(lambda g, w: g == ["sum"], "'sum' lies along c_hat plus the *sum* of the offsets"),
                         (lambda g, w: g == ["offset-only"], "'offset-only' lies along the mean offset alone: c_hat "
                          "is missing from the target"),
                         (lambda g, w: g == ["first-pair"], "'first-pair' lies along c_hat plus the first pair's "
                          "offset: that is 3CosAdd with one pair")])


@graded("analogy_3cosavg", points=1, depends=("normalize_rows", "top_k"))
def test_3cosavg_never_returns_c_or_an_example_word(student):
    x, words, _ = _glove_unit(SMALL)
    prop = "exclusion: neither c nor a word of the example pairs is ever the answer"
    for pairs, c in RELATIONS[:3]:
        what = _relation_text(pairs, c, 10)
        banned = {c, *(w for p in pairs for w in p)}
        _expect_none_of(_3cosavg(student, prop, [list(p) for p in pairs], c, x, list(words), k=10), banned, what,
                        prop, 10, "no word of c and the pairs (gensim leaves out every word it is given)",
                        also_right=_avg_also_right(student, x, words, pairs, c, 10))


@graded("analogy_3cosavg", points=1, hidden=True, depends=("normalize_rows", "top_k"))
def test_3cosavg_normalises_before_averaging(student):
    x, words = _synthetic(17, n=40, d=5, unit=True)
    pairs = [("w0", "w1"), ("w2", "w3"), ("w4", "w5")]
    x[:7] *= np.array([[6.0], [0.2], [0.3], [4.0], [5.0], [0.25], [3.0]])  # a, b and c of lengths 0.2 to 6
    prop = "unit vectors first: the offsets and c are taken from unit vectors, so that a long vector does not dominate"
    what = _relation_text(pairs, "w6", 3) + ", where the 7 given words have lengths 0.2 to 6"
    kv = _kv(x, words)
    _expect_pairs(_3cosavg(student, prop, [list(p) for p in pairs], "w6", x, words, k=3),
                  _avg_oracle(kv, pairs, "w6", 3), what, prop, 3, words_only=True,
                  also_right=_avg_also_right(student, x, words, pairs, "w6", 3),
                  hints=[(lambda g, w: g == [u for u, _ in _avg_oracle(kv, pairs, "w6", 3, True)],
                          "That is the answer for c_hat plus the *sum* of the offsets: average them")])


@graded("analogy_3cosavg", points=1, hidden=True, depends=("normalize_rows", "top_k"))
def test_3cosavg_scores_are_cosines_with_the_target(student):
    x, words, kv = _glove_unit(SMALL)
    prop = "scores: the score of a word is the cosine between its vector and the target"
    for pairs, c in RELATIONS[:2]:
        what = _relation_text(pairs, c, 5)
        length = np.linalg.norm(_avg_target(x, words, pairs, c))
        _expect_pairs(_3cosavg(student, prop, [list(p) for p in pairs], c, x, list(words), k=5),
                      _avg_oracle(kv, pairs, c, 5), what, prop, 5,
                      also_right=_avg_also_right(student, x, words, pairs, c, 5),
                      score_hints=[(lambda g, w, n=length: np.allclose(g, w * n, rtol=1e-3),
                                    "Each score is the cosine times the length of the target: divide by it too")])


@graded("analogy_3cosavg", points=1, hidden=True)
def test_3cosavg_unknown_word_raises_key_error(student):
    x, words, _ = _glove_unit(2_000)
    _raises_key_error(student, "out of vocabulary", "analogy_3cosavg([('man', 'woman')], 'qwzxv', x, words)",
                      "analogy_3cosavg", [["man", "woman"]], "qwzxv", x, list(words))
    _raises_key_error(student, "out of vocabulary",
                      "analogy_3cosavg([('man', 'woman'), ('qwzxv', 'king')], 'boy', x, words)",
                      "analogy_3cosavg", [["man", "woman"], ["qwzxv", "king"]], "boy", x, list(words))


# analogy_accuracy


def _result(value, what: str) -> dict:
    """Validate the dict analogy_accuracy returns."""
    expect_type(value, dict, what)
    for key, kinds in [("accuracy", (float, int)), ("correct", int), ("incorrect", int),
                       ("skipped", int), ("sections", dict)]:
        if key not in value:
            keys = ", ".join(sorted(repr(k) for k in value))
            raise AssertionError(f"{what}: expected a dict with the key {key!r}, got the keys [{keys}]")
        expect_type(value[key], kinds, f"{what}[{key!r}]")
    for name, sec in value["sections"].items():
        expect_type(sec, dict, f"{what}['sections'][{name!r}]")
        for key, kinds in [("accuracy", (float, int)), ("correct", int), ("incorrect", int), ("skipped", int)]:
            if key not in sec:
                raise AssertionError(f"{what}['sections'][{name!r}]: expected the key {key!r}, got the keys "
                                     f"{sorted(map(repr, sec))}")
            expect_type(sec[key], kinds, f"{what}['sections'][{name!r}][{key!r}]")
    return value


def _counts(r: dict) -> str:
    return (f"accuracy {r['accuracy']:.4f} ({r['correct']} correct, {r['incorrect']} incorrect, "
            f"{r['skipped']} skipped)")


def _agree_accuracy(got: dict, want: dict) -> bool:
    if list(got["sections"]) != list(want["sections"]):
        return False
    for name, w in want["sections"].items():
        g = got["sections"][name]
        if (g["correct"], g["incorrect"], g["skipped"]) != (w["correct"], w["incorrect"], w["skipped"]) \
                or not abs(g["accuracy"] - w["accuracy"]) <= 1e-9:  # NaN fails too
            return False
    return all(got[k] == want[k] for k in ("correct", "incorrect", "skipped")) \
        and abs(got["accuracy"] - want["accuracy"]) <= 1e-9


def _expect_accuracy(got: dict, want: dict, what: str, prop: str, hints=(), also_right=()) -> None:
    """Assert that analogy_accuracy's result equals gensim's, section by section; `hints` are
    (symptom(got, want) -> bool, text)."""
    if _agree_accuracy(got, want) or any((other := make()) is not None and _agree_accuracy(got, other)
                                         for make in also_right):
        return
    if list(got["sections"]) != list(want["sections"]):
        raise AssertionError(f"{prop}: expected the sections of {what} to be {list(want['sections'])}, in the "
                             f"order they first appear, got {list(got['sections'])}" + _hint(hints, got, want))
    wrong = [f"'{name}', expected {_counts(w)}, got {_counts(got['sections'][name])}"
             for name, w in want["sections"].items()
             if any(got["sections"][name][k] != w[k] for k in ("correct", "incorrect", "skipped"))
             or not abs(got["sections"][name]["accuracy"] - w["accuracy"]) <= 1e-9]
    detail = f" Sections that differ: {'; '.join(wrong[:3])}{'; ...' if len(wrong) > 3 else ''}." if wrong else ""
    if _same_counts(got, want):  # only the accuracies differ: the counting is right, the division is not
        hints = [(lambda g, w: True, "Every count is gensim's, only the accuracies differ: an accuracy is correct / "
                  "(correct + incorrect), skipped questions left out, overall and in each section")]
    raise AssertionError(f"{prop}: expected {what} to give gensim's {_counts(want)}, got {_counts(got)}"
                         + _hint(hints, got, want).rstrip(".") + "." + detail)


def _same_counts(got: dict, want: dict) -> bool:
    keys = ("correct", "incorrect", "skipped")
    return all(got[k] == want[k] for k in keys) and all(
        all(got["sections"][name][k] == w[k] for k in keys) for name, w in want["sections"].items())


def _accuracy(student, prop, what, *args, **kwargs) -> dict:
    """The learner's analogy_accuracy(*args, **kwargs), validated; an exception of theirs fails `prop`."""
    return _result(_call(student, prop, "analogy_accuracy", *args, **kwargs), what)


def _case_hint(got, want) -> bool:
    return got["skipped"] > want["skipped"] + 0.2 * (want["correct"] + want["incorrect"])


CASE_HINT = ("Many more questions are skipped than gensim skips: words are compared ignoring case (the "
             "questions are capitalised, GloVe is lower case)")
MEAN_HINT = ("The overall accuracy is the mean of the sections' accuracies: it should count every evaluated "
             "question once, correct / (correct + incorrect) over all sections")


OOV_HINT = (lambda g, w: g["skipped"] < w["skipped"] and g["correct"] == w["correct"]
            and g["incorrect"] - w["incorrect"] == w["skipped"] - g["skipped"],
            "Questions gensim skips are counted as incorrect: a question with an unknown word is skipped")


def _is_mean_of_sections(got, want) -> bool:
    accs = [s["accuracy"] for s in got["sections"].values()]
    return bool(accs) and abs(got["accuracy"] - float(np.mean(accs))) < 1e-9 \
        and abs(want["accuracy"] - float(np.mean(accs))) > 1e-6


@graded("analogy_accuracy", points=3, timeout=120, depends=("normalize_rows",))
def test_accuracy_reproduces_gensim_on_the_google_set(student):
    x, words, _ = _glove_unit(REPRODUCE)
    questions, want = _sampled_reproduction()
    prop = "reproduction of gensim's evaluate_word_analogies(path, restrict_vocab=30000)"
    what = (f"analogy_accuracy(questions, x, words, restrict_vocab=30000) on every 4th Google question "
            f"({len(questions):,}, all 14 sections), unit GloVe rows")
    got = _accuracy(student, prop, what, list(questions), x, list(words), restrict_vocab=REPRODUCE)
    _expect_accuracy(got, want, what, prop, hints=[(_case_hint, CASE_HINT), OOV_HINT, (_is_mean_of_sections, MEAN_HINT)])


@graded("analogy_accuracy", points=2, depends=("normalize_rows",))
def test_accuracy_skips_out_of_vocabulary_questions(student):
    x, words, kv = _glove_unit(SMALL)
    made_up = [("made-up words", "Qwzxv", "Vxzwq", "Zzqx", "Xqzz")] * 3
    mixed = [("some out of vocabulary", "athens", "greece", "qwzxv", "iraq"),
             ("some out of vocabulary", "man", "king", "woman", "queen"),
             ("some out of vocabulary", "good", "better", "bad", "worse"),
             ("some out of vocabulary", "walk", "walked", "swim", "swam"),
             ("some out of vocabulary", "Japan", "Tokyo", "Zimbabwe", "Harare")]
    questions = _section("family") + made_up + mixed
    prop = ("out of vocabulary: a question with any word outside the restricted vocabulary is skipped, neither "
            "correct nor incorrect; a section with nothing evaluated has accuracy 0.0")
    what = f"analogy_accuracy(questions, x, words, restrict_vocab={SMALL}) with out-of-vocabulary questions"
    got = _accuracy(student, prop, what, questions, x, list(words), restrict_vocab=SMALL)
    _expect_accuracy(got, _gensim_accuracy(kv, questions, SMALL), what, prop, hints=[
        OOV_HINT,
        (lambda g, w: any(s["accuracy"] != s["accuracy"] for s in g["sections"].values()),
         "A section with nothing evaluated has accuracy 0.0, not NaN"),
        (lambda g, w: g["correct"] + g["incorrect"] + g["skipped"] != w["correct"] + w["incorrect"] + w["skipped"],
         "Every question is counted once, as correct, incorrect or skipped"),
        (_case_hint, CASE_HINT)])


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_restricts_the_vocabulary(student):
    x, words, kv = _glove_unit(SMALL)
    questions = list(_google()[::4])
    prop = "vocabulary restriction: only the first restrict_vocab words exist, as question words and as answers"
    what = f"analogy_accuracy(questions, x, words, restrict_vocab=1500) with {SMALL:,} words in x"
    got = _accuracy(student, prop, what, questions, x, list(words), restrict_vocab=1_500)
    _expect_accuracy(got, _gensim_accuracy(kv, questions, 1_500), what, prop, hints=[
        OOV_HINT, (lambda g, w: g["skipped"] < w["skipped"], "Fewer questions are skipped than gensim skips: are the "
         "question words looked up among the first restrict_vocab words only?"),
        (lambda g, w: g["skipped"] == w["skipped"], "The same questions are asked; the answers differ: are the "
         "candidate answers limited to the first restrict_vocab words?")])


def _boundary():
    """A lower-case vocabulary of 30 unit vectors and questions that use the words at indices 19 and 20."""
    x, words = _synthetic(41, n=30, d=4, unit=True)
    rng = np.random.default_rng(42)
    combos = [tuple(int(i) for i in rng.choice(19, size=3, replace=False)) for _ in range(40)]
    questions = [("near the edge", words[a], words[b], words[c], words[19]) for a, b, c in combos[:12]]
    questions += [("near the edge", words[19], words[a], words[b], words[c]) for a, b, c in combos[12:20]]
    questions += [("past the edge", words[a], words[b], words[20], words[c]) for a, b, c in combos[20:26]]
    questions += [("inside", words[a], words[b], words[c], words[(a + b + c) % 19]) for a, b, c in combos[26:]]
    return x, words, questions


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_keeps_exactly_restrict_vocab_words(student):
    x, words, questions = _boundary()
    prop = ("vocabulary restriction: the first restrict_vocab words, no more and no fewer (here words[19] is in, "
            "words[20] is out)")
    what = "analogy_accuracy(questions, x, words, restrict_vocab=20) for 30 words"
    got = _accuracy(student, prop, what, questions, x, words, restrict_vocab=20)
    _expect_accuracy(got, _gensim_accuracy(_kv(x, words), questions, 20), what, prop, hints=[
        OOV_HINT, (lambda g, w: g["skipped"] > w["skipped"], "More questions are skipped than gensim skips: is the last "
         "word, words[restrict_vocab - 1], left out?"),
        (lambda g, w: g["skipped"] < w["skipped"], "Fewer questions are skipped than gensim skips: is "
         "words[restrict_vocab] kept?")])


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_excludes_query_words(student):
    x, words, kv = _glove_unit(SMALL)
    questions = _section("family") + _section("gram3-comparative")
    prop = "exclusion: a, b and c are never the answer"
    what = f"analogy_accuracy on the 'family' and 'gram3-comparative' questions, top {SMALL:,} words"
    got = _accuracy(student, prop, what, questions, x, list(words), restrict_vocab=SMALL)
    _expect_accuracy(got, _gensim_accuracy(kv, questions, SMALL), what, prop,
                     hints=[OOV_HINT, (lambda g, w: g["accuracy"] < 0.7 * w["accuracy"], "Far fewer right answers than "
                             "gensim's: without the exclusion rule the answer is usually c itself")])


SPELLINGS = ["Paris", "France", "Rome", "Italy", "paris", "ROME", "Berlin", "germany", "Madrid", "Spain",
             "italy", "Germany", "spain", "tokyo", "Japan", "TOKYO", "lima", "peru", "Lima", "PERU", "oslo",
             "norway"]


def _first_spellings():
    """Unit vectors for a mixed-case vocabulary and questions written in other cases, where which
    spelling a question word stands for changes gensim's answers."""
    x, _ = _synthetic(CASE_SEED, n=len(SPELLINGS), d=5, unit=True)
    pairs = [("paris", "france"), ("ROME", "italy"), ("berlin", "GERMANY"), ("madrid", "Spain"),
             ("Tokyo", "japan"), ("LIMA", "Peru")]
    return x, list(SPELLINGS), [("capitals", p, q, r, s) for p, q in pairs for r, s in pairs if p != r]


def _other_spellings():
    """Unit vectors for the same vocabulary where another spelling of c lies nearest to the target
    of one question, and another spelling of d to the target of another."""
    x, _ = _synthetic(CASE_SEED + 1, n=len(SPELLINGS), d=5, unit=True)
    index = {w: i for i, w in enumerate(SPELLINGS)}

    def plant(word, target, noise=0.0):
        v = target / np.linalg.norm(target) + noise * x[index[word]]
        x[index[word]] = v / np.linalg.norm(v)

    target = x[index["France"]] - x[index["Paris"]] + x[index["Rome"]]
    plant("ROME", target)  # another spelling of c, nearest: never the answer
    plant("Italy", target, 0.1)  # the right answer comes next
    target = x[index["germany"]] - x[index["Berlin"]] + x[index["lima"]]
    plant("PERU", target)  # another spelling of d, nearest: a right answer
    questions = [("another spelling of c", "Paris", "France", "Rome", "Italy"),
                 ("another spelling of d", "Berlin", "germany", "lima", "peru")]
    return x.astype(np.float32), list(SPELLINGS), questions


CASE_SEED = 5


def _variant(x, words, questions, first: bool = True, case: bool = True, every_spelling: bool = True,
             any_spelling_of_d: bool = True) -> dict:
    """3CosAdd accuracy on a small vocabulary under one variant of the case rules, for hints only
    (gensim is the oracle): a question word's first or last spelling, words matched ignoring case
    or not, every spelling of a, b and c excluded or only the one used, an answer right in any
    spelling of d or only in the one used."""
    key = str.lower if case else str
    index, spellings = {}, {}
    for i, w in enumerate(words):
        index[key(w)] = index.get(key(w), i) if first else i
        spellings.setdefault(key(w), []).append(i)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    result = {}
    for section, *abcd in questions:
        sec = result.setdefault(section, {"accuracy": 0.0, "correct": 0, "incorrect": 0, "skipped": 0})
        keys = [key(w) for w in abcd]
        if any(k not in index for k in keys):
            sec["skipped"] += 1
            continue
        a, b, c, d = (index[k] for k in keys)
        scores = unit @ (unit[b] - unit[a] + unit[c])
        scores[[j for k in keys[:3] for j in (spellings[k] if every_spelling else [index[k]])]] = -np.inf
        best = int(np.argmax(scores))
        sec["correct" if (key(words[best]) == keys[3] if any_spelling_of_d else best == d) else "incorrect"] += 1
    return _totals(result)


def _variant_hints(x, words, questions):
    """One (symptom, hint) pair: the learner's counts are those of exactly one variant of the case
    rules (when several variants give the same counts, none is named)."""
    def named(got, want):
        matches = [text for kw, text in variants if _agree_accuracy(got, _variant(x, words, questions, **kw))]
        return matches[0] if len(matches) == 1 else ""

    variants = [
        ({"case": False}, "These are the counts when words are matched case-sensitively: compare them ignoring case"),
        ({"first": False}, "These are the counts when a question word stands for its *last* spelling: use the "
         "first (most frequent) one"),
        ({"every_spelling": False}, "These are the counts when only one spelling of a, b and c is excluded: no "
         "spelling of them may be the answer"),
        ({"any_spelling_of_d": False}, "These are the counts when only one spelling of d counts as right: an "
         "answer is right when it equals d ignoring case")]
    return [(lambda g, w: bool(named(g, w)), named)]


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_matches_question_words_ignoring_case(student):
    x, words, questions = _first_spellings()
    prop = ("case: a question word is matched ignoring case and stands for its first (most frequent) spelling in "
            "`words`")
    what = (f"analogy_accuracy(questions, x, words, restrict_vocab={len(words)}), where 'Paris' and 'paris', 'Rome' "
            "and 'ROME', ... are all words")
    got = _accuracy(student, prop, what, questions, x, words, restrict_vocab=len(words))
    _expect_accuracy(got, _gensim_accuracy(_kv(x, words), questions, len(words)), what, prop,
                     hints=_variant_hints(x, words, questions))


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_never_answers_another_spelling_of_a_query_word(student):
    x, words, questions = _other_spellings()
    prop = "case: no spelling of a, b or c is ever the answer, and an answer in any spelling of d is right"
    what = (f"analogy_accuracy(questions, x, words, restrict_vocab={len(words)}), where another spelling of c, or "
            "of d, is nearest to the target")
    got = _accuracy(student, prop, what, questions, x, words, restrict_vocab=len(words))
    _expect_accuracy(got, _gensim_accuracy(_kv(x, words), questions, len(words)), what, prop,
                     hints=_variant_hints(x, words, questions))


def _cosmul_counts(questions, x_unit, words, eps, shift: bool) -> dict:
    """3CosMul accuracy of lower-case in-vocabulary questions, with or without the shift of the
    cosines to [0, 1] (for hints only; gensim is the oracle)."""
    index = {w: i for i, w in enumerate(words)}
    result = {}
    for s, *abcd in questions:
        a, b, c, d = (index[w.lower()] for w in abcd)
        cos = x_unit[[a, b, c]] @ x_unit.T  # (3, n)
        f = (1 + cos) / 2 if shift else cos
        scores = f[1] * f[2] / (f[0] + eps)
        scores[[a, b, c]] = -np.inf
        sec = result.setdefault(s, {"accuracy": 0.0, "correct": 0, "incorrect": 0, "skipped": 0})
        sec["correct" if int(np.argmax(scores)) == d else "incorrect"] += 1
    return _totals(result)


def _totals(sections: dict) -> dict:
    """An analogy_accuracy result from its sections' counts."""
    for sec in sections.values():
        evaluated = sec["correct"] + sec["incorrect"]
        sec["accuracy"] = sec["correct"] / evaluated if evaluated else 0.0
    total = {k: sum(s[k] for s in sections.values()) for k in ("correct", "incorrect", "skipped")}
    evaluated = total["correct"] + total["incorrect"]
    return {"accuracy": total["correct"] / evaluated if evaluated else 0.0, **total, "sections": sections}


@functools.lru_cache(maxsize=None)
def _cosmul_oracle(n_questions: int):
    """gensim's 3CosMul answers to the first in-vocabulary Google questions, top 5,000 words."""
    _, words, kv = _glove_unit(SMALL)
    known = set(words)
    questions = [q for q in _google()[::3] if all(w.lower() in known for w in q[1:])][:n_questions]
    result = {}
    for s, a, b, c, d in questions:
        best = kv.most_similar_cosmul(positive=[b.lower(), c.lower()], negative=[a.lower()], topn=1)
        sec = result.setdefault(s, {"accuracy": 0.0, "correct": 0, "incorrect": 0, "skipped": 0})
        sec["correct" if best[0][0] == d.lower() else "incorrect"] += 1
    return tuple(questions), _totals(result)


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_3cosmul_matches_gensim(student):
    x, words, kv = _glove_unit(SMALL)
    questions, want = _cosmul_oracle(600)
    prop = "3CosMul answers like gensim's most_similar_cosmul"
    what = f"analogy_accuracy(questions, x, words, restrict_vocab={SMALL}, method='3cosmul', eps=1e-6)"
    got = _accuracy(student, prop, what, list(questions), x, list(words), restrict_vocab=SMALL, method="3cosmul",
                    eps=1e-6)
    _expect_accuracy(got, want, what, prop, hints=[
        (lambda g, w: _agree_accuracy(g, _gensim_accuracy(kv, list(questions), SMALL)),
         "These are 3CosAdd's counts: is `method` ignored?"),
        (lambda g, w: _agree_accuracy(g, _cosmul_counts(questions, x, words, 1e-6, shift=False)),
         "These are the counts of 3CosMul on raw cosines: shift each cosine to [0, 1] first"),
        (lambda g, w: _agree_accuracy(g, _cosmul_counts(questions, x, words, 1e-3, shift=True)),
         "These are the counts with eps = 1e-3: use the `eps` you are given")])


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_normalises_the_vectors(student):
    x, words, kv = _glove(SMALL)  # raw GloVe rows, of many lengths
    questions = list(_google()[1::8])
    prop = "unit vectors: analogies are made of unit vectors, whatever the lengths of the rows of x"
    what = f"analogy_accuracy(questions, x, words, restrict_vocab={SMALL}) on raw GloVe rows (lengths 2 to 9)"
    got = _accuracy(student, prop, what, questions, x, list(words), restrict_vocab=SMALL)

    def on_learners_rows():  # the learner's function on rows its own normalize_rows made
        rows = _on_learners_rows(student, x)
        out = None if rows is None else _mine(student, "analogy_accuracy", questions, rows.astype(np.float32),
                                              list(words), restrict_vocab=SMALL)
        try:
            return _result(out, "analogy_accuracy")
        except AssertionError:
            return None

    _expect_accuracy(got, _gensim_accuracy(kv, questions, SMALL), what, prop, also_right=[on_learners_rows])


def _eps_and_ties():
    """Unit vectors where 3CosMul's answer depends on eps, each candidate followed by an exact copy."""
    a, b, c = [1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.6, 0.0, 0.8]
    away, between = [-1.0, 0.0, 0.0], [0.0, 0.5 ** 0.5, 0.5 ** 0.5]
    x = np.array([a, b, c, away, between, away, between], dtype=np.float32)
    return x, ["alpha", "beta", "gamma", "pole", "quay", "polecopy", "quaycopy"]


@graded("analogy_accuracy", points=1, hidden=True, depends=("normalize_rows",))
def test_accuracy_passes_eps_on_and_breaks_ties_by_vocabulary_order(student):
    # alpha : beta :: gamma : ?  "pole" points away from alpha: its 3CosMul score is
    # s(pole, beta) s(pole, gamma) / (0 + eps) = 0.04 / eps, the best for a small eps (40 against 1.2 for "quay"
    # at eps = 1e-3), the worst for eps = 1 (0.04 against 0.41). 3CosAdd answers "quay". Each has an exact copy
    # later in the vocabulary: on the tie, the lower index is the answer.
    x, words = _eps_and_ties()
    tie = "on a tie the lower index wins, not the copy later in the vocabulary"
    cases = [({"method": "3cosmul"}, "pole", "eps is 1e-3 by default, and " + tie),
             ({"method": "3cosmul", "eps": 1.0}, "quay", "is eps passed on to 3CosMul?"),
             ({"method": "3cosadd"}, "quay", tie)]
    prop = "analogy_accuracy's answers: 3CosMul with the eps given, ties to the lower index"
    for options, answer, hint in cases:
        shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
        what = (f"analogy_accuracy on alpha : beta :: gamma : {answer}, {shown}, where '{answer}' has an exact copy "
                f"later in the vocabulary")
        got = _accuracy(student, prop, what, [("q", "alpha", "beta", "gamma", answer)], x, words, restrict_vocab=7,
                        **options)
        if got["correct"] != 1:
            raise AssertionError(f"{prop}: expected {what} to count 1 correct, got {got['correct']} ({hint})")
