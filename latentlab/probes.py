"""Helpers of the probing page (chapter 8): MiniLM's hidden states at each word, splits by sentence
and by word type, label sets, an MLP probe, an online (MDL) code length and a warm-up.

The graded computations (first sub-tokens, word features, control labels, the linear probe) are
the reference versions of `latentlab.reference.probing`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter

import numpy as np

N_STATES = 7  # MiniLM's embeddings and its 6 layers
PAGE_STEPS = 30  # L-BFGS steps of each of the page's probes (its time budget); tested against convergence
ENTITY_TYPES = ("PERSON", "ORG", "GPE", "DATE", "CARDINAL", "NORP")  # the rest become "OTHER"


def state_names(n_states=N_STATES):
    """Names of the hidden states: "emb", then "L1" .. "L6"."""
    return ["emb"] + [f"L{i}" for i in range(1, n_states)]


def _hidden_of_batch(tokenizer, model, batch):
    import torch

    encoded = tokenizer([list(s) for s in batch], is_split_into_words=True, return_tensors="pt",
                        padding=True)
    with torch.no_grad():
        states = torch.stack(model(**encoded).hidden_states, dim=1).numpy()  # (b, 7, T, 384)
    # each word's first piece, by the tokenizer's own map from words to token spans
    return [states[j][:, [encoded.word_to_tokens(j, w).start for w in range(len(s))]]
            for j, s in enumerate(batch)]


def word_states(tagged, batch_size=32):
    """MiniLM's 7 hidden states at the first word piece of every word of `tagged` (a
    `data.Tagged`), sentences concatenated in order: (7, n_words, 384) float32.

    Cached on disk under `data.cache_dir()`, keyed by the model's weights and the words.
    """
    from latentlab import data

    key = hashlib.sha256(json.dumps([data._minilm_digest(), tagged.words]).encode()).hexdigest()
    path = data.cache_dir() / "word_states" / f"{key[:32]}.npy"
    try:
        saved = np.load(path)
        if saved.shape == (N_STATES, tagged.n_words, data.MINILM_DIM):
            return saved
    except (OSError, ValueError):
        pass
    tokenizer, model = data.minilm_hidden()
    order = np.argsort([len(s) for s in tagged.words], kind="stable")  # little padding per batch
    per_sentence = [None] * len(tagged)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        for i, states in zip(chosen, _hidden_of_batch(tokenizer, model, [tagged.words[i] for i in chosen]), strict=True):
            per_sentence[i] = states
    features = np.concatenate(per_sentence, axis=1).astype(np.float32)
    data.save_cached(path, features)
    return features


def sentence_of_word(tagged):
    """Index of each word's sentence: int64 (n_words,)."""
    return np.repeat(np.arange(len(tagged)), [len(s) for s in tagged.words])


def flat(rows):
    """The words (or labels) of every sentence, one list."""
    return [item for row in rows for item in row]


def sentence_split(tagged, test_share=0.25, seed=0):
    """True for the words of training sentences: a random `test_share` of sentences is held out."""
    n = len(tagged)
    test = np.random.default_rng(seed).permutation(n)[: round(test_share * n)]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    return ~is_test[sentence_of_word(tagged)]


def type_split(words, test_share=0.25, seed=0):
    """True for training words when whole word types (lower-cased) are held out: the test words'
    types never occur in training. Types are drawn until `test_share` of the words is held out."""
    lowered = [w.lower() for w in words]
    types = sorted(set(lowered))
    counts = Counter(lowered)
    held, total = set(), 0
    for i in np.random.default_rng(seed).permutation(len(types)):
        if total >= test_share * len(words):
            break
        held.add(types[i])
        total += counts[types[i]]
    return np.array([w not in held for w in lowered])


def label_ids(labels, classes=None):
    """(classes, ids): the sorted label set (or `classes`) and each label's index, int64."""
    classes = sorted(set(labels)) if classes is None else list(classes)
    index = {c: i for i, c in enumerate(classes)}
    return classes, np.array([index[label] for label in labels], dtype=np.int64)


def entity_task(tagged):
    """(mask, labels): the words inside a named entity, and their types, with every type outside
    `ENTITY_TYPES` merged into "OTHER"."""
    types = flat(tagged.entity)
    mask = np.array([t != "O" for t in types])
    return mask, [t if t in ENTITY_TYPES else "OTHER" for t, m in zip(types, mask, strict=True) if m]


def majority_accuracy(y_train, y_test):
    """Test accuracy of always answering the most frequent training label."""
    return float(np.mean(np.asarray(y_test) == np.bincount(y_train).argmax()))


def word_identity_accuracy(words, y, train):
    """Test accuracy of answering each test word's most frequent training label (its type's,
    lower-cased), or the most frequent label overall for a type never seen in training."""
    y = np.asarray(y)
    seen: dict[str, Counter] = {}
    for w, label, t in zip(words, y, train, strict=True):
        if t:
            seen.setdefault(w.lower(), Counter())[label] += 1
    fallback = np.bincount(y[train]).argmax()
    guesses = [seen[w.lower()].most_common(1)[0][0] if w.lower() in seen else fallback
               for w, t in zip(words, train, strict=True) if not t]
    return float(np.mean(np.array(guesses) == y[~train]))


def standardise(x, train):
    """x minus the training rows' mean, over their standard deviation (per column): float32."""
    mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-6
    return ((x - mean) / std).astype(np.float32)


def mlp_probe_accuracy(x, y, train, n_classes, hidden=64, epochs=30, weight_decay=1e-4, seed=0):
    """Test accuracy of a one-hidden-layer MLP probe (ReLU, `hidden` units), full-batch Adam for
    `epochs` steps from a seeded start, trained on the `train` rows and scored on the others."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    xt, yt = torch.tensor(x[train]), torch.tensor(np.asarray(y)[train])
    d = x.shape[1]
    w1 = (torch.randn(d, hidden, generator=generator) / np.sqrt(d)).requires_grad_()
    b1 = torch.zeros(hidden, requires_grad=True)
    w2 = (torch.randn(hidden, n_classes, generator=generator) / np.sqrt(hidden)).requires_grad_()
    b2 = torch.zeros(n_classes, requires_grad=True)
    optimiser = torch.optim.AdamW([w1, b1, w2, b2], lr=1e-2, weight_decay=weight_decay)
    for _ in range(epochs):
        loss = torch.nn.functional.cross_entropy(torch.relu(xt @ w1 + b1) @ w2 + b2, yt)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        scores = torch.relu(torch.as_tensor(x[~train]) @ w1 + b1) @ w2 + b2
    return float((scores.argmax(1).numpy() == np.asarray(y)[~train]).mean())


def online_code_length(x, y, n_classes, fractions=(0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0), weight_decay=1e-3,
                       seed=0, max_iter=PAGE_STEPS):
    """Voita & Titov's (2020) online code length of the labels y given x, in bits.

    The rows are shuffled with `seed`; the first block is sent with a uniform code (log2 of the
    number of classes per label); each later block is sent with the code of a linear probe trained
    on every row before it. Returns (total bits, bits of the uniform code for all rows).
    """
    from latentlab.reference.probing import train_probe

    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], np.asarray(y)[order]
    cuts = [max(1, int(f * len(y))) for f in fractions]
    bits = cuts[0] * np.log2(n_classes)
    for start, end in zip(cuts[:-1], cuts[1:], strict=True):
        w, b = train_probe(x[:start], y[:start], n_classes, weight_decay=weight_decay, seed=seed, max_iter=max_iter)
        logits = x[start:end].astype(np.float64) @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        bits += -log_p[np.arange(end - start), y[start:end]].sum() / np.log(2)
    return float(bits), float(len(y) * np.log2(n_classes))


def warm_up():
    """Tag the page's sentences and compute their hidden states, so that both are cached on disk.
    Returns the seconds it took."""
    from latentlab import data

    start = time.perf_counter()
    word_states(data.probing_sentences())
    return time.perf_counter() - start


def digit_codes(latent_dim=8, seed=0, epochs=30):
    """{name: (codes of the training digits, codes of the test digits)} at one width, `latent_dim`:
    chapter 2's autoencoder (64-128-latent_dim, ReLU), chapter 3's VAE (its means) and PCA, each
    fitted on the training digits with `seed`; plus the 64 raw pixels for reference."""
    import torch
    from sklearn.decomposition import PCA

    from latentlab import data
    from latentlab.reference import autoencoders, vae

    x_train, x_test, _, _ = data.digits()
    ae = autoencoders.Autoencoder([64, 128, latent_dim], seed=seed)
    autoencoders.train_autoencoder(ae, x_train, num_epochs=epochs, lr=3e-3, batch_size=128, seed=seed)
    model = vae.VAE(latent_dim=latent_dim, seed=seed)
    vae.train_vae(model, x_train, num_epochs=epochs, batch_size=128, lr=3e-3, seed=seed)
    pca = PCA(n_components=latent_dim, random_state=seed).fit(x_train)
    with torch.no_grad():
        def ae_codes(x):
            return ae.encode(torch.as_tensor(np.array(x))).numpy()

        def vae_means(x):
            return model.encode(torch.as_tensor(np.array(x)))[0].numpy()

        return {"pixels": (np.array(x_train), np.array(x_test)),
                "autoencoder": (ae_codes(x_train), ae_codes(x_test)),
                "VAE means": (vae_means(x_train), vae_means(x_test)),
                "PCA": (pca.transform(x_train), pca.transform(x_test))}
