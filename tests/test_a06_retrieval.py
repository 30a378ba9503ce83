"""Tests of assignment a06_retrieval: the solution earns every point, every listed mistake loses
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

A = "a06_retrieval"

# Source lines of the solution that the mistakes below rewrite.
CH_CHECK = "if size < 1 or not 0 <= overlap < size:"
CH_STEP = "step = size - overlap"
CH_WHILE = "while start < len(words):"
CH_LOOP = ("    chunks = []\n    start = 0\n    while start < len(words):\n"
           "        chunks.append(words[start:start + size])\n        if start + size >= len(words):\n"
           "            break\n        start += step\n")
TK_NORM = ("q_unit = q / np.where(q_norm == 0, 1.0, q_norm)\n"
           "    d_unit = d / np.where(d_norm == 0, 1.0, d_norm)")
TK_ORDER = 'order = np.argsort(-cos, axis=1, kind="stable")[:, :k]'
TK_RETURN = "return order.astype(np.int64), np.take_along_axis(cos, order, axis=1)"
TK_K = "    if k < 1:\n        raise ValueError(f\"k must be at least 1, got {k}\")\n"
MP_INIT = "scores = np.full(n_docs, -np.inf)"
MP_IF = "        if score > scores[doc]:\n            scores[doc] = score"
MP_LOOP = ("    for score, doc in zip(np.asarray(chunk_scores, dtype=np.float64), np.asarray(chunk_doc)):\n"
           + MP_IF + "\n")
IDF = "idf = np.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))"
BM_ADD = "scores[hit] += idf * tf[hit] / (tf[hit] + k1 * (1 - b + b * lengths[hit] / avgdl))"
BM_HIT = "hit = tf > 0  # the documents that contain the term; it adds nothing to the others"
BM_DF = "df = Counter(term for doc in docs for term in set(doc))"
BM_LEN = "lengths = np.array([len(doc) for doc in docs], dtype=np.float64)  # (N,)"
BM_FOR = "for term in query:"
RRF_ADD = "fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + position + 1)"
RRF_SORT = "ids = sorted(fused, key=lambda doc: (-fused[doc], doc))"
EV_RELEVANT = "relevant = {doc: grade for doc, grade in judged.items() if grade > 0}"
EV_TOP = "top = list(run.get(query, []))[:k]"
EV_GAINS = "gains = [relevant.get(doc, 0) for doc in top]"
EV_DCG = "dcg = sum(gain / np.log2(rank + 1) for rank, gain in enumerate(gains, start=1))"
EV_BEST = "best = sorted(relevant.values(), reverse=True)[:k]"
EV_IDCG = "idcg = sum(gain / np.log2(rank + 1) for rank, gain in enumerate(best, start=1))"
EV_RECALL = '"recall": len(hits) / len(relevant),'
EV_MRR = '"mrr": 1.0 / hits[0] if hits else 0.0,'
PR_LEFT = "left = budget - len(head.split()) - len(tail.split())"
PR_RAISE = ("    if left < 0:\n        raise ValueError(f\"the instruction and the question need {budget - left} "
            "tokens, over the budget of {budget}\")\n")
PR_ROOM = "room = left - 1  # one token for the id in brackets"
PR_APPEND = 'lines.append(" ".join([f"[{doc_id}]"] + words[:room]))'
PR_LEFT_DEC = "left -= 1 + min(room, len(words))"
PR_CUT = "        if len(words) > room:\n            break\n"
PR_LOOP = ("    for doc_id, passage in zip(doc_ids, passages):\n        words = passage.split()\n"
           "        if not words:\n            continue  # nothing to cite\n        " + PR_ROOM
           + "\n        if room < 1:\n            break\n        " + PR_APPEND + "\n        " + PR_LEFT_DEC + "\n"
           + PR_CUT)

m = Mistake  # the table's rows: m(name, exercise, replacements, check, also=())
MISTAKES = [
    # chunk_words
    m("the tail dropped: windows only where a whole window fits", "chunk_words",
      {CH_LOOP: ("    chunks = [words[start:start + size] for start in range(0, len(words) - size + 1, step)]\n")},
      "test_the_tail_is_never_dropped_nor_repeated"),
    m("a window started at every step up to the end, the last ones inside the one before", "chunk_words",
      {CH_LOOP: "    chunks = [words[start:start + size] for start in range(0, len(words), step)]\n"},
      "test_the_tail_is_never_dropped_nor_repeated"),
    m("no overlap: each window starts size words after the previous", "chunk_words",
      {CH_STEP: "step = size"}, "test_chunks_start_every_size_minus_overlap_words"),
    m("windows step by the overlap", "chunk_words", {CH_STEP: "step = max(overlap, 1)"},
      "test_chunks_start_every_size_minus_overlap_words"),
    m("an empty text gives one empty window", "chunk_words", {CH_WHILE: "while True:"},
      "test_short_and_empty_texts"),
    m("a negative overlap accepted", "chunk_words", {CH_CHECK: "if size < 1 or overlap >= size:"},
      "test_an_impossible_overlap_raises"),
    m("the caller's list of words consumed", "chunk_words",
      {"    words = list(words)\n": "", CH_LOOP: ("    chunks = []\n    while words:\n        chunks.append(words[:size])\n"
                                            "        if len(words) <= size:\n            break\n"
                                            "        del words[:step]\n")},
      "test_chunks_start_every_size_minus_overlap_words"),
    # top_k
    m("queries normalised in place", "top_k",
      {TK_NORM: "q /= np.where(q_norm == 0, 1.0, q_norm)\n    q_unit = q\n    d_unit = d / np.where(d_norm == 0, 1.0, d_norm)"},
      "test_top_k_matches_sorted_sklearn_cosines"),
    m("an epsilon added to every length", "top_k",
      {TK_NORM: "q_unit = q / (q_norm + 1e-8)\n    d_unit = d / (d_norm + 1e-8)"},
      "test_top_k_ties_go_to_the_lower_row_and_k_is_capped"),
    m("vectors not normalised before the dot product", "top_k", {TK_NORM: "q_unit, d_unit = q, d"},
      "test_top_k_ignores_lengths"),
    m("only the documents normalised", "top_k", {TK_NORM: "q_unit = q\n    d_unit = d / d_norm"},
      "test_top_k_ignores_lengths"),
    m("top-k returned ascending", "top_k", {TK_ORDER: 'order = np.argsort(cos, axis=1, kind="stable")[:, :k]'},
      "test_top_k_matches_sorted_sklearn_cosines"),
    m("top-k off by one, k + 1 returned", "top_k", {TK_ORDER: TK_ORDER.replace(":k]", ":k + 1]")},
      "test_top_k_matches_sorted_sklearn_cosines"),
    m("top-k off by one, k - 1 returned", "top_k", {TK_ORDER: TK_ORDER.replace(":k]", ":k - 1]")},
      "test_top_k_matches_sorted_sklearn_cosines"),
    m("ties to the higher row: a reversed ascending sort", "top_k",
      {TK_ORDER: 'order = np.argsort(cos, axis=1, kind="stable")[:, ::-1][:, :k]'},
      "test_top_k_ties_go_to_the_lower_row_and_k_is_capped"),
    m("zero vectors divided by their zero length", "top_k",
      {TK_NORM: "q_unit = q / q_norm\n    d_unit = d / d_norm"}, "test_top_k_zero_vectors_have_cosine_zero"),
    m("k below 1 accepted", "top_k", {TK_K: ""}, "test_top_k_ties_go_to_the_lower_row_and_k_is_capped"),
    m("scores returned in float32", "top_k",
      {TK_RETURN: "return order.astype(np.int64), np.take_along_axis(cos, order, axis=1).astype(np.float32)"},
      "test_top_k_matches_sorted_sklearn_cosines"),
    m("indices returned as int32", "top_k",
      {TK_RETURN: "return order.astype(np.int32), np.take_along_axis(cos, order, axis=1)"},
      "test_top_k_matches_sorted_sklearn_cosines"),
    m("cosines from a per-row maximum instead of the norm", "top_k",
      {TK_NORM: "q_unit = q / np.abs(q).max(axis=1, keepdims=True)\n"
                "    d_unit = d / np.abs(d).max(axis=1, keepdims=True)"},
      "test_top_k_ignores_lengths"),
    # max_pool
    m("scores start at 0, so negative documents read 0", "max_pool", {MP_INIT: "scores = np.zeros(n_docs)"},
      "test_max_pool_leaves_chunkless_documents_at_minus_infinity"),
    m("the last chunk wins", "max_pool", {MP_IF: "        scores[doc] = score"}, "test_max_pool_matches_scipy"),
    m("chunk scores summed", "max_pool",
      {MP_INIT + "\n" + MP_LOOP: "scores = np.zeros(n_docs)\n    np.add.at(scores, np.asarray(chunk_doc), chunk_scores)\n"
                                 "    scores[np.bincount(chunk_doc, minlength=n_docs) == 0] = -np.inf\n"},
      "test_max_pool_matches_scipy"),
    m("chunk scores averaged", "max_pool",
      {MP_INIT + "\n" + MP_LOOP: (
          "counts = np.bincount(chunk_doc, minlength=n_docs)\n"
          "    sums = np.bincount(chunk_doc, weights=chunk_scores, minlength=n_docs)\n"
          "    scores = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)\n")},
      "test_max_pool_matches_scipy"),
    m("documents without chunks given 0", "max_pool",
      {"    return scores\n    ### END SOLUTION\n''', \"solution\", \"max_pool\")": "x"} if False else
      {MP_LOOP: MP_LOOP + "    scores[np.isinf(scores)] = 0.0\n"},
      "test_max_pool_leaves_chunkless_documents_at_minus_infinity"),
    m("pooled scores kept in the chunks' float32", "max_pool",
      {MP_INIT: "scores = np.full(n_docs, -np.inf, dtype=np.asarray(chunk_scores).dtype)"}, "test_max_pool_matches_scipy"),
    # bm25_scores
    m("BM25 idf without its +1", "bm25_scores", {IDF: "idf = np.log((n - df[term] + 0.5) / (df[term] + 0.5))"},
      "test_bm25_idf_of_a_common_and_a_rare_term"),
    m("the idf ln(N / n(t))", "bm25_scores", {IDF: "idf = np.log(n / df[term])"},
      "test_bm25_idf_of_a_common_and_a_rare_term"),
    m("Robertson's (k1 + 1) factor", "bm25_scores",
      {BM_ADD: BM_ADD.replace("idf * tf[hit] /", "idf * tf[hit] * (k1 + 1) /")},
      "test_bm25_idf_of_a_common_and_a_rare_term"),
    m("the average length over the documents that contain the term", "bm25_scores",
      {BM_ADD: BM_ADD.replace("/ avgdl", "/ lengths[hit].mean()")},
      "test_bm25_matches_bm25s"),
    m("the length normalisation inverted, avgdl / |D|", "bm25_scores",
      {BM_ADD: BM_ADD.replace("lengths[hit] / avgdl", "avgdl / np.maximum(lengths[hit], 1)")},
      "test_bm25_length_normalisation"),
    m("b and 1 - b swapped", "bm25_scores", {BM_ADD: BM_ADD.replace("(1 - b + b * lengths[hit] / avgdl)", "(b + (1 - b) * lengths[hit] / avgdl)")},
      "test_bm25_length_normalisation"),
    m("the length normalisation without avgdl", "bm25_scores",
      {BM_ADD: BM_ADD.replace("lengths[hit] / avgdl", "lengths[hit]")}, "test_bm25_length_normalisation"),
    m("every document scored, 0 / 0 where k1 = 0 and the term is absent", "bm25_scores",
      {BM_HIT + "\n        " + BM_ADD: "scores += idf * tf / (tf + k1 * (1 - b + b * lengths / avgdl))"},
      "test_bm25_edge_cases"),
    m("document length counted in distinct terms", "bm25_scores",
      {BM_LEN: "lengths = np.array([len(set(doc)) for doc in docs], dtype=np.float64)"}, "test_bm25_matches_bm25s"),
    m("a repeated query term counted once", "bm25_scores", {BM_FOR: "for term in set(query):"},
      "test_bm25_matches_bm25s"),
    m("document frequency counted in occurrences", "bm25_scores",
      {BM_DF: "df = Counter(term for doc in docs for term in doc)"}, "test_bm25_on_the_collection"),
    m("empty documents left out of avgdl", "bm25_scores", {"avgdl = lengths.mean()": "avgdl = lengths[lengths > 0].mean()"},
      "test_bm25_edge_cases"),
    # rrf
    m("RRF ranks starting at 0", "rrf", {RRF_ADD: "fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + position)"},
      "test_rrf_matches_its_definition"),
    m("RRF without k", "rrf", {RRF_ADD: "fused[doc] = fused.get(doc, 0.0) + 1.0 / (position + 1)"},
      "test_rrf_matches_its_definition"),
    m("fused ids ascending", "rrf", {RRF_SORT: "ids = sorted(fused, key=lambda doc: (fused[doc], doc))"},
      "test_rrf_matches_its_definition"),
    m("ties by descending id", "rrf", {RRF_SORT: "ids = sorted(fused, key=lambda doc: (fused[doc], doc), reverse=True)"},
      "test_rrf_orders_ties_by_id"),
    m("ties in order of first appearance", "rrf", {RRF_SORT: "ids = sorted(fused, key=lambda doc: -fused[doc])"},
      "test_rrf_orders_ties_by_id"),
    m("RRF's k fixed at 60 whatever the argument", "rrf",
      {RRF_ADD: "fused[doc] = fused.get(doc, 0.0) + 1.0 / (60 + position + 1)"}, "test_rrf_of_one_ranking_keeps_it"),
    m("a document's best rank only, not the sum", "rrf",
      {RRF_ADD: "fused[doc] = max(fused.get(doc, 0.0), 1.0 / (k + position + 1))"}, "test_rrf_matches_its_definition"),
    # evaluate
    m("recall divided by k", "evaluate", {EV_RECALL: '"recall": len(hits) / k,'}, "test_evaluate_on_the_collection"),
    m("recall counting beyond k", "evaluate",
      {EV_RECALL: '"recall": len([d for d in run.get(query, []) if d in relevant]) / len(relevant),'},
      "test_recall_matches_pytrec_eval"),
    m("MRR counting beyond k", "evaluate",
      {EV_MRR: ('"mrr": next((1.0 / r for r, d in enumerate(run.get(query, []), start=1) if d in relevant), '
                "0.0),")}, "test_mrr_matches_pytrec_eval"),
    m("nDCG's ideal DCG from the retrieved list", "evaluate", {EV_BEST: "best = sorted(gains, reverse=True)"},
      "test_ndcg_matches_pytrec_eval"),
    m("the ideal DCG not cut at k", "evaluate", {EV_BEST: "best = sorted(relevant.values(), reverse=True)"},
      "test_ndcg_matches_pytrec_eval"),
    m("the discount log2(rank + 2)", "evaluate",
      {EV_DCG: EV_DCG.replace("rank + 1", "rank + 2"), EV_IDCG: EV_IDCG.replace("rank + 1", "rank + 2")},
      "test_ndcg_matches_pytrec_eval"),
    m("a natural log in the DCG only", "evaluate", {EV_DCG: EV_DCG.replace("np.log2", "np.log")},
      "test_ndcg_matches_pytrec_eval"),
    m("the discount counted from rank 0", "evaluate",
      {EV_DCG: EV_DCG.replace("log2(rank + 1)", "log2(rank) if rank > 1 else gain")},
      "test_ndcg_matches_pytrec_eval"),
    m("binary gains on graded judgments", "evaluate", {EV_GAINS: "gains = [1 if doc in relevant else 0 for doc in top]"},
      "test_graded_judgments_match_pytrec_eval"),
    m("a query the run does not answer left out", "evaluate",
      {EV_TOP: "if query not in run:\n            continue\n        top = list(run[query])[:k]"},
      "test_closed_cases"),
    m("grade 0 counted as relevant", "evaluate", {EV_RELEVANT: "relevant = {doc: max(grade, 1) for doc, grade in judged.items()}"},
      "test_closed_cases"),
    m("recall over min(k, relevant)", "evaluate", {EV_RECALL: '"recall": len(hits) / min(k, len(relevant)),'},
      "test_closed_cases"),
    m("exponential gains 2^grade - 1", "evaluate",
      {EV_DCG: EV_DCG.replace("gain /", "(2**gain - 1) /"), EV_IDCG: EV_IDCG.replace("gain /", "(2**gain - 1) /")},
      "test_graded_judgments_match_pytrec_eval"),
    m("the ideal ranking not sorted by grade", "evaluate", {EV_BEST: "best = list(relevant.values())[:k]"},
      "test_graded_judgments_match_pytrec_eval"),
    # build_prompt
    m("Question: and Answer: left out of the count", "build_prompt",
      {PR_LEFT: "left = budget - len(head.split()) - len(question.split())"}, "test_prompt_fills_the_budget_in_tokens"),
    m("a passage without words ends the prompt", "build_prompt",
      {"        if not words:\n            continue  # nothing to cite\n": "        if not words:\n            break\n"},
      "test_prompt_format"),
    m("a budget that exactly fits the question refused", "build_prompt", {"    if left < 0:\n": "    if left <= 0:\n"},
      "test_prompt_refuses_a_budget_below_the_question"),
    m("the budget counted in characters", "build_prompt",
      {PR_LOOP: ("    for doc_id, passage in zip(doc_ids, passages):\n"
                 "        line = f\"[{doc_id}] \" + \" \".join(passage.split())\n"
                 "        if len(\"\\n\".join([head, \"\"] + lines + [line, \"\", tail])) > budget:\n"
                 "            break\n        lines.append(line)\n")}, "test_prompt_fills_the_budget_in_tokens"),
    m("the bracketed id not counted", "build_prompt",
      {PR_ROOM: "room = left", PR_LEFT_DEC: "left -= min(room, len(words))"}, "test_prompt_fills_the_budget_in_tokens"),
    m("a passage that does not fit skipped, not cut", "build_prompt",
      {PR_LOOP: ("    for doc_id, passage in zip(doc_ids, passages):\n        words = passage.split()\n"
                 "        if 1 + len(words) <= left:\n"
                 "            lines.append(\" \".join([f\"[{doc_id}]\"] + words))\n"
                 "            left -= 1 + len(words)\n")}, "test_prompt_fills_the_budget_in_tokens"),
    m("passages copied with their own whitespace", "build_prompt",
      {PR_APPEND: 'lines.append(f"[{doc_id}] {passage}" if len(words) <= room else " ".join([f"[{doc_id}]"] + words[:room]))'},
      "test_prompt_format"),
    m("no error when the question alone is over budget", "build_prompt", {PR_RAISE: ""},
      "test_prompt_refuses_a_budget_below_the_question"),
]

ALTERNATIVES = [
    Alternative("chunks from a closed-form count; top-k by scikit-learn and a lexsort; pooling by np.maximum.at; "
                "BM25 with a sparse term matrix; fusion with a defaultdict; metrics with numpy; the prompt as a "
                "list of tokens", {
                    CH_LOOP: ("    n = len(words)\n"
                              "    count = 0 if n == 0 else 1 if n <= size else 1 + -(-(n - size) // step)\n"
                              "    chunks = [words[i * step:i * step + size] for i in range(count)]\n"),
                    TK_NORM + "\n    cos = q_unit @ d_unit.T  # (m, n)\n    " + TK_ORDER: (
                        "from sklearn.metrics.pairwise import cosine_similarity\n"
                        "    cos = cosine_similarity(q, d)\n"
                        "    order = np.array([np.lexsort((np.arange(len(d)), -row))[:k] for row in cos]).reshape(len(q), -1)"),
                    MP_INIT + "\n" + MP_LOOP: (
                        "scores = np.full(n_docs, -np.inf)\n"
                        "    np.maximum.at(scores, np.asarray(chunk_doc), np.asarray(chunk_scores, dtype=np.float64))\n"),
                    "    counts = [Counter(doc) for doc in docs]\n    " + BM_DF + "\n    for term in query:\n"
                    "        if df[term] == 0:\n            continue\n        " + IDF + "\n"
                    "        tf = np.array([c[term] for c in counts], dtype=np.float64)  # (N,)\n        " + BM_HIT
                    + "\n        " + BM_ADD: (
                        "    from scipy.sparse import csr_matrix\n"
                        "    vocab = {t: i for i, t in enumerate(sorted({t for doc in docs for t in doc}))}\n"
                        "    rows = [i for i, doc in enumerate(docs) for t in doc]\n"
                        "    cols = [vocab[t] for doc in docs for t in doc]\n"
                        "    tf = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(vocab))).toarray()\n"
                        "    df = (tf > 0).sum(axis=0)\n"
                        "    idf = np.log1p((n - df + 0.5) / (df + 0.5))\n"
                        "    norm = k1 * (1 - b + b * lengths / avgdl)\n"
                        "    for term in query:\n"
                        "        j = vocab.get(term)\n"
                        "        if j is not None:\n"
                        "            part = np.divide(tf[:, j], tf[:, j] + norm, out=np.zeros(n), where=tf[:, j] > 0)\n"
                        "            scores = scores + idf[j] * part"),
                    "    fused = {}\n    for ranking in rankings:\n        for position, doc in enumerate(ranking):\n"
                    "            " + RRF_ADD: (
                        "    from collections import defaultdict\n    fused = defaultdict(float)\n"
                        "    for ranking in rankings:\n        for rank, doc in enumerate(ranking, start=1):\n"
                        "            fused[doc] += 1 / (k + rank)"),
                    EV_DCG + "\n        " + EV_BEST + "\n        " + EV_IDCG: (
                        "discount = 1 / np.log2(np.arange(2, k + 2))\n"
                        "        dcg = float(np.dot(gains, discount[:len(gains)]))\n"
                        "        best = np.sort(np.array(list(relevant.values()), dtype=float))[::-1][:k]\n"
                        "        idcg = float(np.dot(best, discount[:len(best)]))"),
                    PR_LOOP: (
                        "    for doc_id, passage in zip(doc_ids, passages):\n"
                        "        tokens = [f\"[{doc_id}]\"] + passage.split()\n"
                        "        if len(tokens) == 1:\n            continue\n"
                        "        if left < 2:\n            break\n"
                        "        lines.append(\" \".join(tokens[:left]))\n"
                        "        cut = len(tokens) > left\n"
                        "        left -= min(left, len(tokens))\n"
                        "        if cut:\n            break\n"),
                }),
]


# Degenerate but plain answers: each must fail its check by an assertion with a message, and the
# same exercise left unimplemented must be reported as that.
ODD_RETURNS = [
    OddReturn("chunks as a string", "test_chunks_start_every_size_minus_overlap_words",
              {"chunk_words": returns("w1 w2 w3")}),
    OddReturn("no exception for an impossible overlap", "test_an_impossible_overlap_raises",
              {"chunk_words": returns([])}),
    OddReturn("indices without scores", "test_top_k_matches_sorted_sklearn_cosines",
              {"top_k": returns(np.zeros((4, 1), dtype=np.int64))}),
    OddReturn("scores of NaN", "test_top_k_zero_vectors_have_cosine_zero",
              {"top_k": returns((np.tile(np.arange(6), (2, 1)), np.full((2, 6), np.nan)))}),
    OddReturn("pooled scores as a list", "test_max_pool_matches_scipy", {"max_pool": returns([0.0] * 9)}),
    OddReturn("BM25 of None", "test_bm25_matches_bm25s", {"bm25_scores": returns(None)}),
    OddReturn("BM25 zeros", "test_bm25_length_normalisation", {"bm25_scores": returns(np.zeros(3))}),
    OddReturn("fusion without scores", "test_rrf_matches_its_definition", {"rrf": returns(["d00", "d01"])}),
    OddReturn("fusion of nothing", "test_rrf_orders_ties_by_id", {"rrf": returns(([], np.zeros(0)))}),
    OddReturn("metrics as a list", "test_recall_matches_pytrec_eval", {"evaluate": returns([0.5, 0.5, 0.5])}),
    OddReturn("metrics without nDCG", "test_ndcg_matches_pytrec_eval",
              {"evaluate": returns({f"q{i}": {"recall": 1.0, "mrr": 1.0} for i in range(12)})}),
    OddReturn("metrics of NaN", "test_closed_cases",
              {"evaluate": returns({q: dict.fromkeys(("recall", "mrr", "ndcg"), float("nan"))
                                    for q in ("perfect", "none", "unanswered")})}),
    OddReturn("a prompt as a list of lines", "test_prompt_format", {"build_prompt": returns(["a", "b"])}),
    OddReturn("an empty prompt", "test_prompt_fills_the_budget_in_tokens", {"build_prompt": returns("")}),
]


class TestChapter(ChapterTests):
    assignment, mistakes, odd_returns, alternatives = A, MISTAKES, ODD_RETURNS, ALTERNATIVES
    full_marks_seconds = 15
    whole_notebook_mistake = 26  # BM25's idf without its +1 (one that leaves the chunks, and so the embeddings, alone)
    blame_once = True
