# `make run` serves the sandbox workspace (the bot, a local Slack and a page at /sandbox) with the
# example sandbox policy; `make test` runs every check and the test suite; `make test-repeat N=5`
# runs the suite N times in a row on a loaded machine (pytest arguments in ARGS).
# Both create .venv on first use and reinstall only when pyproject.toml changes; `make run` installs
# the runtime dependencies only, `make test` adds the development tools (the `dev` extra).

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --disable-pip-version-check

N ?= 5
ARGS ?=

.PHONY: run test lint pytest test-repeat clean

run: $(RUNTIME)
	$(BIN)/changegate serve --sandbox --policy examples/sandbox.yaml

test: lint pytest

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy workflow storage bot
	$(BIN)/lint-imports

pytest: $(DEV)
	$(BIN)/pytest

test-repeat: $(DEV)
	BIN=$(BIN) tests/repeat.sh $(N) $(ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[dev]'
	touch $(DEV) $(RUNTIME)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
