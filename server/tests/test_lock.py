"""What a fresh clone installs is what CI tested: server/uv.lock is fresh against
server/pyproject.toml (the same check as `make lock-check`, which `make test` runs first), and
the Dockerfile builds its wheels from that lock with the Makefile's uv."""

from __future__ import annotations

import os
import re
import subprocess

from .stack import REPO

UV = REPO / ".tools" / "bin" / "uv"


def makefile_uv_version() -> str:
    found = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert found, "the Makefile pins uv"
    return found.group(1)


def test_lock_is_fresh_against_pyproject() -> None:
    assert UV.exists(), "uv is installed by `make setup` (the Makefile's $(UV) target)"
    result = subprocess.run(
        [str(UV), "--project", "server", "lock", "--check", "--python", "python3"],
        cwd=REPO,
        env=os.environ | {"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"run `make lock`: {result.stderr}"


def test_dockerfile_installs_from_the_lock_with_the_makefiles_uv() -> None:
    dockerfile = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    assert f"uv=={makefile_uv_version()}" in dockerfile
    export = next(line for line in dockerfile.splitlines() if "uv export" in line)
    assert "--frozen" in export and "--require-hashes" in export
    assert re.search(r"^COPY .*server/uv\.lock", dockerfile, re.M)
