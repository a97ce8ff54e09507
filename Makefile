# Two commands for a newcomer: `make run` starts the service, `make test` runs the tests.
# Both create the virtualenv in .venv and install requirements on first use.

VENV := .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install

install: $(VENV)/.installed

# One stamp for both: the Python requirements, and axe-core (npm) that the browser tests inject.
$(VENV)/.installed: requirements.txt requirements-dev.txt tests/browser/package-lock.json
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

run: install
	@$(VENV)/bin/flask --app app init-db
	@echo
	@echo "  Comment service: http://$(HOST):$(PORT)/"
	@echo "  Demo article:    http://$(HOST):$(PORT)/demo/"
	@echo "  Moderate:        http://$(HOST):$(PORT)/moderate/"
	@echo "  Make a moderator (in another terminal): $(VENV)/bin/flask --app app create-moderator NAME"
	@echo "  API token for tools:                     $(VENV)/bin/flask --app app create-token NAME"
	@echo
	$(VENV)/bin/flask --app app run --host $(HOST) --port $(PORT)

test: install
	$(PYTHON) -m pytest

# The pure and in-process tests only: no browser, no gunicorn, no PostgreSQL, no Redis.
# The markers are set by tests/conftest.py from the fixtures each test uses.
.PHONY: test-fast
test-fast: install
	$(PYTHON) -m pytest -m "not browser and not server and not postgresql and not redis"

.PHONY: check
check: install
	$(VENV)/bin/mypy
