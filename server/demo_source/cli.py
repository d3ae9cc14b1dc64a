"""Command line: `python -m demo_source --host 127.0.0.1 --port 8100 [--public-url URL]`."""

from __future__ import annotations

import argparse

import uvicorn

from demo_source.app import create_app


def main(argv: list[str] | None = None) -> None:
    """Serve the demo source with uvicorn: one process, asyncio, quiet logs."""
    parser = argparse.ArgumentParser(
        prog="demo_source", description="Consumet-compatible demo source with fault knobs."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--public-url",
        default=None,
        help="base of the image URLs handed out (default: each request's own base URL)",
    )
    parser.add_argument(
        "--release-every",
        type=float,
        default=None,
        help="seconds between new chapters of the releasing demo series (default: only on demand)",
    )
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.public_url, args.release_every),
        host=args.host,
        port=args.port,
        loop="asyncio",
        log_level="warning",
        access_log=False,
        # Hanging fault responses must not keep a stopping server alive.
        timeout_graceful_shutdown=2,
    )
