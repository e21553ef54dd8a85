# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .cache/uv-venv/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench bench-bound clean

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

SCALE ?= small
bench: setup
	$(BIN)/python -m benchmarks.bench --scale $(SCALE) $(if $(WITHOUT),--without $(WITHOUT))

# after `make bench` at the same scale: the least any ingest here could take (see README)
bench-bound: setup
	$(BIN)/python -m benchmarks.ingest_bound --scale $(SCALE)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf data/demo data/out .pytest_cache
