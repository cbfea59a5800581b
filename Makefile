# The two commands a new user needs:  make demo  and  make test  (see README.md).
# Everything they need is installed here: a virtualenv in .venv (pinned by constraints.txt)
# and the OpenTelemetry Collector built by collector-config/build.sh (cached per manifest).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint unit bench collector venv clean browser

demo: $(STAMP) collector
	$(BIN)/python examples/demo.py

test: $(STAMP) collector lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Tests without the collector build (quick inner loop while developing).
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not collector"

# Per-call cost against hand-written OpenTelemetry and the peers, then end-to-end throughput.
bench: $(STAMP) collector
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python tests/benchmarks/run.py
	$(BIN)/python tests/benchmarks/throughput.py

collector:
	bash collector-config/build.sh >/dev/null

# Headless Chromium for the dashboard tests (they also run this themselves when it is missing).
browser:
	sh tests/report/install-chromium.sh

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
