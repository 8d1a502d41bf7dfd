# The two commands a newcomer needs: `make demo` and `make test`. Both install into .venv from the lock file.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lock lint

# Byte-compiles once at the end: where PYTHONDONTWRITEBYTECODE is set, every process would otherwise recompile
# pandas, Ibis and friends from source (seconds per command, minutes over the test suite).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib src > /dev/null
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/lottocrm demo

# Three workers on two cores: many tests wait on PostgreSQL, browsers and local gateways (four were slower:
# 32 min against 28); --durations names the slowest cases in every CI log.
test: install
	$(BIN)/python -m pytest -n 3 --dist loadgroup --durations=25 $(PYTEST_ARGS)

# Re-pin dependencies after editing pyproject.toml (needs network access to PyPI).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 -o requirements.lock

# Style and the architecture's rules: ruff (naive dates included), the import contracts in pyproject.toml,
# and tests/test_architecture.py (file sizes, wiring, handlers that leave audit and events to services).
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_architecture.py

# Re-extract UI strings, merge them into the Russian catalog, compile it (the .mo is committed).
.PHONY: i18n
i18n:
	$(BIN)/pybabel extract -F babel.cfg -k _ -o src/lottocrm/web/locale/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i src/lottocrm/web/locale/messages.pot -d src/lottocrm/web/locale -D messages --no-location
	$(BIN)/pybabel compile -d src/lottocrm/web/locale -D messages
