# The two commands a new user needs:  make demo  and  make test  (see README.md).
# Everything they need is installed here: a virtualenv in .venv (pinned by constraints.txt)
# and the OpenTelemetry Collector built by collector-config/build.sh (cached per manifest).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint unit bench field collector venv clean browser scale-demo test-scale

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

# Real projects' own test suites (click, Flask, jinja2, attrs; sdists from PyPI), plainly and
# under zero-code with 20+ targets each: fails if a test newly fails or a target sends nothing.
# Not part of `make test`: it downloads and takes minutes (tests/field/run.py).
field: $(STAMP)
	$(BIN)/python tests/field/run.py

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

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info field-work
