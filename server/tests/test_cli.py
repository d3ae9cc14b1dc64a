"""cli.py without processes: what `manhwa flower` hands to Flower. The commands against a real
stack are in tests/integration/test_cli.py."""

from __future__ import annotations

import pytest

from manhwa import cli


def test_flower_gets_our_app_and_no_blank_flower_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}

    def execve(path: str, argv: list[str], env: dict[str, str]) -> None:
        seen.update(path=path, argv=argv, env=env)
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execve", execve)
    # A blank `FLOWER_BASIC_AUTH=` (as a copied .env can hold) would make Flower demand a
    # password nobody has; set ones and other blank variables pass through untouched.
    monkeypatch.setenv("FLOWER_BASIC_AUTH", "")
    monkeypatch.setenv("FLOWER_AUTH", "  ")
    monkeypatch.setenv("FLOWER_PURGE_OFFLINE_WORKERS", "60")
    monkeypatch.setenv("CORS_ORIGINS", "")
    args = cli.build_parser().parse_args(["flower", "--address", "127.0.0.1", "--port", "5599"])
    with pytest.raises(SystemExit):
        args.func(args)

    env = seen["env"]
    assert isinstance(env, dict)
    assert "FLOWER_BASIC_AUTH" not in env and "FLOWER_AUTH" not in env
    assert env["FLOWER_PURGE_OFFLINE_WORKERS"] == "60" and env["CORS_ORIGINS"] == ""
    assert seen["argv"] == [
        seen["path"], "-m", "celery", "-A", "manhwa.worker", "flower",
        "--address=127.0.0.1", "--port=5599",
    ]  # fmt: skip
