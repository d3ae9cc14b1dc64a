"""The worker's Celery app with every task registered: the `-A` target.

Run: `celery -A manhwa.worker worker -Q downloads,cleanup` (or `manhwa worker`). The app and its
configuration are in `celery_app.py`, the tasks in `tasks.py`.
"""

from __future__ import annotations

from .tasks import app

__all__ = ["app"]
