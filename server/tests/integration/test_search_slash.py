"""`GET /api/search?q=Fate/Zero` works end to end against the demo source."""

from __future__ import annotations

import httpx
import pytest

from ..stack import Stack

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("source", ["mangadex", "mangahere"])
def test_a_slash_in_the_query_is_searched_not_a_404(stack: Stack, source: str) -> None:
    answer = httpx.get(
        f"{stack.url}/api/search", params={"q": "Fate/Zero", "source": source}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["query"] == "Fate/Zero" and body["results"] == []
