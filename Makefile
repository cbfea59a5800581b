# The two commands a new user needs:  make demo  and  make test  (see README.md).
# Everything they need is installed here: a virtualenv in .venv (pinned by constraints.txt)
# and the OpenTelemetry Collector built by collector-config/build.sh (cached per manifest).

# Supported and tested: Python 3.10-3.13, from the machine's pyenv; one virtualenv each.
# .venv is 3.11's (lint, demo, unit); .venv-3.10, .venv-3.12 and .venv-3.13 the others.
PYENV_ROOT  ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
PYTHON_3.10 ?= $(PYENV_ROOT)/versions/3.10.13/bin/python
PYTHON_3.11 ?= $(PYENV_ROOT)/versions/3.11.7/bin/python
PYTHON_3.12 ?= $(PYENV_ROOT)/versions/3.12.1/bin/python
PYTHON_3.13 ?= $(PYENV_ROOT)/versions/3.13.0/bin/python
# .venv's interpreter: pyenv's 3.11 when present, else the machine's python3 (make demo works
# without pyenv; make test needs all four).
PYTHON ?= $(shell test -x $(PYTHON_3.11) && echo $(PYTHON_3.11) || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OTHER_VERSIONS := 3.10 3.12 3.13
OTHER_STAMPS   := $(foreach v,$(OTHER_VERSIONS),.venv-$(v)/.installed)
# The whole suite runs on every version; the exit test already runs each interpreter itself.
# If the suite grows too slow for CI, narrow this to the interpreter-sensitive tests:
# tests/pipeline tests/reliability tests/e2e tests/auto (exit, fork, delivery, zero-code).
MATRIX_TESTS := --deselect tests/reliability/test_exit_on_every_python.py

.PHONY: demo test lint unit bench field collector venv venvs clean browser scale-demo test-scale

demo: $(STAMP) collector
	$(BIN)/python examples/demo.py

# A missing interpreter's virtualenv fails the version tests instead of skipping them.
test: export OTEL_PRODUCT_EVENTS_TEST_EVERY_PYTHON = 1
# The Kafka tier's scale tests (tests/scale) run once, with 3.11: they do not depend on the version.
test: $(STAMP) $(OTHER_STAMPS) collector lint
	OTEL_PRODUCT_EVENTS_SCALE_TESTS=1 $(BIN)/python -m pytest
	for v in $(OTHER_VERSIONS); do \
		echo "== Python $$v"; \
		.venv-$$v/bin/python -m pytest -q -p no:cacheprovider $(MATRIX_TESTS) || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Tests without the collector build (quick inner loop while developing).
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not collector"

# Per-call cost against hand-written OpenTelemetry and the peers, CPU per delivered event (the
# trackers' background work too, peers really sending to a local sink), then throughput.
bench: $(STAMP) collector
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python tests/benchmarks/run.py
	$(BIN)/python tests/benchmarks/delivered.py --json bench-results/delivered.json
	$(BIN)/python tests/benchmarks/throughput.py

# Real projects' own test suites (click, Flask, jinja2, attrs; sdists from PyPI), plainly and
# under zero-code with 20+ targets each: fails if a test newly fails or a target sends nothing.
# On Python 3.12 (code objects); FIELD_PYTHON=$(PYTHON_3.11) runs it wrapped, leaving out the
# targets wrapping cannot track (listed with the reason). Not part of `make test`: it downloads
# and takes minutes (tests/field/run.py).
FIELD_PYTHON ?= $(PYTHON_3.12)
field: $(STAMP)
	$(BIN)/python tests/field/run.py --python $(FIELD_PYTHON)

collector:
	bash collector-config/build.sh >/dev/null

# Headless Chromium for the dashboard tests (they also run this themselves when it is missing).
browser:
	sh tests/report/install-chromium.sh

# The Kafka tier (issue #15), run for real: needs Java and Maven (Kafka jars from Maven Central,
# cached in ~/.cache/otel-product-events/kafka-<version>). About 2 min on 2 cores.
test-scale: $(STAMP) collector
	OTEL_PRODUCT_EVENTS_SCALE_TESTS=1 $(BIN)/python -m pytest tests/scale -m scale

# apps -> 2 edge collectors -> Kafka (6 partitions) -> 2 storage collectors -> files -> report.
scale-demo: $(STAMP) collector
	$(BIN)/python -m tests.scale.demo

venv: $(STAMP)

venvs: $(STAMP) $(OTHER_STAMPS)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

.venv-%/.installed: pyproject.toml constraints.txt
	test -x .venv-$*/bin/python || $(PYTHON_$*) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .venv-3.* .mypy_cache .ruff_cache .pytest_cache *.egg-info field-work
