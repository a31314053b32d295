# OrderCycle — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export QT_QPA_PLATFORM ?= offscreen
PYTEST := $(PY) -m pytest -q -p no:cacheprovider

.PHONY: run lint test test-dates test-pg bench screenshots venv clean roles-doc

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,postgres]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

## Create the virtualenv, install, open the app (the embedded default database with a demo company).
run: QT_QPA_PLATFORM =
run: $(STAMP)
	$(PY) -m app

## The whole test suite (SQLite files, Qt offscreen), after the lint.
test: lint
	$(PYTEST)

## ruff (pycodestyle and pyflakes rules, 120 columns) and mypy on app/ — configured in pyproject.toml.
lint: $(STAMP)
	$(PY) -m ruff check --quiet app tests bench installer
	$(PY) -m mypy

## The whole suite on awkward days through the one clock: a December Monday whose second Saturday
## ahead is Boxing Day, a December Saturday, a leap day, and the spring DST change in the firm's
## zone (Europe/London). `make test` itself runs on the real date.
TEST_DATES ?= 2026-12-07 2027-12-11 2028-02-29 2027-03-28@Europe/London
test-dates: $(STAMP)
	@for spec in $(TEST_DATES); do \
		day=$${spec%%@*}; zone=$$(echo "$$spec" | sed -n 's/.*@//p'); \
		echo "== make test as of $$day $${zone:+in $$zone} =="; \
		ORDERCYCLE_TEST_TODAY=$$day ORDERCYCLE_TEST_ZONE=$$zone $(PYTEST) || exit 1; \
	done

## The data-layer tests against PostgreSQL: ORDERCYCLE_TEST_PG_URL=postgresql+psycopg://… make test-pg
test-pg: $(STAMP)
	@test -n "$$ORDERCYCLE_TEST_PG_URL" || (echo "set ORDERCYCLE_TEST_PG_URL (see .ci/pg-setup.sh)"; exit 2)
	ORDERCYCLE_TEST_ONLY_PG=1 $(PYTEST) tests/unit tests/integration -k postgresql

## Benchmarks; writes docs/performance.md.
bench: $(STAMP)
	$(PY) -m bench

## Render every window and tab of the demo company to docs/screenshots/.
screenshots: $(STAMP)
	rm -f /tmp/ordercycle-shots.db
	$(PY) -m app demo --db /tmp/ordercycle-shots.db
	$(PY) -m app screenshots --db /tmp/ordercycle-shots.db --out docs/screenshots

## The bundled application for this operating system: dist/OrderCycle/ (PyInstaller, one folder).
PYINSTALLER_VERSION := 6.22.3
.PHONY: installer installer-smoke
installer: $(STAMP)
	$(PY) -m pip install -q "pyinstaller==$(PYINSTALLER_VERSION)"
	$(PY) installer/build.py

## Build the Linux bundle, run it offscreen on a fresh demo database, render every tab; records
## bundle size and start-up time in installer/smoke-result.json (make bench reports it).
installer-smoke: installer
	$(PY) installer/smoke.py

roles-doc: $(STAMP)
	$(PY) -m app.services.roles_doc > docs/roles.md

clean:
	rm -rf $(VENV) build dist *.egg-info
