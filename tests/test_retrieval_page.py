"""The retrieval chapter (book/06_retrieval.md): the runs it builds through latentlab.search score
the same under pytrec_eval and the course's reference `evaluate`, its BM25 is the reference's, and
warm_up caches every embedding the page asks for, so that a warm build embeds nothing."""

import numpy as np
import pytest

from latentlab import data, search
from latentlab.reference import retrieval as ref
from tests.helpers import uncached_embeddings

PAGE = "book/06_retrieval"


@pytest.fixture(scope="module")
def collection():
    return data.semanlink()


@pytest.fixture(scope="module")
def runs(collection):
    """The page's BM25, dense and fused runs, 100 deep."""
    ids, qids = collection.doc_ids, collection.query_ids
    bm25 = search.bm25_matrix(collection)
    dense = search.dense_scores(collection)
    out = {"BM25": search.as_run(qids, search.ranking(bm25, ids, 100)),
           "MiniLM": search.as_run(qids, search.ranking(dense, ids, 100)),
           "min-max": search.as_run(qids, search.ranking(
               0.5 * search.minmax(bm25) + 0.5 * search.minmax(dense), ids, 100))}
    out["RRF"] = {q: ref.rrf([out["BM25"][q], out["MiniLM"][q]], k=60)[0][:100] for q in qids}
    return out


@pytest.mark.parametrize("name", ["BM25", "MiniLM", "RRF", "min-max"])
def test_the_pages_metrics_equal_pytrec_eval(collection, runs, name):
    run = runs[name]
    for k, metrics in ((10, ("ndcg", "mrr", "recall")), (100, ("recall",))):
        trec = search.trec_metrics(run, collection.qrels, k)
        ours = ref.evaluate(run, collection.qrels, k)
        assert set(trec) == set(ours) == set(collection.query_ids)
        for m in metrics:
            a = search.per_query(trec, collection.query_ids, m)
            b = search.per_query(ours, collection.query_ids, m)
            assert np.allclose(a, b, atol=1e-12), f"{name} {m}@{k}: pytrec_eval and evaluate differ by {abs(a - b).max()}"
    ndcg = search.per_query(search.trec_metrics(run, collection.qrels, 10), collection.query_ids, "ndcg").mean()
    assert 0.35 < ndcg < 0.65, f"{name}: nDCG@10 {ndcg:.3f} is far from the page's 0.44-0.52"


def test_the_solution_notebooks_functions_reproduce_the_pages_table(collection, runs):
    """The learner-facing solution's evaluate (and its rrf) give the page's nDCG@10, MRR@10 and
    recall@100 for BM25, dense and fused search, as pytrec_eval does."""
    from tests.helpers import exercise_namespace

    ns = exercise_namespace("a06_retrieval")
    fused = {q: ns["rrf"]([runs["BM25"][q], runs["MiniLM"][q]])[0][:100] for q in collection.query_ids}
    assert fused == runs["RRF"], "the solution's rrf fuses as the page does"
    for name in ("BM25", "MiniLM", "RRF"):
        for k, metric in ((10, "ndcg"), (10, "mrr"), (100, "recall")):
            trec = search.per_query(search.trec_metrics(runs[name], collection.qrels, k), collection.query_ids, metric)
            mine = search.per_query(ns["evaluate"](runs[name], collection.qrels, k), collection.query_ids, metric)
            assert np.allclose(trec, mine, atol=1e-12), f"{name} {metric}@{k}"


def test_bm25s_is_the_reference_bm25(collection):
    scores = search.bm25_matrix(collection)
    doc_terms = [search.terms(t) for t in collection.texts]
    for j in range(0, len(collection.queries), 7):
        expected = ref.bm25_scores(search.terms(collection.queries[j]), doc_terms)
        assert np.allclose(scores[j], expected, atol=1e-9), collection.queries[j]


def test_trec_metrics_keep_the_runs_order_on_ties():
    qrels = {"q": {"b": 1}}
    run = {"q": ["a", "b", "c"]}  # trec_eval would reorder equal scores by doc id
    assert search.trec_metrics(run, qrels, 10)["q"]["mrr"] == pytest.approx(0.5)


def test_random_ndcg_matches_simulation():
    rng = np.random.default_rng(0)
    relevant = set(range(3))
    sims = []
    for _ in range(20000):
        top = rng.permutation(40)[:10]
        dcg = sum(1 / np.log2(i + 2) for i, d in enumerate(top) if d in relevant)
        sims.append(dcg / sum(1 / np.log2(i + 2) for i in range(3)))
    assert search.random_ndcg(3, 40, 10) == pytest.approx(np.mean(sims), abs=0.01)


def test_chunks_cover_every_word_and_name_their_paper():
    texts = ["one two three", " ".join(f"w{i}" for i in range(230))]
    chunk_texts, owner = search.chunks(texts, size=100, overlap=25)
    assert owner.tolist() == [0, 1, 1, 1]
    assert chunk_texts[-1].split()[-1] == "w229" and chunk_texts[2].split()[0] == "w75"


def test_faiss_indexes_find_the_exact_neighbours_of_copies():
    base = np.random.default_rng(0).normal(size=(50, 64)).astype(np.float32)
    x = search.near_copies(base, 500, noise=0.3, seed=1)  # (500, 64) unit rows
    assert x.shape == (500, 64) and np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    assert np.array_equal(x, search.near_copies(base, 500, noise=0.3, seed=1))
    q = x[:20]
    exact = search.index_search("exact (float32)", x, q, 5)
    assert np.array_equal(exact[:, 0], np.arange(20)), "a vector is its own nearest neighbour"
    assert search.overlap_at_k(search.index_search("int8", x, q, 5), exact) > 0.9
    assert search.overlap_at_k(search.index_search("binary (sign bits)", x, q, 5, rerank=50), exact) > 0.8
    table, (x_last, built) = search.scale_table(base, q, sizes=(200,), k=5, repeats=2)
    assert table[200, "exact (float32)"]["recall"] == 1.0 and len(x_last) == 200
    assert table[200, "binary (sign bits)"]["bytes"] < table[200, "int8"]["bytes"] < table[200, "exact (float32)"]["bytes"]
    assert table[200, "HNSW (float32)"]["query_ms"].shape == (2,)


def page_embeddings():
    """Every embed() call the page makes through latentlab.search and data, in the page's order."""
    collection = data.semanlink()
    search.dense_scores(collection)
    search.dense_scores(collection, max_tokens=128)
    search.chunk_scores(collection)
    data.embed(data.lee_similarity()[0])


def test_warm_up_embeds_what_the_page_embeds(monkeypatch):
    """warm_up asks data.embed for the same (texts, max_tokens) as the page: none fewer."""
    missing = uncached_embeddings(monkeypatch, search.warm_up, page_embeddings, fill=0.0)
    assert not missing, f"warm_up leaves {len(missing)} embedding(s) of the page uncached"
