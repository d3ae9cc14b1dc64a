# The one entry point for people and CI. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs the locked Python packages (server/uv.lock). It comes from PyPI itself, pinned
# here, into .tools/ (outside .venv, which `uv sync` keeps exactly to the lock).
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_ENV := UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(VENV) UV_PYTHON_DOWNLOADS=never
UV_RUN := $(UV_ENV) $(UV) --project server
STALE := server/uv.lock is stale against server/pyproject.toml: run \`make lock\` and commit server/uv.lock
CLIENT_STAMP := client/node_modules/.installed
CLIENT_SRC := $(shell find client/src client/index.html client/vite.config.ts client/tsconfig*.json -type f 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: run test lock lock-check lint typecheck test-server test-client test-e2e bench chaos browser setup clean compose-check client-types

run: $(STAMP) client/dist/index.html
	$(BIN)/manhwa run

setup: $(STAMP) $(CLIENT_STAMP)

$(UV):
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target $(TOOLS) 'uv==$(UV_VERSION)'

# Exactly what server/uv.lock says (hashes checked), the app itself editable; never re-resolves.
$(STAMP): server/pyproject.toml server/uv.lock | $(UV)
	$(UV_RUN) sync --locked --extra dev --python python3 --quiet || { echo "$(STALE)" >&2; exit 1; }
	touch $@

# Re-resolve server/pyproject.toml (every extra, every platform) into server/uv.lock, keeping
# the locked versions that still fit; `make lock LOCK_ARGS=--upgrade` moves all to the newest.
LOCK_ARGS ?=
lock: | $(UV)
	$(UV_RUN) lock --python python3 $(LOCK_ARGS)
	rm -f $(STAMP)

# Fails when someone changed server/pyproject.toml without re-locking.
lock-check: | $(UV)
	$(UV_RUN) lock --check --python python3 --quiet || { echo "$(STALE)" >&2; exit 1; }

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

test: lock-check lint typecheck test-client test-server test-e2e

bench: $(STAMP)
	$(PY) -m bench

chaos: $(STAMP)
	cd server && ../$(BIN)/pytest -m chaos $(PYTEST_ARGS)

# docker-compose.yml against the compose schema, its commands against the CLI (no Docker needed).
compose-check: $(STAMP)
	cd server && ../$(BIN)/pytest -q tests/test_deploy.py

clean:
	rm -rf client/dist .run downloads server/.mypy_cache server/.pytest_cache server/.ruff_cache
