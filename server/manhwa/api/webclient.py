"""The built web client: hashed assets through Starlette's StaticFiles (ETag, 304, HEAD,
ranges), everything else that is not API through an SPA fallback to index.html.

The fallback stays a GET route rather than StaticFiles mounted at `/`: a mount there matches
every path and method, so a wrong method on an API path would get the mount's answer instead
of the router's 405, and StaticFiles has no fallback to index.html for client-side routes.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from ..errors import NotFound

_NO_CLIENT = """<!doctype html><meta charset="utf-8"><title>Manhwa Downloader</title>
<h1>Manhwa Downloader</h1><p>The web client is not built (run <code>make run</code>).
The API is up: see <a href="/docs">/docs</a>.</p>"""


class _Assets(StaticFiles):
    """Content-hashed file names: a browser may keep them for good."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def mount_client(app: FastAPI, dist: os.PathLike[str] | str) -> None:
    """Serve the built client in `dist`; unknown non-API paths get index.html."""
    root = Path(dist).resolve()
    app.mount("/assets", _Assets(directory=root / "assets", check_dir=False), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def client(path: str) -> Response:
        if path.startswith("api/") or path == "api":
            raise NotFound(f"no API route /{path}")
        index = root / "index.html"
        if not index.exists():
            return HTMLResponse(_NO_CLIENT)
        target = (root / path).resolve()
        if path and target.is_file() and target.is_relative_to(root):
            return FileResponse(target, headers={"Cache-Control": "no-cache"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
