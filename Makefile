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

# The locks pin every dependency with its hashes (make lock refreshes them after a change in pyproject.toml).
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock
TORCH    ?= 2.13.0
UV       ?= 0.13.9

.PHONY: demo test check lint lock bench bench-quick system clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Exactly the locked versions (--no-deps: the lock is the whole set), then the project itself.
$(VENV)/.app: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# torch first, pinned and outside the lock, so the CPU build that is on the machine is used (the lock is made
# against it and holds neither torch nor CUDA packages).
$(VENV)/.dev: pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(BIN)/pip install -q torch==$(TORCH)
	$(BIN)/pip install -q --require-hashes --no-deps -r $(DEV_LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $(VENV)/.app $@

# Re-resolve both locks from pyproject.toml with uv, against the local CPU torch in /opt/wheels.
lock: | $(BIN)/python
	$(BIN)/pip install -q uv==$(UV)
	echo "torch==$(TORCH)+cpu" > $(VENV)/torch-cpu.txt
	$(BIN)/uv pip compile -q pyproject.toml --generate-hashes --python-version 3.11 -o $(LOCK)
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --extra st --generate-hashes --python-version 3.11 \
		--find-links /opt/wheels --constraint $(VENV)/torch-cpu.txt --no-emit-package torch -o $(DEV_LOCK)

system:
	./scripts/setup-system.sh

demo: system $(VENV)/.app
	$(BIN)/broker ingest corpus --data $(DATA)
	$(BIN)/broker search "familiebehandling i hjemmet" --data $(DATA) --k 5
	$(BIN)/broker search "hvordan organiserer andre kommuner den fremskudte indsats på skolerne?" --data $(DATA) --k 5
	$(BIN)/broker ask "hvilke kommuner har familiehuse med åben anonym rådgivning?" --data $(DATA)
	@echo "Åbn http://$(HOST):$(PORT)/ i en browser (Ctrl+C stopper tjenesten)."
	@echo "Demo-indekset ligger i $(DATA). Kommandolinjen er $(BIN)/broker (eller: source $(BIN)/activate), fx:"
	@echo "  $(BIN)/broker search \"familiebehandling\" --data $(DATA)"
	$(BIN)/broker serve --data $(DATA) --host $(HOST) --port $(PORT)

test: $(VENV)/.dev
	./scripts/setup-system.sh --test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

# The fast lane reads the demo corpus too, whose scanned PDF needs Tesseract: the system step comes first.
check: system $(VENV)/.dev
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
