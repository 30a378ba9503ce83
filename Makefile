# Latent Space Lab: `make book` builds the book, `make test` runs every test.
# Both create .venv from requirements.txt on first use and reuse it afterwards.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WARM := .cache/numba/.warm
EMBED := .cache/latentlab/.warm

# Runs with no network: models and data come from installed packages only.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# UMAP/numba compile once and reuse the cache across processes.
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
# Embeddings a page computes once are kept here (keyed by the model's and the texts' hashes).
export LATENTLAB_CACHE := $(CURDIR)/.cache/latentlab

.PHONY: setup book exercises test test-fast lint bench clean

setup: $(STAMP)

# torch and sentence-transformers resolve in one pip command (so pip keeps the CPU wheel);
# the packages of requirements-nodeps.txt are installed without their dependencies, in a second command.
$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

# UMAP compiles its numba functions in its first fit (about 30 s); do it once here, into
# NUMBA_CACHE_DIR, so that no page's budget pays for it. Deleting the cache deletes this stamp.
$(WARM): $(STAMP) latentlab/maps.py
	$(BIN)/python -c "from latentlab.maps import warm_up; print(f'UMAP compiled in {warm_up():.0f} s')"
	touch $(WARM)

# The retrieval and failure-mode pages' MiniLM embeddings, computed once into LATENTLAB_CACHE (keyed by the model's
# and the texts' hashes, so a changed corpus or model is embedded afresh); same idea as above. Last, chapter 9's
# SmolLM2 is dequantised from its GGUF file once (about 30 s) and kept as safetensors, keyed by the file's hash.
$(EMBED): $(STAMP) latentlab/search.py latentlab/failures.py latentlab/probes.py latentlab/data.py
	$(BIN)/python -c "from latentlab.search import warm_up; print(f'retrieval embeddings cached in {warm_up():.0f} s')"
	$(BIN)/python -c "from latentlab.failures import warm_up; print(f'failure-mode embeddings cached in {warm_up():.0f} s')"
	$(BIN)/python -c "from latentlab.probes import warm_up; print(f'probing sentences tagged and their hidden states cached in {warm_up():.0f} s')"
	$(BIN)/python -c "from latentlab.data import warm_smollm; print(f'SmolLM2 dequantised and cached in {warm_smollm():.0f} s')"
	touch $(EMBED)

book: $(STAMP) $(WARM) $(EMBED)
	LATENTLAB_BOOK_BUILD=1 $(BIN)/jupyter-book build . -W -n --keep-going

exercises: $(STAMP)
	$(BIN)/python -m autograder.release

test: $(STAMP) $(WARM) $(EMBED)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/visualisation.py
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf _build .cache/jupyter
