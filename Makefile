# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .cache/uv-venv/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench bench-bound eval-repair docs clean

$(UV):
	$(PYTHON) -m venv .cache/uv-venv
	.cache/uv-venv/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode
	@touch $@

setup: $(VENV)/.synced

demo: setup
	$(BIN)/doudi demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# print a demo county workbook with LibreOffice, check the text size on paper, and write the
# caseworker guide's screenshots (needs Debian's libreoffice-calc-nogui, poppler-utils,
# fonts-noto-cjk, fonts-crosextra-carlito)
docs: setup
	@test -d data/demo/out/exports || $(BIN)/doudi demo
	$(BIN)/python docs/render_workbook.py

SCALE ?= small
bench: setup
	$(BIN)/python -m benchmarks.bench --scale $(SCALE) $(if $(WITHOUT),--without $(WITHOUT))

# after `make bench` at the same scale: the least any ingest here could take (see README)
bench-bound: setup
	$(BIN)/python -m benchmarks.ingest_bound --scale $(SCALE)

# identity repair on a generated city's labelled records: doudi against a naive baseline,
# per error kind; benchmarks/results/repair-<scale>.json and -pr.png
eval-repair: setup
	$(BIN)/python -m benchmarks.eval_repair --scale $(SCALE)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf data/demo data/out .pytest_cache
