"""Checks of a06_retrieval: chunks with overlap, cosine top-k, max-pooling chunk scores, Lucene's
BM25, reciprocal rank fusion, recall/MRR/nDCG at k, and a cited prompt under a token budget.

Oracles: scikit-learn's `cosine_similarity` sorted by `numpy.lexsort` (top-k); `scipy.ndimage.maximum`
over labels (max-pooling); the `bm25s` library's Lucene variant in float64 (BM25, to 1e-6);
`pytrec_eval`, TREC's evaluation tool (recall@k, the reciprocal rank of a run cut at k, nDCG@k with
graded gains); closed forms on small inputs (the number of windows of a text, a perfect run with
nDCG 1 and a run without a relevant document with 0, a single ranking fused alone, the prompt's
format built token by token). Reciprocal rank fusion is recomputed here from its definition.
"""

from __future__ import annotations

import functools
import math
from collections import Counter

import numpy as np
import pytrec_eval
from scipy import ndimage
from sklearn.metrics.pairwise import cosine_similarity

from autograder.api import (
    call_unchanged,
    expect_array,
    expect_close,
    expect_error,
    expect_scalar,
    expect_tuple,
    expect_type,
    graded,
    learner_errors_fail,
    near,
)
from latentlab import data
from latentlab.search import terms

METRICS = ("recall", "mrr", "ndcg")


def _words(n: int, seed: int = 0) -> list[str]:
    """n distinct words w0, w1, ..., w(n-1): each word names its place in the text."""
    return [f"w{i}" for i in range(n)]


# chunk_words


def _windows(words, size, overlap):
    """Oracle in closed form: ceil((n - size) / step) + 1 windows (one for n <= size), window i
    starting at i * step."""
    n, step = len(words), size - overlap
    count = 0 if n == 0 else 1 if n <= size else 1 + math.ceil((n - size) / step)
    return [list(words[i * step:i * step + size]) for i in range(count)]


def _chunks(student, words, size, overlap, what=""):
    what = what or f"chunk_words(words, {size}, {overlap}) for {len(words)} words"
    got = expect_type(call_unchanged(student, "chunk_words", what, words, size, overlap), list, what)
    for i, chunk in enumerate(got):
        expect_type(chunk, list, f"{what}: window {i}, a list of words")
    return got


def _chunk_hint(words, size, overlap, got, want) -> str:
    if not got:
        return "Yours gave no window at all."
    if got and got[-1] and words and got[-1][-1] != words[-1]:
        return (f"Your last window ends with {got[-1][-1]!r}, not with the text's last word {words[-1]!r}: the "
                "tail was dropped. Keep adding windows until one contains the last word.")
    if len(got) > len(want) and set(got[-1]) <= set(got[-2] if len(got) > 1 else []):
        return ("Your last window lies wholly inside the window before it: stop as soon as a window reaches "
                "the last word.")
    if len(got) > 1 and len(want) > 1 and got[1][:1] != want[1][:1]:
        return (f"Your second window starts with {got[1][:1]}, expected {want[1][:1]}: each window starts "
                f"size - overlap = {size - overlap} words after the previous one.")
    return ""


def _expect_chunks(got, want, words, size, overlap, prop) -> None:
    if got != want:
        def windows(chunks):
            text = ", ".join(f"{c[0]}-{c[-1]}" if c else "empty" for c in chunks[:12])
            return text + (", ..." if len(chunks) > 12 else "")

        shown, expected = windows(got), windows(want)
        hint = _chunk_hint(words, size, overlap, got, want)
        raise AssertionError(f"{prop}: expected {len(want)} windows ({expected}), got {len(got)} ({shown}) "
                             "(word wi is the text's word i)" + (f". {hint}" if hint else ""))


@graded("chunk_words", points=1)
@learner_errors_fail("chunk_words(words, size, overlap) for a text of several windows")
def test_chunks_start_every_size_minus_overlap_words(student):
    for n, size, overlap in [(23, 7, 2), (40, 10, 0), (31, 8, 5)]:
        words = _words(n, n)
        _expect_chunks(_chunks(student, words, size, overlap), _windows(words, size, overlap), words, size,
                       overlap, f"chunk_words for {n} words, size {size}, overlap {overlap}: windows of {size} "
                       f"words starting every {size - overlap} words")


@graded("chunk_words", points=1)
@learner_errors_fail("chunk_words(words, size, overlap): the last window")
def test_the_tail_is_never_dropped_nor_repeated(student):
    # n - size a multiple of the step (the last window ends exactly at the end), and not.
    for n, size, overlap in [(26, 8, 2), (27, 8, 2), (29, 8, 2), (12, 5, 4), (100, 30, 10), (101, 30, 10)]:
        words = _words(n, 100 + n)
        got = _chunks(student, words, size, overlap)
        want = _windows(words, size, overlap)
        _expect_chunks(got, want, words, size, overlap, f"chunk_words for {n} words, size {size}, overlap "
                       f"{overlap}: every word in some window, the last window the first that reaches the "
                       "last word")
        covered = {w for chunk in got for w in chunk}
        if covered != set(words):
            raise AssertionError(f"every word lies in a window: expected all {n} words, got {len(covered)}")


@graded("chunk_words", points=1)
@learner_errors_fail("chunk_words(words, size, overlap) for short and empty texts")
def test_short_and_empty_texts(student):
    words = _words(6, 3)
    for size in (6, 9):
        got = _chunks(student, words, size, 2)
        if got != [words]:
            raise AssertionError(f"a text of at most size words is one window, the whole text: expected [the 6 "
                                 f"words] for size {size}, got {len(got)} windows of {[len(c) for c in got]} words")
    for n in (2, 3):  # fewer words than the overlap: still one window
        got = _chunks(student, words[:n], 5, 3)
        if got != [words[:n]]:
            raise AssertionError(f"a text of at most size words is one window, even one shorter than the overlap: "
                                 f"expected one window of {n} words for size 5 and overlap 3, got {len(got)} windows")
    got = _chunks(student, [], 4, 1, "chunk_words([], 4, 1)")
    if got != []:
        raise AssertionError(f"no words gives no window: expected [], got {got!r:.80}")


@graded("chunk_words", points=1, timeout=10)
def test_an_impossible_overlap_raises(student):
    words = _words(10, 4)
    for size, overlap in [(4, 4), (4, 6), (4, -1), (0, 0)]:
        expect_error("ValueError", f"chunk_words(words, {size}, {overlap}): an overlap outside [0, size), or a "
                     "size below 1, raises ValueError (an overlap equal to size would never move forward)",
                     student.call, "chunk_words", words, size, overlap)


# top_k


def _oracle_top_k(queries, docs, k):
    """scikit-learn's cosines (0 for a zero vector), sorted by decreasing cosine, then by row."""
    cos = cosine_similarity(queries, docs)  # (m, n); sklearn gives 0 for a zero vector
    cols = np.arange(docs.shape[0])
    order = np.stack([np.lexsort((cols, -np.round(row, 12))) for row in cos])[:, :k]  # ties to the lower row
    return order, np.take_along_axis(cos, order, axis=1)


def _top_k(student, queries, docs, k, what="", dtype=np.float64):
    m, n = len(queries), len(docs)
    what = what or f"top_k(queries, docs, {k}) for {m} queries and {n} documents"
    got = expect_tuple(call_unchanged(student, "top_k", what, queries, docs, k), what, 2, ("indices", "scores"))
    idx = expect_array(got[0], f"{what}: indices", shape=(m, min(k, n)), dtype_kind="iu", dtype=np.int64)
    scores = expect_array(got[1], f"{what}: scores", shape=(m, min(k, n)), dtype=dtype)
    return idx, scores


def _top_k_hints(queries, docs, k):
    raw = queries @ docs.T
    return [(lambda g, w: np.array_equal(g, np.argsort(-raw, axis=1, kind="stable")[:, :k]),
             "Yours ranks by the raw dot product: divide each vector by its length first, so that a long "
             "document does not win by its length."),
            (lambda g, w: np.array_equal(g, _oracle_top_k(queries, docs, docs.shape[0])[0][:, ::-1][:, :k]),
             "Yours returns the least similar documents: best first means by decreasing cosine."),
            (lambda g, w: np.array_equal(np.sort(g, axis=1), np.sort(w, axis=1)),
             "Yours has the right documents in the wrong order: by decreasing cosine.")]


@graded("top_k", points=2)
@learner_errors_fail("top_k(queries, docs, k) on random vectors")
def test_top_k_matches_sorted_sklearn_cosines(student):
    rng = np.random.default_rng(60)
    docs = rng.normal(size=(30, 8)) * rng.uniform(0.5, 2.0, size=(30, 1))
    queries = rng.normal(size=(4, 8))
    for k in (1, 5):
        want_idx, want_cos = _oracle_top_k(queries, docs, k)
        idx, scores = _top_k(student, queries, docs, k)
        prop = (f"top_k(queries, docs, {k}): each query's {k} documents of highest cosine (scikit-learn's "
                "cosine_similarity), best first")
        expect_close(idx, want_idx, prop, atol=0, hints=_top_k_hints(queries, docs, k))
        expect_close(scores, want_cos, f"top_k(queries, docs, {k}): the scores are those documents' cosines",
                     atol=1e-9, hints=[(lambda g, w, i=want_idx: near(g, np.take_along_axis(queries @ docs.T, i, 1)),
                                        "Yours are raw dot products: cosines divide by both lengths.")])


@graded("top_k", points=1)
@learner_errors_fail("top_k(queries, docs, k) for documents of very different lengths")
def test_top_k_ignores_lengths(student):
    rng = np.random.default_rng(61)
    docs = rng.normal(size=(25, 6))
    docs *= np.geomspace(0.01, 100.0, 25)[:, None]  # lengths over four orders of magnitude
    queries = rng.normal(size=(3, 6)) * np.array([[1.0], [50.0], [0.02]])
    idx, scores = _top_k(student, queries, docs, 6, dtype=None)
    want_idx, want_cos = _oracle_top_k(queries, docs, 6)
    expect_close(idx, want_idx, "top_k on documents whose lengths span 0.01 to 100: a vector's length does not "
                 "change its cosines, so the ranking is the cosines'", atol=0, hints=_top_k_hints(queries, docs, 6))
    expect_close(scores, want_cos, "top_k's scores are cosines, in [-1, 1] whatever the lengths", atol=1e-6)


@graded("top_k", points=1, hidden=True)
@learner_errors_fail("top_k(queries, docs, k) with tied documents and k beyond the collection")
def test_top_k_ties_go_to_the_lower_row_and_k_is_capped(student):
    rng = np.random.default_rng(62)
    base = rng.normal(size=(5, 4))
    # rows 5, 6 and 7 tie exactly with rows 4, 1 and 4: scaling by a power of two keeps every bit of a cosine
    docs = np.concatenate([base, 2.0 * base[[4]], 4.0 * base[[1]], base[[4]]])
    queries = np.concatenate([base[[4]], rng.normal(size=(2, 4))])
    for k in (3, 8, 12):
        want_idx, want_cos = _oracle_top_k(queries, docs, k)
        idx, scores = _top_k(student, queries, docs, k, dtype=None)
        expect_close(idx, want_idx, f"top_k(queries, docs, {k}) for 8 documents, rows 5 and 7 parallel to row 4 "
                     f"and row 6 to row 1: equal cosines in order of row, and min(k, n) = {min(k, 8)} per query",
                     atol=0, hints=[(lambda g, w: np.array_equal(np.sort(g, axis=1), np.sort(w, axis=1)),
                                     "Yours orders equal cosines otherwise: the lower row first, which a stable "
                                     "sort of the negated cosines gives (np.argsort(-cos, kind=\"stable\")); or "
                                     "your cosines of parallel vectors differ in their last digits, as when a small "
                                     "epsilon is added to each length: divide by the length itself, and treat a zero "
                                     "length apart."),
                                    *_top_k_hints(queries, docs, k)])
        expect_close(scores, want_cos, f"top_k(queries, docs, {k}): the cosines", atol=1e-6)
    for k in (0, -1):
        expect_error("ValueError", f"top_k(queries, docs, {k}): k below 1 raises ValueError", student.call, "top_k",
                     queries, docs, k)


@graded("top_k", points=1, hidden=True)
@learner_errors_fail("top_k(queries, docs, k) with zero vectors")
def test_top_k_zero_vectors_have_cosine_zero(student):
    rng = np.random.default_rng(63)
    docs = rng.normal(size=(6, 3))
    docs[2] = 0.0
    queries = np.stack([rng.normal(size=3), np.zeros(3)])
    idx, scores = _top_k(student, queries, docs, 6, dtype=None)
    if not np.isfinite(scores).all():
        raise AssertionError(f"a zero vector has cosine 0 with every vector: expected finite scores, got "
                             f"{scores.tolist()} (dividing by a zero length gives NaN)")
    want_idx, want_cos = _oracle_top_k(queries, docs, 6)
    expect_close(scores, want_cos, "top_k with document 2 and query 1 zero vectors: their cosines are 0", atol=1e-6)
    expect_close(idx, want_idx, "top_k with zero vectors: cosines of 0 rank among the others, ties by row", atol=0)


# max_pool


def _oracle_pool(scores, doc, n_docs):
    """scipy's labelled maximum, -inf for a label with no chunk."""
    out = np.full(n_docs, -np.inf)
    present = np.unique(doc)
    out[present] = ndimage.maximum(scores, labels=doc + 1, index=present + 1)
    return out


def _pool(student, scores, doc, n_docs, what):
    return expect_array(call_unchanged(student, "max_pool", what, scores, doc, n_docs), what, shape=(n_docs,),
                        dtype=np.float64)


def _pool_hints(scores, doc, n_docs):
    def by(reduce):
        return np.array([reduce(scores[doc == i]) if (doc == i).any() else -np.inf for i in range(n_docs)])

    last = np.full(n_docs, -np.inf)
    last[doc] = scores
    return [(lambda g, w: np.isfinite(g[np.isinf(w)]).any(), "A document without a chunk must score -inf, below "
             "every real score: start every document at -inf."),
            (lambda g, w: near(g[np.isfinite(w)], by(np.mean)[np.isfinite(w)]), "Yours is the mean of the chunks' "
             "scores: a document is as relevant as its best chunk, the maximum."),
            (lambda g, w: near(g[np.isfinite(w)], by(np.sum)[np.isfinite(w)]), "Yours sums the chunks' scores, "
             "which favours long documents: take the maximum."),
            (lambda g, w: near(g[np.isfinite(w)], last[np.isfinite(w)]), "Yours keeps each document's last chunk: "
             "compare every chunk with the best so far."),
            (lambda g, w: near(g[np.isfinite(w)], np.maximum(w, 0.0)[np.isfinite(w)]), "Yours never goes below 0: "
             "a document whose chunks all score below 0 keeps its best (negative) score, so start from -inf.")]


@graded("max_pool", points=2)
@learner_errors_fail("max_pool(chunk_scores, chunk_doc, n_docs) on shuffled chunks")
def test_max_pool_matches_scipy(student):
    rng = np.random.default_rng(64)
    doc = rng.permutation(np.repeat(np.arange(9), rng.integers(1, 5, size=9)))  # chunks in any order
    scores = rng.normal(size=len(doc)) - 0.5
    scores[doc == 3] = -np.abs(scores[doc == 3]) - 0.2  # a document whose chunks all score below 0
    scores = scores.astype(np.float32)  # cosines of MiniLM's float32 embeddings; the result is float64
    expect_close(_pool(student, scores, doc, 9, f"max_pool for {len(doc)} chunks of 9 documents"),
                 _oracle_pool(scores, doc, 9), f"max_pool for {len(doc)} shuffled chunks of 9 documents: each "
                 "document's largest chunk score (scipy.ndimage.maximum)", atol=1e-12,
                 hints=_pool_hints(scores, doc, 9))


@graded("max_pool", points=1)
@learner_errors_fail("max_pool(chunk_scores, chunk_doc, n_docs) with documents without chunks")
def test_max_pool_leaves_chunkless_documents_at_minus_infinity(student):
    doc = np.array([4, 1, 4, 1, 6])
    scores = np.array([-0.1, -0.2, -0.3, -0.7, 0.4])  # each document's last chunk is not its best
    got = _pool(student, scores, doc, 8, "max_pool for chunks of documents 1, 4 and 6 of 8")
    expect_close(got, _oracle_pool(scores, doc, 8), "max_pool for chunks of documents 1, 4 and 6 of 8: -inf for "
                 "the documents without a chunk, and the best (here negative) score for the others", atol=1e-12,
                 hints=[(lambda g, w: (g[[0, 2, 3, 5, 7]] == 0).all(), "Yours gives 0 to a document without a "
                         "chunk, which then outranks documents whose chunks all score below 0: give it -inf."),
                        *_pool_hints(scores, doc, 8)[1:]])


# bm25_scores


def _bm25_oracle(query, docs, k1, b):
    """The bm25s library's Lucene variant in float64."""
    import bm25s

    if not any(docs):
        return np.zeros(len(docs))
    model = bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
    model.index([list(d) for d in docs], show_progress=False)
    vocab = {t for d in docs for t in d}
    known = [t for t in query if t in vocab]
    return np.asarray(model.get_scores(known), dtype=np.float64) if known else np.zeros(len(docs))


def _bm25_variant(query, docs, k1, b, idf="lucene", saturation=1.0, avg="all", unique_query=False,
                  df_kind="docs", lengths="terms"):
    """BM25 with one of the mistakes a learner makes, for hints."""
    n = len(docs)
    size = np.array([len(set(d)) if lengths == "distinct" else len(d) for d in docs], dtype=np.float64)
    df = Counter(t for d in docs for t in (set(d) if df_kind == "docs" else d))
    out = np.zeros(n)
    for t in (dict.fromkeys(query) if unique_query else query):
        if df[t] == 0:
            continue
        containing = np.array([t in d for d in docs])
        avgdl = size[containing].mean() if avg == "containing" else size.mean()
        ratio = {"lucene": 1 + (n - df[t] + 0.5) / (df[t] + 0.5), "robertson": (n - df[t] + 0.5) / (df[t] + 0.5),
                 "plain": n / df[t]}[idf]
        if ratio <= 0:
            return np.full(n, np.nan)  # this variant has no value here
        tf = np.array([d.count(t) for d in docs], dtype=np.float64)
        norm = (1 - b + b * size / avgdl) if avg != "none" else (1 - b + b * size)
        hit = tf > 0
        out[hit] += math.log(ratio) * tf[hit] * saturation / (tf[hit] + k1 * norm[hit])
    return out


def _bm25_hints(query, docs, k1, b):
    def variant(**kw):
        return lambda g, w: near(g, _bm25_variant(query, docs, k1, b, **kw), rtol=1e-6, atol=1e-9)

    return [(variant(idf="robertson"), "Yours uses the idf ln((N - n(t) + 0.5) / (n(t) + 0.5)), without Lucene's "
             "1 + inside the logarithm (which keeps the idf positive for terms in most documents)."),
            (variant(idf="plain"), "Yours uses the idf ln(N / n(t)); BM25's here is ln(1 + (N - n(t) + 0.5) / "
             "(n(t) + 0.5))."),
            (variant(saturation=k1 + 1), "Yours multiplies by (k1 + 1), as Robertson's variant does; Lucene's "
             "leaves it out."),
            (variant(unique_query=True), "Yours counts a term repeated in the query once: each occurrence adds."),
            (variant(df_kind="tokens"), "Yours counts n(t) as the term's occurrences in the collection: it is the "
             "number of documents that contain it."),
            (variant(avg="containing"), "Yours takes avgdl over the documents that contain the term: it is the "
             "mean length over all N documents."),
            (variant(avg="none"), "Yours divides |D| by nothing: the length normalisation uses |D| / avgdl."),
            (variant(lengths="distinct"), "Yours counts a document's distinct terms as its length: |D| counts "
             "every term, repeats included."),
            (lambda g, w: near(g, _bm25_oracle(query, docs, k1, 1 - b), rtol=1e-6, atol=1e-9), "Yours swaps b and "
             "1 - b in the length normalisation: 1 - b + b |D| / avgdl.")]


def _bm25(student, query, docs, k1, b, what=""):
    what = what or f"bm25_scores(query, docs, k1={k1}, b={b}) for {len(docs)} documents"
    return expect_array(call_unchanged(student, "bm25_scores", what, query, docs, k1, b), what, shape=(len(docs),),
                        dtype=np.float64)


def _random_collection(seed, n_docs=40, vocab=25):
    rng = np.random.default_rng(seed)
    words = [f"t{i}" for i in range(vocab)]
    p = 1.0 / np.arange(1, vocab + 1)  # Zipf-like: some terms in most documents, some in few
    docs = [[str(t) for t in rng.choice(words, size=int(rng.integers(3, 30)), p=p / p.sum())] for _ in range(n_docs)]
    return words, docs


@graded("bm25_scores", points=2)
@learner_errors_fail("bm25_scores(query, docs, k1, b) on random collections")
def test_bm25_matches_bm25s(student):
    for seed, k1, b in [(70, 1.5, 0.75), (71, 1.2, 0.4), (72, 0.9, 1.0)]:
        words, docs = _random_collection(seed)
        query = [words[0], words[3], words[11], words[3], words[-1]]  # frequent, repeated and rare terms
        expect_close(_bm25(student, query, docs, k1, b), _bm25_oracle(query, docs, k1, b),
                     f"bm25_scores for a query of 5 terms (one repeated) against 40 random documents, k1={k1}, "
                     f"b={b}: the bm25s library's Lucene variant", rtol=1e-6, atol=1e-9,
                     hints=_bm25_hints(query, docs, k1, b))


@graded("bm25_scores", points=1)
@learner_errors_fail("bm25_scores(query, docs, k1, b): the idf")
def test_bm25_idf_of_a_common_and_a_rare_term(student):
    # Ten documents of equal length: "rare" is in one of them, "common" in nine.
    docs = [["common", "x", "y"] for _ in range(9)] + [["rare", "x", "y"]]
    for term, df in (("rare", 1), ("common", 9)):
        idf = math.log(1 + (10 - df + 0.5) / (df + 0.5))
        got = _bm25(student, [term], docs, 1.2, 0.75, f"bm25_scores([{term!r}], docs) for 10 documents of 3 terms")
        want = np.where([term in d for d in docs], idf / (1 + 1.2), 0.0)
        expect_close(got, want, f"bm25_scores for the term {term!r}, in {df} of 10 documents of equal length: "
                     f"idf = ln(1 + (N - n + 0.5) / (n + 0.5)) = {idf:.4f}, times 1 / (1 + k1) where it occurs",
                     rtol=1e-6, atol=1e-9, hints=_bm25_hints([term], docs, 1.2, 0.75))


@graded("bm25_scores", points=1)
@learner_errors_fail("bm25_scores(query, docs, k1, b): the length normalisation")
def test_bm25_length_normalisation(student):
    docs = [["t"] + ["x"] * 3, ["t"] + ["x"] * 11, ["y"] * 8]  # |D| = 4, 12, 8: avgdl = 8
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    for b in (0.0, 0.75, 1.0):
        want = np.array([idf / (1 + 1.5 * (1 - b + b * 4 / 8)), idf / (1 + 1.5 * (1 - b + b * 12 / 8)), 0.0])
        expect_close(_bm25(student, ["t"], docs, 1.5, b, f"bm25_scores(['t'], docs, 1.5, {b})"), want,
                     f"bm25_scores for one occurrence of 't' in documents of 4 and 12 terms (avgdl 8 over all "
                     f"three), b={b}: b = 0 ignores length, b = 1 divides by |D| / avgdl", rtol=1e-6, atol=1e-9,
                     hints=_bm25_hints(["t"], docs, 1.5, b))


@graded("bm25_scores", points=1, hidden=True)
@learner_errors_fail("bm25_scores on the Semanlink collection")
def test_bm25_on_the_collection(student):
    collection = data.semanlink()
    docs = [terms(text) for text in collection.texts]
    for query in (collection.queries[i] for i in (0, 57, 140)):
        expect_close(_bm25(student, terms(query), docs, 1.5, 0.75, f"bm25_scores for the query {query!r} against "
                           "the 314 papers"), _bm25_oracle(terms(query), docs, 1.5, 0.75),
                     f"bm25_scores for the query {query!r} against the 314 papers: bm25s's Lucene scores",
                     rtol=1e-6, atol=1e-9)


@graded("bm25_scores", points=1, hidden=True)
@learner_errors_fail("bm25_scores with empty documents, empty queries and unknown terms")
def test_bm25_edge_cases(student):
    docs = [["a", "b"], [], ["b", "c", "c"]]
    expect_close(_bm25(student, ["zzz"], docs, 1.5, 0.75, "bm25_scores(['zzz'], docs)"), np.zeros(3),
                 "a term no document contains adds 0", atol=0)
    expect_close(_bm25(student, [], docs, 1.5, 0.75, "bm25_scores([], docs)"), np.zeros(3),
                 "an empty query scores 0 everywhere", atol=0)
    expect_close(_bm25(student, ["c", "b"], docs, 1.5, 0.75), _bm25_oracle(["c", "b"], docs, 1.5, 0.75),
                 "bm25_scores with an empty document among three: it scores 0 and counts in avgdl", rtol=1e-6,
                 atol=1e-9, hints=_bm25_hints(["c", "b"], docs, 1.5, 0.75))
    for k1, b in ((0.0, 0.75), (1.2, 1.0)):
        expect_close(_bm25(student, ["c", "a"], docs, k1, b), _bm25_variant(["c", "a"], docs, k1, b),
                     f"bm25_scores with k1={k1}, b={b} and an empty document: a term adds 0 to a document that "
                     "does not contain it (no 0 / 0)", rtol=1e-6, atol=1e-9)
    got = _bm25(student, ["a"], [[], []], 1.5, 0.75, "bm25_scores(['a'], [[], []])")
    if not np.array_equal(got, np.zeros(2)):
        raise AssertionError(f"a collection of empty documents scores 0 everywhere: expected [0, 0], got "
                             f"{got.tolist()} (avgdl is 0 there: do not divide by it)")


# rrf


def _rrf_oracle(rankings, k):
    """Reciprocal rank fusion from its definition, by position in each ranking."""
    scores: dict = {}
    for ranking in rankings:
        for doc in ranking:
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + ranking.index(doc) + 1)
    ids = sorted(scores, key=lambda doc: (-round(scores[doc], 12), doc))
    return ids, np.array([scores[doc] for doc in ids])


def _rrf(student, rankings, k, what):
    got = expect_tuple(call_unchanged(student, "rrf", what, rankings, k), what, 2, ("ids", "scores"))
    ids = expect_type(got[0], list, f"{what}: ids")
    scores = expect_array(got[1], f"{what}: scores", shape=(len(ids),), dtype=np.float64)
    return ids, scores


def _rrf_hints(rankings, k):
    def variant_scores(start, kk):
        s: dict = {}
        for ranking in rankings:
            for pos, doc in enumerate(ranking):
                s[doc] = s.get(doc, 0.0) + 1.0 / (kk + pos + start)
        return s

    def same(kk, start):
        return lambda g, w: near(np.sort(g), np.sort(list(variant_scores(start, kk).values())))

    return [(same(k, 0), "Yours counts ranks from 0: the first document of a ranking has rank 1, so it adds "
             "1 / (k + 1)."),
            (same(0, 1), "Yours leaves out k: each ranking adds 1 / (k + rank)."),
            (lambda g, w: near(g, w[::-1]), "Yours lists the documents by increasing score: best first.")]


def _expect_fused(student, rankings, k, prop):
    what = f"rrf(rankings, {k}) for {len(rankings)} rankings of lengths {[len(r) for r in rankings]}"
    ids, scores = _rrf(student, rankings, k, what)
    want_ids, want_scores = _rrf_oracle(rankings, k)
    if sorted(ids) != sorted(want_ids) or len(ids) != len(want_ids):
        missing = sorted(set(want_ids) - set(ids))[:5]
        raise AssertionError(f"{prop}: expected each of the {len(want_ids)} ids found in any ranking once, got "
                             f"{len(ids)} ids" + (f" (missing {missing})" if missing else " (some repeated)"))
    expect_close(scores, want_scores, f"{prop}: the fused scores, best first", rtol=1e-9, atol=1e-12,
                 hints=_rrf_hints(rankings, k))
    if ids != want_ids:
        i = next(j for j, (a, b) in enumerate(zip(ids, want_ids, strict=True)) if a != b)
        tie = np.isclose(want_scores[i], want_scores[min(i + 1, len(want_ids) - 1)]) or (
            i > 0 and np.isclose(want_scores[i], want_scores[i - 1]))
        raise AssertionError(f"{prop}: expected {want_ids[i]!r} at position {i}, got {ids[i]!r}"
                             + (". Those two have equal fused scores: equal scores go in ascending order of id"
                                if tie else ""))


@graded("rrf", points=2)
@learner_errors_fail("rrf(rankings, k) on random rankings")
def test_rrf_matches_its_definition(student):
    rng = np.random.default_rng(80)
    pool = [f"d{i:02d}" for i in range(40)]
    rankings = [[pool[j] for j in rng.permutation(40)[:n]] for n in (25, 10, 18)]
    for k in (60, 5):
        _expect_fused(student, rankings, k, f"rrf of three random rankings with k={k}: each id's sum over the "
                      "rankings that hold it of 1 / (k + rank), rank 1 for the first")


@graded("rrf", points=1)
@learner_errors_fail("rrf(rankings, k) with tied fused scores")
def test_rrf_orders_ties_by_id(student):
    rankings = [["b", "a", "e", "c"], ["a", "b", "d"], ["e"]]
    _expect_fused(student, rankings, 60, "rrf of [b, a, e, c], [a, b, d] and [e] with k=60: a and b tie, so a "
                  "comes first")


@graded("rrf", points=1, hidden=True)
@learner_errors_fail("rrf(rankings, k) of one ranking, and of none")
def test_rrf_of_one_ranking_keeps_it(student):
    ranking = ["p", "q", "r", "s", "t"]
    ids, scores = _rrf(student, [ranking], 10, "rrf([ranking], 10) for one ranking of 5 ids")
    if ids != ranking:
        raise AssertionError(f"rrf of one ranking keeps its order: expected {ranking}, got {ids}")
    expect_close(scores, 1.0 / (10 + np.arange(1, 6)), "rrf of one ranking with k=10: 1 / (10 + rank) for ranks "
                 "1 to 5", rtol=1e-9, hints=_rrf_hints([ranking], 10))
    ids, scores = _rrf(student, [ranking, ranking[::-1]], 0, "rrf(rankings, 0) for a ranking and its reverse")
    expect_close(scores, _rrf_oracle([ranking, ranking[::-1]], 0)[1], "rrf with k=0: 1 / rank from each ranking "
                 "(k = 0 is a valid k, not a missing one)", rtol=1e-9)
    ids, scores = _rrf(student, [], 60, "rrf([], 60)")
    if ids != [] or len(scores):
        raise AssertionError(f"rrf of no ranking: expected ([], an empty array), got {ids}")


# evaluate


def _trec(run, qrels, k):
    """pytrec_eval's recall@k, reciprocal rank of the run cut at k, and nDCG@k, for each query of
    qrels with a relevant document (0 for one the run does not answer)."""
    judged = {q: dict(j) for q, j in qrels.items() if any(g > 0 for g in j.values())}
    cut = {q: {doc: float(len(ranking) - i) for i, doc in enumerate(ranking[:k])}  # scores without ties
           for q, ranking in run.items() if q in judged and ranking}
    measures = {f"recall.{k}", "recip_rank", f"ndcg_cut.{k}"}
    found = pytrec_eval.RelevanceEvaluator(judged, measures).evaluate(cut) if cut else {}
    out = {}
    for q in judged:
        m = found.get(q)
        out[q] = {"recall": m[f"recall_{k}"], "mrr": m["recip_rank"], "ndcg": m[f"ndcg_cut_{k}"]} if m else \
            dict.fromkeys(METRICS, 0.0)
    return out


def _evaluate(student, run, qrels, k, what=""):
    what = what or f"evaluate(run, qrels, {k}) for {len(qrels)} queries"
    got = expect_type(call_unchanged(student, "evaluate", what, run, qrels, k), dict, what)
    return got


def _metric(got, want, name, what):
    """The learner's values of one metric, query by query, in want's order."""
    if set(got) != set(want):
        extra, missing = sorted(set(got) - set(want))[:3], sorted(set(want) - set(got))[:3]
        raise AssertionError(f"{what}: expected one entry per query of qrels with a relevant document "
                             f"({len(want)}), got {len(got)}" + (f"; missing {missing}" if missing else "")
                             + (f"; not expected {extra} (a query without a relevant document, or not in qrels, "
                                "has no entry)" if extra else ""))
    values = []
    for q in want:
        entry = expect_type(got[q], dict, f"{what}: the entry of query {q!r}")
        if name not in entry:
            raise AssertionError(f"{what}: expected the keys {list(METRICS)} in each entry, got {sorted(entry)}")
        values.append(expect_scalar(entry[name], f"{what}: {name} of query {q!r}"))
    return np.array(values)


def _eval_hints(run, qrels, k, name):
    def variant(fn):
        def symptom(g, w):
            alt = np.array([fn(run.get(q, []), qrels[q]) for q in qrels if any(v > 0 for v in qrels[q].values())])
            return g.shape == alt.shape and bool(np.allclose(g, alt, atol=1e-9, equal_nan=True))
        return symptom

    def dcg(gains, base=2.0, offset=1):
        return sum(g / math.log(i + offset, base) for i, g in enumerate(gains, start=1))

    def ndcg(ranking, judged, ideal_from_run=False, base=2.0, offset=1, binary=False, cut=None):
        grade = {d: (1 if g > 0 else 0) if binary else g for d, g in judged.items()}
        gains = [grade.get(d, 0) for d in ranking[:k]]
        best = sorted(gains if ideal_from_run else grade.values(), reverse=True)[:cut or k]
        ideal = dcg(best, base, offset)
        return dcg(gains, base, offset) / ideal if ideal > 0 else np.nan

    def all_judged(metric):
        def fn(r, j):
            judged = {d: max(g, 1) for d, g in j.items()}
            return evaluate_binary(r, judged, metric)
        return fn

    def evaluate_binary(r, judged, metric):
        top = r[:k]
        hits = [i for i, d in enumerate(top, 1) if d in judged]
        if metric == "recall":
            return len(hits) / len(judged)
        if metric == "mrr":
            return 1 / hits[0] if hits else 0.0
        return ndcg(r, judged)

    grade_zero = (variant(lambda r, j: all_judged(name)(r, j)), "Yours counts a judged document of grade 0 as "
                  "relevant: only grades above 0 are.")
    hints = {
        "recall": [(variant(lambda r, j: sum(j.get(d, 0) > 0 for d in r[:k]) / k), "Yours divides by k: recall "
                    "divides the relevant documents found by the number of relevant documents of the query."),
                   (variant(lambda r, j: sum(j.get(d, 0) > 0 for d in r) / sum(g > 0 for g in j.values())),
                    "Yours counts relevant documents beyond the first k.")],
        "mrr": [(variant(lambda r, j: next((1 / i for i, d in enumerate(r, 1) if j.get(d, 0) > 0), 0.0)),
                 "Yours counts a first relevant document found beyond rank k: MRR@k is 0 when none is in the "
                 "first k."),
                (variant(lambda r, j: next((1 / i for i, d in enumerate(r[:k]) if j.get(d, 0) > 0 and i), 0.0)),
                 "Yours counts ranks from 0: the first document has rank 1.")],
        "ndcg": [(variant(lambda r, j: ndcg(r, j, ideal_from_run=True)), "Yours computes the ideal DCG from the "
                  "retrieved list: it is the DCG of the best ranking of all the query's judged documents, so a "
                  "run that misses relevant documents scores below 1."),
                 (variant(lambda r, j: ndcg(r, j, cut=len(j))), "Yours does not cut the ideal ranking at k: "
                  "IDCG@k is the DCG of the best ranking's first k documents."),
                 (variant(lambda r, j: ndcg(r, j, cut=max(len(r[:k]), 1))), "Yours cuts the ideal ranking at the "
                  "length of the run: IDCG@k takes the best ranking's first k documents, however few were retrieved."),
                 (variant(lambda r, j: ndcg(r, j, offset=2)),
                  "Yours discounts by log2(rank + 2): with ranks from 1 the discount is log2(rank + 1)."),
                 (variant(lambda r, j: ndcg(r, j, binary=True)), "Yours treats every relevant document alike: "
                  "the gain is the relevance grade.")],
    }
    return [*hints[name], grade_zero]


def _expect_metrics(student, run, qrels, k, prop, names=METRICS):
    got = _evaluate(student, run, qrels, k)
    want = _trec(run, qrels, k)
    for name in names:
        expect_close(_metric(got, want, name, f"evaluate(run, qrels, {k})"), [want[q][name] for q in want],
                     f"{prop}: {name}@{k} query by query, as pytrec_eval computes it", atol=1e-9,
                     hints=_eval_hints(run, qrels, k, name))


def _random_run(seed, n_queries=12, n_docs=60, graded=False):
    rng = np.random.default_rng(seed)
    docs = [f"doc{i}" for i in range(n_docs)]
    qrels, run = {}, {}
    for q in range(n_queries):
        judged = rng.choice(n_docs, size=int(rng.integers(2, 12)), replace=False)
        grades = rng.integers(0, 4 if graded else 2, size=len(judged))
        grades[0] = max(grades[0], 1)  # every query has a relevant document
        qrels[f"q{q}"] = {docs[j]: int(g) for j, g in zip(judged, grades, strict=True)}
        run[f"q{q}"] = [docs[j] for j in rng.permutation(n_docs)[:int(rng.integers(5, 40))]]
    return run, qrels


@graded("evaluate", points=1)
@learner_errors_fail("evaluate(run, qrels, k): recall@k")
def test_recall_matches_pytrec_eval(student):
    run, qrels = _random_run(90)
    for k in (5, 20):
        _expect_metrics(student, run, qrels, k, f"evaluate on 12 random queries, k={k}", ("recall",))


@graded("evaluate", points=1)
@learner_errors_fail("evaluate(run, qrels, k): MRR@k")
def test_mrr_matches_pytrec_eval(student):
    run, qrels = _random_run(91)
    for k in (3, 10):
        _expect_metrics(student, run, qrels, k, f"evaluate on 12 random queries, k={k}", ("mrr",))


@graded("evaluate", points=2)
@learner_errors_fail("evaluate(run, qrels, k): nDCG@k with binary judgments")
def test_ndcg_matches_pytrec_eval(student):
    run, qrels = _random_run(92)
    for k in (5, 10):
        _expect_metrics(student, run, qrels, k, f"evaluate on 12 random queries with binary judgments, k={k}",
                        ("ndcg",))


@graded("evaluate", points=2)
@learner_errors_fail("evaluate(run, qrels, k) with graded judgments")
def test_graded_judgments_match_pytrec_eval(student):
    run, qrels = _random_run(93, graded=True)
    _expect_metrics(student, run, qrels, 10, "evaluate on 12 random queries with grades 0 to 3, k=10")


@graded("evaluate", points=1)
@learner_errors_fail("evaluate(run, qrels, k): a perfect run, an empty one and missing queries")
def test_closed_cases(student):
    qrels = {"perfect": {"a": 2, "b": 1, "z": 0}, "none": {"c": 1}, "unanswered": {"d": 1},
             "unjudged": {"e": 0}, "short": {"p": 1, "q": 1, "r": 1, "s": 1}}
    run = {"perfect": ["a", "b", "x", "z"], "none": ["x", "y", "z"], "unjudged": ["e"], "stray": ["a"],
           "short": ["x", "p"]}
    got = _evaluate(student, run, qrels, 3, "evaluate on 5 queries")
    want_short = _trec({"short": run["short"]}, {"short": qrels["short"]}, 3)["short"]
    for name in METRICS:
        entry = got.get("short") if isinstance(got, dict) else None
        value = expect_scalar(entry.get(name) if isinstance(entry, dict) else None,
                              f"evaluate(run, qrels, 3): {name} of the query 'short'")
        expect_close(value, want_short[name], f"evaluate(run, qrels, 3) for a run of 2 documents, the second "
                     f"relevant, against 4 relevant documents: {name}@3 as pytrec_eval computes it (recall over all "
                     "4, the ideal DCG of 3 relevant documents)", atol=1e-9,
                     hints=_eval_hints({"short": run["short"]}, {"short": qrels["short"]}, 3, name))
    got = {q: v for q, v in got.items() if q != "short"}
    want = {"perfect": dict.fromkeys(METRICS, 1.0), "none": dict.fromkeys(METRICS, 0.0),
            "unanswered": dict.fromkeys(METRICS, 0.0)}
    for name in METRICS:
        expect_close(_metric(got, want, name, "evaluate(run, qrels, 3)"), [want[q][name] for q in want],
                     f"evaluate: {name} is 1 for a perfect ranking (grades 2 then 1, a document of grade 0 not "
                     "relevant), 0 for a ranking without a relevant document and 0 for a query the run does not "
                     "answer (in that order); a query without a relevant document has no entry", atol=1e-12,
                     hints=[(lambda g, w, name=name: name == "recall" and abs(g[0] - 2 / 3) < 1e-9, "Yours counts the document "
                             "of grade 0 as relevant: only grades above 0 are, so the perfect ranking found both.")])


@graded("evaluate", points=1, hidden=True)
@learner_errors_fail("evaluate on a BM25 run of the Semanlink collection")
def test_evaluate_on_the_collection(student):
    collection = data.semanlink()
    run = _collection_run()
    qrels = {q: collection.qrels[q] for q in collection.query_ids[:60]}
    _expect_metrics(student, {q: run[q] for q in qrels}, qrels, 10, "evaluate on BM25's run for 60 Semanlink "
                    "queries, k=10")


@functools.lru_cache(maxsize=1)
def _collection_run(depth: int = 100) -> dict:
    """bm25s's run over the Semanlink collection, each query's `depth` best papers."""
    import bm25s

    collection = data.semanlink()
    model = bm25s.BM25(method="lucene", dtype="float64")
    model.index([terms(t) for t in collection.texts], show_progress=False)
    run = {}
    for q, query in zip(collection.query_ids, collection.queries, strict=True):
        scores = np.asarray(model.get_scores(terms(query)))
        run[q] = [collection.doc_ids[j] for j in np.argsort(-scores, kind="stable")[:depth]]
    return run


# build_prompt

INSTRUCTION = "Use only these passages; cite them by id."


def _prompt_oracle(question, passages, doc_ids, budget, instruction):
    """The prompt built token by token: whole passages while they fit, then the first that does not
    fit cut to the words that do; a passage without words is left out."""
    head = instruction.split()
    tail = ["Question:", *question.split(), "Answer:"]
    left = budget - len(head) - len(tail)
    body = []
    for doc_id, passage in zip(doc_ids, passages, strict=False):
        words = passage.split()
        if not words:
            continue
        keep = min(len(words), left - 1)
        if keep < 1:
            break
        body.append(f"[{doc_id}] " + " ".join(words[:keep]))
        left -= 1 + keep
        if keep < len(words):
            break
    return "\n".join([" ".join(head), "", *body, "", "Question: " + " ".join(question.split()), "Answer:"])


def _prompt(student, question, passages, doc_ids, budget, instruction, what):
    return expect_type(call_unchanged(student, "build_prompt", what, question, passages, doc_ids, budget,
                                      instruction), str, what)


def _passage_lines(prompt: str) -> list[str]:
    return [line for line in prompt.split("\n") if line.startswith("[")]


def _prompt_hint(got: str, want: str, budget: int, passages) -> str:
    lines_got, lines_want = _passage_lines(got), _passage_lines(want)
    tokens_got, tokens_want = len(got.split()), len(want.split())
    if tokens_got > budget:
        over = tokens_got - budget
        why = (": the words \"Question:\" and \"Answer:\" count too" if over == 2 and len(lines_got) != 2 else
               ": each bracketed id is a token too" if over == len(lines_got) else "")
        return f"Yours has {tokens_got} tokens, over the budget of {budget}{why}."
    empty = [i for i, p in enumerate(passages) if not p.split()]
    if empty and len(lines_got) < len(lines_want):
        return ("A passage without words is skipped, and the passages after it are still added while they fit "
                f"(passage {empty[0] + 1} has no words).")
    if lines_want and not lines_got or len(got) <= budget < tokens_want * 2:
        return (f"Yours has {tokens_got} tokens and {len(got)} characters, and {tokens_want} tokens fit: count the "
                "budget in tokens (len(text.split())), not in characters.")
    cut = bool(lines_want) and len(lines_want[-1].split()) - 1 < len(passages[len(lines_want) - 1].split())
    if len(lines_got) > len(lines_want) and cut:
        return "Yours adds a passage after one that had to be cut: the first passage that does not fit is the last."
    if len(lines_got) < len(lines_want) and tokens_got < tokens_want:
        return ("Yours leaves out a passage that could be cut to fit: the first passage that does not fit whole "
                "is cut to its first words that fit.")
    return ""


def _expect_prompt(got, want, budget, passages, prop):
    if got != want:
        g, w = got.split("\n"), want.split("\n")
        i = next((j for j, (a, b) in enumerate(zip(g, w, strict=False)) if a != b), min(len(g), len(w)))
        line = lambda lines: repr(lines[i][:90]) if i < len(lines) else "no line"  # noqa: E731
        hint = _prompt_hint(got, want, budget, passages)
        raise AssertionError(f"{prop}: expected line {i + 1} to be {line(w)}, got {line(g)} ({len(w)} lines and "
                             f"{len(want.split())} tokens expected, {len(g)} lines and {len(got.split())} tokens "
                             "returned)" + (f". {hint}" if hint else ""))


@graded("build_prompt", points=1)
@learner_errors_fail("build_prompt(question, passages, doc_ids, budget, instruction) with room to spare")
def test_prompt_format(student):
    passages = ["Dense retrieval  embeds the query.", "  \n ", "BM25 counts\nwords."]
    question = "How does  search work?"
    instruction = "Use only  these passages;\ncite them by id."
    want = _prompt_oracle(question, passages, ["p1", "p2", "p3"], 500, instruction)
    got = _prompt(student, question, passages, ["p1", "p2", "p3"], 500, instruction, "build_prompt for three short "
                  "passages (one without words) and a budget of 500")
    _expect_prompt(got, want, 500, passages, "build_prompt with room for everything: the instruction, an empty "
                   "line, \"[id] words\" per passage with words (a passage without any is left out), an empty line, "
                   "\"Question: ...\" and \"Answer:\", joined by newlines, the words of the instruction, the passages "
                   "and the question joined by single spaces")


@graded("build_prompt", points=2)
@learner_errors_fail("build_prompt(question, passages, doc_ids, budget, instruction) under a tight budget")
def test_prompt_fills_the_budget_in_tokens(student):
    rng = np.random.default_rng(95)
    vocab = ["retrieval", "of", "the", "vector", "a", "index", "cosine", "neighbours", "is", "search"]
    passages = [" ".join(rng.choice(vocab, size=int(n))) for n in rng.integers(8, 30, size=6)]
    ids = [f"1{i}0{i}.0{i}" for i in range(6)]
    question = "Which index keeps the nearest neighbours?"
    lengths = [len(p.split()) + 1 for p in passages]
    fixed = len(INSTRUCTION.split()) + len(question.split()) + 2
    budgets = [fixed + lengths[0] + lengths[1] + 4,   # the third passage cut to 3 words
               fixed + lengths[0] + lengths[1],       # exactly two passages
               fixed + lengths[0] + 1,                # the second passage's id, but none of its words
               fixed + 40]
    for budget in budgets:
        want = _prompt_oracle(question, passages, ids, budget, INSTRUCTION)
        got = _prompt(student, question, passages, ids, budget, INSTRUCTION, f"build_prompt for 6 passages and a "
                      f"budget of {budget} tokens")
        _expect_prompt(got, want, budget, passages, f"build_prompt for 6 passages of {lengths} tokens (with their ids) and "
                       f"a budget of {budget} tokens, {fixed} of them the instruction and the question: whole "
                       "passages while they fit, then the next one cut to the words that fit")


@graded("build_prompt", points=1, hidden=True)
@learner_errors_fail("build_prompt with a budget exactly the size of the prompt without passages")
def test_prompt_refuses_a_budget_below_the_question(student):
    question = "What does reciprocal rank fusion add up?"
    fixed = len(INSTRUCTION.split()) + len(question.split()) + 2
    want = _prompt_oracle(question, ["one two three"], ["d"], fixed, INSTRUCTION)
    got = _prompt(student, question, ["one two three"], ["d"], fixed, INSTRUCTION, f"build_prompt with a budget of "
                  f"{fixed} tokens, exactly the instruction and the question")
    _expect_prompt(got, want, fixed, ["one two three"], "build_prompt with no room for a passage: no passage line")
    expect_error("ValueError", f"build_prompt with a budget of {fixed - 1} tokens, one less than the instruction "
                 "and the question need, raises ValueError", student.call, "build_prompt", question,
                 ["one two three"], ["d"], fixed - 1, INSTRUCTION)
