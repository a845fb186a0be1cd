# madoguchi — one-stop referral API. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
export HOST PORT WORKERS

.PHONY: install run seed migrate test lint typecheck eval bench serve-prod clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/python -m app.seeding

run: migrate
	$(BIN)/python -m app.seeding --if-empty
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: install
	$(BIN)/ruff check app tests alembic
	$(BIN)/ruff format --check app tests alembic

typecheck: install
	$(BIN)/mypy app

test: lint typecheck
	$(BIN)/python -m pytest

eval: install
	$(BIN)/python -m app.matching.evaluate

bench: install
	@mkdir -p docs
	@{ echo '# Benchmarks'; echo; echo 'Written by `make bench`. Machine:'; echo; echo '```'; \
	  date -u; uname -srm; echo "cores: $$(nproc)"; $(BIN)/python --version; echo '```'; echo; \
	  echo '## Matcher in-process latency'; echo; echo '```'; $(BIN)/python -m app.matching.bench; echo '```'; echo; \
	  echo '## HTTP: POST /v1/match next to GET /healthz (same server, same settings)'; echo; echo '```'; \
	  $(BIN)/python -m app.benchmarks.http; echo '```'; } | tee docs/BENCHMARKS.md

serve-prod: migrate
	$(BIN)/python -m app.seeding --if-empty
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $${WORKERS:-2} --no-access-log

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
