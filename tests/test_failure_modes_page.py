"""The failure-modes chapter (book/07_failure_modes.md): its word-similarity scores before and after
all-but-the-top and whitening are gensim's evaluate_word_pairs, the course's word_pair_spearman
agrees with them, the page's helpers in latentlab.failures agree with independent implementations
(gensim's analogies, scikit-learn's neighbours, SciPy's Spearman), and warm_up caches every
embedding the page asks for."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from latentlab import data, failures
from latentlab.reference import failure_modes as ref
from tests.helpers import uncached_embeddings

PAGE = "book/07_failure_modes"
N_WORDS = 50_000
# The page's measured values (GloVe 6B 50d, 50,000 words): a change of data or code shows here.
EXPECTED = {("raw", "wordsim353"): 0.525, ("abtt", "wordsim353"): 0.614, ("white", "wordsim353"): 0.608,
            ("raw", "simlex999"): 0.265, ("abtt", "simlex999"): 0.254, ("white", "simlex999"): 0.274}


@pytest.fixture(scope="module")
def glove50k():
    kv = data.glove(N_WORDS)
    x = kv.vectors.astype(np.float64)
    return kv.index_to_key, {"raw": x, "abtt": ref.all_but_the_top(x, 2), "white": ref.whiten(x)}


@pytest.mark.parametrize("set_name", ["wordsim353", "simlex999"])
@pytest.mark.parametrize("variant", ["raw", "abtt", "white"])
def test_the_pages_spearman_is_gensims_evaluate_word_pairs(glove50k, variant, set_name):
    words, variants = glove50k
    x = variants[variant]
    rho, skipped = failures.gensim_pairs(failures.keyed(words, x), set_name)
    ours, ours_skipped = ref.word_pair_spearman(words, x, failures.lower_pairs(set_name))
    assert ours == pytest.approx(rho, abs=1e-6), f"{variant} on {set_name}: gensim {rho}, course {ours}"
    assert ours_skipped == pytest.approx(skipped, abs=1e-9), "both skip the same pairs"
    assert rho == pytest.approx(EXPECTED[variant, set_name], abs=5e-4), f"{variant} on {set_name}: {rho:.4f}"
    cos, human = failures.word_pair_cosines(words, x, failures.lower_pairs(set_name))
    assert spearmanr(cos, human)[0] == pytest.approx(rho, abs=1e-6), "the bootstrap's cosines are the scored ones"


def test_the_solution_notebook_reproduces_the_pages_scores(glove50k):
    """The learner-facing solution's all_but_the_top, whiten and word_pair_spearman give the page's
    before and after correlations, as gensim's evaluate_word_pairs does."""
    from tests.helpers import exercise_namespace

    ns = exercise_namespace("a07_failure_modes")
    words, variants = glove50k
    raw = variants["raw"]
    mine = {"raw": raw, "abtt": ns["all_but_the_top"](raw, 2), "white": ns["whiten"](raw)}
    for (variant, set_name), _ in EXPECTED.items():
        rho, _ = failures.gensim_pairs(failures.keyed(words, variants[variant]), set_name)
        ours, _ = ns["word_pair_spearman"](words, mine[variant], failures.lower_pairs(set_name))
        assert ours == pytest.approx(rho, abs=1e-6), f"{variant} on {set_name}: gensim {rho}, solution {ours}"


def test_bootstrap_gain_is_a_resampled_spearman_difference():
    rng = np.random.default_rng(0)
    human = rng.normal(size=60)
    before, after = human + rng.normal(size=60), human + 0.5 * rng.normal(size=60)
    gains = failures.bootstrap_gain(before, after, human, n_resamples=5, seed=3)
    draw = np.random.default_rng(3).integers(0, 60, size=(5, 60))
    expected = [spearmanr(after[d], human[d])[0] - spearmanr(before[d], human[d])[0] for d in draw]
    assert np.allclose(gains, expected, atol=1e-12)
    assert np.allclose(failures.bootstrap_gain(before, before, human, 20, seed=1), 0)


def test_neighbour_counts_are_the_k_occurrence():
    from sklearn.neighbors import NearestNeighbors

    x = np.random.default_rng(0).normal(size=(300, 20)) + 0.5
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    counts = failures.neighbour_counts(u @ u.T, 5)
    assert np.array_equal(counts, ref.k_occurrence(x, 5))
    nearest = NearestNeighbors(n_neighbors=6, metric="cosine").fit(x).kneighbors(x)[1][:, 1:]
    assert np.array_equal(counts, np.bincount(nearest.ravel(), minlength=300))
    assert counts.sum() == 300 * 5


def test_unrelated_cosine_counts_only_pairs_with_different_labels():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert failures.unrelated_cosine(x, ["a", "a", "b"]) == pytest.approx(0.0)
    assert failures.unrelated_cosine(x, ["a", "b", "b"]) == pytest.approx(0.5)


def test_minimal_pairs_change_one_thing():
    pairs = failures.minimal_pairs()
    assert list(pairs) == list(failures.MINIMAL_PAIRS)
    for kind, ps in pairs.items():
        assert len(ps) == 18 and len(set(ps)) == 18, kind
        assert all(a != b for a, b in ps), kind
    for a, b in pairs["swapped roles"]:
        assert sorted(a.lower().rstrip(".").split()) == sorted(b.lower().rstrip(".").split()), (
            f"swapped roles keep every word: {a!r} / {b!r}")
    flat = [p for ps in pairs.values() for p in ps]
    control = failures.unrelated_pairs(flat)
    for (a, _), (c, d) in zip(flat, control, strict=True):
        assert a == c and d not in {b for x, b in flat if x == a}


def test_analogy_targets_and_best_answers_are_gensims_3cosadd():
    kv = data.glove(5000)
    targets, answers, asked = failures.analogy_targets(kv, data.analogy_questions()[::10], 5000)
    assert len(targets) > 100 and np.allclose(np.linalg.norm(targets, axis=1), 1)
    u = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    ours = failures.best_answers(targets @ u.T, asked)
    for t, (a, b, c) in list(zip(ours, asked, strict=True))[:60]:
        words = kv.index_to_key
        gensim = kv.most_similar(positive=[words[b], words[c]], negative=[words[a]], topn=1)[0][0]
        assert words[t] == gensim, (words[a], words[b], words[c])
    assert not np.any(ours[:, None] == asked), "the question's words are excluded"


def test_compressed_bits_rank_blank_digit_noise():
    digit = data.digits()[1][:1]
    blank, noise = np.zeros((1, 64)), np.random.default_rng(0).uniform(size=(1, 64))
    bits = [failures.compressed_bits(x)[0] for x in (blank, digit, noise)]
    assert bits[0] < bits[1] < bits[2] and all(b % 8 == 0 for b in bits)


def test_resampled_effects_are_seeded_weat_effects():
    rng = np.random.default_rng(0)
    sets = [rng.normal(size=(8, 10)) for _ in range(4)]
    a = failures.resampled_effects(*sets, n_resamples=20, seed=1)
    assert a.shape == (20,) and np.array_equal(a, failures.resampled_effects(*sets, n_resamples=20, seed=1))
    assert np.all(np.abs(a) <= 2 + 1e-9), "an effect size is within [-2, 2]"


def test_names_rare_things():
    vocabulary = {"learning", "to", "rank", "knowledge", "graph"}
    assert not failures.names_rare_things("Learning to rank", vocabulary)
    assert failures.names_rare_things("Knowledge graph 2", vocabulary)
    assert failures.names_rare_things("Arora", vocabulary)


def test_hidden_means_last_layer_is_minilms_embedding():
    texts = ["The cat slept.", "A much longer sentence about the stock market falling on Monday."]
    hidden = failures.hidden_means(texts)
    assert hidden.shape == (7, 2, 384)
    last = hidden[-1] / np.linalg.norm(hidden[-1], axis=1, keepdims=True)
    z = data.minilm().encode(texts, normalize_embeddings=True)
    assert np.allclose(last, z, atol=1e-5)


def page_embeddings():
    """Every embed() call the page makes, in the page's order."""
    from latentlab import search

    data.embed(data.topic_sentences()[0])
    flat = [p for ps in failures.minimal_pairs().values() for p in ps]
    failures.pair_cosines(flat)
    failures.pair_cosines(failures.unrelated_pairs(flat))
    search.dense_scores(data.semanlink())


def test_warm_up_embeds_what_the_page_embeds(monkeypatch):
    """warm_up asks data.embed for the same (texts, max_tokens) as the page: none fewer."""
    missing = uncached_embeddings(monkeypatch, failures.warm_up, page_embeddings, fill=1.0)
    assert not missing, f"warm_up leaves {len(missing)} embedding(s) of the page uncached"
    text = open(f"{PAGE}.md", encoding="utf-8").read()
    assert "failures.pair_cosines(all_pairs)" in text and "search.dense_scores(collection)" in text
