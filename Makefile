# Desk Pilkada workbench. `make` alone lists the targets.
# Every target sets up its own environment: uv (installed with pip into .tools/ when missing), then a
# frozen sync of uv.lock against this machine's Python 3.11. uv never downloads an interpreter.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The machine's own Python 3.11, by its real path (a pyenv shim would look like another interpreter to uv).
PYTHON ?= $(shell $$(command -v python3.11 || command -v python3) -c 'import sys; print(sys.executable)')
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# Byte-compile the environment when uv installs it. A machine or service with PYTHONDONTWRITEBYTECODE
# set (this one has it) otherwise compiles every imported module from source in every process: the
# run, its workers and the pack kernels. Measured: the pack notebook's imports 4.2 s -> 1.4 s.
export UV_COMPILE_BYTECODE := 1
VENV_PY := .venv/bin/python
# The project's own modules compiled too (an editable install is not; up to date: ~0.05 s)
# (a module that does not compile is reported here, and again by the run or the tests)
COMPILE_SRC := $(VENV_PY) -m compileall -q src || true

# Parameters of the daily brief (all optional): DATE=YYYY-MM-DD SCOPE=<unit code> DEPTH=<tiers below> RAW=<drop folder>
DATE ?=
SCOPE ?=
DEPTH ?=
RAW ?=
# WAIT=1: wait for another run on the same processed folder to finish instead of stopping
WAIT ?=
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser --port=8899"
LAB_ARGS ?=
# Jupyter refuses to start as root unless told; the desk's machines and containers often run as root.
LAB_ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
BRIEF_ARGS := $(if $(DATE),--date $(DATE)) $(if $(SCOPE),--scope $(SCOPE)) $(if $(DEPTH),--depth $(DEPTH)) $(if $(RAW),--raw $(RAW)) $(if $(WAIT),--wait)

.PHONY: help setup daily-brief schedule schedule-install demo ingest reconcile pull-kpu demo-kpu-server templates checks-doc map-asset test test-fast bench simulasi lab lint format clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	@echo "uv not found: installing uv $(UV_VERSION) into .tools/"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -q "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

setup: .venv/.synced ## Create .venv from uv.lock (every other target does this itself)

daily-brief: .venv/.synced ## Ingest, validate, reconcile, make the packs (demo when RAW is not given)
	@$(COMPILE_SRC)
	$(VENV_PY) -m analysis daily-brief $(BRIEF_ARGS)

demo: .venv/.synced ## Generate the demo election into data/raw/ (SCOPE=16 by default; SCOPE=00 is national)
	$(VENV_PY) -m analysis demo $(if $(SCOPE),--scope $(SCOPE))

ingest: .venv/.synced ## Ingest and validate a raw drop (RAW=...) into data/processed/
	$(VENV_PY) -m analysis ingest $(if $(RAW),--raw $(RAW))

reconcile: .venv/.synced ## Reconcile the internal count against KPU's results
	$(VENV_PY) -m analysis reconcile

# KPU pull: RAW=<drop> [SCOPE=<unit>] [KPU_URL=<another host, e.g. the local stand-in>]; the stand-in: [PORT=8800] [DESK=<new drop>]
KPU_URL ?=
PORT ?=
DESK ?=

pull-kpu: .venv/.synced ## Pull KPU's published results for SCOPE into the drop RAW (KPU_URL=local stand-in)
	@test -n "$(RAW)" || { echo "pull-kpu: give the desk's drop, e.g. make pull-kpu RAW=data/raw/desk-16"; exit 2; }
	$(VENV_PY) -m analysis pull-kpu --raw $(RAW) $(if $(SCOPE),--scope $(SCOPE)) $(if $(KPU_URL),--base-url $(KPU_URL))

demo-kpu-server: .venv/.synced ## Serve the demo drop at KPU's paths on 127.0.0.1 (DESK=<new drop> gets its desk side)
	$(VENV_PY) -m analysis demo-kpu-server $(if $(SCOPE),--scope $(SCOPE)) $(if $(PORT),--port $(PORT)) $(if $(DESK),--desk-drop $(DESK))

# The scheduled daily brief (SCOPE, DEPTH, RAW as for daily-brief; every settings.run.schedule_every_minutes)
SCHEDULE_ARGS := $(if $(SCOPE),--scope $(SCOPE)) $(if $(DEPTH),--depth $(DEPTH)) $(if $(RAW),--raw $(RAW)) $(if $(DATE),--date $(DATE))

schedule: .venv/.synced ## Print the systemd service + timer (and a cron line) running daily-brief every 30 min for this checkout
	$(VENV_PY) -m analysis schedule $(SCHEDULE_ARGS)

schedule-install: .venv/.synced ## Install and enable those units as user units (systemctl --user); without systemd: the cron line
	$(VENV_PY) -m analysis schedule --install $(SCHEDULE_ARGS)

templates: .venv/.synced ## Write the Excel/CSV input templates for field staff into reports/templates/
	$(VENV_PY) -m analysis templates

checks-doc: .venv/.synced ## Rewrite docs/checks.md and the GX suites in expectations/ from the check tables
	$(VENV_PY) -m analysis checks-doc

# The boundary dump the map asset is built from (cahyadsn/wilayah_boundaries, MIT): a folder you
# download and name; the packs and tests read only the committed asset, never this folder.
MAP_SOURCE ?=

map-asset: .venv/.synced ## Rebuild the packs' map asset from the boundary dump (MAP_SOURCE=<dir>)
	@test -n "$(MAP_SOURCE)" || { echo "galat: sebutkan folder batas wilayah: make map-asset MAP_SOURCE=<folder>"; exit 2; }
	$(VENV_PY) -m analysis build-map-asset --source $(MAP_SOURCE)

test: .venv/.synced ## Run the whole test suite (unit, end to end, headless browser)
	@$(COMPILE_SRC)
	$(VENV_PY) -m pytest

test-fast: .venv/.synced ## Run the unit tests only (skip end-to-end and browser tests)
	$(VENV_PY) -m pytest -m "not slow"

bench: .venv/.synced ## Benchmark the stages and the count-night re-runs on the national demo (SCOPE=<unit> for another)
	@$(COMPILE_SRC)
	$(VENV_PY) -m analysis bench $(if $(SCOPE),--scope $(SCOPE))

simulasi: .venv/.synced ## Simulated count nights: coverage of the projections' 95% intervals (seeded)
	$(VENV_PY) -m analysis simulasi

lab: .venv/.synced ## Open JupyterLab (own environment .venv-lab) on notebooks/ with the project kernel (LAB_ARGS="--no-browser --port=8899")
	UV_PROJECT_ENVIRONMENT=.venv-lab $(UV) sync --frozen --only-group lab
	$(VENV_PY) -m analysis.lab .venv-lab
	.venv-lab/bin/jupyter lab --notebook-dir=notebooks $(LAB_ALLOW_ROOT) $(LAB_ARGS)

lint: .venv/.synced ## ruff check + format check; notebooks must carry no outputs
	.venv/bin/ruff check src tests
	.venv/bin/ruff format --check src tests
	$(VENV_PY) -m analysis check-notebooks

format: .venv/.synced ## Apply ruff fixes and formatting
	.venv/bin/ruff check --fix src tests
	.venv/bin/ruff format src tests

clean: ## Remove generated data, reports, environments and caches (data/raw/ drops other than the demo stay)
	rm -rf data/processed/* data/processed/.*.generasi data/processed/.*.kunci data/processed/.*.galat.log reports/* reports/.*.generasi data/raw/demo-* .venv .venv-lab .tools .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find expectations/uncommitted -mindepth 1 -delete 2>/dev/null || true
