"""`/_control/*`: the knobs tests and the benchmark turn (faults, hit counters, a redirector).

Not part of Consumet. Fault injection and hit counting skip these routes, except the redirector,
which stands for content (an image URL that bounces elsewhere).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from demo_source.errors import json_body, missing_parameter
from demo_source.faults import FaultConfig, FaultState
from demo_source.releases import Releases
from demo_source.stats import Stats


def control_router(faults: FaultState, stats: Stats, releases: Releases) -> APIRouter:
    router = APIRouter(prefix="/_control")

    @router.get("/faults")
    async def current_faults() -> Response:
        return json_body(faults.config.model_dump())

    @router.put("/faults")
    async def set_faults(config: FaultConfig) -> Response:
        faults.replace(config)
        return json_body(faults.config.model_dump())

    @router.delete("/faults")
    async def reset_faults() -> Response:
        faults.reset()
        return json_body(faults.config.model_dump())

    @router.get("/stats")
    async def current_stats() -> Response:
        return json_body(stats.snapshot())

    @router.delete("/stats")
    async def reset_stats() -> Response:
        stats.reset()
        return json_body(stats.snapshot())

    @router.get("/host")
    async def image_host() -> Response:
        """The image host's record: most requests open at once, 429s, bans (ratelimit.py)."""
        return json_body(stats.image_host.snapshot())

    @router.get("/releases")
    async def current_releases() -> Response:
        return json_body(releases.state())

    @router.post("/releases")
    async def release() -> Response:
        """Release the next chapter of the demo's releasing series (tests, on demand)."""
        chapter = releases.release()
        return json_body({"released": {"id": chapter.id, "number": chapter.chapter}})

    @router.get("/redirect")
    async def redirect(request: Request) -> Response:
        """302 to `?to=`: lets a page URL point at this server and bounce somewhere else."""
        target = request.query_params.get("to")
        if not target:
            return missing_parameter("to")
        return RedirectResponse(target, status_code=302)

    return router
