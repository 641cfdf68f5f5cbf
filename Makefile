# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt install clean browsers vendor

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Souk needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/souk migrate
	$(BIN)/souk demo load --if-empty
	$(BIN)/souk staff welcome
	$(BIN)/souk serve

# Three test processes on two cores: many tests wait on servers they start, brokers and
# browsers, so a third process keeps the cores busy (the suite is bound to CI's 20 minutes).
test: install
	@tools/ensure-chromium.sh
	$(BIN)/pytest -p no:cacheprovider -n 3 --dist loadgroup

lint: install
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

clean:
	rm -rf $(VENV) var

vendor:  # front-end libraries from the npm registry into the package (committed)
	tools/vendor-pages.sh
