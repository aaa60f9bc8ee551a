# The two commands a newcomer needs: `make plan` and `make test`. Both install first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# npm ci rewrites this file on every install: it doubles as the stamp for node_modules (workerd).
NODE_STAMP := node_modules/.package-lock.json

.PHONY: install plan check test test-fast bench lint dist wheel-smoke clean

install: $(STAMP) $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

plan: install
	$(VENV)/bin/aigw plan

# The org's policy on the repo's own stacks (the rules of the CrossGuard pack in policy/).
check: install
	$(VENV)/bin/aigw check

# Plans go through one plan fork server per test worker (AIGW_PLAN_SERVER, tests/conftest.py).
test: install
	$(PY) -m pytest -n auto -q

# Leaves out the tests marked slow (pyproject.toml markers).
test-fast: install
	$(PY) -m pytest -n auto -q -m "not slow"

bench: install
	$(PY) bench/plan_bench.py
	$(PY) bench/check_bench.py
	$(PY) bench/pack_bench.py
	$(PY) bench/live_bench.py
	$(PY) bench/prove_bench.py

lint: install
	$(VENV)/bin/ruff check aigw infra policy tests bench

# The wheel and sdist of the installable package (aigw-infra), checked by twine.
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

# The wheel installed into a clean venv, then a project made by `aigw init` planned, checked and diffed.
wheel-smoke: dist
	bash .ci/wheel-smoke dist

clean:
	rm -rf $(VENV) node_modules build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
