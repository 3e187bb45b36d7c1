# Two commands on a fresh machine with Python 3.11:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test setup lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, from the CPU build, so that nothing pulls the multi-GB CUDA one
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	@test -f $(or $(ASSISTANT_INDEX_DIR),index)/chroma.sqlite3 || $(BIN)/assistant index articles/
	$(BIN)/python app.py

lint: setup
	$(BIN)/ruff check assistant tests bench app.py
	$(BIN)/ruff format --check assistant tests bench app.py
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) index/chroma.sqlite3 index/*/
