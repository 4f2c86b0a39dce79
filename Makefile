# The two commands of README.md: `make demo` and `make test`. Both install what they need first.
SHELL := /bin/sh
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV
export UV_PYTHON_DOWNLOADS := never
# The test runs keep Python's bytecode caches (in .venv and __pycache__/, git-ignored): without them each run
# compiles some 6,000 modules again, seconds in every pytest process (docs/development/testing.md).
test test-fast: export PYTHONDONTWRITEBYTECODE :=

.PHONY: demo test test-fast install install-test check lint system-deps i18n

## Install, migrate, load the demo city and serve the web UI on 127.0.0.1:8000 (ECOLOOP_PORT to change).
demo: install
	$(UV) run --frozen ecoloop demo

## Install everything the tests need (PostgreSQL, Chromium, Java and pyspark included) and run the whole suite.
test: install-test system-deps
	sh scripts/test

## The inner loop: the tests that need neither PostgreSQL nor Chromium and are not slow, on both cores, stopping at
## the first failure; ARGS to narrow (e.g. ARGS=tests/cases, then in one process), WORKERS=N to choose. It cannot
## start PostgreSQL: a test that would, unmarked, fails.
WORKERS ?= $(if $(ARGS),0,auto)
test-fast: install
	TESTS_WITHOUT_POSTGRES=1 $(UV) run --frozen pytest -q -x -n $(WORKERS) --dist loadgroup \
		-m "not pg and not e2e and not slow and not spark" $(ARGS)

## Python dependencies from uv.lock (bootstraps uv with pip when missing).
install:
	@sh scripts/setup

## The same with the spark extra (pyspark, for the Spark parity suite).
install-test:
	@sh scripts/setup --extra spark

## Debian packages the tests need: PostgreSQL server, Chromium and its driver, CJK fonts, a Java runtime (Spark).
system-deps:
	@sh scripts/install-system-deps

## ruff format --check, ruff, mypy, alembic check.
check: install
	sh scripts/check

## Apply ruff's fixes and formatting.
lint: install
	sh scripts/lint

## Re-extract messages and merge them into the zh_CN catalog.
i18n: install
	sh scripts/i18n
