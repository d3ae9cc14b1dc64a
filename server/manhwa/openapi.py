"""The API's OpenAPI document as a file: the one source the client's TypeScript types come from.

`make client-types` runs `python -m manhwa.openapi ../client/openapi.json`, then
openapi-typescript turns that file into `client/src/api/schema.gen.ts`. The document is built
from `create_app(...)` with default settings (no `.env`), so it is the same on every machine and
needs no running server, Redis or worker: the app's lifespan never starts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .config import Settings
from .main import create_app

CLIENT_SCHEMA = Path(__file__).resolve().parents[2] / "client" / "openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI document of an app built with default settings."""
    return create_app(Settings(_env_file=None)).openapi()


def render(doc: dict[str, Any]) -> str:
    """The file's exact text: stable key order (as FastAPI emits it), a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given (default: the client's copy), or `-` for stdout."""
    args = sys.argv[1:] if argv is None else argv
    target = args[0] if args else str(CLIENT_SCHEMA)
    text = render(document())
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
