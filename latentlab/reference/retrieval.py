"""Reference versions of assignment a06_retrieval: chunking with overlap, cosine top-k, BM25
(Lucene's variant), reciprocal rank fusion, recall/MRR/nDCG at k, max-pooling chunk scores to
documents, and a cited prompt under a token budget.

The contracts are the exercises' own; the book's pages call these functions and never print them.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

INSTRUCTION = ("Answer the question using only the passages below. "
               "Cite the passages you use by their ids in square brackets.")


def chunk_words(words, size, overlap):
    """Windows of `size` words, each starting `size - overlap` words after the previous one, until
    a window reaches the last word: a list of lists. No words gives []; overlap must be in
    [0, size), else ValueError."""
    words = list(words)
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 1 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    step = size - overlap
    chunks, start = [], 0
    while words:
        chunks.append(words[start:start + size])
        if start + size >= len(words):
            break
        start += step
    return chunks


def top_k(queries, docs, k):
    """Each query's k documents of highest cosine, best first, ties to the lower index:
    indices (m, min(k, n)) int64 and scores (m, min(k, n)) float64. A zero vector has cosine 0."""
    q = np.asarray(queries, dtype=np.float64)
    d = np.asarray(docs, dtype=np.float64)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    qn = np.linalg.norm(q, axis=1, keepdims=True)
    dn = np.linalg.norm(d, axis=1, keepdims=True)
    cos = (q / np.where(qn == 0, 1, qn)) @ (d / np.where(dn == 0, 1, dn)).T  # (m, n)
    order = np.argsort(-cos, axis=1, kind="stable")[:, :k]
    return order.astype(np.int64), np.take_along_axis(cos, order, axis=1)


def bm25_scores(query, docs, k1=1.5, b=0.75):
    """Lucene's BM25 of one tokenised query against tokenised documents, (n,) float64:
    sum over the query's tokens t (repeats counted) of idf(t) * tf / (tf + k1 (1 - b + b |d| / avgdl)),
    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), avgdl over all N documents."""
    docs = [list(d) for d in docs]
    n = len(docs)
    lengths = np.array([len(d) for d in docs], dtype=np.float64)
    avgdl = lengths.mean() if n else 0.0
    df = Counter(t for d in docs for t in set(d))
    counts = [Counter(d) for d in docs]
    scores = np.zeros(n, dtype=np.float64)
    if avgdl == 0:
        return scores
    norm = k1 * (1 - b + b * lengths / avgdl)  # (n,)
    for t in query:
        if df[t] == 0:
            continue
        idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
        tf = np.array([c[t] for c in counts], dtype=np.float64)
        hit = tf > 0  # a term adds nothing to a document without it
        scores[hit] += idf * tf[hit] / (tf[hit] + norm[hit])
    return scores


def rrf(rankings, k=60):
    """Reciprocal rank fusion of rankings (lists of ids, best first): every id's score is the sum
    over the rankings that hold it of 1 / (k + rank), rank 1 for the first. Returns (ids, scores),
    by descending score, ties by ascending id."""
    fused: dict = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    ids = sorted(fused, key=lambda doc: (-fused[doc], doc))
    return ids, np.array([fused[doc] for doc in ids], dtype=np.float64)


def evaluate(run, qrels, k):
    """recall@k, MRR@k and nDCG@k (linear gains, log2(rank + 1) discount) of every query in qrels
    with a relevant document: {query: {"recall": r, "mrr": m, "ndcg": g}}. A query missing from
    run scores 0."""
    results = {}
    for query, judged in qrels.items():
        relevant = {doc: grade for doc, grade in judged.items() if grade > 0}
        if not relevant:
            continue
        top = list(run.get(query, []))[:k]
        gains = [relevant.get(doc, 0) for doc in top]
        found = sum(1 for g in gains if g > 0)
        first = next((i for i, g in enumerate(gains) if g > 0), None)
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sorted(relevant.values(), reverse=True)[:k]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        results[query] = {"recall": found / len(relevant),
                          "mrr": 0.0 if first is None else 1.0 / (first + 1),
                          "ndcg": dcg / idcg}
    return results


def max_pool(chunk_scores, chunk_doc, n_docs):
    """Each document's score as the highest score of its chunks, (n_docs,) float64; a document
    without chunks gets -inf."""
    scores = np.full(n_docs, -np.inf)
    np.maximum.at(scores, np.asarray(chunk_doc, dtype=np.int64), np.asarray(chunk_scores, dtype=np.float64))
    return scores


def prompt_tokens(text):
    """The course's token count: whitespace-separated pieces."""
    return len(text.split())


def build_prompt(question, passages, doc_ids, budget, instruction=INSTRUCTION):
    """The instruction, a blank line, one line "[doc_id] words" per passage in the given order,
    a blank line, "Question: ..." and "Answer:", joined by newlines, with at most `budget` tokens
    (whitespace-separated pieces). Passages are added whole while they fit; the first that does
    not fit is cut to the words that fit (left out if none do) and no later one is added; a passage
    without words is left out. An
    instruction and question that alone exceed the budget raise ValueError."""
    question = " ".join(str(question).split())
    head, tail = " ".join(str(instruction).split()), f"Question: {question}\nAnswer:"
    left = budget - prompt_tokens(head) - prompt_tokens(tail)
    if left < 0:
        raise ValueError(f"the instruction and the question alone take {budget - left} tokens, "
                         f"over the budget of {budget}")
    lines = []
    for doc_id, passage in zip(doc_ids, passages, strict=False):
        words = str(passage).split()
        if not words:
            continue
        room = left - 1  # the "[doc_id]" marker is one token
        if room < 1:
            break
        lines.append(" ".join([f"[{doc_id}]", *words[:room]]))
        left -= 1 + min(room, len(words))
        if len(words) > room:
            break
    return "\n".join([head, "", *lines, "", tail])
