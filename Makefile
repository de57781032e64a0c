# arassess — run `make help` for the list of targets.
# Everything installs into .venv inside the repository; nothing is installed by hand.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SAMPLE ?= sample_data/voltline
# Debian packages: Chromium prints the report to PDF (make demo) and drives the browser tests
# (make test); installed when missing.
DEB_PACKAGES ?= chromium
# Nothing is cached outside the repository.
export PIP_NO_CACHE_DIR := 1
export HYPOTHESIS_STORAGE_DIRECTORY := $(CURDIR)/.hypothesis

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast install install-test system-deps bench sample serve lab dist nbval-reference clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/activate:
	@scripts/ensure-venv.sh "$(PYTHON)" "$(VENV)"

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install arassess

install-test: $(VENV)/.installed-test ## Create .venv with the test extras

system-deps: ## Install the Debian packages (Chromium for the PDF report and browser tests) if missing
	@scripts/ensure-debian-packages.sh $(DEB_PACKAGES)

demo: install system-deps ## Set up and run the whole assessment on the sample client (report, worklist, letters)
	$(BIN)/arassess assess $(SAMPLE)

test: install-test system-deps ## Set up and run the whole test suite (two workers, a test file each)
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: install-test ## The suite without browsers, notebook kernels or end-to-end subprocess runs
	$(BIN)/python -m pytest -m "not slow and not browser" --ignore=tests/nbval

serve: install ## Serve the notebooks as Voila dashboards on http://127.0.0.1:8866/
	$(BIN)/arassess serve

lab: install ## Open the notebooks in JupyterLab on http://127.0.0.1:8888/ (the token is printed)
	@VENV_BIN=$(BIN) scripts/lab.sh

dist: install ## Build the wheel into dist/ (it carries the notebooks and templates)
	$(BIN)/python -m pip wheel --no-deps -w dist .

bench: install-test system-deps ## Run every benchmark (~20 min): KPIs, intake, assess end to end, dashboards, cost and risk models
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/kpi_engine.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/costmodel.py
	$(BIN)/python bench/risk.py
	$(BIN)/python bench/risk.py --subsample

sample: install ## Regenerate the committed sample clients from the generator
	$(BIN)/arassess sample --out sample_data/voltline
	$(BIN)/arassess sample --open-items --seed 11 --out sample_data/northwind_open_items

nbval-reference: install-test ## Re-execute the nbval reference notebook (review the diff before committing)
	$(BIN)/python -m papermill tests/nbval/01_assess_reference.ipynb tests/nbval/01_assess_reference.ipynb --cwd . --no-progress-bar

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .hypothesis
