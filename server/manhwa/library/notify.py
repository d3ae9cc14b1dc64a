"""Notifications through Apprise (`NOTIFY_URLS`: ntfy, Gotify, Discord, Telegram, e-mail, …).

One message per check run that added chapters, one for its failures (never one per chapter).
A notification that cannot be delivered is logged, never fails the job: the files are in.
"""

from __future__ import annotations

import asyncio
import logging

from ..config import Settings

log = logging.getLogger(__name__)


def _send(urls: list[str], title: str, body: str, kind: str) -> bool:
    import apprise  # imported here: it loads dozens of plugins, only workers that notify pay

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            log.warning("NOTIFY_URLS: not an Apprise URL: %s", url.split("://", 1)[0] + "://…")
    notify_type = apprise.NotifyType.FAILURE if kind == "failure" else apprise.NotifyType.SUCCESS
    return bool(sender.notify(body=body, title=title, notify_type=notify_type))


async def send(settings: Settings, title: str, body: str, kind: str = "info") -> bool:
    """Send one message to every configured target; False when none is set or it failed."""
    if not settings.notify_urls:
        return False
    try:
        sent = await asyncio.to_thread(_send, settings.notify_urls, title, body, kind)
    except Exception as exc:  # a broken target must not fail the library job
        log.warning("notification failed: %s", exc)
        return False
    if not sent:
        log.warning("notification %r was not delivered to every target", title)
    return sent
