"""Search and the series page show one name per series: English wherever Consumet has it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from manhwa.consumet import ConsumetClient, display_titles
from manhwa.outbound import RetryPolicy
from manhwa.providers import resolve_provider

from .stack import REPO

FIXTURES = REPO.parent / "shared" / "consumet" / "mangadex"
CARETAKER = "729ed482-9c14-4980-99f6-7aa66bbbbdb6"  # romanised title, English only as alt title


@pytest.mark.parametrize(
    ("title", "alts", "chosen", "others"),
    [
        ("Tap-ui Gwanriin", [{"en": "The Tower's Caretaker"}, {"ko": "탑의 관리인"}],
         "The Tower's Caretaker", ["Tap-ui Gwanriin", "탑의 관리인"]),
        (None, [{"en": "The Tower's Caretaker"}, {"ko": "탑의 관리인"}],
         "The Tower's Caretaker", ["탑의 관리인"]),
        ({"ko-ro": "Tap", "en": "Tower"}, [{"ja": "塔"}], "Tower", ["Tap", "塔"]),
        ("Climber's Requiem", [], "Climber's Requiem", []),
        (None, [{"ko": "탑"}], "탑", []),
        (None, None, "fallback", []),
    ],
)  # fmt: skip
def test_english_wins_and_the_others_stay_alt_titles(
    title: Any, alts: Any, chosen: str, others: list[str]
) -> None:
    assert display_titles(title, alts, "fallback") == (chosen, others)


def test_search_and_info_agree_on_the_contracts_romanised_series() -> None:
    search = json.loads((FIXTURES / "search.json").read_text())
    found = next(r for r in search["results"] if r["id"] == CARETAKER)
    # Info as the contract describes it: `title` is the English title, absent when there is none.
    info = {"id": CARETAKER, "altTitles": found["altTitles"], "chapters": []}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/manga/mangadex/info/"):
            return httpx.Response(200, json=info)
        return httpx.Response(200, json=search)

    async def both() -> tuple[str, str, list[str]]:
        provider = resolve_provider("mangadex")
        transport = httpx.MockTransport(answer)
        async with ConsumetClient(
            "http://consumet.test", retry=RetryPolicy(0, 0.0, 0.0), transport=transport
        ) as client:
            page = await client.search(provider, "tower")
            series = await client.info(provider, CARETAKER)
        result = next(r for r in page.results if r.id == CARETAKER)
        return result.title, series.title, result.alt_titles

    in_search, in_info, alts = asyncio.run(both())
    assert in_search == in_info == "The Tower's Caretaker"
    assert "Tap-ui Gwanriin" in alts
