"""Figures the chaos tests record; `conftest.py` prints them at the end of the run."""

from __future__ import annotations

FIGURES: list[str] = []


def record(line: str) -> None:
    """Keep a line for the summary, and print it now (seen with `pytest -s`)."""
    FIGURES.append(line)
    print(line, flush=True)
