# madoguchi — one-stop referral API. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
export HOST PORT WORKERS

.PHONY: install run seed migrate sync-national test test-fast lint typecheck browser eval examples wrk bench soak serve-prod clean

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

# The national subsidies open to 山口県 or 全国, from jGrants (JGRANTS_BASE_URL), once; a failed
# sync keeps the last good data. NATIONAL_SYNC_HOURS makes the running app repeat it.
sync-national: migrate
	$(BIN)/python -m app.cli national sync

run: migrate
	$(BIN)/python -m app.seeding --if-empty
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $(WORKERS) --no-proxy-headers

lint: install
	$(BIN)/ruff check app bench tests alembic
	$(BIN)/ruff format --check app bench tests alembic

typecheck: install
	$(BIN)/mypy app bench

# Headless Chromium for tests/e2e (Debian's package, driven by the playwright package's own
# driver; `playwright install` is never run) and a Japanese font for its screenshots and slip.
# Installed when missing and possible (root + apt-get); otherwise the e2e test is skipped,
# unless MADOGUCHI_REQUIRE_E2E is set (CI), where it fails.
MADOGUCHI_CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x "$(MADOGUCHI_CHROMIUM)" ] && fc-list :lang=ja 2>/dev/null | grep -q .; then \
	  echo "browser: $$("$(MADOGUCHI_CHROMIUM)" --version 2>/dev/null)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "browser: installing the Debian packages chromium and fonts-ipaexfont-gothic"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-ipaexfont-gothic >/dev/null && /usr/bin/chromium --version 2>/dev/null; \
	else \
	  echo "browser: $(MADOGUCHI_CHROMIUM) or a Japanese font is missing and cannot be installed here (needs root and apt-get)"; \
	fi

test: lint typecheck browser
	$(BIN)/python -m pytest

# The quick tier while working: no fault injection, browser or fuzzing (`make test` runs all).
test-fast: lint typecheck
	$(BIN)/python -m pytest -m "not faults and not e2e and not fuzz"

# The OpenAPI examples (app/schemas/examples/*.json), rewritten from a freshly seeded service:
# run after a change to the seed or to a response shape, and commit what changed.
examples: install
	$(BIN)/python -m app.devtools.examples

eval: install
	$(BIN)/python -m app.matching.evaluate
	@echo; echo 'Development sets (looked at and tuned against; reported, not gated): seed/eval/dev-2026-11.yaml, dev-2026-12.yaml, dev-2026-12b.yaml, dev-2026-12c.yaml, speech.yaml, speech-2.yaml, speech-3.yaml, speech-4.yaml, speech-5.yaml, speech-6.yaml, speech-7.yaml, speech-8.yaml, speech-9.yaml, speech-10.yaml, speech-11.yaml, speech-12.yaml'
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/dev-2026-11.yaml
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/dev-2026-12.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/dev-2026-12b.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/dev-2026-12c.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech.yaml
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-2.yaml
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-3.yaml
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-4.yaml
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-5.yaml
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-6.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-7.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-8.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-9.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-10.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-11.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/speech-12.yaml --summary
	@echo; echo 'Whom to call (seed/eval/local-offices.yaml): the local office of a top agency for requests from a named 市町'
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/local-offices.yaml
	@echo; echo 'Sealed held-out sets (seed/eval/heldout-2026-12d.yaml … heldout-2026-12q.yaml): written without seeing the rules; scores only, never their cases'
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12d.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12e.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12f.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12g.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12h.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12i.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12j.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12k.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12l.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12m.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12n.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12o.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12p.yaml --summary
	-$(BIN)/python -m app.matching.evaluate --file seed/eval/heldout-2026-12q.yaml --summary

# wrk (Debian's package) drives the HTTP benchmark; installed when missing and possible
# (root + apt-get), otherwise `make bench` stops and says so.
wrk:
	@if command -v wrk >/dev/null 2>&1; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "wrk: installing the Debian package wrk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
	  echo "wrk: missing and cannot be installed here (needs root and apt-get): apt-get install wrk" >&2; exit 1; \
	fi

# Capacity on SQLite and PostgreSQL (BENCH_POSTGRES_URL, default
# postgresql+psycopg://postgres@127.0.0.1:5432/madoguchi_bench; skipped when no server answers).
bench: install wrk
	$(BIN)/python -m bench.capacity --databases sqlite,postgresql --out docs/BENCHMARKS.md

# Soak: a mixed load (70 % match, 20 % programme search, 10 % referral creation) at a fixed
# rate for SOAK_SECONDS against its own server (SOAK_WORKERS uvicorn workers, temporary SQLite
# file); prints p50/p99 per kind and fails on any error. Against a running server:
# `$(BIN)/python -m bench.soak --url http://HOST:PORT --admin-key KEY`.
SOAK_SECONDS ?= 180
SOAK_RATE ?= 300
SOAK_WORKERS ?= 2
soak: install
	@mkdir -p docs
	@{ echo '# Soak test'; echo; echo 'Written by `make soak` ($(SOAK_SECONDS) s at $(SOAK_RATE) req/s, $(SOAK_WORKERS) workers, temporary SQLite database). Machine:'; echo; echo '```'; \
	  date -u; uname -srm; echo "cores: $$(nproc)"; git rev-parse HEAD 2>/dev/null || true; echo '```'; echo; echo '```'; \
	  $(BIN)/python -m bench.soak --duration $(SOAK_SECONDS) --rate $(SOAK_RATE) --workers $(SOAK_WORKERS) 2>&1; \
	  echo "exit status: $$?"; echo '```'; } | tee docs/SOAK.md
	@grep -q '^exit status: 0$$' docs/SOAK.md

# Production-like: PROD_WORKERS uvicorn workers (2 unless set), no access log, worker health checks.
PROD_WORKERS ?= 2
serve-prod: migrate
	$(BIN)/python -m app.seeding --if-empty
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $(PROD_WORKERS) --timeout-worker-healthcheck 30 --no-access-log --no-proxy-headers

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
