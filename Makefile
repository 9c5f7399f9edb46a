# vta-kit: two commands on a fresh machine (Python 3.11+, g++, make).
#   make demo   - create .venv, install the kit, compile the digits CNN to VTA and run it on fsim
#   make test   - create .venv, install the kit with its test tools, run the test suite
#   (also: make test-all (slow tests too), make lint (verilator --lint-only -Wall), make bench)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The install stamp depends on pyproject.toml, so a dependency change reinstalls.
STAMP  := $(VENV)/.installed
# CI-sized suite; `make test-all` also runs the tests marked slow.
PYTEST_ARGS ?= -n 2 -m "not slow"

.PHONY: demo test test-all bench lint clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "vta-kit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vta demo digits

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -n 2

bench: $(STAMP)
	cd bench && for b in fsim_speed resnet18_layers resnet18_e2e tsim_speed gemm_utilization fuzz; do ../$(PY) $$b.py || exit 1; done

lint: $(STAMP)
	$(PY) -m vta.hw.lint

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
