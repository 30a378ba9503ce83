"""Helpers of the failure-modes chapter (book/07_failure_modes.md) that are not exercises: hidden
states, gensim's word-pair scores, neighbour counts under any similarity, analogy targets, the
minimal pairs, a compressor's bits, and the queries that name rare things."""

from __future__ import annotations

import re
import time
import zlib

import numpy as np

# Minimal pairs: each template is filled with every filler; the first sentence of a pair is the
# template with its first slot, the second changes one thing (a paraphrase changes the words only).
MINIMAL_PAIRS = {
    "paraphrase": [
        ("The {} is very big.", "The {} is really large."),
        ("The {} was bought yesterday.", "Someone purchased the {} the day before today."),
        ("I cannot find my {}.", "My {} seems to be lost."),
    ],
    "negation": [
        ("The {} is broken.", "The {} is not broken."),
        ("I like the new {}.", "I do not like the new {}."),
        ("The {} was delivered on time.", "The {} was never delivered."),
    ],
    "swapped roles": [
        ("The {} hit the {}.", "The {} hit the {}."),
        ("The {} is bigger than the {}.", "The {} is bigger than the {}."),
        ("The {} was chasing the {}.", "The {} was chasing the {}."),
    ],
    "numbers and dates": [
        ("The {} costs 20 dollars.", "The {} costs 9000 dollars."),
        ("The {} arrived in 1995.", "The {} arrived in 2023."),
        ("We need 2 of the {}.", "We need 700 of the {}."),
    ],
    "antonyms": [
        ("The {} is very cheap.", "The {} is very expensive."),
        ("The {} is clean.", "The {} is dirty."),
        ("The {} was easy to use.", "The {} was hard to use."),
    ],
}
FILLERS = ("car", "dog", "laptop", "chair", "bicycle", "camera")
DIGIT_RE = re.compile(r"\d")


def minimal_pairs():
    """{category: [(sentence, changed sentence), ...]}: every template of MINIMAL_PAIRS with every
    filler; swapped roles take two neighbouring fillers and swap them."""
    out = {}
    for category, templates in MINIMAL_PAIRS.items():
        pairs = []
        for first, second in templates:
            for i, word in enumerate(FILLERS):
                if category == "swapped roles":
                    other = FILLERS[(i + 1) % len(FILLERS)]
                    pairs.append((first.format(word, other), second.format(other, word)))
                else:
                    pairs.append((first.format(word), second.format(word)))
        out[category] = pairs
    return out


def unrelated_pairs(pairs, shift=1):
    """Pairs (sentence, sentence) of different templates and fillers: each pair's first sentence
    with the second sentence of the pair `shift` * 7 places on (a control for the cosine floor)."""
    firsts = [a for a, _ in pairs]
    seconds = [b for _, b in pairs]
    return [(a, seconds[(i + 7 * shift) % len(seconds)]) for i, a in enumerate(firsts)]


def pair_cosines(pairs):
    """MiniLM cosines (n,) of the n pairs (text, text), from data.embed's cached unit vectors."""
    from latentlab import data

    a = data.embed([p[0] for p in pairs])  # (n, 384) unit rows
    b = data.embed([p[1] for p in pairs])
    return (a * b).sum(axis=1)


def hidden_means(texts, batch_size=64):
    """MiniLM's hidden states mean-pooled over each text's tokens (padding excluded), before any
    normalisation: (7, n, 384) float32, the embeddings then layers 1 to 6."""
    import torch

    from latentlab import data

    tokenizer, model = data.minilm_hidden()
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start:start + batch_size]), return_tensors="pt", padding=True,
                              truncation=True, max_length=256)
            mask = batch["attention_mask"][None, :, :, None].float()  # (1, b, t, 1)
            states = torch.stack(model(**batch).hidden_states)  # (7, b, t, 384)
            out.append(((states * mask).sum(dim=2) / mask.sum(dim=2)).numpy())
    return np.concatenate(out, axis=1)


def unrelated_cosine(x, labels):
    """Mean cosine over the pairs of rows of x (n, d) whose labels (n,) differ: a float."""
    u = np.asarray(x, dtype=np.float64)
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    labels = np.asarray(labels)
    differ = labels[:, None] != labels[None, :]  # (n, n)
    return float((u @ u.T)[differ].mean())


def keyed(words, vectors):
    """gensim KeyedVectors holding `words` (n,) with `vectors` (n, d), as float32."""
    from gensim.models import KeyedVectors

    vectors = np.asarray(vectors, dtype=np.float32)
    kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
    kv.add_vectors(list(words), vectors)
    return kv


def gensim_pairs(kv, name):
    """gensim's evaluate_word_pairs of kv on the similarity set `name` ("wordsim353" or
    "simlex999") as gensim ships it: (Spearman rho, share of pairs skipped)."""
    from latentlab import data

    path = data.gensim_test_data(data.SIMILARITY_SETS[name][0])
    _, spearman, oov_percent = kv.evaluate_word_pairs(str(path), restrict_vocab=len(kv))
    return float(spearman[0]), oov_percent / 100


def lower_pairs(name):
    """data.word_similarity(name) with both words lower-cased, as GloVe spells them."""
    from latentlab import data

    return [(a.lower(), b.lower(), s) for a, b, s in data.word_similarity(name)]


def word_pair_cosines(words, vectors, pairs):
    """Cosines (m,) of the m pairs (word1, word2, score) whose two words are in `words` (n,), with
    vectors (n, d), and the pairs' human scores (m,), both float64."""
    where = {w: i for i, w in enumerate(words)}
    kept = np.array([(where[a], where[b]) for a, b, _ in pairs if a in where and b in where])  # (m, 2)
    human = np.array([s for a, b, s in pairs if a in where and b in where], dtype=np.float64)
    u = np.asarray(vectors, dtype=np.float64)[kept]  # (m, 2, d)
    u /= np.linalg.norm(u, axis=2, keepdims=True)
    return (u[:, 0] * u[:, 1]).sum(axis=1), human


def bootstrap_gain(before, after, human, n_resamples=1000, seed=0):
    """Spearman(after, human) - Spearman(before, human) over pairs resampled with replacement,
    seeded: (n_resamples,), from cosines before (m,), after (m,) and human scores (m,)."""
    from scipy.stats import rankdata

    draw = np.random.default_rng(seed).integers(0, len(human), size=(n_resamples, len(human)))

    def rho(c):
        a, b = rankdata(c[draw], axis=1), rankdata(human[draw], axis=1)  # (n_resamples, m)
        a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))

    return rho(np.asarray(after)) - rho(np.asarray(before))


def neighbour_counts(similarity, k):
    """k-occurrence under any similarity (n, n): how often each column is among the k most similar
    columns of the other rows, the diagonal excluded, (n,) int64 (ties in no particular order)."""
    s = np.array(similarity, dtype=np.float64)
    np.fill_diagonal(s, -np.inf)  # a point is not its own neighbour
    nearest = np.argpartition(-s, k - 1, axis=1)[:, :k]  # (n, k)
    return np.bincount(nearest.ravel(), minlength=len(s)).astype(np.int64)


def cosine_counts(x, k):
    """k-occurrence (n,) int64 of the rows of x (n, d) under cosine, by faiss's exact inner-product
    search on unit rows (a row is not its own neighbour)."""
    import faiss

    u = np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)
    index = faiss.IndexFlatIP(u.shape[1])
    index.add(u)
    found = index.search(u, k + 1)[1]  # (n, k + 1), usually the row itself first
    own = found == np.arange(len(u))[:, None]
    keep = np.where(own.any(axis=1, keepdims=True), ~own, np.arange(k + 1) < k)  # k per row
    return np.bincount(found[keep], minlength=len(u)).astype(np.int64)


def analogy_targets(kv, questions, n_words):
    """3CosAdd queries of the analogy questions whose four words are among kv's first n_words:
    (targets (m, d) unit rows of b - a + c from unit vectors, answers (m,) int64 indices of d,
    asked (m, 3) int64 indices of a, b, c)."""
    index = {w: i for i, w in enumerate(kv.index_to_key[:n_words])}
    rows = [[index[w.lower()] for w in (q.a, q.b, q.c, q.d)] for q in questions
            if all(w.lower() in index for w in (q.a, q.b, q.c, q.d))]
    rows = np.array(rows, dtype=np.int64)  # (m, 4)
    u = kv.vectors[:n_words] / np.linalg.norm(kv.vectors[:n_words], axis=1, keepdims=True)
    t = u[rows[:, 1]] - u[rows[:, 0]] + u[rows[:, 2]]  # (m, d)
    return t / np.linalg.norm(t, axis=1, keepdims=True), rows[:, 3], rows[:, :3]


def best_answers(scores, asked):
    """Each row's column of highest score (m,), the question's own words `asked` (m, 3) excluded."""
    s = np.array(scores, dtype=np.float64)
    np.put_along_axis(s, asked, -np.inf, axis=1)
    return s.argmax(axis=1)


def compressed_bits(images):
    """Bits zlib (level 9) needs for each image of images (n, 64) in [0, 1], quantised to the
    digits' 17 grey levels: (n,) float64."""
    levels = np.rint(np.clip(np.asarray(images, dtype=np.float64), 0, 1) * 16).astype(np.uint8)
    return np.array([8.0 * len(zlib.compress(row.tobytes(), 9)) for row in levels])


def resampled_effects(x, y, a, b, n_resamples, seed):
    """WEAT effect sizes (n_resamples,) of stimulus sets x, y, a, b (word vectors, (n_i, d) each),
    each set resampled with replacement, seeded (the reference weat's effect, one permutation)."""
    from latentlab.reference.failure_modes import weat

    draw = np.random.default_rng(seed)
    sets = [np.asarray(s) for s in (x, y, a, b)]
    out = []
    for _ in range(n_resamples):
        picked = [s[draw.integers(0, len(s), len(s))] for s in sets]
        out.append(weat(*picked, n_permutations=1, seed=0)[0])
    return np.array(out)


def names_rare_things(query, vocabulary):
    """True when a query has a term (search.terms) holding a digit or missing from `vocabulary`."""
    from latentlab.search import terms

    return any(DIGIT_RE.search(t) or t not in vocabulary for t in terms(query))


def page_texts():
    """Every text the page embeds with data.embed, as lists of texts: the course's 100 topic
    sentences, the minimal pairs and their controls, then the Semanlink queries and papers."""
    from latentlab import data

    pairs = [p for ps in minimal_pairs().values() for p in ps]
    control = unrelated_pairs(pairs)
    collection = data.semanlink()
    return [list(data.topic_sentences()[0]), [p[0] for p in pairs], [p[1] for p in pairs], [p[0] for p in control],
            [p[1] for p in control], list(collection.queries), list(collection.texts)]


def warm_up():
    """Embed and cache on disk every text the failure-modes page embeds: seconds taken."""
    from latentlab import data

    start = time.perf_counter()
    for texts in page_texts():
        data.embed(texts)
    return time.perf_counter() - start
