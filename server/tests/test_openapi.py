"""client/openapi.json is the document the server serves, so the client's generated types match."""

from __future__ import annotations

import json
from pathlib import Path

from manhwa.openapi import CLIENT_SCHEMA, document, main, render


def test_client_copy_of_the_openapi_document_is_current() -> None:
    checked_in = json.loads(CLIENT_SCHEMA.read_text(encoding="utf-8"))
    assert checked_in == document(), "client/openapi.json is stale: run `make client-types`"


def test_written_file_is_the_rendered_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render(document())
    assert "/api/manga/{source}/read" in json.loads(target.read_text(encoding="utf-8"))["paths"]
