# make demo  - create .venv, install mxjax, run the examples end to end
# make test  - install the test extras, lint, run the suite (test-slow: the slow checks)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REFVENV ?= .refvenv
REFPY := $(REFVENV)/bin/python
PYTEST_WORKERS ?= 2

.PHONY: venv demo test test-slow lint bench bench-scripts goldens refvenv conformance clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: venv
	$(PY) examples/train_digits.py
	$(PY) examples/autograd_function.py
	$(PY) examples/higher_order_grad.py
	$(VENV)/bin/mxjax run examples/seed000_two_layer.py
	$(VENV)/bin/mxjax run examples/seed002_parameters.py

lint: venv
	$(VENV)/bin/ruff check mxjax tests examples benchmarks conformance

test: venv lint
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not slow" tests

test-slow: venv
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) -m slow tests

bench: venv
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) benchmarks/eager_ops.py
	$(PY) benchmarks/training.py
	$(PY) benchmarks/dataloader.py

# Whole scripts (benchmarks/scripts/) under MXNet 1.9.1 and under mxjax with a cold and a
# warm compilation cache: make bench-scripts [REPEATS=3] [ONLY=03,07]
bench-scripts: venv refvenv
	$(PY) benchmarks/run_scripts.py --ref-python $(REFPY) --repeats $(or $(REPEATS),1) \
		$(if $(ONLY),--only $(ONLY))

# MXNet 1.9.1's own unit tests against mxjax (not part of `make test`: needs MXNet's source).
# MXNET_GIT=<git dir of apache/mxnet> make conformance [FILES=ndarray,gluon]
CONFORMANCE := ../shared/conformance/run_upstream.py
conformance: venv
	@test -n "$(MXNET_GIT)" || { echo "set MXNET_GIT to a git copy of apache/mxnet"; exit 2; }
	$(PY) -m pip install -q scipy graphviz
	MXNET_GIT=$(MXNET_GIT) $(PYTHON) $(CONFORMANCE) --backend mxjax --python $(abspath $(PY)) \
		--json conformance/last.json --list-failures --jobs 2 $(if $(FILES),--files $(FILES))
	$(PY) conformance/record.py conformance/last.json

# Goldens come from real MXNet 1.9.1, in a virtual environment of its own.
refvenv: $(REFVENV)/.installed

$(REFVENV)/.installed:
	test -x $(REFPY) || $(PYTHON) -m venv $(REFVENV)
	$(REFPY) -m pip install -q mxnet==1.9.1 'numpy<1.24'
	touch $@

goldens: refvenv
	for gen in tests/reference/generate_*.py; do $(REFPY) $$gen || exit 1; done

clean:
	rm -rf $(VENV) $(REFVENV) .pytest_cache .ruff_cache
