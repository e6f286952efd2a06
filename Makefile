# duban — make install | run | test | bench | lock
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
# Installs come from the hash-pinned locks, so a clone next year gets what passed today.
LOCK := requirements.lock
DEVLOCK := requirements-dev.lock

.PHONY: install run test bench lint sandbox clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(DEVLOCK) | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r $(DEVLOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@ $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/duban run --auto

test: $(DEVSTAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(DEVSTAMP)
	$(BIN)/ruff check bot handlers schedules sandbox tests bench
	$(BIN)/mypy bot handlers schedules sandbox
	$(BIN)/mypy --strict bot/domain bot/store bot/features bot/reports bot/telegram/callbacks.py

# Re-pin every dependency (after editing pyproject.toml, or to take upgrades): `make lock`.
lock: | $(BIN)/python
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o $(DEVLOCK)

clean:
	rm -rf $(VENV) build *.egg-info
