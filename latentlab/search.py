"""Helpers of the retrieval chapter that are not exercises: the lexical tokenizer shared by the
page and the exercise, and the search runs the page measures."""

from __future__ import annotations

import re
import time

import numpy as np

TERM_RE = re.compile(r"[a-z0-9]+")
CHUNK_SIZE, CHUNK_OVERLAP = 100, 25  # words per chunk, and words two neighbouring chunks share
MAX_TOKENS = (128, 256)  # the windows the page embeds the papers with; 256 is MiniLM's own


def terms(text: str) -> list[str]:
    """Lower-case search terms of `text`: maximal runs of the letters a-z and the digits 0-9."""
    return TERM_RE.findall(str(text).lower())


def chunks(texts, size=CHUNK_SIZE, overlap=CHUNK_OVERLAP):
    """Every text cut into windows of `size` words sharing `overlap`: (chunk texts, chunk_doc
    (n_chunks,) int64, the index of each chunk's text)."""
    from latentlab.reference.retrieval import chunk_words

    out, owner = [], []
    for i, text in enumerate(texts):
        for window in chunk_words(str(text).split(), size, overlap):
            out.append(" ".join(window))
            owner.append(i)
    return out, np.array(owner, dtype=np.int64)


def ranking(scores, ids, k):
    """Each row of scores (m, n) as the ids (n,) of its k best columns, best first, ties to the
    lower column: a list of m lists."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")[:, :k]
    return [[ids[j] for j in row] for row in order]


def as_run(query_ids, rankings):
    """{query id: [doc ids best first]} from query ids (m,) and their m rankings."""
    return dict(zip(query_ids, rankings, strict=True))


def dense_scores(collection, max_tokens=256):
    """Cosines (m, n) float32 of the queries' and the papers' MiniLM embeddings, papers cut to
    `max_tokens` word pieces."""
    from latentlab import data

    docs = data.embed(collection.texts, max_tokens=max_tokens)  # (n, 384), unit rows
    return data.embed(collection.queries) @ docs.T


def chunk_scores(collection, size=CHUNK_SIZE, overlap=CHUNK_OVERLAP):
    """Cosines (m, n) of each query with each paper's best chunk (chunks of `size` words)."""
    from latentlab import data
    from latentlab.reference.retrieval import max_pool

    texts, owner = chunks(collection.texts, size, overlap)
    cos = data.embed(collection.queries) @ data.embed(texts).T  # (m, n_chunks)
    return np.stack([max_pool(row, owner, len(collection.texts)) for row in cos])


def bm25_matrix(collection, k1=1.5, b=0.75):
    """bm25s's Lucene BM25 (float64) of every query against every paper, (m, n), with `terms`."""
    import bm25s

    model = bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
    model.index([terms(t) for t in collection.texts], show_progress=False)
    vocabulary = model.vocab_dict
    out = np.zeros((len(collection.queries), len(collection.texts)))
    for i, query in enumerate(collection.queries):
        known = [t for t in terms(query) if t in vocabulary]
        if known:
            out[i] = model.get_scores(known)
    return out


def tfidf_scores(queries, texts):
    """Cosines (m, n) of scikit-learn's TF-IDF vectors (smooth idf, l2 rows) over `terms`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=terms).fit(texts)
    return (vectorizer.transform(queries) @ vectorizer.transform(texts).T).toarray()


def minmax(scores):
    """Each row of scores (m, n) rescaled to [0, 1] (a constant row becomes 0)."""
    scores = np.asarray(scores, dtype=np.float64)
    low, high = scores.min(axis=1, keepdims=True), scores.max(axis=1, keepdims=True)
    return (scores - low) / np.where(high > low, high - low, 1.0)


def trec_metrics(run, qrels, k):
    """pytrec_eval's recall@k, reciprocal rank of the top k and nDCG@k per query, in the shape of
    the reference `evaluate`: {query: {"recall", "mrr", "ndcg"}}."""
    import pytrec_eval

    # Scores fall with rank, so trec_eval keeps the run's order (it breaks ties by doc id).
    scored = {q: {d: float(k - i) for i, d in enumerate(docs[:k])} for q, docs in run.items()}
    measures = {f"recall.{k}", "recip_rank", f"ndcg_cut.{k}"}
    raw = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(scored)
    return {q: {"recall": m[f"recall_{k}"], "mrr": m["recip_rank"], "ndcg": m[f"ndcg_cut_{k}"]}
            for q, m in raw.items()}


def per_query(metrics, query_ids, name):
    """The values (m,) of one metric (`"recall"`, `"mrr"` or `"ndcg"`) in query_ids' order."""
    return np.array([metrics[q][name] for q in query_ids])


def random_ndcg(n_relevant, n_docs, k):
    """Expected nDCG@k of a uniformly random ranking of n_docs with n_relevant relevant (binary)."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))  # (k,)
    return float(n_relevant / n_docs * discounts.sum() / discounts[:min(k, n_relevant)].sum())


def bootstrap(diffs, n_resamples=10_000, seed=0):
    """Means (n_resamples,) of `diffs` (m,) resampled over queries with replacement."""
    diffs = np.asarray(diffs, dtype=np.float64)
    rng = np.random.default_rng(seed)
    return diffs[rng.integers(0, len(diffs), size=(n_resamples, len(diffs)))].mean(axis=1)


def warm_up():
    """Embed and cache on disk every text the retrieval page embeds: seconds taken."""
    from latentlab import data

    start = time.perf_counter()
    collection = data.semanlink()
    data.embed(collection.queries)
    for max_tokens in MAX_TOKENS:
        data.embed(collection.texts, max_tokens=max_tokens)
    data.embed(chunks(collection.texts)[0])
    data.embed(data.lee_similarity()[0])
    return time.perf_counter() - start


def near_copies(base, n, noise=0.3, seed=0):
    """n unit vectors (n, d) float32 near the rows of base (b, d): a random mix of two rows, plus
    Gaussian noise of expected norm `noise`, renormalised."""
    rng = np.random.default_rng(seed)
    base = np.asarray(base, dtype=np.float32)
    i, j = rng.integers(0, len(base), size=(2, n))
    w = rng.uniform(0.0, 1.0, size=(n, 1)).astype(np.float32)
    x = w * base[i] + (1 - w) * base[j]  # (n, d)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    x += rng.normal(0.0, noise / np.sqrt(base.shape[1]), size=x.shape).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def indexes(x, hnsw_m=32, ef_search=64):
    """faiss indexes of unit vectors x (n, d) float32, by name: exact inner product (float32),
    HNSW, 8-bit scalar quantizer, and sign bits (hamming); built in this order."""
    import faiss

    d = x.shape[1]
    out = {"exact (float32)": faiss.IndexFlatIP(d),
           "HNSW (float32)": faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT),
           "int8": faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT),
           "binary (sign bits)": faiss.IndexBinaryFlat(d)}
    out["HNSW (float32)"].hnsw.efSearch = ef_search
    return out


def fill(name, index, x):
    """Train (if needed) and add x (n, d) float32 to a faiss index of `indexes`: seconds taken."""
    start = time.perf_counter()
    data = np.packbits(x > 0, axis=1) if name.startswith("binary") else x  # (n, d / 8) uint8
    if not index.is_trained:
        index.train(data)
    index.add(data)
    return time.perf_counter() - start


def search_index(name, index, queries, k):
    """Ids (m, k) of each query's k best vectors in a filled index of `indexes`."""
    data = np.packbits(queries > 0, axis=1) if name.startswith("binary") else queries
    return index.search(data, k)[1]


def index_bytes(index):
    """Bytes the faiss index takes once serialised: its vectors, codes and graph."""
    import faiss

    if isinstance(index, faiss.IndexBinary):
        return int(faiss.serialize_index_binary(index).nbytes)
    return int(faiss.serialize_index(index).nbytes)


def overlap_at_k(found, exact):
    """Mean share (float) of each row of exact (m, k) ids that the row of found (m, >= k) holds."""
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact, strict=True)]))


def scale_table(base, queries, sizes, k=10, repeats=3, seed=0):
    """For each n in sizes and each index of `indexes` over near_copies(base, n): ({(n, name):
    {"recall": overlap with exact search at k, "build_s": seconds, "query_ms": (repeats,) ms per
    query, "bytes": serialised size}}, (x, {name: filled index}) of the last n)."""
    out = {}
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    for n in sizes:
        x = near_copies(base, n, seed=seed)
        exact, built = None, indexes(x)
        for name, index in built.items():
            build = fill(name, index, x)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                found = search_index(name, index, queries, k)
                times.append(1e3 * (time.perf_counter() - start) / len(queries))
            exact = found if exact is None else exact
            out[n, name] = {"recall": overlap_at_k(found, exact), "build_s": build,
                            "query_ms": np.array(times), "bytes": index_bytes(index)}
        last = (x, built)
    return out, last


def index_search(name, x, queries, k, rerank=0):
    """Ids (m, k) of each query's k best rows of x (n, d) through a fresh index `name` of
    `indexes`; with rerank > 0, its top `rerank` reordered by the float32 inner product."""
    index = indexes(x)[name]
    fill(name, index, x)
    found = search_index(name, index, queries, max(k, rerank))  # (m, max(k, rerank))
    if rerank:
        found = np.array([f[np.argsort(-(x[f] @ q), kind="stable")] for f, q in zip(found, queries, strict=True)])
    return found[:, :k]


def glue(name, value, display=False):
    """myst_nb's glue, numpy scalars passed as Python numbers (its formatting reads only those)."""
    from myst_nb import glue as myst_glue

    myst_glue(name, value.item() if isinstance(value, np.generic) else value, display=display)
