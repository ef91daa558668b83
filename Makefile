# Attendance Pathway — every target bootstraps what it needs (.venv from uv.lock) by itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
STAMP := $(VENV)/.synced
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install: this machine sets PYTHONDONTWRITEBYTECODE, so without it every
# `pathway` call would recompile SQLAlchemy, Prefect and FastAPI from source.
$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --all-groups --compile-bytecode --python python3
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv from uv.lock (all groups)

# WeasyPrint subsets fonts with HarfBuzz; without libharfbuzz-subset it warns on every PDF and
# the demo's summary drowns in warnings (as `make test` installs it through ensure_chromium.sh).
fonts: ## Install HarfBuzz's font subsetter for WeasyPrint when it is missing
	@ldconfig -p | grep -q libharfbuzz-subset || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		echo "installing libharfbuzz-subset0 for WeasyPrint"; \
		$$SUDO apt-get install -y -qq libharfbuzz-subset0 >/dev/null; }

demo: $(STAMP) fonts ## Seed a small LA, import it, run the daily flows over several weeks, print a summary
	$(VENV)/bin/pathway demo

# One worker per core; a test file stays on one worker, so a module's Prefect server or browser
# starts once. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
test: $(STAMP) ## Run the whole test suite (unit, scenarios, integration, browser)
	bash tests/browser/ensure_chromium.sh
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP) ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy casework notifications flows bench tests

typecheck: $(STAMP) ## mypy only
	$(VENV)/bin/mypy casework notifications flows bench tests

bench: $(STAMP) ## Benchmarks on a 100,000-pupil synthetic LA (never run by make test)
	$(VENV)/bin/python -m bench

soak: $(STAMP) ## Fault injection on PostgreSQL: SIGKILLed sweeps and dispatches, an outage, raced writes
	$(VENV)/bin/python -m bench.soak $(SOAK_ARGS)

scenarios: $(STAMP) ## The shared acceptance scenarios through the CLI
	python3 ../shared/scenarios/run.py --pathway $(CURDIR)/$(VENV)/bin/pathway $(abspath $(wildcard ../shared/scenarios/*/))

clean: ## Remove var/ (databases, outbox, letters, reports)
	rm -rf var


.PHONY: help venv fonts demo test lint typecheck bench soak scenarios clean
