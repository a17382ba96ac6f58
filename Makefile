# overcap: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SCENARIO ?= baseline

.PHONY: run test lint typecheck pytest bench clean system-deps system-fonts

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "make: no python3.11 or python3 on PATH; install Python 3.11"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make: $(PYTHON) is older than Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The core install (no dev tools); re-run when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

# System packages for the reports, installed with apt-get only when missing (sudo when
# not root): fonts-noto-cjk (Chinese in the PNG figures) and chromium (the browser test).
system-deps:
	@bash scripts/system-deps.sh all

system-fonts:
	@bash scripts/system-deps.sh font

# runs the default scenario and refreshes overcap-results/$(SCENARIO), then writes its
# report (a small ensemble) to overcap-results/report/$(SCENARIO) and prints its path
REPORT_RUNS ?= 3
run: $(VENV)/.installed system-fonts
	$(BIN)/overcap run $(SCENARIO) --out overcap-results/$(SCENARIO) --overwrite
	$(BIN)/overcap report $(SCENARIO) --runs $(REPORT_RUNS) --out overcap-results/report/$(SCENARIO)

# ruff, and the layers of docs/ARCHITECTURE.md (import-linter, configured in pyproject.toml)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# NumPy's AVX-512 kernels round exp, log and power differently in the last bit from its
# AVX2 ones; the golden hashes are made without them (tests/test_golden.py)
NUMPY_KERNELS := NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL"

pytest: $(VENV)/.installed-dev system-deps
	$(NUMPY_KERNELS) $(BIN)/pytest

test: lint typecheck pytest

bench: $(VENV)/.installed
	$(BIN)/overcap bench --firms 1000000 --years 10

clean:
	rm -rf $(VENV) overcap-results .pytest_cache .mypy_cache .ruff_cache
