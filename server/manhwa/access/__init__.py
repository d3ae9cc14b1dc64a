"""Access control: who may call the app, and from which page.

Three checks run on every request, outermost first (wired in `main.create_app`):

hosts.TrustedHosts        the `Host` header must be one of the app's names (DNS rebinding)
guard.AccessGuard
├── csrf.write_refusal    a write must prove it comes from the app's own pages (cross-site forms)
└── identity.Identifier   `/api` and `/opds` need a principal: a session (AUTH_MODE=password),
                          a proxy's user header (AUTH_MODE=proxy) or an API token (both)

The stores behind them live in Redis, so they survive a restart and every API process shares
them: `passwords` (the admin password's argon2 hash), `sessions`, `api_tokens` (only hashes of
either), `throttle` (failed logins per client address and overall).
"""
