# The one entry point for people and CI. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLIENT_STAMP := client/node_modules/.installed
CLIENT_SRC := $(shell find client/src client/index.html client/vite.config.ts client/tsconfig*.json -type f 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: run test lint typecheck test-server test-client test-e2e bench chaos browser setup clean compose-check client-types

run: $(STAMP) client/dist/index.html
	$(BIN)/manhwa run

setup: $(STAMP) $(CLIENT_STAMP)

$(STAMP): server/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e 'server[dev]'
	touch $@

$(CLIENT_STAMP): client/package-lock.json
	cd client && npm ci --no-audit --no-fund
	touch $@

client/dist/index.html: $(CLIENT_STAMP) $(CLIENT_SRC)
	cd client && npm run build

# The client's TypeScript types from the server's OpenAPI document (built in-process: no server).
# Commit both files; server/tests/test_openapi.py and client/src/api/schema.test.ts fail when stale.
client-types: $(STAMP) $(CLIENT_STAMP)
	cd server && ../$(PY) -m manhwa.openapi ../client/openapi.json
	cd client && npm run types

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

lint: $(STAMP)
	cd server && ../$(BIN)/ruff check . ../bench && ../$(BIN)/ruff format --check . ../bench

typecheck: $(STAMP)
	cd server && ../$(BIN)/mypy && ../$(BIN)/mypy ../bench

test-client: $(CLIENT_STAMP)
	cd client && npm run typecheck && npm run lint && npm test

test-server: $(STAMP)
	cd server && ../$(BIN)/pytest -m "not e2e and not chaos" $(PYTEST_ARGS)

test-e2e: $(STAMP) client/dist/index.html browser
	cd server && ../$(BIN)/pytest -m e2e $(PYTEST_ARGS)

test: lint typecheck test-client test-server test-e2e

bench: $(STAMP)
	$(PY) -m bench

chaos: $(STAMP)
	cd server && ../$(BIN)/pytest -m chaos $(PYTEST_ARGS)

# docker-compose.yml against the compose schema, its commands against the CLI (no Docker needed).
compose-check: $(STAMP)
	cd server && ../$(BIN)/pytest -q tests/test_deploy.py

clean:
	rm -rf client/dist .run downloads server/.mypy_cache server/.pytest_cache server/.ruff_cache
