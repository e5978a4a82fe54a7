# Two commands do all set-up on a fresh Debian/Ubuntu machine with Python 3.11:
#   make demo   - environment, demo corpus ingested, example searches, the service on localhost
#   make test   - environment with test tools, lint, types and the whole test suite
#   make check  - the fast lane while working: lint, types, the layer contract, tests without a real index
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data/demo
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test check lint bench bench-quick system clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# torch first, pinned, so sentence-transformers takes the CPU build that is on the machine.
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,st]'
	touch $(VENV)/.app $@

system:
	./scripts/setup-system.sh

demo: system $(VENV)/.app
	$(BIN)/broker ingest corpus --data $(DATA)
	$(BIN)/broker search "familiebehandling i hjemmet" --data $(DATA) --k 5
	$(BIN)/broker search "hvordan organiserer andre kommuner den fremskudte indsats på skolerne?" --data $(DATA) --k 5
	$(BIN)/broker ask "hvilke kommuner har familiehuse med åben anonym rådgivning?" --data $(DATA)
	@echo "Åbn http://$(HOST):$(PORT)/ i en browser (Ctrl+C stopper tjenesten)."
	$(BIN)/broker serve --data $(DATA) --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	./scripts/setup-system.sh --test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

check: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not slow"

# Benchmarks (docs/benchmarks.md): results, report and plots in bench/results/; about 40 min here, the quick
# run a few minutes. The Greve parts are skipped with a message when ../shared/data is not there.
bench: $(VENV)/.dev
	$(BIN)/python -m bench.run

bench-quick: $(VENV)/.dev
	$(BIN)/python -m bench.run --quick

lint: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
