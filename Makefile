# draftdesk: `make run` serves the API with the sample knowledge base; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# pytest processes (pytest-xdist); each loads its own embedding model (~1 GB)
PYTEST_WORKERS ?= 2
export DRAFTDESK_DATA_DIR ?= $(CURDIR)/var

.PHONY: bench run test lint typecheck contracts pytest install install-dev index clean eval screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

# torch first, from the local CPU wheel: any other torch pulls gigabytes of CUDA.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

index: install
	$(BIN)/draftdesk index knowledge/sample_kb --prune
	$(BIN)/draftdesk catalog import --products catalog/sample/products.jsonl \
	  --promotions catalog/sample/promotions.jsonl --prune

run: index
	$(BIN)/draftdesk serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

contracts: install-dev
	$(BIN)/lint-imports

pytest: install-dev
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck contracts pytest

# docs/*.png: the browser tests (tests/browser, Debian's chromium) save a screenshot of each view they check.
screenshots: install-dev
	$(BIN)/pytest -q tests/browser --screenshots docs

# `make eval`: the shared dev data into runs/data, then both pipelines on the promo cases (sample KB) and on
# Bitext dev, against its KB as found and, for draftdesk, with example questions from the other half of dev;
# a report per run in runs/<dataset>-<pipeline>[-examples]/. EVAL_BITEXT_LIMIT= (empty) runs all cases.
# Then the realistic datasets on the sample KB: both pipelines on dev, draftdesk on holdout and on dev with the
# KB's example questions left out, in runs/<dataset>-<split>-<pipeline>[-noexamples]/. draftdesk's dev runs are
# gated by eval/gates/realistic.yaml: every run still happens, and `make eval` fails at the end on a breach.
EVAL_DATA := runs/data
EVAL_BITEXT_LIMIT ?= 1000
EVAL_PIPELINES ?= draftdesk baseline
EVAL_BITEXT = $(BIN)/draftdesk eval run $(EVAL_DATA)/bitext_en_dev.jsonl $(if $(EVAL_BITEXT_LIMIT),--limit $(EVAL_BITEXT_LIMIT))
EVAL_REALISTIC ?= realistic_zh realistic_en
EVAL_GATE := eval/gates/realistic.yaml

eval: install
	$(BIN)/draftdesk eval prepare --out $(EVAL_DATA)
	set -e; for p in $(EVAL_PIPELINES); do \
	  $(BIN)/draftdesk eval run eval/datasets/promo_cases.jsonl --kb knowledge/sample_kb \
	    --pipeline $$p --out runs/promo-$$p; \
	  $(EVAL_BITEXT) --kb $(EVAL_DATA)/kb_en.jsonl --pipeline $$p --out runs/bitext_en_dev-$$p; \
	done
	$(EVAL_BITEXT) --kb $(EVAL_DATA)/kb_en_examples.jsonl --pipeline draftdesk --out runs/bitext_en_dev-draftdesk-examples
	$(BIN)/draftdesk eval compare runs/bitext_en_dev-baseline runs/bitext_en_dev-draftdesk-examples | head -40
	set -e; breached=0; for d in $(EVAL_REALISTIC); do \
	  run="$(BIN)/draftdesk eval run eval/datasets/$$d.jsonl --kb knowledge/sample_kb"; \
	  $$run --split dev --out runs/$$d-dev-draftdesk --gate $(EVAL_GATE) || breached=1; \
	  $$run --split dev --pipeline baseline --out runs/$$d-dev-baseline; \
	  $$run --split holdout --out runs/$$d-holdout-draftdesk; \
	  $$run --split dev --without-examples --out runs/$$d-dev-draftdesk-noexamples; \
	done; \
	for s in stress stress2 stress3; do for l in zh en; do \
	  $(BIN)/draftdesk eval run eval/datasets/$${s}_$$l.jsonl --kb knowledge/sample_kb --out runs/$${s}_$$l-draftdesk; \
	done; done; \
	for l in zh en; do \
	  run="$(BIN)/draftdesk eval run eval/datasets/presale_$$l.jsonl --kb knowledge/sample_kb --catalog catalog/sample"; \
	  $$run --split dev --out runs/presale_$$l-dev-draftdesk; \
	  $$run --split holdout --out runs/presale_$$l-holdout-draftdesk; \
	  $$run --split holdout --pipeline baseline --out runs/presale_$$l-holdout-baseline; \
	  for s in presale2 presale3; do \
	    $(BIN)/draftdesk eval run eval/datasets/$${s}_$$l.jsonl --kb knowledge/sample_kb --catalog catalog/sample \
	      --out runs/$${s}_$$l-draftdesk; \
	  done; \
	done; exit $$breached

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# `make bench`: draftdesk vs a naive LangChain RAG app over HTTP, indexing and memory, from one run on this machine;
# writes bench/results.json and bench/results.md. Sizes: BENCH_KB_SIZE, BENCH_REQUESTS, BENCH_SURGE... (bench/run.py).
bench: install-dev
	$(BIN)/python -m bench.run
