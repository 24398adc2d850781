# `make run` serves the sandbox workspace (the bot, a local Slack and a page at /sandbox) with the
# example sandbox policy; `make test` runs every check and the test suite.
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint pytest clean

run: $(STAMP)
	$(BIN)/changegate serve --sandbox --policy examples/sandbox.yaml

test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy workflow storage bot
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
