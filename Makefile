# Two commands for a newcomer: `make run` starts the service, `make test` runs the tests.
# Both create the virtualenv in .venv and install requirements on first use.

VENV := .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# axe-core (npm, pinned by the lock), which the browser tests inject to check accessibility:
# only `make test` needs it (and so npm); `make run` does not.
AXE := tests/browser/node_modules/.installed
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

run: install
	@$(VENV)/bin/flask --app app init-db
	@echo
	@echo "  Comment service: http://$(HOST):$(PORT)/"
	@echo "  Demo article:    http://$(HOST):$(PORT)/demo/"
	@echo "  Moderate:        http://$(HOST):$(PORT)/moderate/"
	@echo "  Make a moderator (in another terminal): $(VENV)/bin/flask --app app create-moderator NAME"
	@echo "  API token for tools:                     $(VENV)/bin/flask --app app create-token NAME"
	@echo "  Mail and webhooks are delivered by the outbox worker, started beside the server."
	@echo
	@# The worker runs in the background for as long as the server does (Ctrl-C stops both).
	$(VENV)/bin/flask --app app worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/flask --app app run --host $(HOST) --port $(PORT)

test: install $(AXE)
	$(PYTHON) -m pytest

# The pure and in-process tests only: no browser, no gunicorn, no PostgreSQL, no Redis.
# The markers are set by tests/conftest.py from the fixtures each test uses.
.PHONY: test-fast
test-fast: install
	$(PYTHON) -m pytest -m "not browser and not server and not postgresql and not redis"

.PHONY: check
check: install
	$(VENV)/bin/mypy
