"""Consumet's error answers (`errors.json`, current API), as this demo sends them.

Consumet has no "not found": a bad id is a scraper failure and answers 500 with a generic
message; a client has to treat 500 as retryable and give up after a few tries.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

JSON_MEDIA_TYPE = "application/json; charset=utf-8"
SCRAPER_FAILURE = "Something went wrong. Please try again later."


class ConsumetJSON(JSONResponse):
    """JSON as Fastify sends it: compact, UTF-8, with an explicit charset."""

    media_type = JSON_MEDIA_TYPE


def json_body(body: object, status_code: int = 200) -> Response:
    return ConsumetJSON(body, status_code=status_code)


def scraper_failure(message: str = SCRAPER_FAILURE, **extra: str) -> Response:
    """500 for any failure inside a scraper: bad id, bad page number, site down."""
    return json_body({"message": message, **extra}, 500)


def missing_parameter(name: str) -> Response:
    """400 when a required query parameter (`id`, `chapterId`) is absent or empty."""
    return json_body({"message": f"{name} is required"}, 400)


def unknown_provider() -> Response:
    return json_body({"message": "Page not found, please check the provider list."}, 404)


def page_not_found() -> Response:
    """Any other unmatched GET."""
    return json_body({"message": "", "error": "page not found"}, 404)


def route_not_found(method: str, path: str) -> Response:
    """Fastify's default 404 for a method no route accepts (e.g. POST)."""
    return json_body(
        {"message": f"Route {method}:{path} not found", "error": "Not Found", "statusCode": 404},
        404,
    )
