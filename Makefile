# Two commands for a newcomer: `make run` starts the service, `make test` runs the tests.
# Both create the virtualenv in .venv and install requirements on first use.

VENV := .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install

install: $(VENV)/.installed translations

# Readers' languages: each catalogue compiled from its .po (the .mo files are build output, not in git).
# The app refuses to start while one is missing or older than its .po (see README, Languages).
CATALOGUES := $(wildcard moderation/translations/*/LC_MESSAGES/messages.po)
.PHONY: translations
translations: $(CATALOGUES:.po=.mo)
%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@
	@test -s $@ || { echo "$< was not compiled (is it marked fuzzy?)" >&2; exit 1; }
# After changing a reader's string: extract them all again and merge them into every catalogue
# (then translate what is new or marked fuzzy; `make test` fails until none is left).
.PHONY: messages
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k translate -k translate_plural:1,2 --no-location --sort-output --project Comments \
	  --copyright-holder "The comment service's authors" -o moderation/translations/messages.pot .
	$(VENV)/bin/pybabel update -i moderation/translations/messages.pot -d moderation/translations \
	  --width 100 --ignore-obsolete

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
	@$(VENV)/bin/flask --app app seed-demo
	@echo
	@echo "  Comment service: http://$(HOST):$(PORT)/"
	@echo "  Demo article:    http://$(HOST):$(PORT)/demo/"
	@echo "  Moderate:        http://$(HOST):$(PORT)/moderate/"
	@echo "  Another port:    make run PORT=8000"
	@echo "  Make a moderator (in another terminal): $(VENV)/bin/flask --app app create-moderator NAME"
	@echo "  API token for tools:                     $(VENV)/bin/flask --app app create-token NAME"
	@echo "  Mail and webhooks are delivered by the outbox worker, started beside the server."
	@echo
	@# The worker runs in the background for as long as the server does (Ctrl-C stops both).
	$(VENV)/bin/flask --app app worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/flask --app app run --host $(HOST) --port $(PORT)

# terser (npm, pinned by the lock), which builds the embed's served files from moderation/assets/:
# `make embed` after changing a source there, then commit the build (`make run` needs no npm).
TERSER := moderation/assets/node_modules/.installed
$(TERSER): moderation/assets/package.json moderation/assets/package-lock.json
	npm ci --prefix moderation/assets --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: embed
embed: $(TERSER)
	node moderation/assets/build.mjs

test: install $(AXE) $(TERSER)
	$(PYTHON) -m pytest

# The pure and in-process tests only: no browser, no gunicorn, no PostgreSQL, no Redis.
# The markers are set by tests/conftest.py from the fixtures each test uses.
.PHONY: test-fast
test-fast: install
	$(PYTHON) -m pytest -m "not browser and not server and not postgresql and not redis"

.PHONY: check
check: install
	$(VENV)/bin/mypy
