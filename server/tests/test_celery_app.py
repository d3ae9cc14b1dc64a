"""The download message the API records (`DownloadMessages`) is the one `send_task` sends: same
queue (priority included), headers, properties and `task-sent` event, on a real Redis."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import redis

from manhwa.celery_app import DOWNLOADS, DownloadMessages, enqueue_download, make_celery
from manhwa.config import Settings

from .stack import RedisServer

# What differs between any two messages: their ids, the moment and the job id's repr.
_PER_MESSAGE = {"id", "root_id", "correlation_id", "delivery_tag", "argsrepr", "uuid", "clock"}
_PER_MESSAGE |= {"timestamp", "local_received", "body"}


def _shape(message: dict[str, Any]) -> dict[str, Any]:
    """The message without what differs per message, with its body decoded."""
    body = json.loads(base64.b64decode(message["body"]))
    return {**_same(message), "decoded": _same(body) if isinstance(body, dict) else body}


def _same(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _same(value) if isinstance(value, dict) else value
        for key, value in fields.items()
        if key not in _PER_MESSAGE
    }


@pytest.mark.parametrize("priority", [None, 6])
def test_a_recorded_message_is_the_one_send_task_sends(
    own_redis: RedisServer, priority: int | None
) -> None:
    settings = Settings(redis_url=f"{own_redis.url}/{3 if priority else 2}")
    app = make_celery(settings)
    if priority is not None:  # a route's priority picks kombu's priority list for the queue
        route = {"queue": DOWNLOADS, "routing_key": DOWNLOADS, "priority": priority}
        app.conf.task_routes = {"downloads.*": route}
    client = redis.Redis.from_url(settings.store_url, decode_responses=True)
    client.flushdb()
    events = client.pubsub()
    events.psubscribe("*")
    events.get_message(timeout=5)  # the subscription's confirmation
    try:
        sent_id = enqueue_download(app, "job-a")
        queues = [k for k in client.keys(f"{DOWNLOADS}*") if client.type(k) == "list"]
        assert len(queues) == 1
        sent = json.loads(client.lpop(queues[0]) or "{}")
        event = None
        deadline = time.monotonic() + 5
        while event is None and time.monotonic() < deadline:
            event = events.get_message(timeout=1)
        assert event is not None

        messages = DownloadMessages(app)
        recorded = messages.build("job-a")
        messages.close()
    finally:
        events.close()
        client.close()

    assert recorded.task_id != sent_id
    (push, queue, payload), (publish, topic, event_payload) = [
        (name, *args) for name, args in recorded.commands
    ]
    assert (push, queue) == ("lpush", queues[0])
    assert queues[0] == (DOWNLOADS if priority is None else f"{DOWNLOADS}\x06\x16{priority}")
    message = json.loads(payload)
    assert message["headers"]["id"] == recorded.task_id
    assert json.loads(base64.b64decode(message["body"]))[0] == ["job-a"]
    assert _shape(message) == _shape(sent)
    assert (publish, topic) == ("publish", event["channel"])
    assert _shape(json.loads(event_payload)) == _shape(json.loads(event["data"]))
