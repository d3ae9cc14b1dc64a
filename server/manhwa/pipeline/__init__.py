"""The download job as plain async code: Consumet read → images → per-chapter CBZ → archive.

Celery only calls `run_job`; everything here runs (and is tested) without Celery:
- `chapter.ChapterDownloader`: one chapter's pages in, a finished CBZ or a reason out;
- `progress.ProgressReporter`: counters, throttled flush, the lease check, `StandDown`;
- `runner.JobRunner`: orders chapters, feeds the archive as they end, finishes the job;
- `lease.run_job`: takes and keeps the lease, turns errors into a final state.
A chapter is either complete (its CBZ renamed into the job's work folder) or listed in
`failed`; the finished chapters survive a worker crash, so a redelivered job resumes.
"""

from .chapter import ChapterDownloader, ChapterResult
from .lease import run_job
from .progress import ProgressReporter, StandDown
from .runner import JobRunner

__all__ = [
    "ChapterDownloader",
    "ChapterResult",
    "JobRunner",
    "ProgressReporter",
    "StandDown",
    "run_job",
]
