"""The chaos suite's summary: the figures each test recorded, printed after the run."""

from __future__ import annotations

import pytest

from .report import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("chaos figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
