# finstack: the README's two commands are `make demo` and `make test`; both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint unit bench posture clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml policy/requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet -r policy/requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python -m finstack.demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

test: lint unit

# Prowler's PCI DSS 4.0 checks against the emulated prod stack (its own .posture-venv; not part of test).
posture: install
	$(BIN)/python -m finstack.posture

bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .posture-venv .finstack .pytest_cache .mypy_cache .ruff_cache
